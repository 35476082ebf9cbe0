"""Simulation results: per-replication statistics and estimates with confidence intervals.

Every estimate across replications is an :class:`Estimate` (mean and a Student-t confidence
interval, 95% by default). With fewer than two values there is no interval: ``ci_low`` and
``ci_high`` are None (null in JSON) and the estimate is never "significant". The KPIs, their
units and labels are registered in :mod:`bpr.sim.kpis`.

:meth:`SimulationResult.write` writes ``kpis.json`` (settings, the estimates and every
replication's values) and :meth:`SimulationResult.read` rebuilds the result from it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bpr.errors import BprError
from bpr.sim.kpis import ACTIVITY, GROUPED_KPIS, POOL, SCALAR, SCALAR_KPIS, kpis_of, with_derived

__all__ = ["GROUPED_KPIS", "SCALAR_KPIS", "Estimate", "ReplicationStats", "SimulationResult",
           "estimate_or_none", "read_json", "t_quantile", "write_json"]

NO_INTERVAL = "no interval: one replication (a confidence interval needs at least 2)"


def t_quantile(confidence: float, dof: int) -> float:
    """The two-sided Student-t critical value for ``confidence`` and ``dof`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, dof))


@dataclass(frozen=True)
class Estimate:
    """A mean across ``n`` replications with its confidence interval (same unit as the mean);
    ``ci_low`` and ``ci_high`` are None when ``n`` < 2 (no interval can be given)."""

    mean: float
    ci_low: float | None
    ci_high: float | None
    n: int

    @property
    def has_interval(self) -> bool:
        return self.ci_low is not None and self.ci_high is not None

    @property
    def significant(self) -> bool:
        """True when the confidence interval excludes zero (never without an interval)."""
        if self.ci_low is None or self.ci_high is None:
            return False
        return self.ci_low > 0 or self.ci_high < 0

    def to_dict(self) -> dict[str, float | None]:
        return {"mean": self.mean, "ci_low": self.ci_low, "ci_high": self.ci_high}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], n: int) -> Estimate:
        """The estimate written by :meth:`to_dict`, over ``n`` values (the JSON does not
        repeat it: every estimate of a result has the result's replications)."""
        lo, hi = data.get("ci_low"), data.get("ci_high")
        return cls(float(data["mean"]), None if lo is None else float(lo),
                   None if hi is None else float(hi), 1 if lo is None or hi is None else n)

    @classmethod
    def from_samples(cls, values: Iterable[float | None],
                     confidence: float = 0.95) -> Estimate:
        """Student-t interval of the mean of ``values`` (None and non-finite values are left
        out); with one value there is no interval. Raises ValueError if empty."""
        xs = np.asarray([float(v) for v in values if v is not None and math.isfinite(v)],
                        dtype=float)
        n = len(xs)
        if n == 0:
            raise ValueError("no values to estimate from")
        mean = float(xs.mean())
        if n == 1:
            return cls(mean, None, None, 1)
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

    ``kpis`` holds the scalar KPIs the engine measures (:data:`bpr.sim.kpis.KPIS`; None where
    undefined, e.g. ``cost_per_case`` when the model has no cost data); derived KPIs are added
    by :meth:`values`. ``activity_waiting_hours`` is the mean wait per instance (only activities
    that ran), ``activity_count`` instances per activity, ``pool_utilisation`` a fraction of the
    pool's open hours, ``pool_busy_hours`` working hours. ``cycle_times_hours`` holds one value
    per counted (non-warm-up) completed case.
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

    def values(self) -> dict[str, float | None]:
        """The scalar KPIs measured and derived (every key of the registry's scalar group)."""
        return with_derived(self.kpis)

    def group(self, key: str) -> Mapping[str, float]:
        """A per-activity or per-pool KPI (``activity_waiting_hours``, ``pool_utilisation``...)
        by name."""
        value: Mapping[str, float] = getattr(self, key)
        return value

    def to_dict(self) -> dict[str, Any]:
        """The replication's values as plain data (the cycle times are left out: they are
        written beside, e.g. in a what-if's ``cycle_times.csv``)."""
        out: dict[str, Any] = {"replication": self.replication, "seed": self.seed,
                               "cases_arrived": self.cases_arrived,
                               "cases_completed": self.cases_completed,
                               "horizon_hours": self.horizon_hours, "kpis": dict(self.kpis)}
        for key in (*kpis_of(ACTIVITY), *kpis_of(POOL)):
            out[key] = dict(self.group(key))
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any],
                  cycle_times_hours: np.ndarray | None = None) -> ReplicationStats:
        return cls(replication=int(data["replication"]), seed=int(data["seed"]),
                   cases_completed=int(data["cases_completed"]),
                   horizon_hours=float(data["horizon_hours"]),
                   kpis={k: None if v is None else float(v) for k, v in data["kpis"].items()},
                   activity_waiting_hours={k: float(v) for k, v in
                                           data["activity_waiting_hours"].items()},
                   activity_count={k: int(v) for k, v in data["activity_count"].items()},
                   pool_utilisation={k: float(v) for k, v in data["pool_utilisation"].items()},
                   pool_busy_hours={k: float(v) for k, v in data["pool_busy_hours"].items()},
                   cycle_times_hours=(np.zeros(0) if cycle_times_hours is None
                                      else np.asarray(cycle_times_hours, dtype=float)),
                   cases_arrived=int(data.get("cases_arrived", 0)))


@dataclass
class SimulationResult:
    """All replications of one run and the settings that produced them."""

    model_name: str
    settings: dict[str, Any]
    replications: list[ReplicationStats]

    def kpis(self, confidence: float = 0.95) -> dict[str, Any]:
        """Scalar KPIs (measured and derived) and per-activity / per-pool KPIs, each an
        :class:`Estimate` (or None), keyed as in :data:`bpr.sim.kpis.KPIS`."""
        values = [r.values() for r in self.replications]
        out: dict[str, Any] = {k: estimate_or_none((v.get(k) for v in values), confidence)
                               for k in kpis_of(SCALAR)}
        for group in (*kpis_of(ACTIVITY), *kpis_of(POOL)):
            keys = list(dict.fromkeys(k for r in self.replications for k in r.group(group)))
            out[group] = {k: estimate_or_none((r.group(group).get(k) for r in self.replications),
                                              confidence) for k in keys}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The contents of ``kpis.json``: model name, settings, every KPI as
        ``{"mean", "ci_low", "ci_high"}`` (null where undefined) and every replication's values
        (from which :meth:`from_dict` rebuilds the result)."""
        def plain(v: Any) -> Any:
            if isinstance(v, Estimate):
                return v.to_dict()
            if isinstance(v, dict):
                return {k: plain(x) for k, x in v.items()}
            return v

        return {"model": self.model_name, "settings": dict(self.settings),
                "kpis": plain(self.kpis()),
                "replications": [r.to_dict() for r in self.replications]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any],
                  cycle_times: Mapping[int, np.ndarray] | None = None) -> SimulationResult:
        """The result written by :meth:`to_dict`; ``cycle_times`` by replication number (the
        JSON does not hold them)."""
        ct = cycle_times or {}
        return cls(model_name=str(data["model"]), settings=dict(data["settings"]),
                   replications=[ReplicationStats.from_dict(r, ct.get(int(r["replication"])))
                                 for r in data["replications"]])

    @property
    def cycle_times_hours(self) -> np.ndarray:
        """Cycle times of all counted cases of all replications, in replication order."""
        if not self.replications:
            return np.zeros(0)
        return np.concatenate([r.cycle_times_hours for r in self.replications])

    def write(self, outdir: str | os.PathLike[str], name: str = "kpis.json") -> Path:
        """Write :meth:`to_dict` to ``outdir/name`` atomically; returns the path."""
        path = Path(outdir) / name
        write_json(path, self.to_dict())
        return path

    @classmethod
    def read(cls, path: str | os.PathLike[str],
             cycle_times: Mapping[int, np.ndarray] | None = None) -> SimulationResult:
        """The result in ``path``: a ``kpis.json`` file or the folder holding one (written by
        :meth:`write` or ``bpr simulate -o``). Raises a one-line BprError otherwise."""
        p = Path(path)
        if p.is_dir():
            p = p / "kpis.json"
        data = read_json(p, "re-run bpr simulate -o OUTDIR")
        return from_json(cls.from_dict, data, p, "kpis", cycle_times)


# -- JSON files ------------------------------------------------------------------------------------
def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Indented UTF-8 JSON, written atomically (no NaN: undefined values are null)."""
    from bpr.io.atomic import write_text

    write_text(path, json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def read_json(path: str | os.PathLike[str], fix: str) -> dict[str, Any]:
    """A JSON object from ``path``; a one-line BprError naming the file and ``fix`` otherwise."""
    p = Path(path)
    if not p.is_file():
        raise BprError(f"not found; {fix}", path=str(p))
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise BprError(f"cannot read it ({err.__class__.__name__}); {fix}",
                       path=str(p)) from None
    except json.JSONDecodeError as err:
        raise BprError(f"not valid JSON (line {err.lineno}): the file is damaged; {fix}",
                       path=str(p)) from None
    if not isinstance(data, dict):
        raise BprError(f"expected a JSON object; {fix}", path=str(p))
    return data


def from_json(build: Any, data: Mapping[str, Any], path: Path, required: str,
              *args: Any) -> Any:
    """``build(data, *args)``, with a one-line BprError naming ``path`` when the content is
    not what bpr wrote (a missing key such as ``required``, or a value of the wrong type)."""
    if required not in data:
        raise BprError(f"no {required!r} object: not written by bpr (or by an older version); "
                       f"re-run the command that wrote it", path=str(path))
    try:
        return build(data, *args)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        what = f"missing {err.args[0]!r}" if isinstance(err, KeyError) else str(err)
        raise BprError(f"not as bpr writes it ({what}): written by another program or an "
                       f"older bpr; re-run the command that wrote it", path=str(path)) from None
