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
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from bpr.analysis.savings import Run, column, est_dict, estimate
from bpr.analysis.tables import aligned, fmt_est
from bpr.analysis.variants import simulate_variants
from bpr.analysis.whatif import yearly_frame
from bpr.errors import ScenarioError
from bpr.io.atomic import write_text
from bpr.model.process import ProcessModel
from bpr.scenario import REGISTRY, Change, Scenario, apply_scenario, load_scenario
from bpr.sim.kpis import PER_CASE
from bpr.sim.results import NO_INTERVAL, Estimate, from_json, read_json, write_json
from bpr.sim.settings import RunSettings, resolve
from bpr.text import did_you_mean

_INT_RE = re.compile(r"^\d+$")
_RANGE_RE = re.compile(r"^\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*$")
_FLOAT_RE = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


@dataclass(frozen=True)
class GridAxis:
    """One ``--grid`` axis: change type, target, field and the values to try. ``explicit``:
    the grid named the field; otherwise ``key`` is the type's ``sweep_key`` and the field used
    is the type's default for the target (:meth:`bpr.scenario.Change.sweep_field`: a cost
    change varies a pool's hourly rate or an activity's fixed cost)."""

    kind: str
    target: str | None
    key: str
    values: tuple[Any, ...]
    explicit: bool = False

    @property
    def label(self) -> str:
        name = self.kind if self.target is None else f"{self.kind}.{self.target}"
        default = not self.explicit or self.key == REGISTRY[self.kind].sweep_key
        return name if default else f"{name}:{self.key}"

    def field_for(self, model: ProcessModel) -> str:
        """The field this axis varies in ``model``."""
        if self.explicit:
            return self.key
        return REGISTRY[self.kind].sweep_field(self.target, model) or self.key

    def to_dict(self) -> dict[str, Any]:
        """``field`` is null when the grid named none (the change type's default)."""
        return {"axis": self.label, "type": self.kind, "target": self.target,
                "field": self.key if self.explicit else None, "values": list(self.values)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GridAxis:
        kind, key = str(data["type"]), data.get("field")
        return cls(kind, data.get("target"), str(key or REGISTRY[kind].sweep_key),
                   tuple(data["values"]), explicit=key is not None)


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
    key, explicit = cls.sweep_key, False
    if ":" in target and target.rsplit(":", 1)[1].strip() in cls.keys:
        target, key = (x.strip() for x in target.rsplit(":", 1))
        explicit = True
    if key is None:
        raise ScenarioError(f"{where}: {kind} has no parameter to sweep; sweepable: "
                            f"{', '.join(k for k, c in REGISTRY.items() if c.sweep_key)}")
    name = target.strip() or None
    if cls.target_key is None and name is not None:
        raise ScenarioError(f"{where}: {kind} has no target; write {kind}=VALUES")
    if cls.target_key is not None and name is None:
        raise ScenarioError(f"{where}: say which {cls.target_key} {kind} changes, e.g. "
                            f"{kind}.NAME=VALUES")
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
    return GridAxis(kind, name, key, tuple(values), explicit)


def point_changes(scenario: Scenario, axes: Sequence[GridAxis], values: Sequence[Any],
                  model: ProcessModel) -> list[Change]:
    """The scenario's changes with one grid point's values substituted (into the change of the
    axis's type and target) or appended (a new change), through the change type's hooks."""
    changes = list(scenario.changes)
    for axis, value in zip(axes, values, strict=True):
        cls = REGISTRY[axis.kind]
        key = axis.field_for(model)
        idx = next((i for i, c in enumerate(changes)
                    if c.kind == axis.kind and c.target() == axis.target), None)
        if idx is not None:
            changes[idx] = cls.for_sweep(changes[idx], axis.target, key, value)
        else:
            changes.append(cls.for_sweep(None, axis.target, key, value))
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
        """The content of ``sweep.json`` (``scenario_definition``: the scenario in its file
        format, from which :meth:`read` rebuilds it)."""
        return {"scenario": self.scenario.name,
                "scenario_definition": self.scenario.to_dict(),
                "grid": [a.to_dict() for a in self.axes],
                "objectives": list(self.objectives), "settings": self.settings,
                "currency": self.currency, "points": [p.to_dict() for p in self.points],
                "pareto": [p.index for p in self.pareto_points], "notes": self.notes}

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "sweep.json") -> SweepResult:
        """The result :meth:`to_dict` describes."""
        from bpr.scenario import scenario_from_data

        n = int(data["settings"]["replications"])
        points = [SweepPoint(int(p["point"]), dict(p["params"]),
                             {k: None if v is None else Estimate.from_dict(v, n)
                              for k, v in p["kpis"].items()}, int(p["staff"]), bool(p["pareto"]))
                  for p in data["points"]]
        return cls(scenario_from_data(data["scenario_definition"], where),
                   [GridAxis.from_dict(a) for a in data["grid"]], points,
                   tuple(data["objectives"]), dict(data["settings"]), data.get("currency"),
                   [str(x) for x in data.get("notes") or []])

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
        write_json(out / "sweep.json", self.to_dict())
        return [out / "sweep.csv", out / "sweep.json"]

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> SweepResult:
        """The result in ``path``: ``sweep.json`` or the folder holding it (written by
        :meth:`write`, ``bpr sweep -o OUTDIR``); a one-line BprError otherwise."""
        p = Path(path)
        if p.is_dir():
            p = p / "sweep.json"
        data = read_json(p, "re-run bpr sweep -o OUTDIR")
        return from_json(cls.from_dict, data, p, "scenario_definition", str(p))

    def table(self) -> str:
        """The printed table: parameters, the objectives' means and CIs, Pareto marks."""
        cols = [a.label for a in self.axes]
        kpis = list(dict.fromkeys([*self.objectives, "cycle_time_hours", "waiting_time_hours"]))
        kpis = [k for k in kpis if k != "staff"]
        rows = [["#", *cols, "staff", *kpis, "pareto"]]
        for p in self.points:
            rows.append([str(p.index), *[str(p.params.get(c, "")) for c in cols], str(p.staff),
                         *[fmt_est(p.kpis.get(k), star=False) for k in kpis],
                         "*" if p.pareto else ""])
        lines = [f"Sweep: {self.scenario.name}  ({len(self.points)} points x "
                 f"{self.settings['replications']} replications x {self.settings['cases']} "
                 f"cases, common random numbers)", ""]
        lines += aligned(rows)
        lines += ["", f"* Pareto-efficient: no other point is better on "
                      f"{' and '.join(self.objectives)}"]
        if int(self.settings["replications"]) < 2:
            lines.append(NO_INTERVAL)
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


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
    out: dict[str, Estimate | None] = {k: estimate(column(runs, k)) for k in PER_CASE}
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
          base: ProcessModel | None = None, settings: RunSettings | None = None,
          cases: int | None = None, replications: int | None = None, seed: int | None = None,
          workers: int | None = None, scheduler: str | None = None,
          annual_cases: float | None = None, fte_hours_per_year: float | None = None,
          warmup_cases: int | None = None, start: str | None = None,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Simulate every point of the cartesian ``grid`` (see the module doc) on top of
    ``scenario``; all points x replications are spread over the executor together.
    ``settings`` and the keyword values as in :func:`bpr.analysis.whatif.whatif`."""
    run = resolve(settings, cases=cases, replications=replications, seed=seed, workers=workers,
                  scheduler=scheduler, annual_cases=annual_cases,
                  fte_hours_per_year=fte_hours_per_year, warmup_cases=warmup_cases, start=start)
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
    econ = yearly_frame(model, scenario, run)
    annual, fte = econ.annual_cases, econ.fte_hours_per_year
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
    cases = run.cases_for(model)
    results = simulate_variants(models, replace(run, cases=cases),
                                keep_cycle_times=[False] * len(models), progress=progress)
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
    record = {"cases": cases, "replications": run.replications_to_run, "seed": run.seed,
              "warmup_cases": run.warmup_cases, "annual_cases": annual,
              "fte_hours_per_year": fte, "common_random_numbers": True, "confidence": 0.95}
    notes = []
    unpriced = [p.name for p in model.pools.values() if p.hourly_rate is None]
    if has_rates and unpriced:
        notes.append(f"pools without an hourly rate are left out of cost_per_case_with_staff: "
                     f"{', '.join(unpriced)}")
    return SweepResult(scenario, axes, points, objectives, record, model.currency, notes)

