"""Savings arithmetic: paired differences between two variants of a model, annualised, in staff
hours, full-time equivalents and money, each with a 95% confidence interval.

Both variants are simulated with the same seed and replication numbers (common random numbers),
so replication ``r`` of the to-be model is compared with replication ``r`` of the base model and
the interval is a Student-t interval of the per-replication differences.

Conventions (units in the names; the figures, their labels and signs are registered in
:data:`bpr.sim.kpis.FIGURES`):

- per case, ``difference = scenario - base``: ``cycle_time_hours``, ``waiting_time_hours``,
  ``labour_hours``, ``cost`` (currency per case; None when the model has no cost data). Negative
  means the scenario is faster / needs fewer hours / is cheaper.
- per year, ``saved/freed = base - scenario`` (positive is good):
  ``labour_hours_freed_per_year`` (staff working hours), ``fte_freed`` (those hours divided by
  ``fte_hours_per_year``), ``cost_saved_per_year`` (everything the simulator costs: busy hours x
  hourly rate + fixed costs per execution; None without cost data) and
  ``reallocatable_money_per_year``: the freed hours of each pool times that pool's hourly rate in
  the base model (the wage money that could pay for other work, e.g. technical work); None when
  no pool has an hourly rate ("hours only").
- Staffing: simulated costs count *busy* time only, so a scenario that hires someone would look
  free. ``headcount_added_fte`` is the staff the scenario adds (+) or removes (-) across pools,
  each member counted as one full-time person; ``net_fte_freed = fte_freed -
  headcount_added_fte`` and ``net_money_to_reallocate_per_year = reallocatable_money_per_year -
  sum(added members x fte_hours_per_year x hourly rate)`` (pools without a rate are left out and
  named in the notes). These are the figures to quote when a scenario changes headcount.
- Yearly figures use ``annual_cases`` for the base and ``annual_cases x volume_factor`` for the
  scenario (a demand change alters the volume).

**FTE hours.** ``FTE_HOURS_PER_YEAR = 1720``: a full-time week of 40 h x 52 weeks = 2,080 paid
hours, less about 9 weeks (360 h) not available for process work: ~5 weeks of annual leave,
~2 weeks of public holidays, ~1 week of sickness and ~1 week of training. Configure it per
organisation (``fte_hours_per_year:`` in the scenario file or ``--fte-hours``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpr.sim.kpis import FIGURES, NET_PER_YEAR, PER_CASE, PER_YEAR
from bpr.sim.results import Estimate, ReplicationStats
from bpr.sim.settings import FTE_HOURS_PER_YEAR

__all__ = ["FTE_HOURS_PER_YEAR", "NET_PER_YEAR", "PER_CASE", "PER_YEAR", "Economics", "Run",
           "Samples", "add_all", "column", "est_dict", "estimate", "estimates",
           "headcount_change", "hourly_rates", "paired_samples", "pool_column", "significant",
           "subtract", "to_plain", "with_staffing"]

#: per-case figure -> the per-replication KPI it compares (from the registry)
_KPI_OF = {k: str(FIGURES[k].kpi) for k in PER_CASE}

Samples = dict[str, np.ndarray | None]


def significant(est: Estimate | None) -> bool:
    """True when the confidence interval excludes zero (the difference is distinguishable);
    never without an interval (fewer than 2 replications)."""
    return est is not None and est.significant


def estimate(values: np.ndarray | None) -> Estimate | None:
    return None if values is None else Estimate.from_samples(values)


def est_dict(est: Estimate | None) -> dict[str, float | None] | None:
    return None if est is None else est.to_dict()


@dataclass(frozen=True)
class Run:
    """What the savings need from one replication of one variant (all per case)."""

    replication: int
    cases: int
    per_case: Mapping[str, float | None]          # keys of PER_CASE
    pool_labour_hours: Mapping[str, float]        # working hours per case, by pool

    @classmethod
    def from_stats(cls, stats: ReplicationStats) -> Run:
        n = max(stats.cases_completed, 1)
        return cls(replication=stats.replication, cases=stats.cases_completed,
                   per_case={k: stats.kpis.get(v) for k, v in _KPI_OF.items()},
                   pool_labour_hours={p: h / n for p, h in stats.pool_busy_hours.items()})


def column(runs: Sequence[Run], key: str) -> np.ndarray | None:
    vals = [r.per_case.get(key) for r in runs]
    if any(v is None for v in vals):
        return None
    return np.asarray(vals, dtype=float)


def _labour(runs: Sequence[Run]) -> np.ndarray:
    """Labour hours per case of each replication (known whenever a case was completed)."""
    col = column(runs, "labour_hours")
    if col is None:
        from bpr.errors import SimulationError

        raise SimulationError("a replication completed no counted case, so it has no labour "
                              "hours per case; simulate more cases or a shorter warm-up")
    return col


def pool_column(runs: Sequence[Run], pool: str) -> np.ndarray:
    return np.asarray([r.pool_labour_hours.get(pool, 0.0) for r in runs], dtype=float)


@dataclass(frozen=True)
class Economics:
    """The yearly frame: case volume, FTE hours and the base model's hourly rates."""

    annual_cases: float
    fte_hours_per_year: float = FTE_HOURS_PER_YEAR
    hourly_rates: Mapping[str, float | None] = field(default_factory=dict)


def paired_samples(base: Sequence[Run], other: Sequence[Run], econ: Economics,
                   volume_factor: float = 1.0) -> tuple[Samples, dict[str, Samples]]:
    """Per-replication differences of ``other`` against ``base`` (same replication numbers).

    Returns (overall samples keyed by PER_CASE + PER_YEAR, per-pool samples keyed by pool with
    ``labour_hours_freed_per_year``, ``fte_freed``, ``reallocatable_money_per_year``)."""
    if [r.replication for r in base] != [r.replication for r in other]:
        raise ValueError("paired comparison needs the same replications in the same order")
    out: Samples = {}
    for key in PER_CASE:
        b, o = column(base, key), column(other, key)
        out[key] = None if b is None or o is None else o - b
    n_base = econ.annual_cases
    n_other = econ.annual_cases * volume_factor
    freed = np.asarray(_labour(base) * n_base - _labour(other) * n_other, dtype=float)
    out["labour_hours_freed_per_year"] = freed
    out["fte_freed"] = np.asarray(freed / econ.fte_hours_per_year, dtype=float)
    b_cost, o_cost = column(base, "cost"), column(other, "cost")
    out["cost_saved_per_year"] = (None if b_cost is None or o_cost is None
                                  else b_cost * n_base - o_cost * n_other)
    pools: dict[str, Samples] = {}
    money: np.ndarray | None = None
    names = list(dict.fromkeys([*econ.hourly_rates, *(p for r in base for p in
                                                      r.pool_labour_hours)]))
    for p in names:
        hours = pool_column(base, p) * n_base - pool_column(other, p) * n_other
        rate = econ.hourly_rates.get(p)
        cash = None if rate is None else hours * rate
        if cash is not None:
            money = cash if money is None else money + cash
        pools[p] = {"labour_hours_freed_per_year": hours,
                    "fte_freed": hours / econ.fte_hours_per_year,
                    "reallocatable_money_per_year": cash}
    out["reallocatable_money_per_year"] = money
    return out, pools


def headcount_change(base: Mapping[str, Any], variant: Mapping[str, Any]) -> dict[str, int]:
    """Pool name -> members added (+) or removed (-) from ``base`` to ``variant`` (mappings of
    pool name -> :class:`bpr.model.Pool`); pools whose size is unchanged are left out."""
    out: dict[str, int] = {}
    for name in dict.fromkeys([*base, *variant]):
        diff = (variant[name].count if name in variant else 0) - (
            base[name].count if name in base else 0)
        if diff:
            out[name] = diff
    return out


def with_staffing(samples: Samples, added: Mapping[str, int], econ: Economics) -> Samples:
    """``samples`` plus the NET_PER_YEAR keys for a variant that changes headcount by ``added``
    (pool -> members): the constant staffing change is subtracted from each replication."""
    fte = samples["fte_freed"]
    assert fte is not None  # always computed (labour hours are always known)
    fte_added = float(sum(added.values()))
    out = dict(samples)
    out["headcount_added_fte"] = np.full(len(fte), fte_added)
    out["net_fte_freed"] = np.asarray(fte - fte_added, dtype=float)
    money = samples.get("reallocatable_money_per_year")
    pay = sum(d * econ.fte_hours_per_year * (econ.hourly_rates.get(p) or 0.0)
              for p, d in added.items())
    out["net_money_to_reallocate_per_year"] = None if money is None else money - pay
    return out


def subtract(a: Samples, b: Samples) -> Samples:
    """``a - b`` key by key (None where either is None)."""
    out: Samples = {}
    for k, x in a.items():
        y = b.get(k)
        out[k] = None if x is None or y is None else np.asarray(x - y, dtype=float)
    return out


def add_all(samples: Sequence[Samples], keys: Sequence[str]) -> Samples:
    """The key-by-key sum of several sample sets (None where any is None)."""
    out: Samples = {}
    for k in keys:
        parts = [s.get(k) for s in samples]
        known = [p for p in parts if p is not None]
        out[k] = None if len(known) < len(parts) else np.sum(known, axis=0)
    return out


def estimates(samples: Samples) -> dict[str, Estimate | None]:
    return {k: estimate(v) for k, v in samples.items()}


def to_plain(ests: Mapping[str, Estimate | None]) -> dict[str, Any]:
    return {k: est_dict(v) for k, v in ests.items()}


def hourly_rates(pools: Mapping[str, Any]) -> dict[str, float | None]:
    """Pool name -> hourly rate (None when unknown) of a model's pools."""
    return {name: p.hourly_rate for name, p in pools.items()}
