"""The five log distances of the business process simulation literature.

The definitions are those of the ``log-distance-measures`` package (Chapela-Campa et al.), the
reference implementation that Simod and AgentSimulator use, called the way those papers call it
(``AgentSimulator/analysis_notebooks/evaluation.ipynb``, ``simod/metrics.py``):

===============================  ===================================================================
n-gram distribution (n=3)        ``n_gram_distribution_distance(n=3)`` (normalised: 0 = the same
                                 trigram frequencies, 1 = no trigram in common); no unit
absolute event distribution      ``absolute_event_distribution_distance(AbsoluteTimestampType.BOTH,
                                 discretize_to_hour)``: Wasserstein distance between the hours
                                 (since the first start) of all starts and ends; hours
circadian event distribution     ``circadian_event_distribution_distance(BOTH)``: per weekday, the
                                 Wasserstein distance between hours of the day (UTC) of all
                                 starts and ends, averaged over the 7 weekdays (23 for a weekday
                                 seen in one log only); hours
relative event distribution      ``relative_event_distribution_distance(BOTH, discretize_to_hour)``:
                                 as absolute, with each timestamp taken relative to the start of
                                 its case; hours
cycle-time distribution          ``cycle_time_distribution_distance(bin_size=1 hour)``: Wasserstein
                                 distance between case durations in 1-hour bins; hours
===============================  ===================================================================

All use the package's default metric (``DistanceMetric.WASSERSTEIN``, the 1-D earth mover's
distance) and no normalisation, as the papers do. The *original* (real, test) log comes first.

Two engines compute the same numbers: ``"fast"`` (default) is a vectorised numpy
re-implementation of the package's definitions (the package loops over cases in Python, ~1 s per
pair of 9,000-event logs); ``"reference"`` calls the package itself. The tests check that both
agree on real and generated logs.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd

from bpr.errors import LogError
from bpr.io.eventlog import ACTIVITY, CASE, END, START, EventLog
from bpr.io.logs import LogSource, read_log

NS_PER_HOUR = 3_600_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR
NGRAM_N = 3

Engine = Literal["fast", "reference"]


@dataclass(frozen=True)
class Metric:
    """How a distance is named and shown."""

    key: str
    label: str
    unit: str  # "" for unitless


#: The five metrics in the order of the literature's tables.
METRICS: tuple[Metric, ...] = (
    Metric("ngram", "n-gram distribution distance (n=3)", ""),
    Metric("absolute_event_h", "absolute event distribution distance", "h"),
    Metric("circadian_event_h", "circadian event distribution distance", "h"),
    Metric("relative_event_h", "relative event distribution distance", "h"),
    Metric("cycle_time_h", "cycle-time distribution distance", "h"),
)


@dataclass(frozen=True)
class LogDistances:
    """The five distances between an original and a simulated log (0 = indistinguishable)."""

    ngram: float  # n-gram distribution distance, n=3, in [0, 1]
    absolute_event_h: float  # hours
    circadian_event_h: float  # hours
    relative_event_h: float  # hours
    cycle_time_h: float  # hours

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


@dataclass(frozen=True)
class PreparedLog:
    """A log reduced to the arrays the distances need (prepare a log once, compare it often).

    Events are ordered by case, then start, then end, then position in the log (the order the
    package uses for n-grams). Times are int64 nanoseconds since the epoch, UTC.
    """

    activities: np.ndarray  # object, one per event
    case_bounds: np.ndarray  # int64, len n_cases + 1: events of case i are [b[i], b[i+1])
    start_ns: np.ndarray  # int64
    end_ns: np.ndarray  # int64

    @property
    def n_cases(self) -> int:
        return len(self.case_bounds) - 1

    @property
    def case_start_ns(self) -> np.ndarray:
        return np.minimum.reduceat(self.start_ns, self.case_bounds[:-1])

    @property
    def case_end_ns(self) -> np.ndarray:
        return np.maximum.reduceat(self.end_ns, self.case_bounds[:-1])


LogLike = EventLog | pd.DataFrame | PreparedLog | LogSource


def prepare(log: LogLike) -> PreparedLog:
    """Reduce a log for fast comparison: an :class:`EventLog`, a DataFrame with its columns, or
    anything :func:`bpr.io.logs.read_log` reads (a file, a pm4py DataFrame or EventLog)."""
    if isinstance(log, PreparedLog):
        return log
    df = _frame(log)
    case_codes, _ = pd.factorize(df[CASE], sort=False)
    start = _ns(df[START])
    end = _ns(df[END])
    order = np.lexsort((np.arange(len(df)), end, start, case_codes))
    codes = case_codes[order]
    change = np.flatnonzero(np.diff(codes)) + 1
    bounds = np.concatenate(([0], change, [len(codes)])).astype(np.int64)
    return PreparedLog(activities=df[ACTIVITY].to_numpy(dtype=object)[order],
                       case_bounds=bounds, start_ns=start[order], end_ns=end[order])


def log_distances(original: LogLike, simulated: LogLike, *,
                  engine: Engine = "fast") -> LogDistances:
    """The five distances between ``original`` (the real log) and ``simulated``."""
    if engine == "reference":
        return _reference_distances(original, simulated)
    if engine != "fast":
        raise ValueError(f"unknown engine {engine!r}; use 'fast' or 'reference'")
    a, b = prepare(original), prepare(simulated)
    return LogDistances(
        ngram=ngram_distance(a, b),
        absolute_event_h=absolute_event_distance(a, b),
        circadian_event_h=circadian_event_distance(a, b),
        relative_event_h=relative_event_distance(a, b),
        cycle_time_h=cycle_time_distance(a, b),
    )


def ngram_distance(original: LogLike, simulated: LogLike, n: int = NGRAM_N) -> float:
    """Normalised n-gram distribution distance: sum |f_a - f_b| / (sum f_a + sum f_b) over the
    n-grams of activities (each case padded with n-1 empty symbols on both ends)."""
    a, b = prepare(original), prepare(simulated)
    labels = pd.unique(np.concatenate([a.activities, b.activities]))
    lookup = pd.Index(labels)
    grams_a = _ngram_keys(a, lookup, n)
    grams_b = _ngram_keys(b, lookup, n)
    keys_a, counts_a = np.unique(grams_a, return_counts=True)
    keys_b, counts_b = np.unique(grams_b, return_counts=True)
    keys = np.union1d(keys_a, keys_b)
    freq_a = np.zeros(len(keys), dtype=np.int64)
    freq_b = np.zeros(len(keys), dtype=np.int64)
    freq_a[np.searchsorted(keys, keys_a)] = counts_a
    freq_b[np.searchsorted(keys, keys_b)] = counts_b
    total = int(freq_a.sum() + freq_b.sum())
    return int(np.abs(freq_a - freq_b).sum()) / total


def absolute_event_distance(original: LogLike, simulated: LogLike) -> float:
    """Wasserstein distance (hours) between the starts and ends, binned by hour since the hour
    of the earliest start of either log."""
    from scipy.stats import wasserstein_distance

    a, b = prepare(original), prepare(simulated)
    first = min(int(a.start_ns.min()), int(b.start_ns.min()))
    origin = (first // NS_PER_HOUR) * NS_PER_HOUR
    bins_a = np.concatenate([a.start_ns - origin, a.end_ns - origin]) // NS_PER_HOUR
    bins_b = np.concatenate([b.start_ns - origin, b.end_ns - origin]) // NS_PER_HOUR
    return float(wasserstein_distance(bins_a, bins_b))


def circadian_event_distance(original: LogLike, simulated: LogLike) -> float:
    """Mean over the 7 weekdays (UTC) of the Wasserstein distance between the hours of the day
    of starts and ends on that weekday; a weekday seen in one log only counts 23 hours."""
    from scipy.stats import wasserstein_distance

    a, b = prepare(original), prepare(simulated)
    day_a, hour_a = _weekday_hour(np.concatenate([a.start_ns, a.end_ns]))
    day_b, hour_b = _weekday_hour(np.concatenate([b.start_ns, b.end_ns]))
    distances: list[float] = []
    for weekday in range(7):
        win_a = hour_a[day_a == weekday]
        win_b = hour_b[day_b == weekday]
        if len(win_a) and len(win_b):
            distances.append(float(wasserstein_distance(win_a, win_b)))
        elif not len(win_a) and not len(win_b):
            distances.append(0.0)
        else:
            distances.append(23.0)
    return statistics.mean(distances)


def relative_event_distance(original: LogLike, simulated: LogLike) -> float:
    """Wasserstein distance (hours) between the starts and ends measured from the start of their
    case, binned by hour."""
    from scipy.stats import wasserstein_distance

    return float(wasserstein_distance(_relative_hours(prepare(original)),
                                      _relative_hours(prepare(simulated))))


def cycle_time_distance(original: LogLike, simulated: LogLike) -> float:
    """Wasserstein distance (hours) between case cycle times (last end - first start) in
    1-hour bins counted from the shortest cycle time of either log."""
    from scipy.stats import wasserstein_distance

    a, b = prepare(original), prepare(simulated)
    ct_a = a.case_end_ns - a.case_start_ns
    ct_b = b.case_end_ns - b.case_start_ns
    shortest = min(int(ct_a.min()), int(ct_b.min()))
    return float(wasserstein_distance((ct_a - shortest) // NS_PER_HOUR,
                                      (ct_b - shortest) // NS_PER_HOUR))


# ---------------------------------------------------------------------------------------------

def _frame(log: LogSource) -> pd.DataFrame:
    """The log's frame with bpr's columns (a DataFrame that has them is used as it is)."""
    if isinstance(log, pd.DataFrame) and {CASE, ACTIVITY, START, END} <= set(log.columns):
        df = log
    else:
        df = read_log(log).df
    if df.empty:
        raise LogError("cannot compare an empty log; it has no events",
                       path=getattr(log, "path", None))
    return df


def _ns(times: pd.Series) -> np.ndarray:
    """Timestamps as int64 ns since the epoch, UTC (naive timestamps are taken as UTC)."""
    values = pd.to_datetime(times, utc=True)
    return values.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def _ngram_keys(log: PreparedLog, lookup: pd.Index, n: int) -> np.ndarray:
    """One int64 key per n-gram of each case (0 is the padding symbol)."""
    codes = lookup.get_indexer(pd.Index(log.activities)).astype(np.int64) + 1
    base = len(lookup) + 1
    if base ** n >= 2 ** 62:
        raise ValueError(f"too many distinct activities ({len(lookup)}) for {n}-gram keys")
    lengths = np.diff(log.case_bounds)
    pad = n - 1
    # Padded sequence of each case laid end to end: pad zeros, the case's codes, pad zeros.
    padded_len = lengths + 2 * pad
    offsets = np.concatenate(([0], np.cumsum(padded_len)))
    seq = np.zeros(int(offsets[-1]), dtype=np.int64)
    event_pos = np.repeat(offsets[:-1] + pad - log.case_bounds[:-1], lengths) + np.arange(
        len(codes))
    seq[event_pos] = codes
    # Windows start at 0 .. len + n - 2 within each padded case.
    windows = lengths + n - 1
    starts = np.repeat(offsets[:-1], windows) + _ranges(windows)
    keys = np.zeros(len(starts), dtype=np.int64)
    for k in range(n):
        keys = keys * base + seq[starts + k]
    return keys


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(l)`` for each l in ``lengths``."""
    total = int(lengths.sum())
    firsts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total) - firsts


def _weekday_hour(ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weekday (Monday = 0) and hour of the day (0-23) of UTC instants."""
    days = ns // NS_PER_DAY
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday
    hour = (ns - days * NS_PER_DAY) // NS_PER_HOUR
    return weekday, hour


def _relative_hours(log: PreparedLog) -> np.ndarray:
    case_start = np.repeat(log.case_start_ns, np.diff(log.case_bounds))
    return np.concatenate([log.start_ns - case_start, log.end_ns - case_start]) // NS_PER_HOUR


def _reference_distances(original: LogLike, simulated: LogLike) -> LogDistances:
    """The five distances computed by the ``log-distance-measures`` package itself."""
    from log_distance_measures.absolute_event_distribution import (
        absolute_event_distribution_distance,
    )
    from log_distance_measures.circadian_event_distribution import (
        circadian_event_distribution_distance,
    )
    from log_distance_measures.config import AbsoluteTimestampType, EventLogIDs, discretize_to_hour
    from log_distance_measures.cycle_time_distribution import cycle_time_distribution_distance
    from log_distance_measures.n_gram_distribution import n_gram_distribution_distance
    from log_distance_measures.relative_event_distribution import (
        relative_event_distribution_distance,
    )

    if isinstance(original, PreparedLog) or isinstance(simulated, PreparedLog):
        raise ValueError("the reference engine needs the logs themselves, not prepared logs")
    ids = EventLogIDs(case=CASE, activity=ACTIVITY, start_time=START, end_time=END)
    a = _utc_frame(_frame(original))
    b = _utc_frame(_frame(simulated))
    both = AbsoluteTimestampType.BOTH
    return LogDistances(
        ngram=float(n_gram_distribution_distance(a, ids, b, ids, n=NGRAM_N)),
        absolute_event_h=float(absolute_event_distribution_distance(
            a, ids, b, ids, discretize_type=both, discretize_event=discretize_to_hour)),
        circadian_event_h=float(circadian_event_distribution_distance(
            a, ids, b, ids, discretize_type=both)),
        relative_event_h=float(relative_event_distribution_distance(
            a, ids, b, ids, discretize_type=both, discretize_event=discretize_to_hour)),
        cycle_time_h=float(cycle_time_distribution_distance(
            a, ids, b, ids, bin_size=pd.Timedelta(hours=1))),
    )


def _utc_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df[[CASE, ACTIVITY, START, END]].copy()
    out[START] = pd.to_datetime(out[START], utc=True)
    out[END] = pd.to_datetime(out[END], utc=True)
    return out
