"""Weekly working calendars and working-time arithmetic.

A :class:`Calendar` is a set of weekly open intervals in *seconds of the week*, where 0 is Monday
00:00 and 604800 is the next Monday 00:00, in the model's local wall-clock time.

Simulation and mining share one rule for work that runs past the end of a shift: **it pauses and
resumes** at the next open moment. So an activity duration is *working time*: ``work_end(t, d)``
is when ``d`` seconds of work started at ``t`` are done.

In files a calendar is written per weekday with comma-separated ``HH:MM-HH:MM`` ranges; a key may
name a range of days (``mon-fri``) or ``all``; ``24:00`` ends a day; a range that ends before it
starts is an overnight shift (``mon-fri: 22:00-06:00`` runs into the next morning)::

    office:
      mon-fri: 08:00-12:00, 13:00-17:00
      sat: 09:00-12:00
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bpr.errors import ModelError

WEEK = 7 * 86400
DAY = 86400
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")
_ZONE_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,3}$")
MAX_OFFSET_MINUTES = 14 * 60  # the widest UTC offset in use (Line Islands, +14:00)


def check_timezone(value: Any, what: str = "timezone") -> str:
    """``value`` if it names a time zone: ``UTC`` (``Z``, ``GMT``), an offset such as
    ``+02:00``/``-0530``/``UTC+2`` within ±14:00, or an IANA name known to :mod:`zoneinfo`
    (``Europe/Amsterdam``); otherwise a :class:`ModelError` (prefixed ``what:``)."""
    prefix = f"{what}: " if what else ""
    if not isinstance(value, str):
        raise ModelError(f"{prefix}expected a time zone name such as 'Europe/Amsterdam' or an "
                         f"offset such as '+02:00', got {type(value).__name__}")
    text = value.strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return value
    m = _OFFSET_RE.match(text)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        if int(m.group(3) or 0) > 59 or minutes > MAX_OFFSET_MINUTES:
            raise ModelError(f"{prefix}{text!r} is not a UTC offset; offsets lie within ±14:00 "
                             f"(e.g. '+02:00', '-05:30')")
        return value
    if len(text) <= 64 and _ZONE_NAME_RE.match(text):
        try:
            from zoneinfo import ZoneInfo

            ZoneInfo(text)
            return value
        except (OSError, ValueError, KeyError):
            pass
    shown = repr(text) if len(text) <= 60 else repr(text[:57]) + "..."
    raise ModelError(f"{prefix}{shown} is not a known time zone; use an IANA name such as "
                     f"'Europe/Amsterdam', 'UTC', or an offset within ±14:00 such as '+02:00'")


def _parse_clock(text: str, where: str) -> int:
    m = _TIME_RE.match(text.strip())
    if not m:
        raise ModelError(f"{where}: {text.strip()!r} is not a time of day; write HH:MM")
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if mi > 59 or s > 59 or h > 24 or (h == 24 and (mi or s)):
        raise ModelError(f"{where}: {text.strip()!r} is not a time of day (00:00 to 24:00)")
    return h * 3600 + mi * 60 + s


def _format_clock(sec: int) -> str:
    h, rem = divmod(int(sec), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _day_keys(key: str, where: str) -> list[int]:
    k = key.strip().lower()
    if k in ("all", "every day", "daily"):
        return list(range(7))
    if k in ("weekdays",):
        return list(range(5))
    if "-" in k:
        a, b = (x.strip()[:3] for x in k.split("-", 1))
        if a in DAYS and b in DAYS and DAYS.index(a) <= DAYS.index(b):
            return list(range(DAYS.index(a), DAYS.index(b) + 1))
    elif k[:3] in DAYS:
        return [DAYS.index(k[:3])]
    raise ModelError(f"{where}: {key!r} is not a day; use mon..sun, a range such as mon-fri, "
                     f"or all")


def _week_second(x: Any) -> bool:
    """A number of seconds within a week (no NaN, no 400-digit integer)."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return False
    return 0 <= x <= WEEK  # False for NaN; exact for huge integers


def _merge(intervals: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    out: list[list[int]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)


@dataclass(frozen=True)
class Calendar:
    """Weekly open intervals ``((start, end), ...)`` in seconds of the week, sorted and merged."""

    intervals: tuple[tuple[int, int], ...]
    _starts: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for pair in self.intervals:
            if len(pair) != 2 or not all(_week_second(x) for x in pair):
                raise ModelError(f"calendar interval {tuple(pair)!r} is not a pair of seconds "
                                 f"of the week (0 to {WEEK})")
        merged = _merge((int(a), int(b)) for a, b in self.intervals)
        for a, b in merged:
            if a < 0 or b > WEEK:
                raise ModelError(f"calendar interval ({a}, {b}) is outside the week")
        object.__setattr__(self, "intervals", merged)
        object.__setattr__(self, "_starts", tuple(a for a, _ in merged))

    @classmethod
    def always(cls) -> Calendar:
        """Open 24 hours a day, 7 days a week."""
        return cls(((0, WEEK),))

    @property
    def is_always(self) -> bool:
        return self.intervals == ((0, WEEK),)

    @property
    def open_seconds_per_week(self) -> int:
        """Working seconds in one week."""
        return sum(b - a for a, b in self.intervals)

    # -- arithmetic on absolute times (seconds since a Monday 00:00) ----------------------------
    def is_open(self, t: float) -> bool:
        w = t % WEEK
        i = bisect.bisect_right(self._starts, w) - 1
        return i >= 0 and w < self.intervals[i][1]

    def next_open(self, t: float) -> float:
        """The first open moment at or after ``t`` (``t`` itself if open now)."""
        if not self.intervals:
            raise ModelError("calendar has no working hours")
        base = math.floor(t / WEEK) * WEEK
        w = t - base
        i = bisect.bisect_right(self._starts, w) - 1
        if i >= 0 and w < self.intervals[i][1]:
            return t
        if i + 1 < len(self.intervals):
            return base + self.intervals[i + 1][0]
        return base + WEEK + self.intervals[0][0]

    def open_until(self, t: float) -> float:
        """For an open moment ``t``, when the current open interval ends."""
        base = math.floor(t / WEEK) * WEEK
        w = t - base
        i = bisect.bisect_right(self._starts, w) - 1
        end = base + self.intervals[i][1]
        # an interval ending at the week's end continues into a next-week interval at 0
        if self.intervals[i][1] == WEEK and self.intervals[0][0] == 0:
            end += self.intervals[0][1]
            if self.is_always:
                return math.inf
        return end

    def work_end(self, t: float, work: float) -> float:
        """When ``work`` seconds of working time, started (or queued) at ``t``, are done.

        Work pauses outside the open intervals and resumes at the next open moment.
        """
        if self.is_always:
            return t + work
        t = self.next_open(t)
        left = work
        weekly = self.open_seconds_per_week
        if left > weekly:
            weeks = math.floor(left / weekly)
            if left - weeks * weekly == 0:
                weeks -= 1
            t += weeks * WEEK
            left -= weeks * weekly
        while True:
            end = self.open_until(t)
            if t + left <= end:
                return t + left
            left -= end - t
            t = self.next_open(end)

    def working_seconds(self, a: float, b: float) -> float:
        """Open seconds between absolute times ``a`` and ``b`` (0 if ``b <= a``)."""
        if b <= a:
            return 0.0
        if self.is_always:
            return b - a
        weekly = self.open_seconds_per_week
        full_weeks = math.floor((b - a) / WEEK)
        total = full_weeks * weekly
        a2 = a + full_weeks * WEEK
        return total + self._open_in_week_span(a2, b)

    def _open_in_week_span(self, a: float, b: float) -> float:
        total = 0.0
        base = math.floor(a / WEEK) * WEEK
        while base < b:
            for s, e in self.intervals:
                lo = max(a, base + s)
                hi = min(b, base + e)
                if hi > lo:
                    total += hi - lo
            base += WEEK
        return total

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, str]:
        """``{"mon": "08:00-12:00, 13:00-17:00", ...}``; equal weekdays grouped (``mon-fri``)."""
        per_day: list[list[str]] = [[] for _ in range(7)]
        for a, b in self.intervals:
            while a < b:
                d = a // DAY
                day_end = (d + 1) * DAY
                seg_end = min(b, day_end)
                lo, hi = _format_clock(a - d * DAY), _format_clock(seg_end - d * DAY)
                per_day[d].append(f"{lo}-{hi}")
                a = seg_end
        texts = [", ".join(x) for x in per_day]
        out: dict[str, str] = {}
        d = 0
        while d < 7:
            if not texts[d]:
                d += 1
                continue
            e = d
            while e + 1 < 7 and texts[e + 1] == texts[d]:
                e += 1
            key = "all" if (d, e) == (0, 6) else (DAYS[d] if d == e else f"{DAYS[d]}-{DAYS[e]}")
            out[key] = texts[d]
            d = e + 1
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "calendar") -> Calendar:
        """Parse ``{mon-fri: "08:00-17:00", ...}`` or the word ``always`` (24/7)."""
        if isinstance(data, str) and data.strip().lower() in ("always", "24/7"):
            return cls.always()
        if not isinstance(data, Mapping):
            raise ModelError(f"{where}: expected a mapping of days to hours, e.g. "
                             f"{{mon-fri: '08:00-17:00'}}, or 'always'")
        intervals: list[tuple[int, int]] = []
        for key, value in data.items():
            days = _day_keys(str(key), where)
            ranges = value if isinstance(value, list) else str(value).split(",")
            for r in ranges:
                r = str(r).strip()
                if not r:
                    continue
                if "-" not in r:
                    raise ModelError(f"{where}.{key}: {r!r} is not a range; write HH:MM-HH:MM")
                a_txt, b_txt = r.split("-", 1)
                a = _parse_clock(a_txt, f"{where}.{key}")
                b = _parse_clock(b_txt, f"{where}.{key}")
                if b == a:
                    raise ModelError(f"{where}.{key}: range {r!r} is empty; write e.g. "
                                     f"08:00-17:00")
                for d in days:
                    if b > a:
                        intervals.append((d * DAY + a, d * DAY + b))
                    else:  # an overnight shift: runs into the next day (Sunday into Monday)
                        intervals.append((d * DAY + a, (d + 1) * DAY))
                        nxt = (d + 1) % 7
                        intervals.append((nxt * DAY, nxt * DAY + b))
        cal = cls(tuple(intervals))
        if not cal.intervals:
            raise ModelError(f"{where}: no working hours; give at least one range such as "
                             f"mon-fri: 08:00-17:00")
        return cal
