"""Case arrivals: a weekly arrival calendar and the inter-arrival distribution in its open time.

A case arrives at its first start time. The arrival calendar is discovered from the arrival
moments (weekday x hour cells; see :func:`bpr.discovery.calendars.discover_calendar`); too few cases
(or ``arrival_calendar`` off) give 24/7. Inter-arrival times are measured in the calendar's
*open* time — ``Calendar.working_seconds`` between consecutive arrivals — because the simulator
draws inter-arrival times in calendar-open time; the gap over a night or a weekend therefore
counts as zero. The distribution is fitted like durations
(:func:`bpr.discovery.durations.fit_duration`).

Recent rate (``arrival_window_share`` < 1): only the gaps between arrivals in the most recent
share of the log's arrival span are fitted (at least the last ``calendar_min_observations``
arrivals), for a process whose demand drifts; the calendar still uses every arrival.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bpr.discovery.calendars import OpenTime, discover_calendar
from bpr.discovery.durations import fit_duration
from bpr.discovery.options import MiningOptions
from bpr.model.calendar import Calendar
from bpr.model.distribution import Distribution


@dataclass(frozen=True)
class ArrivalFit:
    """The inter-arrival distribution (seconds of open time) and the calendar (None: 24/7)."""

    interarrival: Distribution
    calendar: Calendar | None


def discover_arrivals(arrival_ws: np.ndarray, options: MiningOptions) -> ArrivalFit:
    """Arrival process from case arrival moments ``arrival_ws`` (week seconds, any order)."""
    t = np.sort(np.asarray(arrival_ws, dtype=float))
    cal: Calendar | None = None
    if options.arrival_calendar and t.size >= options.calendar_min_observations:
        cal = discover_calendar(t, granularity_minutes=options.calendar_granularity_minutes,
                                min_share=options.calendar_min_share,
                                min_events=options.calendar_min_events,
                                window=(float(t[0]), float(t[-1])),
                                unobserved_open=options.calendar_unobserved_open,
                                fill_gap_cells=options.calendar_fill_gap_cells,
                                trim_edges=options.calendar_trim_edges)
        if cal is not None and cal.is_always:
            cal = None
    if t.size < 2:
        return ArrivalFit(Distribution.exponential(86400.0), cal)
    ot = OpenTime(cal if cal is not None else Calendar.always())
    t = recent_arrivals(t, options.arrival_window_share, options.calendar_min_observations)
    gaps = np.diff(ot.cumulative(t))
    if not np.any(gaps > 0):
        return ArrivalFit(Distribution.fixed(0.0), cal)
    fit = fit_duration(gaps, **options.fit_kwargs())
    return ArrivalFit(fit.distribution, cal)


def recent_arrivals(t: np.ndarray, share: float, min_arrivals: int) -> np.ndarray:
    """The arrivals (sorted week seconds) in the last ``share`` of the span ``t[0]..t[-1]``,
    extended back to at least ``min_arrivals`` arrivals (all of them if there are fewer)."""
    if share >= 1.0 or t.size < 2:
        return t
    cut = t[-1] - share * (t[-1] - t[0])
    first = int(np.searchsorted(t, cut, side="left"))
    first = min(first, max(t.size - max(min_arrivals, 2), 0))
    return t[first:]
