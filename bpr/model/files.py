"""Load and save model files by extension. YAML is bpr's own format; JSON is the same schema as
plain JSON; BPMN 2.0 goes through :mod:`bpr.model.bpmn` (simulation parameters in a sidecar
YAML)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bpr.errors import BprError
from bpr.io.atomic import write_text
from bpr.io.yamlio import load_json, load_yaml
from bpr.model.check import check
from bpr.model.process import ProcessModel
from bpr.model.schema import file_kind, model_from_doc, model_to_dict, save


def load_model(path: str | os.PathLike[str], *, checked: bool = True) -> ProcessModel:
    """Read a model from ``.yaml``/``.yml``, ``.json`` or ``.bpmn``; check it unless told not to."""
    kind = file_kind(path)
    if not Path(path).is_file():
        raise BprError("model file not found; check the path", path=str(path))
    if kind == "yaml":
        model = model_from_doc(load_yaml(path))
    elif kind == "json":
        model = model_from_doc(load_json(path))
    else:
        from bpr.model.bpmn import read_bpmn

        model = read_bpmn(path)
    return check(model) if checked else model


def save_model(model: ProcessModel, path: str | os.PathLike[str]) -> None:
    """Write a model by extension: YAML, JSON (same schema) or BPMN (+ sidecar)."""
    kind = file_kind(path)
    if kind == "yaml":
        save(model, path)
    elif kind == "json":
        write_text(path, json.dumps(model_to_dict(model), indent=2, ensure_ascii=False) + "\n")
    else:
        from bpr.model.bpmn import write_bpmn

        write_bpmn(model, path)
