"""What-if analysis: simulate the base (as-is) and a scenario (to-be) with common random numbers
and estimate the paired differences: per case, per year, in FTE and money, and per change.

``whatif(scenario)`` builds a named plan of variants (base, scenario, each change alone, the
cumulative sequence; :func:`plan_variants`), runs each distinct variant for the same
replications and seeds on :func:`bpr.sim.parallel.map_ordered` (a local process pool, or Dask
with ``scheduler``) and reads the results by name; results do not depend on the executor. See
:mod:`bpr.analysis.savings` for the definitions, signs and units, :meth:`WhatIfResult.write`
for the files written and :meth:`WhatIfResult.read` to load them back.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bpr.analysis.savings import (
    NET_PER_YEAR,
    PER_CASE,
    PER_YEAR,
    Economics,
    Run,
    Samples,
    add_all,
    column,
    estimate,
    estimates,
    headcount_change,
    hourly_rates,
    paired_samples,
    significant,
    subtract,
    to_plain,
    with_staffing,
)
from bpr.analysis.variants import Variant, plan_variants, simulate_variants
from bpr.errors import BprError, ScenarioError
from bpr.io.atomic import write_text
from bpr.model.process import ProcessModel
from bpr.scenario import Scenario, apply_steps, load_scenario
from bpr.sim.results import (
    Estimate,
    ReplicationStats,
    SimulationResult,
    from_json,
    read_json,
    write_json,
)
from bpr.sim.settings import DEFAULT_CASES, DEFAULT_REPLICATIONS, RunSettings, resolve
from bpr.text import fmt_number as fmt

__all__ = ["DEFAULT_CASES", "DEFAULT_REPLICATIONS", "PerCase", "Step", "Variant",
           "WhatIfResult", "annual_volume", "fmt", "plan_variants", "simulate_variants",
           "whatif"]

WEEKS_PER_YEAR = 365.25 / 7
OUTPUT_FILES = ("savings.json", "base_kpis.json", "scenario_kpis.json", "cycle_times.csv",
                "scenario.yaml", "base_model.yaml", "tobe_model.yaml")


def annual_volume(model: ProcessModel, override: float | None = None) -> tuple[float, str]:
    """Cases per year and where the figure comes from: ``override`` (the scenario file or the
    caller), the model's observed ``cases_per_year``, or its arrival rate (open seconds of the
    arrival calendar per year / mean inter-arrival seconds)."""
    if override is not None:
        return float(override), "given"
    if model.observed is not None and model.observed.cases_per_year > 0:
        return float(model.observed.cases_per_year), "observed cases_per_year of the base model"
    mean = model.arrivals.interarrival.mean()
    if mean <= 0:
        raise ScenarioError("cannot annualise: the base model has no observed cases_per_year "
                            "and a zero inter-arrival time; give annual_cases: in the scenario")
    open_s = model.calendar(model.arrivals.calendar).open_seconds_per_week * WEEKS_PER_YEAR
    return open_s / mean, "arrival rate of the base model"


def yearly_frame(model: ProcessModel, scenario: Scenario, run: RunSettings) -> Economics:
    """The :class:`Economics` of a what-if or sweep: cases per year (the setting, else the
    scenario file's, else the base model's), FTE hours and the base model's hourly rates."""
    return Economics(annual_volume(model, _annual_given(scenario, run))[0],
                     run.fte_hours(scenario.fte_hours_per_year), hourly_rates(model.pools))


def _annual_given(scenario: Scenario, run: RunSettings) -> float | None:
    return run.annual_cases if run.annual_cases is not None else scenario.annual_cases


def _annual_source(model: ProcessModel, scenario: Scenario, run: RunSettings) -> str:
    if run.annual_cases is not None:
        return "--annual-cases"
    if scenario.annual_cases is not None:
        return "annual_cases in the scenario file"
    return annual_volume(model)[1]


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PerCase:
    """One per-case KPI: base and scenario estimates and the paired difference (scenario - base)."""

    base: Estimate | None
    scenario: Estimate | None
    difference: Estimate | None

    @property
    def significant(self) -> bool:
        return significant(self.difference)

    def to_dict(self) -> dict[str, Any]:
        plain = to_plain({"base": self.base, "scenario": self.scenario,
                          "difference": self.difference})
        return {**plain, "significant": self.significant}

    @classmethod
    def from_dict(cls, data: dict[str, Any], n: int) -> PerCase:
        base, tobe, diff = (_est(data.get(k), n) for k in ("base", "scenario", "difference"))
        return cls(base, tobe, diff)


@dataclass(frozen=True)
class Step:
    """One change's contribution: applied ``alone`` to the base, the ``cumulative`` effect of
    changes 1..i, and the ``step`` from changes 1..i-1 to 1..i (the waterfall bar)."""

    index: int
    kind: str
    label: str
    alone: dict[str, Estimate | None]
    cumulative: dict[str, Estimate | None]
    step: dict[str, Estimate | None]

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.index, "type": self.kind, "label": self.label,
                "alone": to_plain(self.alone), "cumulative": to_plain(self.cumulative),
                "step": to_plain(self.step)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], n: int) -> Step:
        return cls(int(data["change"]), str(data["type"]), str(data["label"]),
                   _ests(data["alone"], n), _ests(data["cumulative"], n),
                   _ests(data["step"], n))


def _est(data: Any, n: int) -> Estimate | None:
    return None if data is None else Estimate.from_dict(data, n)


def _ests(data: dict[str, Any], n: int) -> dict[str, Estimate | None]:
    return {k: _est(v, n) for k, v in data.items()}


@dataclass
class WhatIfResult:
    """Everything a what-if analysis produced (see :meth:`to_dict` for ``savings.json``)."""

    scenario: Scenario
    base_model: ProcessModel
    tobe_model: ProcessModel
    settings: dict[str, Any]
    economics: Economics
    annual_cases_source: str
    volume_factor: float
    per_case: dict[str, PerCase]
    per_year: dict[str, Estimate | None]
    per_pool: dict[str, dict[str, Estimate | None]]
    base: SimulationResult
    tobe: SimulationResult
    attribution: list[Step] | None = None
    interaction: dict[str, Estimate | None] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str | None:
        return self.base_model.currency

    @property
    def hours_only(self) -> bool:
        """True when no money figure can be given (no hourly rates and no cost data)."""
        return self.per_year.get("reallocatable_money_per_year") is None

    @property
    def replications(self) -> int:
        return int(self.settings["replications"])

    @property
    def has_intervals(self) -> bool:
        """False with one replication: no confidence interval, nothing is "significant"."""
        return self.replications >= 2

    def significant(self) -> dict[str, bool]:
        """Which differences are distinguishable from zero (the 95% CI excludes 0)."""
        out = {f"per_case.{k}": v.significant for k, v in self.per_case.items()}
        out.update({f"per_year.{k}": significant(v) for k, v in self.per_year.items()})
        return out

    def to_dict(self) -> dict[str, Any]:
        """The content of ``savings.json``: estimates as ``{mean, ci_low, ci_high}`` (the
        bounds null with one replication), units and signs in the key names (see
        :mod:`bpr.analysis.savings` and :data:`bpr.sim.kpis.FIGURES`)."""
        return {
            "scenario": self.scenario.name,
            "description": self.scenario.description,
            "base_model": self.base_model.name,
            "changes": [{"change": i + 1, "type": c.kind, "label": c.describe(), **c.to_dict()}
                        for i, c in enumerate(self.scenario.changes)],
            "settings": self.settings,
            "currency": self.currency,
            "hours_only": self.hours_only,
            "annual_cases_base": self.economics.annual_cases,
            "annual_cases_scenario": self.economics.annual_cases * self.volume_factor,
            "annual_cases_source": self.annual_cases_source,
            "fte_hours_per_year": self.economics.fte_hours_per_year,
            "hourly_rates": dict(self.economics.hourly_rates),
            "per_case": {k: v.to_dict() for k, v in self.per_case.items()},
            "per_year": to_plain(self.per_year),
            "per_pool": {p: to_plain(v) for p, v in self.per_pool.items()},
            "significant": self.significant(),
            "attribution": None if self.attribution is None else [
                s.to_dict() for s in self.attribution],
            "interaction": None if self.interaction is None else to_plain(self.interaction),
            "notes": list(self.notes),
        }

    def cycle_times_csv(self) -> str:
        """``variant,replication,case,cycle_time_hours`` for base and scenario (ECDF charts)."""
        from bpr.analysis.outdir import cycle_times_csv

        return cycle_times_csv({v: [(r.replication, r.cycle_times_hours)
                                    for r in res.replications]
                                for v, res in (("base", self.base), ("scenario", self.tobe))})

    def scenario_text(self) -> str:
        """The scenario file as written when it still holds these changes, else its data."""
        from bpr.io.yamlio import dump_yaml

        path = Path(self.scenario.path) if self.scenario.path else None
        if path is not None and path.is_file():
            from bpr.scenario import read_scenario

            try:
                same = read_scenario(path).to_dict() == self.scenario.to_dict()
            except BprError:
                same = False
            if same:
                return path.read_text(encoding="utf-8")
        return dump_yaml(self.scenario.to_dict())

    def write(self, outdir: str | os.PathLike[str]) -> list[Path]:
        """Write ``savings.json``, ``base_kpis.json``, ``scenario_kpis.json``,
        ``cycle_times.csv``, ``scenario.yaml``, ``base_model.yaml`` and ``tobe_model.yaml`` into
        ``outdir`` (each atomically); returns the paths. :meth:`read` loads them back."""
        from bpr.model.schema import dumps

        out = Path(outdir)
        text = {"cycle_times.csv": self.cycle_times_csv(), "scenario.yaml": self.scenario_text(),
                "base_model.yaml": dumps(self.base_model),
                "tobe_model.yaml": dumps(self.tobe_model)}
        written = []
        for name in OUTPUT_FILES:
            if name in text:
                write_text(out / name, text[name])
            else:
                data = {"savings.json": self.to_dict, "base_kpis.json": self.base.to_dict,
                        "scenario_kpis.json": self.tobe.to_dict}[name]()
                write_json(out / name, data)
            written.append(out / name)
        return written

    @classmethod
    def read(cls, outdir: str | os.PathLike[str]) -> WhatIfResult:
        """The result a :meth:`write` (``bpr whatif -o OUTDIR``) left in ``outdir``:
        ``read(outdir).to_dict()`` equals the written ``savings.json``. Raises a one-line
        BprError when the folder is not a what-if output."""
        from bpr.analysis.outdir import check_outdir, read_cycle_times
        from bpr.model.files import load_model
        from bpr.scenario import read_scenario

        out = check_outdir(outdir, OUTPUT_FILES[:3], "bpr whatif")
        fix = f"re-run bpr whatif -o {out}"
        savings = read_json(out / "savings.json", fix)
        for key in ("per_case", "per_year", "settings"):
            if not isinstance(savings.get(key), dict):
                raise BprError(f"savings.json has no {key!r} object: not written by bpr "
                               f"whatif; {fix}", path=str(out / "savings.json"))
        missing = [f for f in OUTPUT_FILES[3:] if not (out / f).is_file()]
        if missing:
            raise BprError(f"incomplete what-if output ({', '.join(missing)} missing); {fix}",
                           path=str(out))
        cycle = read_cycle_times(out / "cycle_times.csv")
        results = []
        for name, variant in (("base_kpis.json", "base"), ("scenario_kpis.json", "scenario")):
            data = read_json(out / name, fix)
            if not isinstance(data.get("kpis"), dict):
                raise BprError(f"no 'kpis' object: not written by bpr whatif; {fix}",
                               path=str(out / name))
            results.append(from_json(SimulationResult.from_dict, data, out / name,
                                     "replications", cycle.get(variant)))
        base_model = load_model(out / "base_model.yaml")
        tobe_model = load_model(out / "tobe_model.yaml")
        scenario = replace(read_scenario(out / "scenario.yaml"), base_model=base_model)
        return from_json(_from_savings, savings, out / "savings.json", "per_pool", scenario,
                         base_model, tobe_model, *results)

    def table(self) -> str:
        """A plain-text summary table (what the CLI prints)."""
        from bpr.analysis.tables import whatif_table

        return whatif_table(self)


def _from_savings(s: dict[str, Any], scenario: Scenario, base_model: ProcessModel,
                  tobe_model: ProcessModel, base: SimulationResult,
                  tobe: SimulationResult) -> WhatIfResult:
    n = int(s["settings"]["replications"])
    econ = Economics(float(s["annual_cases_base"]), float(s["fte_hours_per_year"]),
                     {p: None if r is None else float(r) for p, r in s["hourly_rates"].items()})
    return WhatIfResult(
        scenario=scenario, base_model=base_model, tobe_model=tobe_model,
        settings=dict(s["settings"]), economics=econ,
        annual_cases_source=str(s["annual_cases_source"]),
        volume_factor=scenario.volume_factor,
        per_case={k: PerCase.from_dict(v, n) for k, v in s["per_case"].items()},
        per_year=_ests(s["per_year"], n),
        per_pool={p: _ests(v, n) for p, v in s["per_pool"].items()},
        base=base, tobe=tobe,
        attribution=None if s.get("attribution") is None else [
            Step.from_dict(x, n) for x in s["attribution"]],
        interaction=None if s.get("interaction") is None else _ests(s["interaction"], n),
        notes=[str(x) for x in s.get("notes") or []])


def _runs(stats: list[ReplicationStats]) -> list[Run]:
    return [Run.from_stats(s) for s in stats]


def _factor(scenario: Scenario, indices: Sequence[int]) -> float:
    """The yearly volume factor of the scenario's changes ``indices`` (their demand changes)."""
    f = 1.0
    for i in indices:
        f *= scenario.changes[i].volume_factor
    return f


# -- the analysis ------------------------------------------------------------------------------
def whatif(scenario: Scenario | str | os.PathLike[str], *, base: ProcessModel | None = None,
           settings: RunSettings | None = None, cases: int | None = None,
           replications: int | None = None, seed: int | None = None,
           workers: int | None = None, scheduler: str | None = None,
           annual_cases: float | None = None, fte_hours_per_year: float | None = None,
           warmup_cases: int | None = None, start: str | None = None,
           attribution: bool = True,
           progress: Callable[[int, int], None] | None = None) -> WhatIfResult:
    """Compare ``scenario`` with its base model by simulation with common random numbers.

    ``settings`` (:class:`~bpr.sim.settings.RunSettings`), with the keyword values that are not
    None replacing its fields: ``cases`` per replication (default: the base model's observed
    case count, else 1000); ``replications`` (default 10; with one there are no intervals)
    share seeds between variants; ``annual_cases`` and ``fte_hours_per_year`` override the
    scenario file, which overrides the defaults (the base model's observed cases per year;
    1,720 hours). With ``attribution`` every change is also simulated alone and cumulatively
    (2 x number of changes variants in all).
    """
    run = resolve(settings, cases=cases, replications=replications, seed=seed, workers=workers,
                  scheduler=scheduler, annual_cases=annual_cases,
                  fte_hours_per_year=fte_hours_per_year, warmup_cases=warmup_cases, start=start)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    model = base if base is not None else scenario.load_base()
    scenario = replace(scenario, base_model=model)
    steps = apply_steps(model, scenario)
    plan = plan_variants(model, scenario, steps, attribution and len(scenario.changes) > 0)
    econ = yearly_frame(model, scenario, run)
    cases = run.cases_for(model)

    distinct: dict[tuple[int, ...], ProcessModel] = {}
    for v in plan.values():
        distinct.setdefault(v.changes, v.model)
    order = list(distinct)
    keep = {plan["base"].changes, plan["scenario"].changes}
    stats = simulate_variants([distinct[c] for c in order], replace(run, cases=cases),
                              keep_cycle_times=[c in keep for c in order], progress=progress)
    runs = {c: _runs(s) for c, s in zip(order, stats, strict=True)}
    base_runs = runs[()]

    def saving(name: str) -> tuple[Samples, dict[str, Samples]]:
        v = plan[name]
        total, pools = paired_samples(base_runs, runs[v.changes], econ,
                                      _factor(scenario, v.changes))
        return with_staffing(total, headcount_change(model.pools, v.model.pools), econ), pools

    total, pools = saving("scenario")
    tobe_runs = runs[plan["scenario"].changes]
    per_case = {k: PerCase(estimate(column(base_runs, k)), estimate(column(tobe_runs, k)),
                           estimate(total[k])) for k in PER_CASE}
    per_year = {k: estimate(total[k]) for k in (*PER_YEAR, *NET_PER_YEAR)}
    per_pool = {p: estimates(s) for p, s in pools.items()}
    steps_out, interaction = _attribution(scenario, saving, total) if attribution else (
        None, None)

    tobe = plan["scenario"].model
    hired = headcount_change(model.pools, tobe.pools)
    notes = _notes(run, econ, per_year, hired)
    record = {"cases": cases, "replications": run.replications_to_run, "seed": run.seed,
              "warmup_cases": run.warmup_cases, "variants_simulated": len(order),
              "common_random_numbers": True, "confidence": 0.95}
    base_res = SimulationResult(model.name, {**record, "variant": "base"}, stats[0])
    tobe_res = SimulationResult(tobe.name, {**record, "variant": "scenario"},
                                stats[order.index(plan["scenario"].changes)])
    source = _annual_source(model, scenario, run)
    return WhatIfResult(scenario=scenario, base_model=model, tobe_model=tobe, settings=record,
                        economics=econ, annual_cases_source=source,
                        volume_factor=scenario.volume_factor, per_case=per_case,
                        per_year=per_year, per_pool=per_pool, base=base_res, tobe=tobe_res,
                        attribution=steps_out, interaction=interaction, notes=notes)


def _attribution(scenario: Scenario, saving: Callable[[str], tuple[Samples, Any]],
                 total: Samples) -> tuple[list[Step], dict[str, Estimate | None] | None]:
    """Each change alone and as a step of the sequence, and the interaction (total minus the
    sum of the changes alone)."""
    n = len(scenario.changes)
    if n == 0:
        return [], None
    keys = [*PER_CASE, *PER_YEAR, *NET_PER_YEAR]
    alone = [saving(f"alone {i + 1}")[0] for i in range(n)]
    cumulative = [saving(f"steps 1-{i + 1}")[0] for i in range(n)]
    out = []
    prev: Samples | None = None
    for i, change in enumerate(scenario.changes):
        step = cumulative[i] if prev is None else subtract(cumulative[i], prev)
        prev = cumulative[i]
        out.append(Step(i + 1, change.kind, change.describe(),
                        estimates({k: alone[i][k] for k in keys}),
                        estimates({k: cumulative[i][k] for k in keys}),
                        estimates({k: step[k] for k in keys})))
    interaction = estimates(subtract({k: total[k] for k in keys}, add_all(alone, keys)))
    return out, interaction


def _notes(run: RunSettings, econ: Economics, per_year: dict[str, Estimate | None],
           hired: dict[str, int]) -> list[str]:
    notes = []
    if per_year["cost_saved_per_year"] is None:
        notes.append("the model has no cost data: labour hours only")
    missing = [p for p, r in econ.hourly_rates.items() if r is None]
    if missing and per_year["reallocatable_money_per_year"] is not None:
        notes.append(f"pools without an hourly rate are left out of the money figures: "
                     f"{', '.join(missing)}")
    if run.warmup_cases:
        notes.append("per-pool hours count instances started after the warm-up")
    if hired:
        change = ", ".join(f"{p} {d:+d}" for p, d in hired.items())
        notes.append(f"the scenario changes headcount ({change}); simulated costs count busy "
                     f"time only, so quote the net figures, which count each member as one "
                     f"FTE of {fmt(econ.fte_hours_per_year)} h a year")
        unpaid = [p for p in hired if econ.hourly_rates.get(p) is None]
        if unpaid and per_year["reallocatable_money_per_year"] is not None:
            notes.append(f"net money leaves out the pay of pools without an hourly rate: "
                         f"{', '.join(unpaid)}")
    return notes
