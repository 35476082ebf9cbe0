"""Scenario files (YAML) -> :class:`~bpr.scenario.model.Scenario`, with errors that name the
file, the line and the field.

Format::

    name: Digitise the credit check          # required
    base: processes/loan_application.yaml    # required: relative to this file's folder or
                                             # to the project root (the folder with pyproject.toml)
    description: ...                         # optional
    annual_cases: 12000                      # optional: cases per year (default: the base
                                             # model's observed cases_per_year)
    fte_hours_per_year: 1720                 # optional: productive hours of one full-time person
    changes:                                 # a list of one-key mappings
      - automate: {activity: Check credit history, duration: 0.1x, fixed_cost: 0.50}
      - staff: {pool: Clerk, count: +1}

``count: +1`` is relative although YAML reads ``+1`` as the number 1: for the fields a change type
declares in ``signed_fields`` the text as written is looked at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bpr.errors import BprError, ScenarioError
from bpr.io.yamlio import YamlDoc, parse_yaml
from bpr.scenario.base import REGISTRY, Change, ChangeProblem, parse_change
from bpr.scenario.model import ChangeSource, Scenario
from bpr.text import did_you_mean

TOP_KEYS = ("name", "base", "description", "annual_cases", "fte_hours_per_year", "changes")


def _fail(doc: YamlDoc, keys: tuple[Any, ...], message: str) -> ScenarioError:
    return ScenarioError(message, path=doc.path, line=doc.line(*keys))


def _positive(doc: YamlDoc, top: Mapping[str, Any], key: str) -> float | None:
    value = top.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise _fail(doc, (key,), f"{key}: expected a positive number, got {value!r}")
    return float(value)


def _raw_value(lines: list[str], line: int | None, key: str) -> str | None:
    """The text written after ``key:`` on a 1-based line, or None."""
    if line is None or not 0 < line <= len(lines):
        return None
    m = re.search(rf"(?:^|[{{,\s]){re.escape(key)}\s*:\s*([^,}}#\s]+)", lines[line - 1])
    return m.group(1) if m else None


def _signed(cls: type[Change] | None, fields: Any, lines: list[str],
            field_lines: Mapping[str, int]) -> Any:
    """``fields`` with each of the change type's ``signed_fields`` given as written when the
    text starts with ``+`` (YAML reads ``count: +1`` as the number 1)."""
    if cls is None or not cls.signed_fields or not isinstance(fields, Mapping):
        return fields
    out = dict(fields)
    for key in cls.signed_fields:
        if isinstance(out.get(key), int | float) and not isinstance(out.get(key), bool):
            raw = _raw_value(lines, field_lines.get(key), key)
            if raw is not None and raw.startswith("+"):
                out[key] = raw
    return out


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` holding ``pyproject.toml`` (the project root)."""
    for folder in [start, *start.parents]:
        if (folder / "pyproject.toml").is_file():
            return folder
    return None


def resolve_base(base: str, scenario_path: str | None) -> Path:
    """Where the base model file is: an absolute path; else relative to the scenario file's
    folder; else relative to the project root (or the working folder)."""
    p = Path(base)
    if p.is_absolute():
        if p.is_file():
            return p
        raise ScenarioError(f"base: model file {base!r} not found")
    candidates: list[Path] = []
    if scenario_path is not None:
        here = Path(scenario_path).resolve().parent
        candidates.append(here / p)
        root = find_project_root(here)
        if root is not None:
            candidates.append(root / p)
    candidates.append(Path.cwd() / p)
    for c in candidates:
        if c.is_file():
            return c
    tried = ", ".join(dict.fromkeys(os.path.relpath(c) for c in candidates))
    raise ScenarioError(f"base: model file {base!r} not found (looked for {tried}); give a path "
                        f"relative to the scenario file's folder or to the project root")


def scenario_from_doc(doc: YamlDoc, text: str = "") -> Scenario:
    """Build a :class:`Scenario` from a parsed document (names are checked when applied)."""
    data = doc.data
    if data is None:
        raise ScenarioError("the file is empty; a scenario needs 'name', 'base' and 'changes'",
                            path=doc.path)
    if not isinstance(data, Mapping):
        raise _fail(doc, (), "expected a mapping with 'name', 'base' and 'changes'")
    for key in data:
        if key not in TOP_KEYS:
            raise _fail(doc, (key,), f"unknown key {key!r}{did_you_mean(key, TOP_KEYS)} "
                        f"(allowed: {', '.join(TOP_KEYS)})")
    for key in ("name", "base"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise _fail(doc, (key,), f"{key}: missing or empty; give the scenario's "
                        f"{'name' if key == 'name' else 'base model file'}")
    raw_changes = data.get("changes")
    if not isinstance(raw_changes, list):
        raise _fail(doc, ("changes",), "changes: expected a list such as "
                    "'- staff: {pool: Clerk, count: +1}'")
    lines = text.splitlines()
    changes, sources = [], []
    for i, entry in enumerate(raw_changes):
        at = ("changes", i)
        label = f"change {i + 1}"
        if not isinstance(entry, Mapping) or len(entry) != 1:
            raise _fail(doc, at, f"{label}: expected a one-key mapping such as "
                        f"'- staff: {{pool: Clerk, count: +1}}' (types: "
                        f"{', '.join(sorted(REGISTRY))})")
        (kind, fields), = entry.items()
        kind = str(kind)
        field_lines = {str(k): doc.lines[at + (kind, k)] for k in (fields or {})
                       if isinstance(fields, Mapping) and at + (kind, k) in doc.lines}
        source = ChangeSource(doc.path, doc.line(*at), field_lines)
        fields = _signed(REGISTRY.get(kind), fields, lines, field_lines)
        try:
            change = parse_change(kind, fields)
        except ChangeProblem as err:
            prefix = f"{label} ({kind})" if kind in REGISTRY else label
            where = f", field {err.field!r}" if err.field else ""
            raise ScenarioError(f"{prefix}{where}: {err.message}", path=doc.path,
                                line=source.line_of(err.field)) from None
        changes.append(change)
        sources.append(source)
    return Scenario(
        name=data["name"].strip(), base=data["base"].strip(), changes=tuple(changes),
        description=str(data.get("description") or "").strip(),
        annual_cases=_positive(doc, data, "annual_cases"),
        fte_hours_per_year=_positive(doc, data, "fte_hours_per_year"),
        path=doc.path, sources=tuple(sources))


def scenario_from_data(data: Any, where: str) -> Scenario:
    """A :class:`Scenario` from plain data in the file format (:meth:`Scenario.to_dict`, e.g.
    kept in a result file); errors name ``where``. The scenario has no file path."""
    from dataclasses import replace

    return replace(scenario_from_doc(YamlDoc(data, where)), path=None)


def read_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Parse a scenario file (without loading its base model)."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError("scenario file not found; check the path" if not p.is_dir() else
                            "is a folder; give a scenario .yaml file", path=str(path))
    try:
        text = p.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as err:
        raise ScenarioError(f"cannot read the scenario file: {err}", path=str(path)) from None
    try:
        doc = parse_yaml(text, str(path))
    except BprError as err:
        raise ScenarioError(err.detail, path=err.path, line=err.line) from None
    return scenario_from_doc(doc, text)
