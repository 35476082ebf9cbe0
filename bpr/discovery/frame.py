"""The log prepared once for every discovery step: sorted rows, week-second times, variants.

Everything here is vectorised (numpy/pandas); the only per-case Python work is building the
variant tuples, which costs well under a second per 100k cases.

Enablement of an activity instance: the log's ``enabled_time`` where given; otherwise the latest
end among the case's earlier instances (in start order), or its own start for the first
instance. Waiting = start - enablement, clipped at 0 (parallel work can end after a later start).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bpr.discovery.calendars import week_seconds
from bpr.io.eventlog import ACTIVITY, CASE, ENABLED, END, START, EventLog


@dataclass
class Frame:
    """Rows sorted by case, start, end; times in week seconds (see bpr.discovery.calendars)."""

    df: pd.DataFrame
    activity: np.ndarray  # object array of names
    case_code: np.ndarray  # int case index per row, 0..n_cases-1 in order
    start: np.ndarray
    end: np.ndarray
    enabled: np.ndarray
    case_first: np.ndarray  # row index of each case's first row
    variants: Counter  # tuple of activity names -> number of cases
    case_variant: np.ndarray  # per case: index into variant_list
    variant_list: list[tuple[str, ...]]

    @property
    def n_cases(self) -> int:
        return int(self.case_first.size)

    @property
    def waiting(self) -> np.ndarray:
        """Seconds between enablement and start of each row (>= 0)."""
        return np.maximum(self.start - self.enabled, 0.0)

    def case_start(self) -> np.ndarray:
        return np.minimum.reduceat(self.start, self.case_first)

    def case_arrival(self) -> np.ndarray:
        """When each case arrived: its earliest enablement (the log's ``enabled_time`` of its
        first activity where given, else its first start)."""
        return np.minimum.reduceat(np.minimum(self.enabled, self.start), self.case_first)

    def case_end(self) -> np.ndarray:
        return np.maximum.reduceat(self.end, self.case_first)


def prepare(log: EventLog, timezone: str | None = None) -> Frame:
    """Sort and index ``log`` for mining (times in ``timezone``, default the log's)."""
    tz = timezone or log.timezone
    df = log.df
    codes, _ = pd.factorize(df[CASE], sort=False)
    start_ns = df[START].to_numpy(dtype="datetime64[ns]").astype("int64")
    end_ns = df[END].to_numpy(dtype="datetime64[ns]").astype("int64")
    order = np.lexsort((end_ns, start_ns, codes))
    if not np.array_equal(order, np.arange(order.size)):
        df = df.iloc[order].reset_index(drop=True)
        codes = codes[order]
    # renumber cases in order of first appearance after sorting
    first_mask = np.empty(codes.size, dtype=bool)
    if codes.size:
        first_mask[0] = True
        first_mask[1:] = codes[1:] != codes[:-1]
    case_first = np.flatnonzero(first_mask)
    case_code = np.cumsum(first_mask) - 1
    start = week_seconds(df[START], tz)
    end = week_seconds(df[END], tz)
    # enablement: previous ends within the case (running maximum), else the own start
    prev_end = pd.Series(end).groupby(case_code).cummax().groupby(case_code).shift(1)
    enabled = prev_end.to_numpy(dtype=float)
    own = np.isnan(enabled)
    enabled[own] = start[own]
    if ENABLED in df.columns:
        given = week_seconds(df[ENABLED], tz)
        ok = np.isfinite(given)
        enabled[ok] = given[ok]
    activity = df[ACTIVITY].astype(str).to_numpy(dtype=object)
    act_codes, act_names = pd.factorize(activity)
    bounds = np.append(case_first, codes.size)
    seqs = [tuple(act_codes[a:b].tolist()) for a, b in zip(bounds[:-1], bounds[1:],
                                                           strict=True)]
    seq_index: dict[tuple[int, ...], int] = {}
    case_variant = np.fromiter((seq_index.setdefault(s, len(seq_index)) for s in seqs),
                               dtype=np.int64, count=len(seqs))
    names = list(act_names)
    variant_list = [tuple(names[i] for i in s) for s in seq_index]
    counts = np.bincount(case_variant, minlength=len(variant_list))
    variants = Counter({v: int(c) for v, c in zip(variant_list, counts, strict=True)})
    return Frame(df=df, activity=activity, case_code=case_code, start=start, end=end,
                 enabled=enabled, case_first=case_first, variants=variants,
                 case_variant=case_variant, variant_list=variant_list)
