"""Find the event-log columns in a table by their common names, or by the user's overrides.

Names are compared case-insensitively with spaces, underscores, dots, colons and dashes ignored,
so ``Case ID``, ``CaseID``, ``case_id`` and ``case:concept:name``-style names are all recognised.
The first candidate (in the order below) that is present wins; a user override always wins.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields

from bpr.errors import LogError

# Candidate names per role, best first (compared after :func:`normalise`).
CANDIDATES: dict[str, tuple[str, ...]] = {
    "case": ("case_id", "case:concept:name", "caseid", "case id", "case_identifier", "case",
             "trace_id", "traceid", "case:id", "process_instance", "instance_id"),
    "activity": ("activity", "concept:name", "activity_name", "activity_id", "task", "task_name",
                 "event_name", "event", "action"),
    "start": ("start_time", "start_timestamp", "starttimestamp", "start", "start_date",
              "start_datetime", "started", "started_at", "time:start", "begin_time"),
    "end": ("end_time", "time:timestamp", "complete_timestamp", "completetimestamp",
            "end_timestamp", "endtimestamp", "complete_time", "completion_time", "end",
            "end_date", "end_datetime", "finish_time", "finished", "completed_at", "timestamp",
            "time", "datetime", "date"),
    "resource": ("resource", "org:resource", "resource_id", "resource_name", "user", "user_id",
                 "performer", "originator", "employee", "agent"),
    "role": ("role", "org:role", "resource_role", "resource_group"),
    "enabled": ("enabled_time", "enable_time", "enabled_timestamp", "enable_timestamp",
                "enabledtime", "time:enabled"),
    "lifecycle": ("lifecycle:transition", "lifecycle", "transition", "lifecycle_transition",
                  "event_type", "eventtype"),
    "fixed_cost": ("fixed_cost", "fixedcost"),
    "resource_cost": ("resource_cost", "resourcecost", "cost"),
}

# XES attribute names, preferred when the input is XES (where custom attributes such as
# ``Activity`` may repeat the standard ones).
XES_FIRST: dict[str, str] = {
    "case": "case:concept:name",
    "activity": "concept:name",
    "end": "time:timestamp",
    "resource": "org:resource",
    "role": "org:role",
    "lifecycle": "lifecycle:transition",
}

# The command-line flag that overrides each role.
FLAGS: dict[str, str] = {
    "case": "--case", "activity": "--activity", "start": "--start", "end": "--end",
    "resource": "--resource", "role": "--role",
}

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def normalise(name: str) -> str:
    """Lower-case ``name`` and drop everything that is not a letter or digit."""
    return _NON_ALNUM.sub("", str(name).lower())


@dataclass(frozen=True)
class ColumnMap:
    """The source column for each part of an event log (``None``: the log has no such column)."""

    case: str
    activity: str
    end: str
    start: str | None = None
    resource: str | None = None
    role: str | None = None
    enabled: str | None = None
    lifecycle: str | None = None
    fixed_cost: str | None = None
    resource_cost: str | None = None

    def items(self) -> list[tuple[str, str]]:
        """(role, column) pairs for the columns that are present."""
        return [(f.name, getattr(self, f.name)) for f in fields(self)
                if getattr(self, f.name) is not None]


def _show(columns: Sequence[str], limit: int = 20) -> str:
    shown = ", ".join(repr(str(c)) for c in columns[:limit])
    return shown + (f", ... ({len(columns)} in all)" if len(columns) > limit else "")


def map_columns(columns: Sequence[str], overrides: dict[str, str | None], *, path: str,
                xes: bool = False) -> ColumnMap:
    """Choose the column for each role; raise :class:`LogError` if a required one is missing.

    ``overrides`` maps a role (``case``, ``activity``, ``start``, ``end``, ``resource``,
    ``role``) to a column name given by the user; each must exist in ``columns``.
    """
    columns = [str(c) for c in columns]
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise(c), c)
    chosen: dict[str, str | None] = {}
    used: set[str] = set()
    for role, name in overrides.items():
        if name is None:
            continue
        if name not in columns:
            close = difflib.get_close_matches(name, columns, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise LogError(f"{FLAGS.get(role, role)} {name!r} is not a column of this log;"
                           f" fix: {hint}the columns are {_show(columns)}", path=path)
        chosen[role] = name
        used.add(name)
    for role, candidates in CANDIDATES.items():
        if role in chosen:
            continue
        order = list(candidates)
        if xes and role in XES_FIRST:
            order.insert(0, XES_FIRST[role])
        chosen[role] = None
        for cand in order:
            col = by_norm.get(normalise(cand))
            if col is not None and col not in used:
                chosen[role] = col
                used.add(col)
                break
    missing = [r for r in ("case", "activity", "end") if chosen[r] is None]
    if missing:
        what = {"case": "case id", "activity": "activity", "end": "end (completion) timestamp"}
        flags = "/".join(FLAGS[r] for r in missing)
        raise LogError(f"no {' / '.join(what[r] for r in missing)} column found;"
                       f" columns found: {_show(columns)}; fix: name the columns with"
                       f" {flags} (e.g. {FLAGS[missing[0]]} {columns[0]!r})"
                       if columns else "no columns found; fix: give the log a header row",
                       path=path)
    return ColumnMap(**chosen)  # type: ignore[arg-type]
