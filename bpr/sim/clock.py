"""The simulation clock: simulation seconds since the start, the start date, and time zones.

The simulation clock counts seconds from ``start`` (0.0). Calendars work in local seconds of the
week from Monday 00:00, so the start's offset within its local week is computed once
(``week_offset``). The model's time zone is a fixed offset (``"+02:00"``), ``"UTC"`` or an IANA
name (``"Europe/Amsterdam"``); an IANA zone's UTC offset is taken at the start date and kept for
the whole run (daylight-saving shifts during a run are ignored: working hours stay on the same
local clock, and log timestamps carry that one offset).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from bpr.errors import SimulationError

DEFAULT_START = "2024-01-01T00:00:00"  # a Monday
_OFFSET_RE = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$")


@dataclass(frozen=True)
class Clock:
    """Where simulation time 0 is: ``start_utc``, the fixed ``offset_seconds`` of local time from
    UTC, and ``week_offset`` (seconds from local Monday 00:00 to the start)."""

    start_utc: datetime
    offset_seconds: int
    week_offset: float

    @property
    def start_local(self) -> datetime:
        """The start as an aware datetime in the run's fixed offset."""
        tz = timezone(timedelta(seconds=self.offset_seconds))
        return self.start_utc.astimezone(tz)

    @property
    def offset_text(self) -> str:
        """``+HH:MM`` (``+00:00`` for UTC)."""
        sign = "-" if self.offset_seconds < 0 else "+"
        h, m = divmod(abs(self.offset_seconds) // 60, 60)
        return f"{sign}{h:02d}:{m:02d}"

    @property
    def start_local_epoch_ms(self) -> int:
        """Milliseconds from 1970-01-01 00:00 to the start *on the local wall clock*."""
        return round((self.start_utc.timestamp() + self.offset_seconds) * 1000)

    @property
    def start_utc_epoch_ms(self) -> int:
        return round(self.start_utc.timestamp() * 1000)


def zone(name: str, at: datetime | None = None) -> timezone:
    """The fixed-offset ``timezone`` of ``name`` (offset, UTC or IANA name) at UTC time ``at``."""
    text = (name or "UTC").strip()
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    m = _OFFSET_RE.match(text)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timezone(sign * timedelta(minutes=minutes))
    try:
        from zoneinfo import ZoneInfo

        zi = ZoneInfo(text)
    except (KeyError, ValueError, ImportError):
        raise SimulationError(f"timezone {text!r} is unknown; use an offset such as '+02:00', "
                              f"'UTC' or an IANA name such as 'Europe/Amsterdam'") from None
    when = at or datetime(2024, 1, 1, tzinfo=UTC)
    off = when.astimezone(zi).utcoffset() or timedelta(0)
    return timezone(off)


def _check_range(dt: datetime, given: object) -> None:
    """Refuse a start that log timestamps cannot hold (before a time-zone shift can overflow)."""
    from bpr.io.times import EARLIEST, LATEST, RANGE_TEXT

    wall = dt.replace(tzinfo=None)
    low = EARLIEST.tz_localize(None).to_pydatetime() + timedelta(days=1)
    high = LATEST.tz_localize(None).to_pydatetime() - timedelta(days=1)
    if not low <= wall <= high:
        raise SimulationError(f"start {str(given)!r} is outside the dates bpr supports"
                              f" ({RANGE_TEXT}); fix: give a start such as 2024-01-01")


def make_clock(start: datetime | str | None, tz_name: str,
               default: str | None = None) -> Clock:
    """The clock of a run starting at ``start`` (naive: local time in ``tz_name``; aware: any
    zone). ``None`` uses ``default`` (e.g. the model's first observed event) or 2024-01-01."""
    if start is None:
        start = default or DEFAULT_START
    if isinstance(start, str):
        text = start.strip()
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z")
                                        else text)
        except ValueError:
            raise SimulationError(f"start {start!r} is not a date; write e.g. 2024-01-01 or "
                                  f"2024-01-01T08:00") from None
    elif isinstance(start, datetime):
        dt = start
    else:
        raise SimulationError(f"start must be a date or datetime, got {start!r}")
    _check_range(dt, start)
    if dt.tzinfo is None:
        tz = zone(tz_name, dt.replace(tzinfo=UTC))
        start_utc = dt.replace(tzinfo=tz).astimezone(UTC)
        # re-evaluate an IANA offset at the actual instant
        tz = zone(tz_name, start_utc)
        start_utc = dt.replace(tzinfo=tz).astimezone(UTC)
    else:
        start_utc = dt.astimezone(UTC)
        tz = zone(tz_name, start_utc)
    offset = int(tz.utcoffset(None).total_seconds())
    local = start_utc + timedelta(seconds=offset)
    week_offset = (local.weekday() * 86400 + local.hour * 3600 + local.minute * 60
                   + local.second + local.microsecond / 1e6)
    return Clock(start_utc=start_utc, offset_seconds=offset, week_offset=week_offset)
