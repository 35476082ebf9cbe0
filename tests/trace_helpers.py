"""Run a tiny model and return its exact trace: ``(case, activity, member, start, end)`` rows with
times as ``"Mon 09:30"`` (simulation time 0 is Monday 00:00), in start order."""

from __future__ import annotations

from bpr.model import loads
from bpr.model.process import ProcessModel
from bpr.sim.compiled import compile_model
from bpr.sim.engine import Replication

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clock(t: float) -> str:
    """``"Tue 11:00"`` (``"Tue 11:00:30"`` with seconds) for simulation seconds ``t``."""
    s = round(t)
    day, rest = divmod(s, 86400)
    h, rest = divmod(rest, 3600)
    m, sec = divmod(rest, 60)
    text = f"{DAYS[day % 7]} {h:02d}:{m:02d}"
    return text + (f":{sec:02d}" if sec else "") + (f" +{day // 7}w" if day >= 7 else "")


def raw_rows(model: ProcessModel | str, cases: int, seed: int = 1) -> tuple[list[tuple], list]:
    """The engine's rows ``(case, activity, member, enabled, start, end, cost)`` and the member
    names by member number."""
    m = loads(model) if isinstance(model, str) else model
    cm = compile_model(m)
    names = [n for ms in cm.pool_members for n in ms]
    rows: list[tuple] = []
    Replication(cm, seed=seed, replication=0, week_offset=0.0, cases=cases,
                sink=rows.extend).run()
    acts = cm.activity_names
    out = [(r[0] + 1, acts[r[1]], names[r[2]] if r[2] >= 0 else None, r[3], r[4], r[5], r[6])
           for r in rows]
    return sorted(out, key=lambda r: (r[4], r[5], r[0])), names


def trace(model: ProcessModel | str, cases: int, seed: int = 1) -> list[tuple]:
    """``(case, activity, member, start, end)`` in start order, times as :func:`clock` text."""
    rows, _ = raw_rows(model, cases, seed)
    return [(c, a, m, clock(s), clock(e)) for c, a, m, _, s, e, _ in rows]
