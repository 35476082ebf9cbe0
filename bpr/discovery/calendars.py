"""Weekly calendars from when things actually happen, and vectorised working-time arithmetic.

Time axis: mining works on *week seconds* — float seconds since Monday 1970-01-05 00:00 in the
model's local wall-clock time (the log's timezone), so ``t % WEEK`` is the second of the week a
:class:`~bpr.model.Calendar` uses. Any Monday-based origin gives the same calendar arithmetic.

Discovery (:func:`discover_calendar`): every observed moment (a start or an end of work, a case
arrival) falls in a weekday x time-of-day cell (``granularity`` minutes, default an hour). A
cell's *exposure* is how many times the log watched it: the number of occurrences of that cell
inside the observation ``window`` (the log's first to last moment; partial occurrences count
their share). Its *rate* is its count divided by its exposure. A cell is open when its rate is at
least ``min_share`` of the mean rate of non-empty cells and it holds at least ``min_events``
moments. A cell the log never watched (exposure 0, e.g. Tuesday in a log that covers one
Monday) is **open** when ``unobserved_open`` (no evidence of a closure; a log of one morning
must not close the afternoon), closed otherwise. Without a window every cell counts as watched
once (the plain count rule). Finally, runs of at most ``fill_gap_cells`` closed cells between
two open cells of the same day are opened (a quiet hour inside a shift is not a break). With
``trim_edges``, a cell where a shift starts or ends is opened only from/until where its moments
fall (their 2% / 98% quantile within the cell, rounded outwards to 15 minutes): a shift ending
at 15:30 closes at 15:30 rather than 16:00. The open cells, merged, are the calendar. All cells
open: 24/7.

:func:`cumulative_open` is the calendar's open time elapsed since the origin, so the working
time between ``a`` and ``b`` is ``C(b) - C(a)`` — the same as
:meth:`Calendar.working_seconds`, for whole arrays at once.
"""

from __future__ import annotations

import datetime as _dt
import math
import re

import numpy as np
import pandas as pd

from bpr.model.calendar import DAY, WEEK, Calendar

_ORIGIN = pd.Timestamp("1970-01-05")  # a Monday
TRIM_TAIL = 0.02  # share of an edge cell's moments allowed outside its trimmed part
TRIM_STEP = 900.0  # trimmed edges are rounded outwards to 15 minutes (seconds)
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


def cell_exposure(first: float, last: float, granularity_minutes: int = 60) -> np.ndarray:
    """How many times each weekly cell occurs inside ``[first, last]`` (week seconds).

    Partial occurrences count their share: a window of 90 minutes from Monday 09:00 exposes the
    09:00 cell once and the 10:00 cell 0.5 times (hour cells).
    """
    g = float(granularity_minutes * 60)
    n = WEEK // int(g)
    offsets = np.arange(n, dtype=float) * g

    def covered(t: float) -> np.ndarray:  # seconds of each cell's occurrences up to t
        weeks = np.floor(t / WEEK)
        return weeks * g + np.clip(t - weeks * WEEK - offsets, 0.0, g)

    if not (np.isfinite(first) and np.isfinite(last)) or last <= first:
        return np.zeros(n)
    return (covered(last) - covered(first)) / g


def _fill_gaps(open_: np.ndarray, cells_per_day: int, max_gap: int) -> np.ndarray:
    """Open runs of at most ``max_gap`` closed cells between open cells of the same day."""
    if max_gap <= 0:
        return open_
    out = open_.copy()
    for day in range(open_.size // cells_per_day):
        row = out[day * cells_per_day:(day + 1) * cells_per_day]
        idx = np.flatnonzero(row)
        for a, b in zip(idx[:-1], idx[1:], strict=True):
            if 1 < b - a <= max_gap + 1:
                row[a + 1:b] = True
    return out


def discover_calendar(moments: np.ndarray, *, granularity_minutes: int = 60,
                      min_share: float = 0.1, min_events: int = 2,
                      window: tuple[float, float] | None = None,
                      unobserved_open: bool = True, fill_gap_cells: int = 0,
                      trim_edges: bool = False) -> Calendar | None:
    """The weekly calendar of the cells where ``moments`` (week seconds) concentrate.

    ``window``: the (first, last) week seconds the log watched (see the module doc); None: every
    cell watched once. None when no cell qualifies (too little data).
    """
    counts = cell_counts(moments, granularity_minutes)
    if counts.sum() == 0:
        return None
    n = counts.size
    if window is None:
        exposure = np.ones(n)
    else:
        exposure = cell_exposure(window[0], window[1], granularity_minutes)
    watched = exposure > 0
    rate = np.where(watched, counts / np.where(watched, exposure, 1.0), 0.0)
    busy = rate[(counts > 0) & watched]
    mean_rate = float(busy.mean()) if busy.size else 0.0
    open_ = watched & (counts >= min_events) & (rate >= min_share * mean_rate)
    if unobserved_open:
        open_ |= ~watched
    if not open_.any():
        return None
    g = granularity_minutes * 60
    per_day = DAY // g if DAY % g == 0 else 0
    if per_day:
        open_ = _fill_gaps(open_, per_day, fill_gap_cells)
    keep = np.flatnonzero(open_)
    lo = keep.astype(float) * g
    hi = lo + g
    if trim_edges:
        lo, hi = _trim_edges(moments, keep, lo, hi, open_, watched, g)
    return Calendar(tuple((int(a), int(b)) for a, b in zip(lo, hi, strict=True) if b > a))


def _trim_edges(moments: np.ndarray, keep: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                open_: np.ndarray, watched: np.ndarray,
                g: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut the edge cells of each shift to where their moments fall (see the module doc).

    In a cell where a shift ends (next cell closed) the calendar closes at the ``1 - TRIM_TAIL``
    quantile of the moments' offsets within the cell, rounded up to ``TRIM_STEP``; in a cell
    where a shift starts it opens at their ``TRIM_TAIL`` quantile, rounded down.
    """
    n = open_.size
    m = np.mod(np.asarray(moments, dtype=float), WEEK)
    m = m[np.isfinite(m)]
    cell = np.clip((m // g).astype(np.int64), 0, n - 1)
    offset = m - cell * g
    left, right = open_[(keep - 1) % n], open_[(keep + 1) % n]
    lo, hi = lo.copy(), hi.copy()
    for k in np.flatnonzero(watched[keep] & (left != right)):
        x = offset[cell == keep[k]]
        if x.size == 0:
            continue
        if left[k]:  # the shift ends in this cell
            end = math.ceil(float(np.quantile(x, 1.0 - TRIM_TAIL)) / TRIM_STEP) * TRIM_STEP
            hi[k] = lo[k] + min(max(end, TRIM_STEP), g)
        else:  # the shift starts in this cell
            start = math.floor(float(np.quantile(x, TRIM_TAIL)) / TRIM_STEP) * TRIM_STEP
            lo[k] = lo[k] + min(start, g - TRIM_STEP)
    return lo, hi
