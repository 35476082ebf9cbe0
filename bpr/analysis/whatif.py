"""What-if analysis: simulate the base (as-is) and a scenario (to-be) with common random numbers
and estimate the paired differences: per case, per year, in FTE and money, and per change.

``whatif(scenario)`` runs every variant (base, scenario, each change alone, the cumulative
sequence) for the same replications and seeds on :func:`bpr.sim.parallel.map_ordered` (a local
process pool, or Dask with ``scheduler``); results do not depend on the executor. See
:mod:`bpr.analysis.savings` for the definitions, signs and units, and
:meth:`WhatIfResult.write` for the files written.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bpr.analysis.savings import (
    FTE_HOURS_PER_YEAR,
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
from bpr.errors import ScenarioError, SimulationError
from bpr.io.atomic import write_text
from bpr.model.process import ProcessModel
from bpr.scenario import Scenario, apply_steps, load_scenario
from bpr.sim.results import Estimate, ReplicationStats, SimulationResult
from bpr.text import fmt_number as fmt

WEEKS_PER_YEAR = 365.25 / 7
DEFAULT_REPLICATIONS = 10
DEFAULT_CASES = 1000


# -- running variants ------------------------------------------------------------------------------
@dataclass(frozen=True)
class VariantTask:
    """One replication of one variant (picklable; run by :func:`run_variant_task`)."""

    variant: int
    task: Any  # bpr.sim.ReplicationTask
    keep_cycle_times: bool


def run_variant_task(item: VariantTask) -> ReplicationStats:
    """Run one replication; drop the per-case cycle times unless they are kept (less to send)."""
    from bpr.sim import run_replication

    stats = run_replication(item.task)
    if not item.keep_cycle_times:
        import numpy as np

        stats.cycle_times_hours = np.zeros(0)
    return stats


def simulate_variants(models: Sequence[ProcessModel], *, cases: int, replications: int,
                      seed: int, warmup_cases: int = 0, start: str | None = None,
                      keep_cycle_times: Sequence[bool] | None = None, workers: int = 1,
                      scheduler: str | None = None,
                      progress: Callable[[int, int], None] | None = None
                      ) -> list[list[ReplicationStats]]:
    """Simulate every model for replications 0..R-1 with the same seed (common random numbers);
    returns, per model, its replications in order. All (model, replication) pairs are spread
    over the executor together."""
    from bpr.sim import ReplicationTask
    from bpr.sim.clock import make_clock
    from bpr.sim.compiled import compile_model

    if isinstance(cases, bool) or int(cases) != cases or cases < 1:
        raise SimulationError(f"cases must be a positive whole number, got {cases!r}")
    if isinstance(replications, bool) or int(replications) != replications or replications < 2:
        raise SimulationError(f"replications must be at least 2 for confidence intervals, got "
                              f"{replications!r}")
    if not 0 <= warmup_cases < cases:
        raise SimulationError(f"warmup cases must be between 0 and cases - 1, got "
                              f"{warmup_cases}")
    first = models[0]
    default_start = first.observed.first_event if first.observed is not None else None
    clock = make_clock(start, first.timezone, default_start)
    keep = list(keep_cycle_times) if keep_cycle_times is not None else [True] * len(models)
    for m in models:
        compile_model(m)  # model errors now, before any work
    items = [VariantTask(v, ReplicationTask(model=m, seed=int(seed), replication=r,
                                            cases=int(cases), horizon_seconds=None,
                                            warmup_cases=int(warmup_cases), clock=clock),
                         keep[v])
             for v, m in enumerate(models) for r in range(int(replications))]
    from bpr.sim.parallel import map_ordered

    flat = map_ordered(run_variant_task, items, workers=workers, scheduler=scheduler,
                       progress=progress)
    out: list[list[ReplicationStats]] = [[] for _ in models]
    for item, stats in zip(items, flat, strict=True):
        out[item.variant].append(stats)
    return out


def default_cases(model: ProcessModel) -> int:
    """The observed number of cases of the base model, else 1000."""
    if model.observed is not None and model.observed.cases > 0:
        return int(model.observed.cases)
    return DEFAULT_CASES


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

    def significant(self) -> dict[str, bool]:
        """Which differences are distinguishable from zero (the 95% CI excludes 0)."""
        out = {f"per_case.{k}": v.significant for k, v in self.per_case.items()}
        out.update({f"per_year.{k}": significant(v) for k, v in self.per_year.items()})
        return out

    def to_dict(self) -> dict[str, Any]:
        """The content of ``savings.json``: estimates as ``{mean, ci_low, ci_high}``, units and
        signs in the key names (see :mod:`bpr.analysis.savings`)."""
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
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["variant", "replication", "case", "cycle_time_hours"])
        for variant, result in (("base", self.base), ("scenario", self.tobe)):
            for rep in result.replications:
                for i, v in enumerate(rep.cycle_times_hours):
                    w.writerow([variant, rep.replication, i, repr(float(v))])
        return buf.getvalue()

    def write(self, outdir: str | os.PathLike[str]) -> list[Path]:
        """Write ``savings.json``, ``base_kpis.json``, ``scenario_kpis.json``,
        ``cycle_times.csv``, ``scenario.yaml``, ``base_model.yaml`` and ``tobe_model.yaml`` into
        ``outdir`` (each atomically); returns the paths."""
        from bpr.io.yamlio import dump_yaml
        from bpr.model.schema import dumps

        out = Path(outdir)
        files = {
            "savings.json": _json(self.to_dict()),
            "base_kpis.json": _json(self.base.to_dict()),
            "scenario_kpis.json": _json(self.tobe.to_dict()),
            "cycle_times.csv": self.cycle_times_csv(),
            "scenario.yaml": (Path(self.scenario.path).read_text(encoding="utf-8")
                              if self.scenario.path and Path(self.scenario.path).is_file()
                              else dump_yaml(self.scenario.to_dict())),
            "base_model.yaml": dumps(self.base_model),
            "tobe_model.yaml": dumps(self.tobe_model),
        }
        written = []
        for name, text in files.items():
            write_text(out / name, text)
            written.append(out / name)
        return written

    def table(self) -> str:
        """A plain-text summary table (what the CLI prints)."""
        return whatif_table(self)


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


# -- the analysis ------------------------------------------------------------------------------
def _runs(stats: list[ReplicationStats]) -> list[Run]:
    return [Run.from_stats(s) for s in stats]


def whatif(scenario: Scenario | str | os.PathLike[str], *, base: ProcessModel | None = None,
           cases: int | None = None, replications: int = DEFAULT_REPLICATIONS, seed: int = 42,
           workers: int = 1, scheduler: str | None = None, annual_cases: float | None = None,
           fte_hours_per_year: float | None = None, warmup_cases: int = 0,
           start: str | None = None, attribution: bool = True,
           progress: Callable[[int, int], None] | None = None) -> WhatIfResult:
    """Compare ``scenario`` with its base model by simulation with common random numbers.

    ``cases`` per replication (default: the base model's observed case count, else 1000);
    ``replications`` (at least 2) share seeds between variants; ``annual_cases`` and
    ``fte_hours_per_year`` override the scenario file, which overrides the defaults (the base
    model's observed cases per year; 1,720 hours). With ``attribution`` every change is also
    simulated alone and cumulatively (2 x number of changes variants in all).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    model = base if base is not None else scenario.load_base()
    scenario = replace(scenario, base_model=model)
    steps = apply_steps(model, scenario)
    tobe = steps[-1] if steps else model
    n = len(scenario.changes)
    cases = default_cases(model) if cases is None else cases
    fte = fte_hours_per_year or scenario.fte_hours_per_year or FTE_HOURS_PER_YEAR
    if fte <= 0:
        raise ScenarioError(f"fte_hours_per_year must be positive, got {fte}")
    annual, source = annual_volume(model, annual_cases or scenario.annual_cases)
    if (annual_cases or scenario.annual_cases) is not None:
        source = "--annual-cases" if annual_cases else "annual_cases in the scenario file"
    econ = Economics(annual, fte, hourly_rates(model.pools))

    # variants: 0 base, 1..n each change alone, then cumulative 1..k for k = 2..n
    if attribution and n > 1:
        alone = [apply_steps(model, scenario.with_changes([c], [scenario.source(i)]))[0]
                 for i, c in enumerate(scenario.changes)]
        models = [model, *alone, *steps[1:]]
    else:
        models = [model, tobe]
    keep = [i == 0 or i == len(models) - 1 or (n == 1 and i == 1) for i in range(len(models))]
    results = simulate_variants(models, cases=cases, replications=replications, seed=seed,
                                warmup_cases=warmup_cases, start=start, keep_cycle_times=keep,
                                workers=workers, scheduler=scheduler, progress=progress)
    base_runs = _runs(results[0])
    tobe_runs = _runs(results[-1])
    volume = scenario.volume_factor
    total, pools = paired_samples(base_runs, tobe_runs, econ, volume)
    hired = headcount_change(model.pools, tobe.pools)
    total = with_staffing(total, hired, econ)

    per_case: dict[str, PerCase] = {}
    for key in PER_CASE:
        b, t = column(base_runs, key), column(tobe_runs, key)
        per_case[key] = PerCase(estimate(b), estimate(t), estimate(total[key]))
    per_year = {k: estimate(total[k]) for k in (*PER_YEAR, *NET_PER_YEAR)}
    per_pool = {p: estimates(s) for p, s in pools.items()}

    steps_out: list[Step] | None = [] if attribution else None
    interaction: dict[str, Estimate | None] | None = None
    if attribution and n >= 1:
        keys = [*PER_CASE, *PER_YEAR, *NET_PER_YEAR]
        if n == 1:
            alone_s = [total]
            cum_s = [total]
        else:
            def staffed(i: int, indices: Sequence[int] | range) -> Samples:
                return with_staffing(
                    paired_samples(base_runs, _runs(results[i]), econ,
                                   _factor(scenario, indices))[0],
                    headcount_change(model.pools, models[i].pools), econ)

            alone_s = [staffed(1 + i, [i]) for i in range(n)]
            cum_s = [alone_s[0]] + [staffed(1 + n + k, range(k + 2)) for k in range(n - 1)]
        steps_out = []
        prev: Samples | None = None
        for i, change in enumerate(scenario.changes):
            step = cum_s[i] if prev is None else subtract(cum_s[i], prev)
            prev = cum_s[i]
            steps_out.append(Step(i + 1, change.kind, change.describe(),
                                  estimates({k: alone_s[i][k] for k in keys}),
                                  estimates({k: cum_s[i][k] for k in keys}),
                                  estimates({k: step[k] for k in keys})))
        summed = add_all(alone_s, keys)
        interaction = estimates(subtract({k: total[k] for k in keys}, summed))

    notes = []
    if per_year["cost_saved_per_year"] is None:
        notes.append("the model has no cost data: labour hours only")
    missing = [p for p, r in econ.hourly_rates.items() if r is None]
    if missing and per_year["reallocatable_money_per_year"] is not None:
        notes.append(f"pools without an hourly rate are left out of the money figures: "
                     f"{', '.join(missing)}")
    if warmup_cases:
        notes.append("per-pool hours count instances started after the warm-up")
    if hired:
        change = ", ".join(f"{p} {d:+d}" for p, d in hired.items())
        notes.append(f"the scenario changes headcount ({change}); simulated costs count busy "
                     f"time only, so quote the net figures, which count each member as one "
                     f"FTE of {fmt(fte)} h a year")
        unpaid = [p for p in hired if econ.hourly_rates.get(p) is None]
        if unpaid and per_year["reallocatable_money_per_year"] is not None:
            notes.append(f"net money leaves out the pay of pools without an hourly rate: "
                         f"{', '.join(unpaid)}")
    settings = {"cases": int(cases), "replications": int(replications), "seed": int(seed),
                "warmup_cases": int(warmup_cases), "variants_simulated": len(models),
                "common_random_numbers": True, "confidence": 0.95}
    base_res = SimulationResult(model.name, {**settings, "variant": "base"}, results[0])
    tobe_res = SimulationResult(tobe.name, {**settings, "variant": "scenario"}, results[-1])
    return WhatIfResult(scenario=scenario, base_model=model, tobe_model=tobe, settings=settings,
                        economics=econ, annual_cases_source=source, volume_factor=volume,
                        per_case=per_case, per_year=per_year, per_pool=per_pool, base=base_res,
                        tobe=tobe_res, attribution=steps_out, interaction=interaction,
                        notes=notes)


def _factor(scenario: Scenario, indices: Sequence[int] | range) -> float:
    f = 1.0
    for i in indices:
        f *= float(getattr(scenario.changes[i], "volume_factor", 1.0))
    return f


# -- the printed table -----------------------------------------------------------------------------
_LABELS = {"cycle_time_hours": "cycle time (hours)", "waiting_time_hours": "waiting time (hours)",
           "labour_hours": "labour (hours)", "cost": "cost"}


def fmt_est(est: Estimate | None) -> str:
    if est is None:
        return "-"
    star = " *" if significant(est) else ""
    return f"{fmt(est.mean)} [{fmt(est.ci_low)}, {fmt(est.ci_high)}]{star}"


def whatif_table(r: WhatIfResult) -> str:
    cur = f" ({r.currency})" if r.currency else ""
    s = r.settings
    lines = [f"What-if: {r.scenario.name}  (base: {r.base_model.name}; {s['replications']} "
             f"replications x {s['cases']} cases, common random numbers)", ""]
    rows = [("per case", "base", "scenario", "difference [95% CI]")]
    for k, v in r.per_case.items():
        label = _LABELS[k] + (cur if k == "cost" else "")
        rows.append((label, fmt(v.base.mean if v.base else None),
                     fmt(v.scenario.mean if v.scenario else None), fmt_est(v.difference)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
              for row in rows]
    e = r.economics
    lines += ["", f"per year  ({fmt(e.annual_cases)} cases/year, {r.annual_cases_source}"
              + (f"; scenario {fmt(e.annual_cases * r.volume_factor)}" if r.volume_factor != 1
                 else "") + f"; 1 FTE = {fmt(e.fte_hours_per_year)} h)"]
    year_labels = {"labour_hours_freed_per_year": "labour hours freed",
                   "fte_freed": "FTE freed",
                   "cost_saved_per_year": f"cost saved{cur}",
                   "reallocatable_money_per_year": f"money to reallocate{cur}"}
    if r.per_year.get("headcount_added_fte") is not None and \
            r.per_year["headcount_added_fte"].mean != 0:
        year_labels.update({"headcount_added_fte": "headcount added (FTE)",
                            "net_fte_freed": "net FTE freed",
                            "net_money_to_reallocate_per_year": f"net money to reallocate{cur}"})
    w = max(len(x) for x in year_labels.values())
    for k, label in year_labels.items():
        est = r.per_year.get(k)
        text = fmt_est(est) if est is not None else "- (hours only)"
        lines.append(f"{label.ljust(w)}  {text}")
    if r.per_pool:
        lines += ["", "by pool: labour hours freed per year / money to reallocate" + cur]
        for p, ests in r.per_pool.items():
            lines.append(f"  {p}: {fmt_est(ests['labour_hours_freed_per_year'])} / "
                         f"{fmt_est(ests['reallocatable_money_per_year'])}")
    if r.attribution:
        lines += ["", "by change (labour hours freed per year; cycle time difference in hours)",
                  "  #  change: alone | step in the sequence"]
        for st in r.attribution:
            lab = "labour_hours_freed_per_year"
            lines.append(f"  {st.index}  {st.label}: {fmt_est(st.alone[lab])}"
                         f" | {fmt_est(st.step['labour_hours_freed_per_year'])};  cycle "
                         f"{fmt_est(st.alone['cycle_time_hours'])} | "
                         f"{fmt_est(st.step['cycle_time_hours'])}")
        if r.interaction is not None:
            lines.append(f"  interaction (total - sum of changes alone): labour "
                         f"{fmt_est(r.interaction['labour_hours_freed_per_year'])}; cycle "
                         f"{fmt_est(r.interaction['cycle_time_hours'])}")
    lines += ["", "* distinguishable from zero (the 95% confidence interval excludes 0)"]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines) + "\n"
