"""Import a Prosimos simulation model (as discovered by Simod): BPMN + JSON -> ProcessModel.

What maps exactly: the control flow (BPMN, Simod dialect), gateway branching probabilities
(``path_id`` = sequence-flow id), timer events with their delay distributions
(``event_distribution``), calendars (``23:59:59.999`` read as ``24:00``), hourly costs, and every
duration distribution (pix-framework conventions, see :mod:`bpr.model.prosimos_dist`).

What is approximated, because a bpr pool is ``count`` interchangeable people sharing one calendar
and an activity is done by one pool with one duration distribution:

* **Pools.** Resources with the same set of tasks form one pool (Simod's CRISP models give each
  resource its own profile); pools whose task sets overlap by at least half (Jaccard index) are
  merged. An activity goes to the pool holding most of the resources that
  may do it; pools left without activities are dropped (named in the warnings), and resources of
  other pools no longer help with that activity.
* **Pool calendars** (``staffing=``, see :func:`team_staffing`). Each Simod resource has its own
  calendar; a bpr pool has one calendar and an integer ``count``. Default ``union``: the union
  of the members' calendars (work can start whenever somebody is on duty), count = the members'
  weekly working hours / the union's hours, rounded, at least 1. What is lost cannot be
  expressed in the format; measured on PurchasingExample_train (3 x 10,000 cases, against
  Prosimos with a work-conserving dispatcher: cycle 544.9 h, waiting 52.8 h; see
  benchmarks/bench_prosimos.py): a duration on ONE person's sparse calendar spreads over more
  elapsed time than on the team's union (processing 36 h/case in Prosimos vs 15 h in bpr), and
  a fractional ratio (3 people, 103 h/week over 84 union hours = 1.23) must become 1
  (``union``: too little capacity, cycle 553.7 h, waiting 84.1 h) or 2 (``union-up``: too
  much, 509.1 h / 39.8 h). ``capacity`` (count rounded up, calendar cut to the busiest hours
  so that weekly capacity is exact) loses availability: 600.7 h / 125.3 h.
* **Durations.** Per-resource distributions become one per activity: the equal-weight mixture of
  the distributions of all resources allowed to do it (so per-resource speed differences turn
  into extra variance). Its exact quantiles are stored as an ``empirical`` distribution unless a
  single named kind is exact (within 0.1% probability mass).
* **Arrivals.** Prosimos draws a wall-clock inter-arrival time and then moves an arrival that falls
  outside the arrival calendar to the next open moment; bpr counts inter-arrival time in the
  calendar's open time. The import simulates Prosimos' arrival process (fixed seed) and stores
  the distribution of open-time gaps, so the arrival rate matches exactly, but not the time of
  week (Prosimos puts one arrival at every opening): on office hours this changes cycle times by
  ~15% (office_xor in tests/prosimos_small.py), on the purchasing model by < 1%.
* Not imported: batching, prioritisation, case/event attributes, branch conditions (probabilities
  are used), multitasking.
"""

from __future__ import annotations

import json
import math
import warnings
from collections import Counter, defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bpr.errors import ModelError
from bpr.io.yamlio import YamlDoc
from bpr.model.bpmn.reader import ModelWarning, build_model, read_graph, rename_node
from bpr.model.calendar import DAY, WEEK, Calendar
from bpr.model.distribution import Distribution
from bpr.model.process import ALWAYS, ProcessModel
from bpr.model.prosimos_dist import Component, parse_component, to_bpr

ARRIVAL_SAMPLES = 20_000
ARRIVAL_SEED = 20240501
_WEEKDAYS = {d: i for i, d in enumerate(("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY",
                                         "SATURDAY", "SUNDAY"))}


def _clock(text: Any, where: str) -> int:
    parts = str(text).strip().split(":")
    try:
        h, m = int(parts[0]), int(parts[1])
        s = float(parts[2]) if len(parts) > 2 else 0.0
    except (ValueError, IndexError):
        raise ModelError(f"{where}: {text!r} is not a time HH:MM:SS") from None
    sec = h * 3600 + m * 60 + s
    if sec >= DAY - 1:  # 23:59:59.999 means the end of the day
        return DAY
    return int(round(sec))


def prosimos_calendar(periods: Any, where: str) -> Calendar:
    """A bpr calendar from Prosimos ``time_periods`` ({from, to, beginTime, endTime})."""
    if not isinstance(periods, list) or not periods:
        raise ModelError(f"{where}: expected a non-empty list of time periods")
    intervals: list[tuple[int, int]] = []
    for i, p in enumerate(periods):
        w = f"{where}[{i}]"
        try:
            d0, d1 = _WEEKDAYS[str(p["from"]).upper()], _WEEKDAYS[str(p["to"]).upper()]
        except KeyError:
            raise ModelError(f"{w}: 'from'/'to' must be weekdays such as MONDAY") from None
        a, b = _clock(p.get("beginTime"), w), _clock(p.get("endTime"), w)
        days = range(d0, d1 + 1) if d0 <= d1 else [*range(d0, 7), *range(0, d1 + 1)]
        for d in days:
            if b > a:
                intervals.append((d * DAY + a, d * DAY + b))
            elif b < a:  # overnight: to midnight, then from midnight on the next day
                intervals.append((d * DAY + a, d * DAY + DAY))
                n = (d + 1) % 7
                intervals.append((n * DAY, n * DAY + b))
    cal = Calendar(tuple(intervals))
    if not cal.intervals:
        raise ModelError(f"{where}: the calendar has no working time")
    return cal


def _gaps_in_open_time(interarrival: list[Component], cal: Calendar) -> Distribution:
    """Distribution of inter-arrival gaps, in ``cal``'s open time, of Prosimos' arrival rule."""
    rng = np.random.default_rng(ARRIVAL_SEED)
    draws = interarrival[0].sample(rng, ARRIVAL_SAMPLES)
    t = cal.next_open(0.0)
    gaps = np.empty(ARRIVAL_SAMPLES)
    for i, d in enumerate(draws):
        nxt = cal.next_open(t + float(d))
        gaps[i] = cal.working_seconds(t, nxt)
        t = nxt
    q = np.quantile(gaps, np.linspace(0, 1, 101))
    if q[-1] - q[0] < 1e-9:
        return Distribution.fixed(float(q[0]))
    return Distribution("empirical", {"quantiles": tuple(float(x) for x in np.round(q, 3))})


MERGE_JACCARD = 0.5


def _group_resources(tasks_of: Mapping[str, set[str]]) -> dict[frozenset[str], list[str]]:
    """Resources grouped by identical task sets; then, greedily, the two groups whose task sets
    overlap most (Jaccard index at least MERGE_JACCARD) are merged, until none are left."""
    groups: dict[frozenset[str], list[str]] = defaultdict(list)
    for rid, ts in tasks_of.items():
        if ts:
            groups[frozenset(ts)].append(rid)
    while True:
        keys = sorted(groups, key=sorted)
        best: tuple[float, int, int] | None = None
        for i, a in enumerate(keys):
            for j in range(i + 1, len(keys)):
                b = keys[j]
                jac = len(a & b) / len(a | b)
                if jac >= MERGE_JACCARD and (best is None or jac > best[0]):
                    best = (jac, i, j)
        if best is None:
            return dict(groups)
        a, b = keys[best[1]], keys[best[2]]
        merged = groups.pop(a) + groups.pop(b)
        groups.setdefault(a | b, []).extend(merged)


STAFFING_RULES = ("union", "union-up", "capacity")


def duty_profile(members: list[tuple[Calendar, int]]) -> list[tuple[int, int, int]]:
    """``(start, end, people on duty)`` for each stretch of the week (seconds) with anyone on
    duty, given each member's calendar and amount."""
    points = sorted({0, WEEK} | {t for cal, _ in members for iv in cal.intervals for t in iv})
    out = []
    for a, b in zip(points, points[1:], strict=False):
        n = sum(k for cal, k in members if cal.is_open(a))
        if n:
            out.append((a, b, n))
    return out


def team_staffing(members: list[tuple[Calendar, int]], rule: str = "union"
                  ) -> tuple[Calendar, int]:
    """One bpr pool (calendar, count) for people with their own calendars (and amounts).

    ``union``: the union of their calendars, count = weekly working hours / union hours,
    rounded (at least 1); the weekly capacity changes by the rounding (up to a third for the
    purchasing model's small teams). ``union-up``: the same, rounded up. ``capacity``: count =
    that ratio rounded up, and the calendar = the hours when most of them are on duty, just
    enough that count x open hours = their weekly working hours (to the minute): weekly
    capacity is kept, work is concentrated in the busiest hours, and a duration (working time)
    spreads over fewer open hours, as it does on one person's calendar. The module docstring
    gives what each rule does to the purchasing model's waiting times.
    """
    profile = duty_profile(members)
    union = Calendar(tuple((a, b) for a, b, _ in profile))
    hours = sum(k * cal.open_seconds_per_week for cal, k in members)
    ratio = hours / max(union.open_seconds_per_week, 1)
    if rule == "union" or not profile:
        return union, max(1, round(ratio))
    if rule == "union-up":
        return union, max(1, math.ceil(ratio - 1e-9))
    if rule != "capacity":
        raise ModelError(f"staffing rule {rule!r} is unknown; use one of {STAFFING_RULES}")
    count = max(1, math.ceil(hours / union.open_seconds_per_week - 1e-9))
    left = round(hours / count / 60) * 60  # open seconds to choose, whole minutes
    chosen: list[tuple[int, int]] = []
    for a, b, _ in sorted(profile, key=lambda s: (-s[2], s[0])):
        if left <= 0:
            break
        take = min(b - a, left)
        chosen.append((a, a + take))
        left -= take
    return Calendar(tuple(chosen)), count


def _need(data: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in data:
        raise ModelError(f"missing section {key!r}; is this a Prosimos simulation-parameters "
                         f"JSON?", path=path)
    return data[key]


def import_prosimos(bpmn_path: str | Path, json_path: str | Path, *,
                    staffing: str = "union") -> ProcessModel:
    """Read a Prosimos model (BPMN + JSON parameters) into a bpr :class:`ProcessModel`.

    The result is not checked for soundness here (``bpr.model.check`` does that); what had to
    be approximated is reported as :class:`~bpr.model.bpmn.ModelWarning` warnings and kept in
    the model's description. See the module docstring for the mapping.
    """
    jp = str(json_path)
    if not Path(jp).is_file():
        raise ModelError("file not found; check the path", path=jp)
    try:
        data = json.loads(Path(jp).read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ModelError(f"not valid JSON: {getattr(err, 'msg', err)}", path=jp,
                         line=getattr(err, "lineno", None)) from None
    if not isinstance(data, Mapping):
        raise ModelError("expected a JSON object of Prosimos sections", path=jp)
    try:
        return _import(read_graph(bpmn_path), data, jp, staffing)
    except ModelError as err:
        if err.path is None:
            raise ModelError(err.detail, path=jp) from None
        raise


def _import(g: Any, data: Mapping[str, Any], jp: str, staffing: str) -> ProcessModel:
    notes: list[str] = []
    name_of = {bid: n for n, bid in g.ids.items()}
    tasks = [n for n, k in g.kinds.items() if k == "task"]

    # timer events: name them after the activity they precede, delays from event_distribution
    delays: dict[str, Distribution] = {}
    for i, ev in enumerate(data.get("event_distribution") or []):
        where = f"event_distribution[{i}]"
        eid = ev.get("event_id")
        if eid not in name_of:
            raise ModelError(f"{where}: event {eid!r} is not in the BPMN model")
        old = name_of[eid]
        comp = parse_component(ev, where)
        new = f"wait before {ev.get('activity')}" if ev.get("activity") else old
        if new != old and new not in g.kinds:
            rename_node(g, old, new)
            name_of[eid] = new
        delays[name_of[eid]] = to_bpr([comp], max_segments=400)

    # resources, their tasks and calendars
    cals = {c["id"]: prosimos_calendar(c.get("time_periods"), f"resource_calendars[{i}]")
            for i, c in enumerate(_need(data, "resource_calendars", jp))}
    resources: dict[str, dict[str, Any]] = {}
    for i, prof in enumerate(_need(data, "resource_profiles", jp)):
        for r in prof.get("resource_list") or []:
            where = f"resource_profiles[{i}]"
            if r.get("calendar") not in cals:
                raise ModelError(f"{where}: resource {r.get('id')!r} has unknown calendar "
                                 f"{r.get('calendar')!r}")
            resources[str(r["id"])] = {"amount": int(r.get("amount", 1)),
                                       "rate": float(r.get("cost_per_hour", 0.0)),
                                       "calendar": cals[r["calendar"]], "tasks": set()}
    task_comps: dict[str, list[Component]] = {}
    for i, td in enumerate(_need(data, "task_resource_distribution", jp)):
        tid = td.get("task_id")
        if tid not in name_of or g.kinds[name_of[tid]] != "task":
            raise ModelError(f"task_resource_distribution[{i}]: task {tid!r} is not a task of "
                             f"the BPMN model")
        comps = []
        for j, r in enumerate(td.get("resources") or []):
            rid = str(r.get("resource_id"))
            if rid not in resources:
                raise ModelError(f"task_resource_distribution[{i}].resources[{j}]: unknown "
                                 f"resource {rid!r}")
            resources[rid]["tasks"].add(name_of[tid])
            comp = parse_component(r, f"task_resource_distribution[{i}].resources[{j}]")
            comps += [comp] * resources[rid]["amount"]
        task_comps[name_of[tid]] = comps

    # pools: resources with the same task set, then groups with similar task sets merged
    groups = _group_resources({rid: r["tasks"] for rid, r in resources.items()})
    ordered = sorted(groups.items(), key=lambda kv: (-sum(resources[r]["amount"] for r in kv[1]),
                                                     sorted(kv[0])))
    team_of_group = {ts: f"team {i + 1}" for i, (ts, _) in enumerate(ordered)}
    size = {team_of_group[ts]: sum(resources[r]["amount"] for r in rids) for ts, rids in ordered}
    pool_of: dict[str, str] = {}
    for t in tasks:
        counts: Counter[str] = Counter()
        for ts, rids in groups.items():
            if t in ts:
                counts[team_of_group[ts]] += sum(resources[r]["amount"] for r in rids)
        if counts:
            pool_of[t] = max(counts, key=lambda p: (counts[p], size[p], p))
            lost = sum(counts.values()) - counts[pool_of[t]]
            if lost:
                notes.append(f"{t!r} is done by {pool_of[t]} ({counts[pool_of[t]]} of "
                             f"{sum(counts.values())} resources allowed in Prosimos)")
    pools: dict[str, Any] = {}
    calendars: dict[str, Any] = {}
    rule_text = {"union": "calendar = union of members' calendars; count = weekly working "
                          "hours / union hours",
                 "union-up": "calendar = union of members' calendars; count = weekly working "
                             "hours / union hours, rounded up",
                 "capacity": "count = weekly working hours / union hours, rounded up; calendar "
                             "= the busiest hours, count x open hours = weekly working hours"}
    if staffing not in rule_text:
        raise ModelError(f"staffing rule {staffing!r} is unknown; use one of "
                         f"{', '.join(STAFFING_RULES)}")
    description = ["Imported from Prosimos/Simod. Teams (resources grouped by identical task "
                   f"sets, similar sets merged; {rule_text[staffing]}):"]
    for ts, rids in ordered:
        team = team_of_group[ts]
        if team not in pool_of.values():
            notes.append(f"resources {', '.join(rids)} do no activity assigned to their team "
                         f"and are left out")
            continue
        hours = sum(resources[r]["amount"] * resources[r]["calendar"].open_seconds_per_week
                    for r in rids)
        cal, count = team_staffing([(resources[r]["calendar"], resources[r]["amount"])
                                    for r in rids], staffing)
        rate = float(np.mean([resources[r]["rate"] for r in rids]))
        cal_name = ALWAYS if cal.is_always else team
        if not cal.is_always:
            calendars[team] = cal.to_dict()
        pools[team] = {"count": count, "calendar": cal_name, "hourly_rate": rate}
        open_h = cal.open_seconds_per_week / 3600
        description.append(f"{team}: {count} (from {len(rids)}: {', '.join(rids)}; "
                           f"{hours / 3600:.0f} h/week over {open_h:.0f} open h/week)")

    activities: dict[str, Any] = {}
    for t in tasks:
        if t not in task_comps or not task_comps[t]:
            raise ModelError(f"task_resource_distribution: activity {t!r} has no resources")
        activities[t] = {"pool": pool_of[t], "duration": to_bpr(task_comps[t],
                                                                max_segments=400).to_dict()}

    # arrivals
    arr = parse_component(_need(data, "arrival_time_distribution", jp),
                          "arrival_time_distribution")
    arrivals: dict[str, Any]
    if data.get("arrival_time_calendar"):
        acal = prosimos_calendar(data["arrival_time_calendar"], "arrival_time_calendar")
        if acal.is_always:
            arrivals = {"interarrival": to_bpr([arr]).to_dict(), "calendar": ALWAYS}
        else:
            calendars["arrivals"] = acal.to_dict()
            arrivals = {"interarrival": _gaps_in_open_time([arr], acal).to_dict(),
                        "calendar": "arrivals"}
    else:
        arrivals = {"interarrival": to_bpr([arr]).to_dict(), "calendar": ALWAYS}

    # branching probabilities
    flow_of = {fid: st for st, fid in g.flow_ids.items()}
    flows: list[dict[str, Any]] = []
    for i, gw in enumerate(_need(data, "gateway_branching_probabilities", jp)):
        where = f"gateway_branching_probabilities[{i}]"
        gid = gw.get("gateway_id")
        if gid not in name_of:
            raise ModelError(f"{where}: gateway {gid!r} is not in the BPMN model")
        kind = g.kinds[name_of[gid]]
        if kind == "and":
            continue
        entries = []
        for j, p in enumerate(gw.get("probabilities") or []):
            fid = p.get("path_id")
            if fid not in flow_of:
                raise ModelError(f"{where}.probabilities[{j}]: flow {fid!r} is not in the BPMN "
                                 f"model")
            entries.append((flow_of[fid], p.get("value")))
        given = sum(float(v) for _, v in entries if v is not None)
        missing = [e for e in entries if e[1] is None]
        entries = [(st, float(v) if v is not None else (1 - given) / len(missing))
                   for st, v in entries]
        if kind == "xor":
            total = sum(v for _, v in entries)
            if not math.isclose(total, 1.0, abs_tol=1e-3):
                raise ModelError(f"{where}: probabilities sum to {total:.6g}, not 1")
            entries = [(st, v / total) for st, v in entries]
        flows += [{"from": s, "to": t, "probability": v} for (s, t), v in entries]

    side = {
        "name": g.process_name or Path(g.path).stem.removesuffix("_train"),
        "description": "\n".join(description),
        "arrivals": arrivals,
        "calendars": calendars,
        "pools": pools,
        "activities": activities,
        "events": {n: {"kind": "timer", "delay": d.to_dict()} for n, d in delays.items()},
        "flow": flows,
    }
    model, more = build_model(g, YamlDoc(data=side, path=jp))
    for m in g.notes + notes + more:
        warnings.warn(f"{jp}: {m}", ModelWarning, stacklevel=2)
    return model


__all__ = ["STAFFING_RULES", "duty_profile", "import_prosimos", "prosimos_calendar",
           "team_staffing"]
