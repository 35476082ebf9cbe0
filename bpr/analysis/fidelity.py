"""How close a model's simulated process is to reality on data it has not seen.

:func:`validate` simulates as many cases as the test log holds, arriving from the test log's first
case start, ``replications`` times (replication ``r`` uses the simulator's stream for ``(seed,
r)``), and measures the five distances of :mod:`bpr.analysis.distances` between each simulated
log and the test log. The :class:`FidelityReport` holds their mean and standard deviation (as the
literature reports them: ``numpy.std``, ``ddof=0``), the per-replication values, a plain-language
verdict and the largest discrepancies (see :mod:`bpr.analysis.discrepancies`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from bpr.analysis.discrepancies import (
    Discrepancy,
    LogProfile,
    find_discrepancies,
    pool_profiles,
    profile_log,
)
from bpr.analysis.distances import METRICS, LogDistances, PreparedLog, log_distances, prepare
from bpr.analysis.split import split_log
from bpr.errors import LogError, SimulationError
from bpr.io.eventlog import ENABLED, START, EventLog
from bpr.io.logs import LogSource, read_log
from bpr.progress import ProgressFn
from bpr.sim.settings import RunSettings, resolve

__all__ = ["FidelityReport", "MetricSummary", "split_log", "validate", "verdict_lines"]

#: Rules of thumb for the headline (n-gram distance, cycle-time distance / real mean cycle time).
CLOSE = (0.20, 0.15)
ROUGH = (0.40, 0.35)
MAX_DISCREPANCIES = 6


@dataclass(frozen=True)
class MetricSummary:
    """Mean and standard deviation (ddof=0) of one distance over the replications."""

    key: str
    label: str
    unit: str
    mean: float
    std: float

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "unit": self.unit, "mean": self.mean, "std": self.std}


@dataclass
class FidelityReport:
    """The result of :func:`validate`."""

    metrics: dict[str, MetricSummary]
    replications: list[LogDistances]
    verdict: list[str]
    discrepancies: list[Discrepancy]
    settings: dict[str, Any] = field(default_factory=dict)
    #: cycle time of every case of the test log, hours
    real_cycle_times_h: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: cycle time of every simulated case, all replications pooled, hours
    simulated_cycle_times_h: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def mean(self) -> LogDistances:
        """The mean distances as a :class:`LogDistances`."""
        return LogDistances(**{k: m.mean for k, m in self.metrics.items()})

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "metrics": {k: m.to_dict() for k, m in self.metrics.items()},
            "replications": [d.to_dict() for d in self.replications],
            "verdict": list(self.verdict),
            "discrepancies": [d.to_dict() for d in self.discrepancies],
            "settings": dict(self.settings),
            "cycle_times_hours": {
                "real": _rounded(self.real_cycle_times_h),
                "simulated": _rounded(self.simulated_cycle_times_h),
            },
        }


def _rounded(hours: np.ndarray) -> list[float]:
    """Hours as plain floats rounded to 0.0001 h (under a second; keeps the JSON short)."""
    return [round(float(h), 4) for h in np.asarray(hours, dtype=float)]


@dataclass(frozen=True)
class _Job:
    model: Any
    cases: int
    start: datetime
    seed: int
    replication: int
    test: PreparedLog
    use_enabled: bool


def _run_replication(job: _Job) -> tuple[LogDistances, LogProfile]:
    """Simulate one replication and measure it (module level so that workers can run it)."""
    from bpr.sim import simulate_log

    log = simulate_log(job.model, cases=job.cases, start=job.start, seed=job.seed,
                       replication=job.replication)
    df = log.df if isinstance(log, EventLog) else log
    if df is None or len(df) == 0:
        raise SimulationError(f"replication {job.replication} produced no events; check that the "
                              f"model's start event leads to activities")
    return log_distances(job.test, df), profile_log(df, use_enabled=job.use_enabled)


def validate(model: Any, test_log: LogSource, *, settings: RunSettings | None = None,
             replications: int | None = None, seed: int | None = None,
             workers: int | None = None, progress: ProgressFn | None = None) -> FidelityReport:
    """Simulate ``model`` against ``test_log`` and report the distances.

    ``test_log``: an EventLog, a log file, a DataFrame or a pm4py EventLog (see ``read_log``).
    ``settings`` (:class:`~bpr.sim.settings.RunSettings`; the keyword values that are not None
    replace its fields): ``replications`` (default 10), ``seed``, ``workers`` (> 1 runs
    replications in parallel processes; the numbers do not depend on it). Each replication
    simulates ``test_log.n_cases`` cases starting at the test log's first case start, so the
    settings of cases, days, warm-up and start are refused. ``progress(done, total)`` is called
    as replications finish.
    """
    from bpr.sim.parallel import map_ordered

    test_log = read_log(test_log)
    run = resolve(settings, replications=replications, seed=seed, workers=workers)
    run.refuse(("cases", "days", "warmup_cases", "start"),
               "validation simulates as many cases as the test log has, from its first start")
    replications, seed, workers = run.replications_to_run, run.seed, run.workers
    if test_log.n_events == 0:
        raise LogError("the test log has no events; nothing to validate against",
                       path=test_log.path)
    t0 = time.perf_counter()
    start = pd.Timestamp(test_log.df[START].min()).tz_convert("UTC").to_pydatetime()
    test = prepare(test_log)
    use_enabled = ENABLED in test_log.df.columns and test_log.df[ENABLED].notna().all()
    jobs = [_Job(model, test_log.n_cases, start, seed, r, test, bool(use_enabled))
            for r in range(replications)]
    results = map_ordered(_run_replication, jobs, workers=workers, scheduler=run.scheduler,
                          progress=progress)
    distances = [d for d, _ in results]
    real = profile_log(test_log, use_enabled=bool(use_enabled))
    simulated = pool_profiles([p for _, p in results])
    if real.waiting_from_enabled and not simulated.waiting_from_enabled:
        # Compare like with like: estimate waiting in both logs.
        real = profile_log(test_log, use_enabled=False)
    metrics = {}
    for metric in METRICS:
        values = np.array([getattr(d, metric.key) for d in distances], dtype=float)
        metrics[metric.key] = MetricSummary(metric.key, metric.label, metric.unit,
                                            float(values.mean()), float(values.std()))
    found = find_discrepancies(real, simulated)
    report = FidelityReport(
        metrics=metrics, replications=distances, verdict=[], discrepancies=found,
        settings={
            "replications": replications, "seed": seed, "workers": workers,
            "cases": test_log.n_cases, "test_events": test_log.n_events,
            "start": start.isoformat(), "test_log": test_log.path,
            "model": getattr(model, "name", None),
            "elapsed_s": round(time.perf_counter() - t0, 3),
        },
        real_cycle_times_h=np.asarray(real.cycle_times_h, dtype=float),
        simulated_cycle_times_h=np.asarray(simulated.cycle_times_h, dtype=float))
    report.verdict = verdict_lines(report, real, simulated)
    return report


def verdict_lines(report: FidelityReport, real: LogProfile, simulated: LogProfile) -> list[str]:
    """The plain-language verdict: a headline, what the distances mean, the largest gaps."""
    ngram = report.metrics["ngram"].mean
    ct = report.metrics["cycle_time_h"].mean
    circ = report.metrics["circadian_event_h"].mean
    real_mean_ct = float(np.mean(real.cycle_times_h)) if len(real.cycle_times_h) else 0.0
    ct_share = ct / real_mean_ct if real_mean_ct > 0 else (0.0 if ct == 0 else float("inf"))
    if ngram <= CLOSE[0] and ct_share <= CLOSE[1]:
        headline = "Close to the real process"
    elif ngram <= ROUGH[0] and ct_share <= ROUGH[1]:
        headline = "Roughly like the real process; check the gaps below before relying on it"
    else:
        headline = "Far from the real process; do not base decisions on it before fixing the gaps"
    lines = [
        f"{headline} (over {report.settings.get('replications')} replications of "
        f"{report.settings.get('cases')} cases).",
        f"Routing: {max(0.0, 1.0 - ngram):.0%} of the activity-sequence (3-gram) frequencies "
        f"match the real log.",
        f"Cycle times: matching the real distribution takes a shift of {ct:.1f} h per case on "
        f"average ({ct_share:.0%} of the real mean cycle time of {real_mean_ct:.1f} h).",
        f"Time of day: the hour-of-day profile of events is {circ:.1f} h off the real one, on "
        f"average over the weekdays.",
    ]
    gaps = report.discrepancies[:MAX_DISCREPANCIES]
    if gaps:
        lines.append("Largest discrepancies:")
        lines.extend(f"  - {d.message}" for d in gaps)
    else:
        lines.append("No discrepancy above the reporting thresholds (10% cycle time and arrival "
                     "rate, 20% per-activity times).")
    return lines
