"""Weekly calendars from when things actually happen, and vectorised working-time arithmetic.

Time axis: mining works on *week seconds* — float seconds since Monday 1970-01-05 00:00 in the
model's local wall-clock time (the log's timezone), so ``t % WEEK`` is the second of the week a
:class:`~bpr.model.Calendar` uses. Any Monday-based origin gives the same calendar arithmetic.

Discovery (:func:`discover_calendar`): every observed moment (a start or an end of work, a case
arrival) falls in a weekday x time-of-day cell (``granularity`` minutes, default an hour). A cell
is open when it holds at least ``min_share`` of the mean count of non-empty cells and at least
``min_events`` moments; the open cells, merged, are the calendar. All cells open: 24/7.

:func:`cumulative_open` is the calendar's open time elapsed since the origin, so the working
time between ``a`` and ``b`` is ``C(b) - C(a)`` — the same as
:meth:`Calendar.working_seconds`, for whole arrays at once.
"""

from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from bpr.model.calendar import WEEK, Calendar

_ORIGIN = pd.Timestamp("1970-01-05")  # a Monday
_OFFSET_RE = re.compile(r"^(?:UTC)?([+-])(\d{1,2}):?(\d{2})?$")


def tzinfo_of(timezone: str) -> _dt.tzinfo | str:
    """A tzinfo for ``"UTC"``, ``"+02:00"``/``"-0530"``, or an IANA name (returned as is)."""
    tz = (timezone or "UTC").strip()
    if tz.upper() in ("UTC", "Z", "GMT", ""):
        return _dt.UTC
    m = _OFFSET_RE.match(tz)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return _dt.timezone(_dt.timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
    return tz


def week_seconds(times: pd.Series | pd.DatetimeIndex, timezone: str) -> np.ndarray:
    """Seconds since Monday 1970-01-05 00:00 local time (float64) for tz-aware UTC ``times``.

    Missing times give NaN.
    """
    s = pd.Series(times) if not isinstance(times, pd.Series) else times
    local = s.dt.tz_convert(tzinfo_of(timezone)).dt.tz_localize(None)
    ns = local.to_numpy(dtype="datetime64[ns]").astype("int64").astype("float64")
    out = (ns - float(_ORIGIN.value)) / 1e9
    out[local.isna().to_numpy()] = np.nan
    return out


class OpenTime:
    """Vectorised open-time arithmetic for one calendar (see module doc)."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        iv = np.asarray(calendar.intervals, dtype=float).reshape(-1, 2)
        self.starts = iv[:, 0]
        self.lengths = iv[:, 1] - iv[:, 0]
        self.before = np.concatenate([[0.0], np.cumsum(self.lengths)[:-1]])
        self.weekly = float(self.lengths.sum())
        self.always = calendar.is_always

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        """Open seconds from the origin to ``t`` (week seconds; may be negative before it)."""
        t = np.asarray(t, dtype=float)
        if self.always:
            return t.copy()
        weeks = np.floor(t / WEEK)
        w = t - weeks * WEEK
        i = np.searchsorted(self.starts, w, side="right") - 1
        ic = np.clip(i, 0, None)
        inside = np.clip(w - self.starts[ic], 0.0, self.lengths[ic])
        within = np.where(i >= 0, self.before[ic] + inside, 0.0)
        return weeks * self.weekly + within

    def at_open(self, c: np.ndarray) -> np.ndarray:
        """The first moment at which ``cumulative`` reaches ``c`` (the inverse function)."""
        c = np.asarray(c, dtype=float)
        if self.always:
            return c.copy()
        weeks = np.floor(c / self.weekly)
        r = c - weeks * self.weekly
        i = np.clip(np.searchsorted(self.before, r, side="right") - 1, 0, len(self.starts) - 1)
        return weeks * WEEK + self.starts[i] + (r - self.before[i])

    def next_open(self, t: np.ndarray) -> np.ndarray:
        """The first open moment at or after ``t`` (``t`` itself when open)."""
        return self.at_open(self.cumulative(t))

    def working(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Open seconds between ``a`` and ``b`` (0 where ``b <= a``)."""
        return np.maximum(self.cumulative(b) - self.cumulative(a), 0.0)


def cell_counts(moments: np.ndarray, granularity_minutes: int = 60) -> np.ndarray:
    """How many ``moments`` (week seconds) fall in each weekly cell of ``granularity`` minutes."""
    g = granularity_minutes * 60
    n = WEEK // g
    m = np.asarray(moments, dtype=float)
    m = m[np.isfinite(m)]
    cells = (np.mod(m, WEEK) // g).astype(np.int64)
    return np.bincount(np.clip(cells, 0, n - 1), minlength=n)


def discover_calendar(moments: np.ndarray, *, granularity_minutes: int = 60,
                      min_share: float = 0.1, min_events: int = 2) -> Calendar | None:
    """The weekly calendar of the cells where ``moments`` (week seconds) concentrate.

    None when no cell qualifies (too little data).
    """
    counts = cell_counts(moments, granularity_minutes)
    nonzero = counts[counts > 0]
    if nonzero.size == 0:
        return None
    threshold = max(min_share * float(nonzero.mean()), float(min_events))
    keep = np.flatnonzero(counts >= threshold)
    if keep.size == 0:
        return None
    g = granularity_minutes * 60
    return Calendar(tuple((int(c) * g, int(c + 1) * g) for c in keep))
