"""Small Prosimos models (BPMN + JSON) that bpr's import represents EXACTLY.

Every task is done by the members of one resource profile, all members share one calendar and
one duration distribution, so the import's approximations (teams, union calendars, mixtures)
do not apply: bpr and Prosimos must agree within sampling error, or one engine is wrong.

``python tests/prosimos_small.py DIR`` writes every model to DIR (used to measure Prosimos with
``benchmarks/bench_prosimos.py --prosimos-only --bpmn DIR/X.bpmn --json DIR/X.json``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
ALWAYS = [{"from": "MONDAY", "to": "SUNDAY", "beginTime": "00:00:00",
           "endTime": "23:59:59.999000"}]
OFFICE = [{"from": "MONDAY", "to": "FRIDAY", "beginTime": "09:00:00", "endTime": "17:00:00"}]


def dist(name: str, *values: float) -> dict[str, Any]:
    """A Prosimos distribution (pix-framework parameter order, seconds)."""
    return {"distribution_name": name, "distribution_params": [{"value": v} for v in values]}


def _bpmn(nodes: list[tuple[str, str]], flows: list[tuple[str, str, str]]) -> str:
    tags = {"start": "startEvent", "end": "endEvent", "task": "task",
            "xor": "exclusiveGateway", "and": "parallelGateway"}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f'<definitions xmlns="{NS}" id="d" targetNamespace="http://bpr.test">',
             '  <process id="p" isExecutable="false">']
    for nid, kind in nodes:
        name = f' name="{nid}"' if kind == "task" else ""
        lines.append(f'    <{tags[kind]} id="{nid}"{name}/>')
    for fid, a, b in flows:
        lines.append(f'    <sequenceFlow id="{fid}" sourceRef="{a}" targetRef="{b}"/>')
    lines += ["  </process>", "</definitions>", ""]
    return "\n".join(lines)


def _params(teams: dict[str, tuple[int, list[dict[str, str]]]],
            tasks: dict[str, tuple[str, dict[str, Any]]], arrival: dict[str, Any],
            arrival_calendar: list[dict[str, str]],
            gateways: dict[str, dict[str, float]]) -> dict[str, Any]:
    """teams: name -> (members, calendar periods); tasks: id -> (team, duration)."""
    profiles, calendars, trd = [], [], []
    for team, (n, periods) in teams.items():
        calendars.append({"id": f"{team}_cal", "name": f"{team}_cal", "time_periods": periods})
        profiles.append({"id": team, "name": team, "resource_list": [
            {"id": f"{team}_{i}", "name": f"{team}_{i}", "amount": 1, "cost_per_hour": 20,
             "calendar": f"{team}_cal",
             "assignedTasks": [t for t, (tm, _) in tasks.items() if tm == team]}
            for i in range(n)]})
    for t, (team, d) in tasks.items():
        trd.append({"task_id": t, "resources": [{"resource_id": f"{team}_{i}", **d}
                                                for i in range(teams[team][0])]})
    return {"resource_profiles": profiles, "arrival_time_distribution": arrival,
            "arrival_time_calendar": arrival_calendar,
            "gateway_branching_probabilities": [
                {"gateway_id": g, "probabilities": [{"path_id": f, "value": v}
                                                    for f, v in ps.items()]}
                for g, ps in gateways.items()],
            "task_resource_distribution": trd, "resource_calendars": calendars,
            "event_distribution": [], "model_type": "CRISP"}


def _sequence(tasks: list[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    names = ["start", *tasks, "end"]
    nodes = [("start", "start"), *[(t, "task") for t in tasks], ("end", "end")]
    return nodes, [(f"f{i}", a, b) for i, (a, b) in enumerate(zip(names, names[1:], strict=False))]


def mm2_mg1() -> tuple[str, dict[str, Any]]:
    """24/7: A by 2 clerks (exponential, M/M/2 at 83%), then B by 1 clerk (lognormal, M/G/1 at
    67%; A's departures are Poisson by Burke's theorem). Queueing theory gives the answer."""
    nodes, flows = _sequence(["A", "B"])
    return _bpmn(nodes, flows), _params(
        {"ateam": (2, ALWAYS), "bteam": (1, ALWAYS)},
        {"A": ("ateam", dist("expon", 3000, 0, 1e9)),
         "B": ("bteam", dist("lognorm", 1200, 900 ** 2, 0, 1e9))},
        dist("expon", 1800, 0, 1e9), ALWAYS, {})


def office_xor() -> tuple[str, dict[str, Any]]:
    """Office hours (Mon-Fri 9-17) for arrivals and staff; A, then an xor split to B (30%) or C
    (70%), merge, D. Durations pause at 17:00 and resume at 9:00."""
    nodes = [("start", "start"), ("A", "task"), ("x1", "xor"), ("B", "task"), ("C", "task"),
             ("x2", "xor"), ("D", "task"), ("end", "end")]
    flows = [("f0", "start", "A"), ("f1", "A", "x1"), ("fb", "x1", "B"), ("fc", "x1", "C"),
             ("f2", "B", "x2"), ("f3", "C", "x2"), ("f4", "x2", "D"), ("f5", "D", "end")]
    return _bpmn(nodes, flows), _params(
        {"front": (2, OFFICE), "back": (1, OFFICE)},
        {"A": ("front", dist("expon", 2400, 0, 1e9)),
         "B": ("back", dist("lognorm", 3000, 2000 ** 2, 0, 1e9)),
         "C": ("front", dist("expon", 1200, 0, 1e9)),
         "D": ("back", dist("lognorm", 900, 600 ** 2, 0, 1e9))},
        dist("expon", 3600, 0, 1e9), OFFICE, {"x1": {"fb": 0.3, "fc": 0.7}})


def office_staff() -> tuple[str, dict[str, Any]]:
    """office_xor with cases arriving around the clock (every 3 h on average): the staff's
    office-hours calendars apply, Prosimos' arrival rule (postpone to the next open moment) does
    not, so the import is exact."""
    bpmn, params = office_xor()
    params["arrival_time_distribution"] = dist("expon", 10800, 0, 1e9)
    params["arrival_time_calendar"] = ALWAYS
    return bpmn, params


def parallel() -> tuple[str, dict[str, Any]]:
    """24/7: an and split runs B (2 clerks) and C (1 specialist) in parallel, then D."""
    nodes = [("start", "start"), ("A", "task"), ("s", "and"), ("B", "task"), ("C", "task"),
             ("j", "and"), ("D", "task"), ("end", "end")]
    flows = [("f0", "start", "A"), ("f1", "A", "s"), ("f2", "s", "B"), ("f3", "s", "C"),
             ("f4", "B", "j"), ("f5", "C", "j"), ("f6", "j", "D"), ("f7", "D", "end")]
    return _bpmn(nodes, flows), _params(
        {"clerks": (2, ALWAYS), "expert": (1, ALWAYS)},
        {"A": ("clerks", dist("expon", 900, 0, 1e9)),
         "B": ("clerks", dist("lognorm", 1800, 1200 ** 2, 0, 1e9)),
         "C": ("expert", dist("expon", 1800, 0, 1e9)),
         "D": ("clerks", dist("expon", 600, 0, 1e9))},
        dist("expon", 2700, 0, 1e9), ALWAYS, {})


def shifts() -> tuple[str, dict[str, Any]]:
    """One task (fixed 30 min) done by two people on complementary shifts: one works
    00:00-12:00, the other 12:00-24:00, every day; a case arrives every 5 h (24/7), on the hour.
    Somebody is always on duty and no case can cross a shift change, so any dispatcher that
    gives work to an idle person on duty has NO waiting: cycle time exactly 0.5 h.

    bpr's import is exact here: one team, count 1 (168 h of work over a 168 h union
    calendar), always open."""
    nodes, flows = _sequence(["A"])
    early = [{"from": "MONDAY", "to": "SUNDAY", "beginTime": "00:00:00", "endTime": "12:00:00"}]
    late = [{"from": "MONDAY", "to": "SUNDAY", "beginTime": "12:00:00",
             "endTime": "23:59:59.999000"}]
    p = _params({"early": (1, early), "late": (1, late)},
                {"A": ("early", dist("fix", 1800))}, dist("fix", 5 * 3600), ALWAYS, {})
    # the task may be done by either person: one profile each, both assigned to A
    p["resource_profiles"][1]["resource_list"][0]["assignedTasks"] = ["A"]
    p["task_resource_distribution"][0]["resources"].append(
        {"resource_id": "late_0", **dist("fix", 1800)})
    return _bpmn(nodes, flows), p


MODELS = {"mm2_mg1": mm2_mg1, "office_xor": office_xor, "office_staff": office_staff,
          "parallel": parallel,
          "shifts": shifts}


def write(name: str, directory: Path) -> tuple[Path, Path]:
    """Write model ``name`` as DIR/name.bpmn + DIR/name.json; return both paths."""
    bpmn, params = MODELS[name]()
    directory.mkdir(parents=True, exist_ok=True)
    b, j = directory / f"{name}.bpmn", directory / f"{name}.json"
    b.write_text(bpmn, encoding="utf-8")
    j.write_text(json.dumps(params, indent=1), encoding="utf-8")
    return b, j


if __name__ == "__main__":
    for m in MODELS:
        print(*write(m, Path(sys.argv[1])))
