"""Extraneous delays: waiting before an activity that neither staff nor calendars explain.

For each instance: the moment it could have started = its enablement, or, if its resource was
busy then, the end of that continuous busy spell (consecutive work whose gaps hold no working
time of the pool's calendar), moved to the next open moment of the pool's calendar (off shift).
What remains until the actual start is the extraneous delay (wall-clock seconds), e.g. waiting
for a customer or a supplier (Simod's "extraneous delays"). Per activity, the delays (zeros
included) are fitted like durations; activities whose mean delay is below
``delay_min_mean_seconds`` get none. With ``delay_window_share`` < 1 only the instances enabled
in the most recent share of the log's span are fitted (when there are at least ``MIN_RECENT``
of them), for processes whose waiting drifts. Only used when ``MiningOptions.extraneous_delays``
is on. ``delay_resource_busy`` False: a busy resource explains nothing, so every wait outside
the pool's closed hours is a delay (for logs whose staff contention the pools understate).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bpr.discovery.calendars import OpenTime
from bpr.discovery.durations import fit_duration
from bpr.discovery.frame import Frame
from bpr.discovery.options import MiningOptions
from bpr.io.eventlog import RESOURCE
from bpr.model.calendar import Calendar
from bpr.model.distribution import Distribution

MIN_RECENT = 10  # fewer recent instances of an activity: fit its delay on all of them


def _busy_blocks(frame: Frame, rows: np.ndarray, r_codes: np.ndarray, pools: np.ndarray,
                 calendars: Mapping[str, Calendar | None]) -> tuple[np.ndarray, ...]:
    """Per resource, the spans it was continuously busy (gaps without working time merged).

    Returns (resource code, block start, block end) arrays sorted by resource and start.
    """
    order = np.lexsort((frame.start[rows], r_codes))
    rows, rc = rows[order], r_codes[order]
    s, e = frame.start[rows], frame.end[rows]
    prev_end = pd.Series(e).groupby(rc).cummax().groupby(rc).shift(1).to_numpy(dtype=float)
    gap = np.where(np.isfinite(prev_end), s - prev_end, np.inf)
    pool_of = pools[rows]
    for p, cal in calendars.items():  # a gap that is all off-shift is not idle time
        if cal is None or cal.is_always:
            continue
        m = (pool_of == p) & np.isfinite(gap) & (gap > 0)
        gap[m] = OpenTime(cal).working(prev_end[m], s[m])
    new = gap > 1.0  # more than a second of working time idle: a new busy block
    block = np.cumsum(new) - 1
    b_start = pd.Series(s).groupby(block).min().to_numpy()
    b_end = pd.Series(e).groupby(block).max().to_numpy()
    b_res = pd.Series(rc).groupby(block).first().to_numpy()
    return b_res, b_start, b_end


def unexplained_wait(frame: Frame, row_pool: pd.Series,
                     calendars: Mapping[str, Calendar | None],
                     resource_busy: bool = True) -> np.ndarray:
    """Per row: seconds between the earliest explained start and the actual start (>= 0).

    The resource explains the wait while it was continuously busy from the enablement on: its
    availability is the end of the busy block that contains the enablement (or the enablement
    itself when it was idle then), moved to the next open moment of the pool's calendar.
    ``resource_busy`` False: busy resources explain nothing (only calendars do).
    """
    ready = frame.enabled.copy()
    pools = row_pool.to_numpy(dtype=object)
    if resource_busy and RESOURCE in frame.df.columns:
        res = frame.df[RESOURCE].astype("string")
        known = res.notna().to_numpy()
        if known.any():
            rows = np.flatnonzero(known)
            r_codes, _ = pd.factorize(res[known])
            b_res, b_start, b_end = _busy_blocks(frame, rows, r_codes, pools, calendars)
            t0 = float(np.nanmin(frame.start)) - 1.0
            scale = float(np.nanmax(frame.end)) - t0 + 10.0
            key_b = b_res * scale + (b_start - t0)
            key_i = r_codes * scale + (ready[rows] - t0)
            j = np.clip(np.searchsorted(key_b, key_i, side="right") - 1, 0, None)
            inside = (b_res[j] == r_codes) & (b_start[j] <= ready[rows]) & \
                (ready[rows] < b_end[j])
            busy_until = np.where(inside, b_end[j], ready[rows])
            ready[rows] = np.minimum(busy_until, frame.start[rows])
    for p, cal in calendars.items():
        if cal is None or cal.is_always:
            continue
        m = pools == p
        ready[m] = OpenTime(cal).next_open(ready[m])
    return np.maximum(frame.start - ready, 0.0)


def extraneous_delays(frame: Frame, row_pool: pd.Series,
                      calendars: Mapping[str, Calendar | None], options: MiningOptions,
                      activities: set[str]) -> dict[str, Distribution]:
    """Activity -> delay distribution for activities with a noticeable unexplained wait."""
    wait = unexplained_wait(frame, row_pool, calendars, options.delay_resource_busy)
    out: dict[str, Distribution] = {}
    first, last = float(np.nanmin(frame.enabled)), float(np.nanmax(frame.enabled))
    recent = frame.enabled >= last - options.delay_window_share * (last - first)
    groups = pd.DataFrame({"wait": wait, "recent": recent}).groupby(frame.activity, sort=False)
    for act, grp in groups:
        if act not in activities:
            continue
        x = grp["wait"].to_numpy()
        newer = grp["recent"].to_numpy()
        if newer.sum() >= MIN_RECENT:
            x = x[newer]
        if x.size == 0 or float(x.mean()) < options.delay_min_mean_seconds:
            continue
        fit = fit_duration(x, **options.fit_kwargs())
        out[str(act)] = fit.distribution
    return out
