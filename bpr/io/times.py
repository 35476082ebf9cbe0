"""Timestamps: parse columns to UTC fast, and find a log's dominant UTC offset.

Strings are parsed by Arrow's ISO 8601 cast (about 10x faster than pandas) when the whole column
is ISO 8601 with offsets, or all naive; anything else (mixed naive and offset values, other
formats) falls back to pandas: ISO 8601 first, then the format guessed from the first failing
value, then per-value parsing. Naive timestamps are taken as UTC. A value that still does not
parse raises a one-line :class:`LogError` showing it and its row.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bpr.errors import LogError

UTC_NS = pa.timestamp("ns", tz="UTC")
_OFFSET_RE = (r"\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?P<off>Z|z|[+-]\d\d(?::?\d\d)?)$")
SAMPLE = 100_000


def tzinfo_of(tz: str) -> dt.tzinfo:
    """The ``datetime.timezone`` for ``"UTC"`` or ``"+HH:MM"``."""
    if tz in ("UTC", "Z"):
        return dt.UTC
    sign = -1 if tz[0] == "-" else 1
    hours, minutes = int(tz[1:3]), int(tz[4:6] or 0)
    return dt.timezone(sign * dt.timedelta(hours=hours, minutes=minutes))


def format_offset(seconds: float) -> str:
    """``"UTC"`` for 0, else ``"+HH:MM"`` / ``"-HH:MM"`` for an offset in seconds."""
    seconds = int(round(seconds))
    if seconds == 0:
        return "UTC"
    sign = "-" if seconds < 0 else "+"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _offset_seconds(text: str | None) -> int:
    if not text or text in ("Z", "z"):
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4]) if len(digits) >= 4 else 0
    return sign * (hours * 3600 + minutes * 60)


def _sample(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    n = len(arr)
    if n <= SAMPLE:
        return arr
    return arr.take(pa.array(np.linspace(0, n - 1, SAMPLE).astype(np.int64)))


def offsets_of_strings(arr: pa.ChunkedArray | pa.Array) -> Counter[int]:
    """Counts of UTC offsets (seconds) written in a sample of timestamp strings (naive = 0)."""
    sample = _sample(arr).drop_null()
    if isinstance(sample, pa.ChunkedArray):
        sample = sample.combine_chunks()
    if len(sample) == 0:
        return Counter()
    found = pc.extract_regex(sample, _OFFSET_RE).field("off")
    counts = pc.value_counts(found)
    out: Counter[int] = Counter()
    for item in counts.to_pylist():
        out[_offset_seconds(item["values"])] += item["counts"]
    return out


def offsets_of_datetimes(series: pd.Series) -> Counter[int]:
    """Counts of UTC offsets (seconds) of a sample of tz-aware pandas timestamps."""
    s = series.dropna()
    if len(s) > SAMPLE:
        s = s.iloc[np.linspace(0, len(s) - 1, SAMPLE).astype(np.int64)]
    if s.dt.tz is None:
        return Counter({0: len(s)})
    wall = s.dt.tz_localize(None)
    utc = s.dt.tz_convert("UTC").dt.tz_localize(None)
    secs = ((wall - utc).dt.total_seconds()).astype(int)
    return Counter(secs.value_counts().to_dict())


def dominant_offset(counts: Counter[int]) -> str:
    """The most common offset as ``"+HH:MM"``, or ``"UTC"`` (also when nothing is known)."""
    if not counts:
        return "UTC"
    return format_offset(counts.most_common(1)[0][0])


def _count(n: int) -> str:
    return "the only such value" if n == 1 else f"{n:,} such values"


def _fail(values: pd.Series, parsed: pd.Series, column: str, shown: str,
          row_label: Callable[[int], str]) -> None:
    bad = values.notna() & parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LogError(f"column {column!r}, {row_label(i)}: cannot read timestamp"
                       f" {str(values.iloc[i])[:60]!r} ({_count(int(bad.sum()))}); fix:"
                       " write timestamps as ISO 8601 (e.g. 2023-02-09T08:00:00+01:00) or map"
                       " another column", path=shown)


def _parse_with_pandas(values: pd.Series, column: str, shown: str,
                       row_label: Callable[[int], str], notes: list[str] | None) -> pd.Series:
    values = values.astype(object).where(values.notna(), None)
    stripped = values.map(lambda v: v.strip() if isinstance(v, str) else v)
    stripped = stripped.where(stripped != "", None)
    parsed = pd.to_datetime(stripped, utc=True, format="ISO8601", errors="coerce")
    todo = stripped.notna() & parsed.isna()
    if todo.any():
        from pandas.tseries.api import guess_datetime_format

        first = str(stripped[todo].iloc[0])
        fmt = guess_datetime_format(first)
        if fmt is not None:
            if notes is not None:
                notes.append(f"Column {column!r} is not ISO 8601; read it as {fmt!r} (guessed"
                             f" from {first!r}): check the day/month order")
            again = pd.to_datetime(stripped[todo], utc=True, format=fmt, errors="coerce")
            parsed[todo] = again
            todo = stripped.notna() & parsed.isna()
    if todo.any():
        if notes is not None:
            notes.append(f"Column {column!r} mixes timestamp formats; {int(todo.sum()):,}"
                         " values were parsed one by one: check the day/month order")
        again = pd.to_datetime(stripped[todo], utc=True, format="mixed", errors="coerce")
        parsed[todo] = again
    _fail(stripped, parsed, column, shown, row_label)
    return parsed.astype("datetime64[ns, UTC]")


def to_utc(col: pa.ChunkedArray | pd.Series, column: str, shown: str,
           row_label: Callable[[int], str], notes: list[str] | None = None) -> pd.Series:
    """Parse one column to ``datetime64[ns, UTC]`` (missing values stay ``NaT``).

    Guesses about non-ISO formats are appended to ``notes`` (one line each).
    """
    if isinstance(col, pd.Series):
        if isinstance(col.dtype, pd.DatetimeTZDtype):
            return col.dt.tz_convert("UTC").astype("datetime64[ns, UTC]").reset_index(drop=True)
        if pd.api.types.is_datetime64_dtype(col.dtype):
            return col.dt.tz_localize("UTC").astype("datetime64[ns, UTC]").reset_index(drop=True)
        if pd.api.types.is_numeric_dtype(col.dtype) and col.notna().any():
            raise LogError(f"column {column!r} holds numbers, not timestamps; fix: map the"
                           " timestamp column (e.g. --end) or convert it to ISO 8601",
                           path=shown)
        text = col.reset_index(drop=True)
        text = text.where(text.isna(), text.astype(str))
        col = pa.chunked_array([pa.array(text, type=pa.string(), from_pandas=True)])
    typ = col.type
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        try:
            if pa.types.is_date(typ) or typ.tz is None:
                col = pc.assume_timezone(pc.cast(col, pa.timestamp("ns")), "UTC")
            return pc.cast(col, UTC_NS).to_pandas().reset_index(drop=True)
        except pa.ArrowInvalid as err:
            raise LogError(f"column {column!r}: timestamps out of range ({err}); fix: check"
                           " the dates", path=shown) from None
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        raise LogError(f"column {column!r} holds numbers, not timestamps; fix: map the"
                       " timestamp column (e.g. --end) or convert it to ISO 8601", path=shown)
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
        col = pc.cast(col, pa.string())
    col = pc.utf8_trim_whitespace(col.combine_chunks() if isinstance(col, pa.ChunkedArray)
                                  else col)
    fast = _cast(col)
    if fast is not None:
        return fast
    has_offset = pc.match_substring_regex(col, _OFFSET_RE)
    n_offset = pc.sum(has_offset).as_py() or 0
    if n_offset in (0, len(col) - col.null_count):
        return _parse_with_pandas(col.to_pandas(), column, shown, row_label, notes)
    # Some values carry an offset and some do not: parse the two groups apart (pandas would
    # read a naive value that follows an aware one in the earlier value's offset).
    aware = has_offset.fill_null(False).to_numpy(zero_copy_only=False)
    result = np.full(len(col), np.datetime64("NaT"), dtype="datetime64[ns]")
    for mask in (aware, ~aware):
        rows = np.flatnonzero(mask)
        part = _parse_uniform(col.filter(pa.array(mask)), column, shown,
                              lambda i, rows=rows: row_label(int(rows[i])), notes)
        result[rows] = part.dt.tz_localize(None).to_numpy()
    return pd.Series(result).dt.tz_localize("UTC")


def _cast(col: pa.Array) -> pd.Series | None:
    """Arrow's ISO 8601 cast, if every value has an offset or none has; else ``None``."""
    for target in (UTC_NS, pa.timestamp("ns")):
        try:
            parsed = pc.cast(col, target)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        if target.tz is None:
            parsed = pc.assume_timezone(parsed, "UTC")
        return parsed.to_pandas().astype("datetime64[ns, UTC]").reset_index(drop=True)
    return None


def _parse_uniform(col: pa.Array, column: str, shown: str, row_label: Callable[[int], str],
                   notes: list[str] | None) -> pd.Series:
    """Parse strings that all carry an offset, or all do not (fast Arrow cast when ISO)."""
    fast = _cast(col)
    if fast is not None:
        return fast
    return _parse_with_pandas(col.to_pandas(), column, shown, row_label, notes)


def iso_text(series: pd.Series, tz: str) -> pa.Array:
    """ISO 8601 text (``2024-01-02T09:00:00.250+02:00``) of UTC timestamps shown in offset ``tz``.

    Vectorised with Arrow; fractions are written only as finely as the data needs (seconds,
    milliseconds, microseconds or nanoseconds). ``NaT`` becomes null.
    """
    wall = series.dt.tz_convert(tzinfo_of(tz)).dt.tz_localize(None)
    arr = pa.array(wall, type=pa.timestamp("ns"))
    for unit in ("s", "ms", "us", "ns"):
        coarse = pc.cast(arr, pa.timestamp(unit), safe=False)
        if unit == "ns" or pc.all(pc.equal(pc.cast(coarse, pa.timestamp("ns")), arr)).as_py() \
                in (True, None):
            break
    text = pc.utf8_replace_slice(pc.cast(coarse, pa.string()), 10, 11, "T")
    suffix = "+00:00" if tz == "UTC" else tz
    return pc.binary_join_element_wise(text, pa.scalar(suffix), "")
