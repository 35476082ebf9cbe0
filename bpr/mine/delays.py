"""Extraneous delays: waiting before an activity that neither staff nor calendars explain.

For each instance: the moment it could have started = the later of its enablement and the end of
its resource's previous instance (resource busy), moved to the next open moment of its pool's
calendar (off shift). What remains until the actual start is the extraneous delay (wall-clock
seconds), e.g. waiting for a customer or a supplier (Simod's "extraneous delays"). Per activity,
the delays (zeros included) are fitted like durations; activities whose mean delay is below
``delay_min_mean_seconds`` get none. Only used when ``MiningOptions.extraneous_delays`` is on.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from bpr.io.eventlog import RESOURCE
from bpr.mine.calendars import OpenTime
from bpr.mine.durations import fit_duration
from bpr.mine.frame import Frame
from bpr.mine.options import MiningOptions
from bpr.model.calendar import Calendar
from bpr.model.distribution import Distribution


def unexplained_wait(frame: Frame, row_pool: pd.Series,
                     calendars: Mapping[str, Calendar | None]) -> np.ndarray:
    """Per row: seconds between the earliest explained start and the actual start (>= 0)."""
    ready = frame.enabled.copy()
    if RESOURCE in frame.df.columns:
        res = frame.df[RESOURCE].astype("string")
        known = res.notna().to_numpy()
        if known.any():
            idx = np.flatnonzero(known)
            r_codes, _ = pd.factorize(res[known])
            order = np.lexsort((frame.start[idx], r_codes))
            rows = idx[order]
            rc = r_codes[order]
            prev = pd.Series(frame.end[rows]).groupby(rc).cummax().groupby(rc).shift(1)
            prev_end = prev.to_numpy(dtype=float)
            busy_until = np.full(frame.start.size, np.nan)
            busy_until[rows] = prev_end
            ok = np.isfinite(busy_until)
            ready[ok] = np.maximum(ready[ok], np.minimum(busy_until[ok], frame.start[ok]))
    pools = row_pool.to_numpy(dtype=object)
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
    wait = unexplained_wait(frame, row_pool, calendars)
    out: dict[str, Distribution] = {}
    groups = pd.Series(wait).groupby(frame.activity, sort=False)
    for act, w in groups:
        if act not in activities:
            continue
        x = w.to_numpy()
        if x.size == 0 or float(x.mean()) < options.delay_min_mean_seconds:
            continue
        fit = fit_duration(x, families=options.duration_families,
                           penalty=options.empirical_penalty,
                           n_quantiles=options.empirical_quantiles,
                           max_samples=options.max_fit_samples)
        out[str(act)] = fit.distribution
    return out
