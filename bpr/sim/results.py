"""Simulation results: per-replication statistics and estimates with confidence intervals.

Every estimate across replications is an :class:`Estimate` (mean and a Student-t confidence
interval, 95% by default). Units are in the key names: ``_hours``, ``_per_day``, ``_cases``,
``cost_`` in the model's currency.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCALAR_KPIS = (
    "cycle_time_hours_mean", "cycle_time_hours_median", "cycle_time_hours_p90",
    "waiting_time_hours_mean", "processing_time_hours_mean", "throughput_cases_per_day",
    "wip_cases_mean", "cost_per_case", "labour_hours_total", "labour_hours_per_case",
)
GROUPED_KPIS = ("activity_waiting_hours", "activity_count", "pool_utilisation",
                "pool_busy_hours")


def t_quantile(confidence: float, dof: int) -> float:
    """The two-sided Student-t critical value for ``confidence`` and ``dof`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, dof))


@dataclass(frozen=True)
class Estimate:
    """A mean across ``n`` replications with its confidence interval (same unit as the mean)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    def to_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high}

    @classmethod
    def from_samples(cls, values: Iterable[float | None],
                     confidence: float = 0.95) -> Estimate:
        """Student-t interval of the mean of ``values`` (None and non-finite values are left
        out); with one value the interval is the value itself. Raises ValueError if empty."""
        xs = np.asarray([float(v) for v in values if v is not None and math.isfinite(v)],
                        dtype=float)
        n = len(xs)
        if n == 0:
            raise ValueError("no values to estimate from")
        mean = float(xs.mean())
        if n == 1:
            return cls(mean, mean, mean, 1)
        sd = float(xs.std(ddof=1))
        if sd == 0.0:
            return cls(mean, mean, mean, n)
        half = t_quantile(confidence, n - 1) * sd / math.sqrt(n)
        return cls(mean, mean - half, mean + half, n)


def estimate_or_none(values: Iterable[float | None], confidence: float = 0.95
                     ) -> Estimate | None:
    """:meth:`Estimate.from_samples`, or None when there is no value."""
    try:
        return Estimate.from_samples(values, confidence)
    except ValueError:
        return None


@dataclass
class ReplicationStats:
    """Everything one replication measured (see :mod:`bpr.sim.engine` for definitions).

    ``kpis`` holds the scalar KPIs named in :data:`SCALAR_KPIS` (None where undefined, e.g.
    ``cost_per_case`` when the model has no cost data). ``activity_waiting_hours`` is the mean
    wait per instance (only activities that ran), ``activity_count`` instances per activity,
    ``pool_utilisation`` a fraction of the pool's open hours, ``pool_busy_hours`` working hours.
    ``cycle_times_hours`` holds one value per counted (non-warm-up) completed case.
    """

    replication: int
    seed: int
    cases_completed: int
    horizon_hours: float
    kpis: dict[str, float | None]
    activity_waiting_hours: dict[str, float]
    activity_count: dict[str, int]
    pool_utilisation: dict[str, float]
    pool_busy_hours: dict[str, float]
    cycle_times_hours: np.ndarray = field(repr=False)
    cases_arrived: int = 0


@dataclass
class SimulationResult:
    """All replications of one run and the settings that produced them."""

    model_name: str
    settings: dict[str, Any]
    replications: list[ReplicationStats]

    def kpis(self, confidence: float = 0.95) -> dict[str, Any]:
        """Scalar KPIs and per-activity / per-pool KPIs, each an :class:`Estimate` (or None)."""
        reps = self.replications
        out: dict[str, Any] = {k: estimate_or_none((r.kpis.get(k) for r in reps), confidence)
                               for k in SCALAR_KPIS}
        for group in GROUPED_KPIS:
            keys: list[str] = []
            for r in reps:
                for k in getattr(r, group):
                    if k not in keys:
                        keys.append(k)
            out[group] = {k: estimate_or_none((getattr(r, group).get(k) for r in reps),
                                              confidence) for k in keys}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The contents of ``kpis.json``: model name, settings and every KPI as
        ``{"mean", "ci_low", "ci_high"}`` (null where undefined)."""
        def plain(v: Any) -> Any:
            if isinstance(v, Estimate):
                return v.to_dict()
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            return v

        return {"model": self.model_name, "settings": dict(self.settings),
                "kpis": plain(self.kpis())}

    @property
    def cycle_times_hours(self) -> np.ndarray:
        """Cycle times of all counted cases of all replications, in replication order."""
        return np.concatenate([r.cycle_times_hours for r in self.replications])
