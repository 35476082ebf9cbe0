"""What the charts and the report read from a ``bpr whatif`` output folder (OUTDIR).

:func:`load_whatif` reads ``savings.json``, ``base_kpis.json``, ``scenario_kpis.json``,
``cycle_times.csv``, ``scenario.yaml``, ``base_model.yaml`` and ``tobe_model.yaml`` (see
:meth:`bpr.analysis.whatif.WhatIfResult.write`), plus, when present, ``sweep.json`` (from
``bpr sweep -o OUTDIR``) and ``fidelity.json`` (``bpr validate --json > OUTDIR/fidelity.json``).
A folder that is not a what-if output gives one :class:`~bpr.errors.BprError` line.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bpr.errors import BprError

REQUIRED = ("savings.json", "base_kpis.json", "scenario_kpis.json")
VARIANTS = ("base", "scenario")


@dataclass
class WhatIfData:
    """The contents of an OUTDIR: plain dicts as written, cycle times in hours by variant."""

    outdir: Path
    savings: dict[str, Any]
    base_kpis: dict[str, Any]
    scenario_kpis: dict[str, Any]
    cycle_times_hours: dict[str, np.ndarray]
    scenario_text: str | None = None
    base_model: Any = None  # ProcessModel or None
    tobe_model: Any = None
    sweep: dict[str, Any] | None = None
    fidelity: dict[str, Any] | None = None


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise BprError(f"cannot read it ({err.__class__.__name__}); re-run bpr whatif -o "
                       f"{path.parent}", path=str(path)) from None
    except json.JSONDecodeError as err:
        raise BprError(f"not valid JSON (line {err.lineno}): the file is damaged; re-run the "
                       f"command that wrote it", path=str(path)) from None
    if not isinstance(data, dict):
        raise BprError("expected a JSON object; re-run the command that wrote it",
                       path=str(path))
    return data


def read_cycle_times(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """``cycle_times.csv`` (variant, replication, case, cycle_time_hours) -> hours by variant."""
    values: dict[str, list[float]] = {v: [] for v in VARIANTS}
    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not {"variant", "cycle_time_hours"} <= set(
                    reader.fieldnames):
                raise BprError("expected the columns variant and cycle_time_hours; re-run "
                               "bpr whatif", path=str(p))
            for n, row in enumerate(reader, start=2):
                try:
                    values.setdefault(row["variant"], []).append(float(row["cycle_time_hours"]))
                except (TypeError, ValueError):
                    raise BprError(f"cycle_time_hours is not a number: "
                                   f"{row.get('cycle_time_hours')!r}; re-run bpr whatif",
                                   path=str(p), line=n) from None
    except OSError as err:
        raise BprError(f"cannot read it ({err.__class__.__name__})", path=str(p)) from None
    return {k: np.asarray(v, dtype=float) for k, v in values.items()}


def load_whatif(outdir: str | os.PathLike[str]) -> WhatIfData:
    """Read a what-if output folder (see the module doc)."""
    out = Path(outdir)
    if not out.exists():
        raise BprError("no such folder; give the folder written by bpr whatif -o OUTDIR",
                       path=str(out))
    if not out.is_dir():
        raise BprError("not a folder; give the folder written by bpr whatif -o OUTDIR",
                       path=str(out))
    missing = [f for f in REQUIRED if not (out / f).is_file()]
    if missing:
        raise BprError(f"not a bpr whatif output ({', '.join(missing)} missing); run "
                       f"bpr whatif SCENARIO -o {out} first", path=str(out))
    savings = _json(out / "savings.json")
    for key in ("per_case", "per_year", "settings"):
        if not isinstance(savings.get(key), dict):
            raise BprError(f"savings.json has no {key!r} object: not written by bpr whatif; "
                           f"re-run bpr whatif -o {out}", path=str(out / "savings.json"))
    kpis = {}
    for name in ("base_kpis.json", "scenario_kpis.json"):
        data = _json(out / name)
        if not isinstance(data.get("kpis"), dict):
            raise BprError(f"no 'kpis' object: not written by bpr whatif; re-run bpr whatif -o "
                           f"{out}", path=str(out / name))
        kpis[name] = data
    ct_path = out / "cycle_times.csv"
    cycle = read_cycle_times(ct_path) if ct_path.is_file() else {
        v: np.zeros(0) for v in VARIANTS}
    data = WhatIfData(out, savings, kpis["base_kpis.json"], kpis["scenario_kpis.json"], cycle)
    if (out / "scenario.yaml").is_file():
        data.scenario_text = (out / "scenario.yaml").read_text(encoding="utf-8",
                                                               errors="replace")
    for attr, name in (("base_model", "base_model.yaml"), ("tobe_model", "tobe_model.yaml")):
        if (out / name).is_file():
            from bpr.model.files import load_model

            setattr(data, attr, load_model(out / name))
    if (out / "sweep.json").is_file():
        data.sweep = _json(out / "sweep.json")
    if (out / "fidelity.json").is_file():
        data.fidelity = _json(out / "fidelity.json")
    return data


def cycle_times(source: Any) -> dict[str, np.ndarray]:
    """Cycle times in hours by variant (``base``, ``scenario``) from a WhatIfResult, a
    :class:`WhatIfData`, a mapping of arrays, or the path of ``cycle_times.csv``."""
    if isinstance(source, WhatIfData):
        return source.cycle_times_hours
    if isinstance(source, (str, os.PathLike)):
        return read_cycle_times(source)
    if isinstance(source, Mapping):
        return {k: np.asarray(v, dtype=float) for k, v in source.items()}
    base, tobe = getattr(source, "base", None), getattr(source, "tobe", None)
    if base is not None and tobe is not None:
        return {"base": base.cycle_times_hours, "scenario": tobe.cycle_times_hours}
    raise TypeError(f"cannot find cycle times in a {type(source).__name__}")


def kpi_pair(source: Any, scenario: Any = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The base and scenario KPI dicts (``kpis.json`` contents) from a WhatIfResult, a
    :class:`WhatIfData`, or two SimulationResults / dicts."""
    if isinstance(source, WhatIfData):
        return source.base_kpis, source.scenario_kpis
    if scenario is None and hasattr(source, "base") and hasattr(source, "tobe"):
        return source.base.to_dict(), source.tobe.to_dict()
    base = source if isinstance(source, Mapping) else source.to_dict()
    other = None if scenario is None else (
        scenario if isinstance(scenario, Mapping) else scenario.to_dict())
    return dict(base), None if other is None else dict(other)
