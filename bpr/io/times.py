"""Timestamps: parse columns to UTC fast, and find a log's dominant UTC offset.

Strings are parsed by Arrow's ISO 8601 cast (about 10x faster than pandas) when the whole column
is ISO 8601 with offsets, or all naive; anything else (mixed naive and offset values, other
formats) falls back to pandas: ISO 8601 first, then the format guessed from the first failing
value, then per-value parsing. Dates such as ``05.03.2024`` are read day-first or month-first as
the data says (:func:`date_order`: a value above 12 in the first field means day-first), or as
:class:`DateOptions` (``--date-format``, ``--dayfirst``/``--monthfirst``) says. Naive timestamps
are taken as UTC. A value that still does not parse, or lies outside the range pandas can hold
(:data:`RANGE_TEXT`), raises a one-line :class:`LogError` showing it and its row.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

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


EARLIEST = pd.Timestamp.min.ceil("D").tz_localize("UTC")
LATEST = pd.Timestamp.max.floor("D").tz_localize("UTC")
RANGE_TEXT = f"{EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
MAX_TIME_CHARS = 100  # no timestamp is longer; a longer value is a mapping or export error


@dataclass(frozen=True)
class DateOptions:
    """How to read timestamps written as text.

    ``format``: a ``strptime`` format (``%d.%m.%Y %H:%M``) every value must follow; ``None``:
    ISO 8601, else guessed. ``dayfirst``: ``True`` day-first (31.01.2024), ``False``
    month-first (01/31/2024), ``None``: decided from the data (see :func:`date_order`).
    """

    format: str | None = None
    dayfirst: bool | None = None


_DMY = r"^\s*(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})[./-]\d{2,4}(?:\D|$)"


def date_order(columns: list[pa.Array], names: list[str]) -> tuple[bool | None, str | None]:
    """Day-first or month-first for dates such as ``05.03.2024``, decided from the data.

    A value above 12 in the first field means day-first, in the second month-first. When every
    value has both fields at most 12 the order cannot be told: day-first is taken for ``.`` and
    ``-`` separators (the convention wherever they are used), month-first for ``/``, and a note
    says how to choose. Returns ``(dayfirst or None when no such dates, note or None)``.
    """
    first_big = second_big = False
    example_first = example_second = example = None
    seps: Counter[str] = Counter()
    where = ""
    for col, name in zip(columns, names, strict=True):
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        found = pc.extract_regex(col.drop_null(), _DMY)
        valid = found.is_valid()
        if not pc.any(valid).as_py():
            continue
        found = found.filter(valid)
        a = pc.cast(found.field("a"), pa.int32())
        b = pc.cast(found.field("b"), pa.int32())
        for item in pc.value_counts(found.field("sep")).to_pylist():
            seps[item["values"]] += item["counts"]
        texts = col.drop_null().filter(valid)
        where = where or name
        if example is None:
            example = texts[0].as_py()
        big_a, big_b = pc.greater(a, 12), pc.greater(b, 12)
        if pc.any(big_a).as_py():
            first_big = True
            example_first = example_first or texts.filter(big_a)[0].as_py()
        if pc.any(big_b).as_py():
            second_big = True
            example_second = example_second or texts.filter(big_b)[0].as_py()
    if example is None:
        return None, None
    if first_big and not second_big:
        return True, None
    if second_big and not first_big:
        return False, None
    if first_big and second_big:
        return None, (f"Column {where!r} has dates with a day above 12 in the first field"
                      f" ({example_first!r}) and in the second ({example_second!r}): the"
                      " day/month order is mixed; each value was read on its own; fix: give"
                      " --date-format to read every value one way")
    sep = seps.most_common(1)[0][0] if seps else "."
    dayfirst = sep != "/"
    order, other = ("day-first", "--monthfirst") if dayfirst else ("month-first", "--dayfirst")
    fmt = f"%d{sep}%m{sep}%Y" if dayfirst else f"%m{sep}%d{sep}%Y"
    return dayfirst, (f"Column {where!r} has dates such as {example!r} whose day/month order"
                      f" the data cannot tell (no value above 12 in either field); read them"
                      f" {order} ({fmt}); fix: if that is wrong, give {other} or"
                      f" --date-format")


def _out_of_range(text: str, fmt: str | None, dayfirst: bool | None = None) -> bool:
    """Whether ``text`` is a real date that pandas cannot hold (outside :data:`RANGE_TEXT`)."""
    from dateutil import parser

    text = text.strip()
    for parse in (lambda v: dt.datetime.fromisoformat(v.replace("Z", "+00:00")),
                  lambda v: dt.datetime.strptime(v, fmt) if fmt else None,
                  lambda v: parser.parse(v, dayfirst=bool(dayfirst))):
        try:
            value = parse(text)
        except (ValueError, TypeError, OverflowError, parser.ParserError):
            continue
        if value is None:
            continue
        stamp = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return not (EARLIEST.to_pydatetime() <= stamp <= LATEST.to_pydatetime())
    return False


def _fail(values: pd.Series, parsed: pd.Series, column: str, shown: str,
          row_label: Callable[[int], str], fmt: str | None = None,
          dayfirst: bool | None = None) -> None:
    bad = values.notna() & parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        value = str(values.iloc[i])
        if _out_of_range(value, fmt, dayfirst):
            raise LogError(f"column {column!r}, {row_label(i)}: timestamp {value[:60]!r} is"
                           f" outside the range bpr supports ({RANGE_TEXT}); fix: correct the"
                           " date or remove the row", path=shown)
        how = (f"write every value as {fmt!r} or leave out --date-format" if fmt else
               "write timestamps as ISO 8601 (e.g. 2023-02-09T08:00:00+01:00), give"
               " --date-format, or map another column")
        raise LogError(f"column {column!r}, {row_label(i)}: cannot read timestamp"
                       f" {value[:60]!r} ({_count(int(bad.sum()))}); fix: {how}", path=shown)


def _parse_with_pandas(values: pd.Series, column: str, shown: str,
                       row_label: Callable[[int], str], notes: list[str] | None,
                       dates: DateOptions) -> pd.Series:
    stripped = values.astype(object).map(lambda v: v.strip() if isinstance(v, str) else None)
    stripped[stripped == ""] = None
    if dates.format is not None:
        parsed = pd.to_datetime(stripped, utc=True, format=dates.format, errors="coerce")
        _fail(stripped, parsed, column, shown, row_label, dates.format)
        return parsed.astype("datetime64[ns, UTC]")
    parsed = pd.to_datetime(stripped, utc=True, format="ISO8601", errors="coerce")
    todo = stripped.notna() & parsed.isna()
    fmt = None
    if todo.any():
        from pandas.tseries.api import guess_datetime_format  # type: ignore[attr-defined]

        first = str(stripped[todo].iloc[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pandas' day-first advice
            fmt = guess_datetime_format(first, dayfirst=bool(dates.dayfirst))
        if fmt is not None:
            if notes is not None:
                order = "" if dates.dayfirst is None else (
                    " day-first" if dates.dayfirst else " month-first")
                notes.append(f"Column {column!r} is not ISO 8601; read it{order} as {fmt!r}"
                             f" (guessed from {first!r}); fix: give --date-format if that is"
                             " wrong")
            again = pd.to_datetime(stripped[todo], utc=True, format=fmt, errors="coerce")
            parsed[todo] = again
            todo = stripped.notna() & parsed.isna()
    if todo.any():
        if notes is not None:
            n = int(todo.sum())
            notes.append(f"Column {column!r} mixes timestamp formats; {n:,}"
                         f" {'value was' if n == 1 else 'values were'} parsed one by one:"
                         " check the day/month order")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pandas' "could not infer" notice
            again = pd.to_datetime(stripped[todo], utc=True, format="mixed", errors="coerce",
                                   dayfirst=bool(dates.dayfirst))
        parsed[todo] = again
    _fail(stripped, parsed, column, shown, row_label, fmt, dates.dayfirst)
    return parsed.astype("datetime64[ns, UTC]")


def _type_name(typ: pa.DataType) -> str:
    for test, name in ((pa.types.is_struct, "struct"), (pa.types.is_list, "list"),
                       (pa.types.is_large_list, "list"), (pa.types.is_map, "map"),
                       (pa.types.is_binary, "binary"), (pa.types.is_large_binary, "binary"),
                       (pa.types.is_boolean, "true/false"), (pa.types.is_duration, "duration"),
                       (pa.types.is_time, "time-of-day")):
        if test(typ):
            return name
    return str(typ)


def _native_range(col: pa.ChunkedArray | pa.Array | pd.Series, column: str, shown: str,
                  row_label: Callable[[int], str]) -> None:
    """Raise naming the first typed timestamp outside the supported range (if any)."""
    if isinstance(col, pd.Series):
        arr = pa.array(col, from_pandas=True)
    else:
        arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_date(arr.type):
        arr = pc.cast(arr, pa.timestamp("s"))
    unit = arr.type.unit
    raw = pc.cast(arr.cast(pa.timestamp(unit)), pa.int64()).to_numpy(zero_copy_only=False)
    scale = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
    low, high = EARLIEST.value // scale, LATEST.value // scale
    outside = np.flatnonzero(~np.isnan(raw.astype(float)) & ((raw < low) | (raw > high)))
    if len(outside):
        i = int(outside[0])
        raise LogError(f"column {column!r}, {row_label(i)}: timestamp {arr[i].as_py()} is"
                       f" outside the range bpr supports ({RANGE_TEXT}); fix: correct the"
                       " date or remove the row", path=shown)


def _text_array(col: pa.ChunkedArray | pa.Array, column: str, shown: str,
                row_label: Callable[[int], str]) -> pa.Array:
    """The column as trimmed text, refusing values that cannot be timestamps."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        try:
            arr = pc.cast(arr, pa.string())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise LogError(f"column {column!r} holds {_type_name(arr.type)} values, not"
                           " timestamps; fix: map the timestamp column (e.g. --end) or convert"
                           " it to ISO 8601 text", path=shown) from None
    arr = pc.utf8_trim_whitespace(arr)
    if len(arr) and (pc.max(pc.utf8_length(arr)).as_py() or 0) > MAX_TIME_CHARS:
        i = int(pc.index(pc.greater(pc.utf8_length(arr), MAX_TIME_CHARS), True).as_py())
        raise LogError(f"column {column!r}, {row_label(i)}: a value of"
                       f" {len(arr[i].as_py()):,} characters is not a timestamp (at most"
                       f" {MAX_TIME_CHARS}); fix: correct the row or map another column",
                       path=shown)
    return arr


def to_utc(col: pa.ChunkedArray | pd.Series, column: str, shown: str,
           row_label: Callable[[int], str], notes: list[str] | None = None,
           dates: DateOptions | None = None) -> pd.Series:
    """Parse one column to ``datetime64[ns, UTC]`` (missing values stay ``NaT``).

    Guesses about non-ISO formats are appended to ``notes`` (one line each). Values outside
    :data:`RANGE_TEXT`, numbers, or other types are a :class:`LogError` naming the row.
    """
    dates = dates or DateOptions()
    if isinstance(col, pd.Series):
        col = col.reset_index(drop=True)
        if isinstance(col.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(
                col.dtype):
            _native_range(col, column, shown, row_label)
            if not isinstance(col.dtype, pd.DatetimeTZDtype):
                col = col.dt.tz_localize("UTC")
            return col.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
        if pd.api.types.is_numeric_dtype(col.dtype) and col.notna().any():
            raise LogError(f"column {column!r} holds numbers, not timestamps; fix: map the"
                           " timestamp column (e.g. --end) or convert it to ISO 8601",
                           path=shown)
        try:
            col = pa.chunked_array([pa.array(col, from_pandas=True)])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            text = col.where(col.isna(), col.astype(str))
            col = pa.chunked_array([pa.array(text, type=pa.string(), from_pandas=True)])
    typ = col.type
    if pa.types.is_timestamp(typ) or pa.types.is_date(typ):
        _native_range(col, column, shown, row_label)
        if pa.types.is_date(typ) or typ.tz is None:
            col = pc.assume_timezone(pc.cast(col, pa.timestamp("ns")), "UTC")
        return pc.cast(col, UTC_NS).to_pandas().reset_index(drop=True)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ):
        raise LogError(f"column {column!r} holds numbers, not timestamps; fix: map the"
                       " timestamp column (e.g. --end) or convert it to ISO 8601", path=shown)
    col = _text_array(col, column, shown, row_label)
    if dates.format is not None:
        return _parse_with_pandas(col.to_pandas(), column, shown, row_label, notes, dates)
    fast = _cast(col)
    if fast is not None:
        return fast
    has_offset = pc.match_substring_regex(col, _OFFSET_RE)
    n_offset = pc.sum(has_offset).as_py() or 0
    if n_offset in (0, len(col) - col.null_count):
        return _parse_with_pandas(col.to_pandas(), column, shown, row_label, notes, dates)
    # Some values carry an offset and some do not: parse the two groups apart (pandas would
    # read a naive value that follows an aware one in the earlier value's offset).
    aware = has_offset.fill_null(False).to_numpy(zero_copy_only=False)
    result = np.full(len(col), np.datetime64("NaT"), dtype="datetime64[ns]")
    for mask in (aware, ~aware):
        rows = np.flatnonzero(mask)
        part = _parse_uniform(col.filter(pa.array(mask)), column, shown,
                              _relabel(row_label, rows), notes, dates)
        result[rows] = part.dt.tz_localize(None).to_numpy()
    return pd.Series(result).dt.tz_localize("UTC")


def _relabel(row_label: Callable[[int], str], rows: np.ndarray) -> Callable[[int], str]:
    """The label of row ``rows[i]`` for position ``i`` of a filtered column."""
    def label(i: int) -> str:
        return row_label(int(rows[i]))
    return label


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
                   notes: list[str] | None, dates: DateOptions) -> pd.Series:
    """Parse strings that all carry an offset, or all do not (fast Arrow cast when ISO)."""
    fast = _cast(col)
    if fast is not None:
        return fast
    return _parse_with_pandas(col.to_pandas(), column, shown, row_label, notes, dates)


def offset_seconds_of(tz: str) -> int:
    """Seconds east of UTC of ``"UTC"`` or ``"+HH:MM"``."""
    off = tzinfo_of(tz).utcoffset(None)
    return int(off.total_seconds()) if off is not None else 0


def iso_text(values: pd.Series | pa.Array | pa.ChunkedArray, tz: str) -> pa.Array:
    """ISO 8601 text (``2024-01-02T09:00:00.250+02:00``) of UTC timestamps shown in offset ``tz``.

    ``values`` is a tz-aware pandas Series or an Arrow timestamp array. Vectorised with Arrow;
    fractions are written only as finely as the data needs (seconds, milliseconds, microseconds
    or nanoseconds). Missing values become null.
    """
    if isinstance(values, pd.Series):
        series = values if isinstance(values.dtype, pd.DatetimeTZDtype) else \
            values.dt.tz_localize("UTC")
        arr = pa.array(series.dt.tz_convert("UTC"), from_pandas=True)
    else:
        arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    unit = arr.type.unit
    wall = pc.add(arr.cast(pa.timestamp(unit)),
                  pa.scalar(offset_seconds_of(tz) * _PER_SECOND[unit], pa.duration(unit)))
    coarse = wall
    for finer in ("s", "ms", "us", "ns"):
        if _PER_SECOND[finer] >= _PER_SECOND[unit]:
            break
        coarse = pc.cast(wall, pa.timestamp(finer), safe=False)
        if pc.all(pc.equal(pc.cast(coarse, pa.timestamp(unit)), wall)).as_py() in (True, None):
            break
        coarse = wall
    text = pc.utf8_replace_slice(pc.cast(coarse, pa.string()), 10, 11, "T")
    suffix = "+00:00" if tz in ("UTC", "Z") else tz
    return pc.binary_join_element_wise(text, pa.scalar(suffix), "")


_PER_SECOND = {"s": 1, "ms": 1000, "us": 1_000_000, "ns": 1_000_000_000}
