"""Parameter sweeps: the cartesian grid of change parameters on top of a scenario, KPIs per point
with confidence intervals, and the Pareto-efficient points.

**Grid syntax** (``--grid``, repeatable; one axis each)::

    CHANGE.TARGET=VALUES          staff.Clerk=1..6
    CHANGE.TARGET:FIELD=VALUES    cost.Clerk:hourly_rate=30,40
    CHANGE=VALUES                 demand=1,1.2,1.5        (changes without a target)

``CHANGE`` is a change type, ``TARGET`` the activity or pool it is about (everything after the
first dot, so names may contain dots; ``branching`` targets the branch's ``to``), ``FIELD`` the
field to vary (default per type: staff ``count``, automate ``duration`` where a bare number is a
factor, demand ``factor``, branching ``probability``, cost ``hourly_rate`` for a pool or
``fixed_cost`` for an activity, delay ``factor``, hours ``calendar``, insert ``duration``).
``VALUES`` is a comma list; an item ``a..b`` is the integer range a, a+1, ..., b. Numbers are
numbers; ``+1``, ``x1.5`` and ``0.5x`` stay text (relative changes).

Each point is the scenario's changes with the grid values substituted into the change of that
type and target, or with a new change appended when the scenario has none. Every point is
simulated with the same seeds (common random numbers) so points are compared fairly.

**Pareto.** A point is efficient when no other point is at least as good on every objective
and better on one. Objectives: mean cycle time and ``cost_per_case_with_staff`` (the yearly pay
of every pool member, ``count x fte_hours_per_year x hourly_rate``, plus fixed costs, per case)
when the model has hourly rates — idle staff cost money too, so adding people is not free; without
rates: mean cycle time, labour hours per case and the number of staff.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bpr.analysis.savings import FTE_HOURS_PER_YEAR, Run, column, est_dict, estimate
from bpr.analysis.whatif import annual_volume, default_cases, simulate_variants
from bpr.errors import ScenarioError
from bpr.io.atomic import write_text
from bpr.model.process import ProcessModel
from bpr.scenario import REGISTRY, Change, Scenario, apply_scenario, load_scenario, parse_change
from bpr.sim.results import Estimate
from bpr.text import did_you_mean
from bpr.text import fmt_number as fmt

_INT_RE = re.compile(r"^\d+$")
_RANGE_RE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_FLOAT_RE = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class GridAxis:
    """One ``--grid`` axis: change type, target, field and the values to try."""

    kind: str
    target: str | None
    key: str
    values: tuple[Any, ...]

    @property
    def label(self) -> str:
        name = self.kind if self.target is None else f"{self.kind}.{self.target}"
        cls = REGISTRY[self.kind]
        return name if self.key == cls.sweep_key or self.kind == "cost" else f"{name}:{self.key}"


def _scalar(text: str) -> Any:
    t = text.strip()
    if _INT_RE.match(t) or (t.startswith("-") and _INT_RE.match(t[1:])):
        return int(t)
    if _FLOAT_RE.match(t):
        return float(t)
    return t


def parse_grid(spec: str) -> GridAxis:
    """Parse ``CHANGE[.TARGET][:FIELD]=VALUES`` (see the module doc)."""
    where = f"--grid {spec!r}"
    if "=" not in spec:
        raise ScenarioError(f"{where}: expected CHANGE.TARGET=VALUES, e.g. staff.Clerk=1..6")
    left, right = spec.split("=", 1)
    kind, _, target = left.strip().partition(".")
    cls = REGISTRY.get(kind)
    if cls is None:
        raise ScenarioError(f"{where}: unknown change type {kind!r}{did_you_mean(kind, REGISTRY)}")
    key = cls.sweep_key
    if ":" in target and target.rsplit(":", 1)[1].strip() in cls.keys:
        target, key = (x.strip() for x in target.rsplit(":", 1))
    if key is None:
        raise ScenarioError(f"{where}: {kind} has no parameter to sweep; sweepable: "
                            f"{', '.join(k for k, c in REGISTRY.items() if c.sweep_key)}")
    target = target.strip() or None
    if cls.target_key is None and target is not None:
        raise ScenarioError(f"{where}: {kind} has no target; write {kind}=VALUES")
    if cls.target_key is not None and target is None:
        raise ScenarioError(f"{where}: say which {cls.target_key} {kind} changes, e.g. "
                            f"{kind}.NAME=VALUES")
    if kind == "cost" and ":" not in left:
        key = "auto"  # hourly_rate for a pool, fixed_cost for an activity
    values: list[Any] = []
    for item in right.split(","):
        if not item.strip():
            continue
        m = _RANGE_RE.match(item)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise ScenarioError(f"{where}: range {item.strip()!r} runs backwards")
            values += list(range(a, b + 1))
        else:
            values.append(_scalar(item))
    if not values:
        raise ScenarioError(f"{where}: no values; give a comma list or a range such as 1..6")
    return GridAxis(kind, target, key, tuple(values))


def _entry(axis: GridAxis, value: Any, model: ProcessModel) -> tuple[str, Any]:
    cls = REGISTRY[axis.kind]
    key = axis.key
    if axis.kind == "cost" and key == "auto":
        key = "hourly_rate" if axis.target in model.pools else "fixed_cost"
    return key, cls.sweep_value(key, value)


def point_changes(scenario: Scenario, axes: Sequence[GridAxis], values: Sequence[Any],
                  model: ProcessModel) -> list[Change]:
    """The scenario's changes with one grid point's values substituted or appended."""
    changes = list(scenario.changes)
    for axis, value in zip(axes, values, strict=True):
        key, v = _entry(axis, value, model)
        cls = REGISTRY[axis.kind]
        idx = next((i for i, c in enumerate(changes)
                    if c.kind == axis.kind and c.target() == axis.target), None)
        if idx is not None:
            data = changes[idx].to_dict()
            if axis.kind == "cost":
                data = {k: x for k, x in data.items() if k in ("pool", "activity")}
            changes[idx] = parse_change(axis.kind, {**data, key: v})
        else:
            data = {} if cls.target_key is None else {
                ("activity" if axis.kind == "cost" and key == "fixed_cost" else cls.target_key):
                    axis.target}
            changes.append(parse_change(axis.kind, {**data, key: v}))
    return changes


@dataclass(frozen=True)
class SweepPoint:
    """One grid point: its parameter values, KPI estimates and whether it is Pareto-efficient."""

    index: int
    params: dict[str, Any]
    kpis: dict[str, Estimate | None]
    staff: int
    pareto: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"point": self.index, "params": dict(self.params), "staff": self.staff,
                "pareto": self.pareto,
                "kpis": {k: est_dict(v) for k, v in self.kpis.items()}}


@dataclass
class SweepResult:
    """All grid points (point 0 is the scenario as written, unless ``include_scenario`` off)."""

    scenario: Scenario
    axes: list[GridAxis]
    points: list[SweepPoint]
    objectives: tuple[str, ...]
    settings: dict[str, Any]
    currency: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def pareto_points(self) -> list[SweepPoint]:
        return [p for p in self.points if p.pareto]

    def to_dict(self) -> dict[str, Any]:
        """The content of ``sweep.json``."""
        return {"scenario": self.scenario.name,
                "grid": [{"axis": a.label, "type": a.kind, "target": a.target, "field": a.key,
                          "values": list(a.values)} for a in self.axes],
                "objectives": list(self.objectives), "settings": self.settings,
                "currency": self.currency, "points": [p.to_dict() for p in self.points],
                "pareto": [p.index for p in self.pareto_points], "notes": self.notes}

    def to_csv(self) -> str:
        """``sweep.csv``: one row per point; every KPI as mean, ci_low and ci_high columns."""
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        kpi_names = list(self.points[0].kpis) if self.points else []
        w.writerow(["point", *[a.label for a in self.axes], "staff", "pareto",
                    *[f"{k}_{s}" for k in kpi_names for s in ("mean", "ci_low", "ci_high")]])
        for p in self.points:
            row: list[Any] = [p.index, *[p.params.get(a.label, "") for a in self.axes], p.staff,
                              p.pareto]
            for k in kpi_names:
                e = p.kpis[k]
                row += ["", "", ""] if e is None else [repr(e.mean), repr(e.ci_low),
                                                       repr(e.ci_high)]
            w.writerow(row)
        return buf.getvalue()

    def write(self, outdir: str | os.PathLike[str]) -> list[Path]:
        """Write ``sweep.csv`` and ``sweep.json`` atomically into ``outdir``."""
        out = Path(outdir)
        write_text(out / "sweep.csv", self.to_csv())
        write_text(out / "sweep.json", json.dumps(self.to_dict(), indent=2, ensure_ascii=False,
                                                  allow_nan=False) + "\n")
        return [out / "sweep.csv", out / "sweep.json"]

    def table(self) -> str:
        """The printed table: parameters, the objectives' means and CIs, Pareto marks."""
        cols = [a.label for a in self.axes]
        kpis = list(dict.fromkeys([*self.objectives, "cycle_time_hours", "waiting_time_hours"]))
        kpis = [k for k in kpis if k != "staff"]
        rows = [["#", *cols, "staff", *kpis, "pareto"]]
        for p in self.points:
            rows.append([str(p.index), *[str(p.params.get(c, "")) for c in cols], str(p.staff),
                         *[_fmt_ci(p.kpis.get(k)) for k in kpis], "*" if p.pareto else ""])
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [f"Sweep: {self.scenario.name}  ({len(self.points)} points x "
                 f"{self.settings['replications']} replications x {self.settings['cases']} "
                 f"cases, common random numbers)", ""]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                  for r in rows]
        lines += ["", f"* Pareto-efficient: no other point is better on "
                      f"{' and '.join(self.objectives)}"]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _fmt_ci(e: Estimate | None) -> str:
    return "-" if e is None else f"{fmt(e.mean)} [{fmt(e.ci_low)}, {fmt(e.ci_high)}]"


def pareto_mask(values: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (points x objectives, all minimised) that no other row dominates."""
    n = len(values)
    mask = np.ones(n, dtype=bool)
    for i in range(n):
        others = np.delete(values, i, axis=0)
        dominated = np.all(others <= values[i], axis=1) & np.any(others < values[i], axis=1)
        mask[i] = not bool(dominated.any())
    return mask


def _point_kpis(runs: list[Run], model: ProcessModel, annual: float, fte: float
                ) -> dict[str, Estimate | None]:
    out: dict[str, Estimate | None] = {k: estimate(column(runs, k)) for k in
                                       ("cycle_time_hours", "waiting_time_hours",
                                        "labour_hours", "cost")}
    lab = column(runs, "labour_hours")
    out["labour_hours_per_year"] = estimate(None if lab is None else lab * annual)
    rates = {p.name: p.hourly_rate for p in model.pools.values()}
    cost = column(runs, "cost")
    if cost is None or not any(r is not None for r in rates.values()):
        out["cost_per_case_with_staff"] = None
        return out
    busy = np.array([sum(h * (rates.get(p) or 0.0) for p, h in r.pool_labour_hours.items())
                     for r in runs])
    fixed = cost - busy
    payroll = sum(p.count * fte * (p.hourly_rate or 0.0) for p in model.pools.values())
    out["cost_per_case_with_staff"] = estimate(fixed + payroll / annual)
    return out


def sweep(scenario: Scenario | str | os.PathLike[str], grid: Sequence[str | GridAxis], *,
          base: ProcessModel | None = None, cases: int | None = None, replications: int = 10,
          seed: int = 42, workers: int = 1, scheduler: str | None = None,
          annual_cases: float | None = None, fte_hours_per_year: float | None = None,
          warmup_cases: int = 0, start: str | None = None,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Simulate every point of the cartesian ``grid`` (see the module doc) on top of
    ``scenario``; all points x replications are spread over the executor together."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    model = base if base is not None else scenario.load_base()
    scenario = replace(scenario, base_model=model)
    axes = [a if isinstance(a, GridAxis) else parse_grid(a) for a in grid]
    if not axes:
        raise ScenarioError("give at least one --grid axis, e.g. --grid staff.Clerk=1..6")
    labels = [a.label for a in axes]
    if len(set(labels)) != len(labels):
        raise ScenarioError(f"--grid: an axis is given twice ({', '.join(labels)})")
    fte = fte_hours_per_year or scenario.fte_hours_per_year or FTE_HOURS_PER_YEAR
    annual, _ = annual_volume(model, annual_cases or scenario.annual_cases)
    models, params, volumes = [], [], []
    for combo in itertools.product(*[a.values for a in axes]):
        label = ", ".join(f"{a.label}={v}" for a, v in zip(axes, combo, strict=True))
        try:
            changes = point_changes(scenario, axes, combo, model)
            point = scenario.with_changes(changes)
            models.append(apply_scenario(model, point))
        except ScenarioError as err:
            raise ScenarioError(f"grid point {label}: {err.detail}", path=scenario.path,
                                line=err.line) from None
        params.append(dict(zip(labels, combo, strict=True)))
        volumes.append(point.volume_factor)
    cases = default_cases(model) if cases is None else cases
    results = simulate_variants(models, cases=cases, replications=replications, seed=seed,
                                warmup_cases=warmup_cases, start=start,
                                keep_cycle_times=[False] * len(models), workers=workers,
                                scheduler=scheduler, progress=progress)
    has_rates = any(p.hourly_rate is not None for p in model.pools.values())
    points = []
    for i, (m, stats) in enumerate(zip(models, results, strict=True)):
        kpis = _point_kpis([Run.from_stats(s) for s in stats], m, annual * volumes[i], fte)
        points.append(SweepPoint(i + 1, params[i], kpis, sum(p.count for p in m.pools.values())))
    objectives: tuple[str, ...] = ("cycle_time_hours", "cost_per_case_with_staff")
    if not has_rates or any(p.kpis["cost_per_case_with_staff"] is None for p in points):
        objectives = ("cycle_time_hours", "labour_hours", "staff")

    def value(p: SweepPoint, k: str) -> float:
        if k == "staff":
            return float(p.staff)
        e = p.kpis[k]
        return float("inf") if e is None else e.mean

    mask = pareto_mask(np.array([[value(p, k) for k in objectives] for p in points]))
    points = [replace(p, pareto=bool(ok)) for p, ok in zip(points, mask, strict=True)]
    settings = {"cases": int(cases), "replications": int(replications), "seed": int(seed),
                "warmup_cases": int(warmup_cases), "annual_cases": annual,
                "fte_hours_per_year": fte, "common_random_numbers": True, "confidence": 0.95}
    notes = []
    unpriced = [p.name for p in model.pools.values() if p.hourly_rate is None]
    if has_rates and unpriced:
        notes.append(f"pools without an hourly rate are left out of cost_per_case_with_staff: "
                     f"{', '.join(unpriced)}")
    return SweepResult(scenario, axes, points, objectives, settings, model.currency, notes)

