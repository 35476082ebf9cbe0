"""Where a simulated log departs from the real one, in words a process owner understands.

:func:`profile_log` reduces a log to a few sums (cycle times, arrival span, per-activity counts,
processing and waiting times); profiles of several replications are pooled with
:func:`pool_profiles`; :func:`find_discrepancies` compares the real profile with the pooled
simulated one and ranks the differences by their weight in hours per case.

Waiting before an activity is ``start - enabled_time`` when both logs record when activities were
enabled; otherwise it is estimated the same way in both logs: from the latest end, in the same
case, of an activity that ended at or before this start (0 for a case's first activity).
Processing time is ``end - start`` (elapsed, including any off-shift pause).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bpr.io.eventlog import ACTIVITY, CASE, ENABLED, END, START, EventLog

NS_PER_HOUR = 3_600_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR

#: A relative difference below this is not reported (cycle time, arrival rate: 10%, about the
#: sampling noise of a few hundred cases; per-activity times: 20%), nor one that weighs less than
#: MIN_HOURS_PER_CASE.
CYCLE_TOLERANCE = 0.10
ARRIVAL_TOLERANCE = 0.10
TIME_TOLERANCE = 0.20
FREQUENCY_TOLERANCE = 0.05  # instances per case
MIN_HOURS_PER_CASE = 0.05


@dataclass
class LogProfile:
    """Sums that describe a log's timing and routing; add profiles to pool replications."""

    n_cases: int
    n_events: int
    cycle_times_h: np.ndarray  # one per case, hours
    arrival_gaps: int  # n_cases - 1
    arrival_span_days: float  # first to last case start, days
    count: dict[str, int] = field(default_factory=dict)  # instances per activity
    processing_sum_h: dict[str, float] = field(default_factory=dict)
    waiting_sum_h: dict[str, float] = field(default_factory=dict)
    waiting_from_enabled: bool = False

    @property
    def arrivals_per_day(self) -> float:
        return self.arrival_gaps / self.arrival_span_days if self.arrival_span_days > 0 else 0.0

    def per_case(self, activity: str) -> float:
        return self.count.get(activity, 0) / self.n_cases if self.n_cases else 0.0

    def mean_processing_h(self, activity: str) -> float:
        n = self.count.get(activity, 0)
        return self.processing_sum_h.get(activity, 0.0) / n if n else 0.0

    def mean_waiting_h(self, activity: str) -> float:
        n = self.count.get(activity, 0)
        return self.waiting_sum_h.get(activity, 0.0) / n if n else 0.0


@dataclass(frozen=True)
class Discrepancy:
    """One difference between the simulated and the real log."""

    kind: str  # cycle_time | arrivals | waiting | processing | frequency | missing | extra
    activity: str | None
    real: float
    simulated: float
    unit: str
    weight_h: float  # hours per case this difference is worth (for ranking)
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "activity": self.activity, "real": self.real,
                "simulated": self.simulated, "unit": self.unit, "weight_h": self.weight_h,
                "message": self.message}


def profile_log(log: EventLog | pd.DataFrame, *, use_enabled: bool = True) -> LogProfile:
    """Reduce a log to a :class:`LogProfile` (waiting from ``enabled_time`` if asked and there)."""
    df = log.df if isinstance(log, EventLog) else log
    start = _ns(df[START])
    end = _ns(df[END])
    cases = pd.factorize(df[CASE])[0]
    n_cases = int(cases.max()) + 1 if len(cases) else 0
    case_start = np.full(n_cases, np.iinfo(np.int64).max)
    case_end = np.full(n_cases, np.iinfo(np.int64).min)
    np.minimum.at(case_start, cases, start)
    np.maximum.at(case_end, cases, end)
    from_enabled = bool(use_enabled and ENABLED in df.columns and df[ENABLED].notna().all())
    if from_enabled:
        waiting_ns = start - _ns(df[ENABLED])
    else:
        waiting_ns = _estimated_waiting_ns(cases, start, end)
    acts = df[ACTIVITY].astype(str).to_numpy()
    frame = pd.DataFrame({"a": acts, "p": (end - start) / NS_PER_HOUR,
                          "w": np.maximum(waiting_ns, 0) / NS_PER_HOUR})
    sums = frame.groupby("a", sort=True).agg(n=("p", "size"), p=("p", "sum"), w=("w", "sum"))
    first_starts = np.sort(case_start)
    span = float(first_starts[-1] - first_starts[0]) / NS_PER_DAY if n_cases else 0.0
    return LogProfile(
        n_cases=n_cases, n_events=len(df),
        cycle_times_h=(case_end - case_start) / NS_PER_HOUR,
        arrival_gaps=max(n_cases - 1, 0), arrival_span_days=span,
        count={str(k): int(v) for k, v in sums["n"].items()},
        processing_sum_h={str(k): float(v) for k, v in sums["p"].items()},
        waiting_sum_h={str(k): float(v) for k, v in sums["w"].items()},
        waiting_from_enabled=from_enabled,
    )


def pool_profiles(profiles: list[LogProfile]) -> LogProfile:
    """One profile for several replications (sums added, cycle times concatenated)."""
    if not profiles:
        raise ValueError("no profiles to pool")
    pooled = LogProfile(
        n_cases=sum(p.n_cases for p in profiles), n_events=sum(p.n_events for p in profiles),
        cycle_times_h=np.concatenate([p.cycle_times_h for p in profiles]),
        arrival_gaps=sum(p.arrival_gaps for p in profiles),
        arrival_span_days=sum(p.arrival_span_days for p in profiles),
        waiting_from_enabled=all(p.waiting_from_enabled for p in profiles))
    for p in profiles:
        for name, n in p.count.items():
            pooled.count[name] = pooled.count.get(name, 0) + n
            pooled.processing_sum_h[name] = (pooled.processing_sum_h.get(name, 0.0)
                                             + p.processing_sum_h[name])
            pooled.waiting_sum_h[name] = pooled.waiting_sum_h.get(name, 0.0) + p.waiting_sum_h[name]
    return pooled


def find_discrepancies(real: LogProfile, simulated: LogProfile) -> list[Discrepancy]:
    """The differences worth reporting, largest weight (hours per case) first.

    Cycle time and arrival rate are always listed when off by more than 10%; per-activity
    waiting and processing times when off by more than 20% and worth more than 0.05 h per case;
    routing when an activity's instances per case differ by more than 0.05.
    """
    found: list[Discrepancy] = []
    real_med = float(np.median(real.cycle_times_h))
    sim_med = float(np.median(simulated.cycle_times_h))
    rel = _relative(sim_med, real_med)
    if abs(rel) > CYCLE_TOLERANCE:
        found.append(Discrepancy(
            "cycle_time", None, real_med, sim_med, "h", abs(sim_med - real_med),
            f"cycle times {abs(rel):.0%} too {'long' if rel > 0 else 'short'} "
            f"(median {_h(sim_med)} vs {_h(real_med)} real)"))
    real_rate, sim_rate = real.arrivals_per_day, simulated.arrivals_per_day
    rel = _relative(sim_rate, real_rate)
    if real_rate > 0 and abs(rel) > ARRIVAL_TOLERANCE:
        # A faster arrival rate crowds the same work into less time: weigh by the real mean
        # cycle time share (a rough, comparable scale).
        weight = abs(rel) * float(np.mean(real.cycle_times_h))
        found.append(Discrepancy(
            "arrivals", None, real_rate, sim_rate, "cases/day", weight,
            f"cases arrive {abs(rel):.0%} too {'often' if rel > 0 else 'rarely'} "
            f"({_rate(sim_rate)} vs {_rate(real_rate)} cases per day real)"))
    for name in sorted(set(real.count) | set(simulated.count)):
        found.extend(_activity_discrepancies(name, real, simulated))
    found.sort(key=lambda d: (-d.weight_h, d.kind, d.activity or ""))
    return found


def _activity_discrepancies(name: str, real: LogProfile, sim: LogProfile) -> list[Discrepancy]:
    out: list[Discrepancy] = []
    real_pc, sim_pc = real.per_case(name), sim.per_case(name)
    real_time = real.mean_processing_h(name) + real.mean_waiting_h(name)
    sim_time = sim.mean_processing_h(name) + sim.mean_waiting_h(name)
    if sim_pc == 0:
        out.append(Discrepancy("missing", name, real_pc, 0.0, "per case", real_pc * real_time,
                               f"'{name}' never happens in the simulation "
                               f"({real_pc:.2f} times per case real)"))
        return out
    if real_pc == 0:
        out.append(Discrepancy("extra", name, 0.0, sim_pc, "per case", sim_pc * sim_time,
                               f"'{name}' happens in the simulation ({sim_pc:.2f} times per case)"
                               f" but never in the real log"))
        return out
    if abs(sim_pc - real_pc) > FREQUENCY_TOLERANCE:
        out.append(Discrepancy(
            "frequency", name, real_pc, sim_pc, "per case", abs(sim_pc - real_pc) * real_time,
            f"'{name}' happens {'more' if sim_pc > real_pc else 'less'} often: "
            f"{sim_pc:.2f} vs {real_pc:.2f} times per case real"))
    what = "waiting before" if real.waiting_from_enabled else "waiting (estimated) before"
    for kind, label, r, s in (
            ("waiting", what, real.mean_waiting_h(name), sim.mean_waiting_h(name)),
            ("processing", "duration of", real.mean_processing_h(name),
             sim.mean_processing_h(name))):
        weight = abs(s - r) * real_pc
        if weight >= MIN_HOURS_PER_CASE and abs(_relative(s, r)) > TIME_TOLERANCE:
            verb = "overestimated" if s > r else "underestimated"
            out.append(Discrepancy(kind, name, r, s, "h", weight,
                                   f"{label} '{name}' {verb}: {_h(s)} vs {_h(r)} real"))
    return out


def _relative(value: float, reference: float) -> float:
    if reference == 0:
        return 0.0 if value == 0 else float("inf")
    return (value - reference) / reference


def _rate(per_day: float) -> str:
    return f"{per_day:,.0f}" if per_day >= 100 else f"{per_day:.3g}"


def _h(hours: float) -> str:
    if abs(hours) >= 48:
        return f"{hours / 24:.1f} d"
    if abs(hours) >= 1:
        return f"{hours:.1f} h"
    return f"{hours * 60:.0f} min"


def _ns(times: pd.Series) -> np.ndarray:
    return pd.to_datetime(times, utc=True).to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _estimated_waiting_ns(cases: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """start minus the latest end (same case) at or before it; 0 when nothing ended before."""
    idx = np.arange(len(start))
    left = pd.DataFrame({"case": cases, "t": start, "i": idx}).sort_values("t", kind="stable")
    right = pd.DataFrame({"case": cases, "t": end}).sort_values("t", kind="stable")
    right["ready"] = right["t"]
    merged = pd.merge_asof(left, right, on="t", by="case", direction="backward",
                           allow_exact_matches=True)
    ready = merged["ready"].to_numpy(dtype="float64")
    waiting = np.where(np.isnan(ready), 0.0, merged["t"].to_numpy() - np.nan_to_num(ready))
    out = np.zeros(len(start), dtype=np.int64)
    out[merged["i"].to_numpy()] = waiting.astype(np.int64)
    return out
