"""What the as-is log showed, for the model's ``observed`` section.

cases, events, first/last event (ISO 8601 in the log's timezone), cases per year (cases / span of
the log in years of 365.25 days; a span under a day counts as a day), events per activity, mean
waiting seconds before each activity (start - enablement; see :mod:`bpr.discovery.frame`),
tokens per model flow from the replay (keys ``"A -> B"``), and the cycle time (last end - first
start of a case) median and 90th percentile in seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bpr.discovery.branching import Replay
from bpr.discovery.calendars import tzinfo_of
from bpr.discovery.frame import Frame
from bpr.io.eventlog import END, START, EventLog
from bpr.model.process import Observed

YEAR_SECONDS = 365.25 * 86400


def _iso(ts: pd.Timestamp, timezone: str) -> str:
    return ts.tz_convert(tzinfo_of(timezone)).isoformat()


def cycle_times(frame: Frame) -> np.ndarray:
    """Seconds from each case's first start to its last end."""
    return frame.case_end() - frame.case_start()


def observed_figures(log: EventLog, frame: Frame, rep: Replay) -> Observed:
    """The :class:`Observed` record of ``log`` (see the module doc)."""
    first = frame.df[START].min()
    last = frame.df[END].max()
    span = max((last - first).total_seconds(), 86400.0)
    act = pd.Series(frame.activity)
    counts = act.value_counts(sort=False)
    waits = pd.Series(frame.waiting).groupby(frame.activity, sort=False).mean()
    ct = cycle_times(frame)
    return Observed(
        log=str(log.path),
        cases=frame.n_cases,
        events=int(frame.activity.size),
        first_event=_iso(first, log.timezone),
        last_event=_iso(last, log.timezone),
        cases_per_year=round(frame.n_cases / (span / YEAR_SECONDS), 2),
        start_times_estimated=bool(log.start_times_estimated),
        activity_count={str(a): int(n) for a, n in sorted(counts.items())},
        activity_waiting_seconds={str(a): round(float(w), 2) for a, w in sorted(waits.items())},
        flow_count={f"{u} -> {v}": int(n) for (u, v), n in sorted(rep.flow_tokens.items())},
        cycle_time_median_seconds=round(float(np.median(ct)), 2) if ct.size else 0.0,
        cycle_time_p90_seconds=round(float(np.quantile(ct, 0.9)), 2) if ct.size else 0.0,
    )
