"""Recognise what kind of file the user gave, so that a wrong file gets a helpful line.

A model passed where a scenario is expected says "this is a process model, not a scenario" and
how to use it, instead of the parser's "unknown key 'bpr_model'". Recognition reads the first
64 KiB only (names, magic bytes, top-level keys) and answers None when unsure; then the normal
reader runs and reports its own errors.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path

from bpr.errors import BprError

HEAD = 64 * 1024

# kind -> (what it is, how it is used)
KINDS: dict[str, tuple[str, str]] = {
    "model": ("a bpr process model", "simulate it with `bpr simulate MODEL -o OUT`, or use it "
              "as a scenario's base (base: MODEL, or --base MODEL)"),
    "bpmn": ("a BPMN model", "simulate it with `bpr simulate MODEL.bpmn -o OUT` or convert it "
             "with `bpr convert MODEL.bpmn MODEL.yaml`"),
    "scenario": ("a what-if scenario", "run it with `bpr whatif SCENARIO -o OUT`"),
    "log": ("an event log", "mine a model from it first: `bpr mine LOG -o MODEL.yaml`"),
    "prosimos": ("Prosimos simulation parameters (JSON)", "import them with `bpr "
                 "import-prosimos MODEL.bpmn PARAMS.json -o MODEL.yaml`"),
    "whatif-output": ("a bpr what-if output folder", "make its report with `bpr report "
                      "FOLDER`"),
    "simulate-output": ("a bpr simulation output folder", "its simulated log can be mined "
                        "or compared with `bpr validate`"),
    "sweep-output": ("a bpr sweep output folder", "its results are sweep.csv and sweep.json"),
    "folder": ("a folder", "give a file inside it"),
}
# what a command expects -> the kinds that are fine there
EXPECTED: dict[str, tuple[str, ...]] = {
    "model": ("model", "bpmn"),
    "scenario": ("scenario",),
    "log": ("log",),
    "costs": (),  # no recognised kind is a costs file: only refuse the recognised others
    "prosimos": ("prosimos",),
    "bpmn": ("bpmn",),
    "whatif-output": ("whatif-output", "sweep-output"),
}
_NAMES = {"model": "a process model", "scenario": "a what-if scenario", "log": "an event log",
          "costs": "a costs file", "prosimos": "Prosimos parameters (JSON)",
          "bpmn": "a BPMN model", "whatif-output": "a bpr what-if output folder"}
_LOG_SUFFIXES = (".csv", ".tsv", ".xes", ".parquet", ".csv.gz", ".tsv.gz", ".xes.gz")
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:", re.M)
_JSON_KEY = re.compile(r'"([A-Za-z_][\w-]*)"\s*:')


def _head(path: Path) -> str:
    try:
        with open(path, "rb") as fh:
            raw = fh.read(HEAD)
        if raw[:2] == b"\x1f\x8b":
            with gzip.open(path, "rb") as gz:
                raw = gz.read(HEAD)
    except (OSError, EOFError, zlib.error):
        return ""
    if raw.startswith(b"PAR1"):
        return "PAR1"
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


def _mapping_kind(keys: set[str]) -> str | None:
    if "bpr_model" in keys or {"activities", "flow"} <= keys:
        return "model"
    if "changes" in keys or ("base" in keys and "activities" not in keys):
        return "scenario"
    if {"resource_profiles", "task_resource_distribution"} & keys or \
            "arrival_time_distribution" in keys:
        return "prosimos"
    return None


def kind_of(path: str | Path) -> str | None:
    """The kind of ``path`` (a key of :data:`KINDS`), or None when not recognised."""
    p = Path(path)
    try:
        if p.is_dir():
            if (p / "savings.json").is_file():
                return "whatif-output"
            if (p / "sweep.json").is_file():
                return "sweep-output"
            if (p / "kpis.json").is_file():
                return "simulate-output"
            return "folder"
        if not p.is_file():
            return None
    except OSError:
        return None
    name = p.name.lower()
    if name.endswith(_LOG_SUFFIXES):
        return "log"
    head = _head(p)
    if head == "PAR1":
        return "log"
    text = head.lstrip()
    if text.startswith("<"):
        if re.search(r"<(\w+:)?definitions\b", text):
            return "bpmn"
        if re.search(r"<(\w+:)?log\b", text):
            return "log"
        return None
    if text.startswith("{"):
        try:
            data = json.loads(head) if len(head) < HEAD else None
        except ValueError:
            data = None
        keys = set(data) if isinstance(data, dict) else set(_JSON_KEY.findall(head[:4096]))
        return _mapping_kind(keys)
    keys = set(_TOP_KEY.findall(head))
    kind = _mapping_kind(keys)
    if kind is None and name.endswith((".yaml", ".yml")):
        return None
    if kind is None and "," in text.split("\n", 1)[0] and not name.endswith(".json"):
        return "log"  # a CSV header under another name
    return kind


def expect(path: str | Path, expected: str, *, role: str | None = None) -> None:
    """Raise a one-line :class:`BprError` if ``path`` is recognised as another kind of file
    than ``expected`` (a key of :data:`EXPECTED`); ``role`` names the argument (e.g.
    ``--base``)."""
    p = Path(path)
    try:
        special = p.exists() and not (p.is_file() or p.is_dir())
    except OSError:
        special = False
    if special:  # a named pipe would block the reader, a device would never end
        raise BprError(f"is not a regular file (a pipe or device); give {_NAMES[expected]} "
                       f"file", path=str(path))
    kind = kind_of(path)
    if kind is None or kind in EXPECTED[expected]:
        return
    if kind == "folder" and expected.endswith("-output"):
        return  # an unrecognised folder: the reader names what is missing in it
    what, how = KINDS[kind]
    where = f" for {role}" if role else ""
    raise BprError(f"this is {what}, not {_NAMES[expected]}{where}; {how}", path=str(path))
