"""Read and write event logs in every registered format (:mod:`bpr.io.formats`).

:func:`read_log` takes a file (CSV, .csv.gz, XES, .xes.gz, Parquet, Excel .xlsx: recognised
from the content, not the name), a pandas DataFrame (pm4py's column names or any the mapping
recognises) or a pm4py EventLog. It finds the columns by their common names (or the user's
overrides, see :mod:`bpr.io.columns`), applies the lifecycle column (:mod:`bpr.io.lifecycle`),
estimates start times for completion-only events, parses timestamps to UTC (:mod:`bpr.io.times`,
day-first dates decided from the data) and returns an :class:`~bpr.io.eventlog.EventLog`.
Problems the user can fix raise a one-line :class:`~bpr.errors.LogError` naming the row; repairs
that change the data (dropped rows, estimated starts) are listed in ``EventLog.warnings``.

:func:`write_log` writes an EventLog in any registered format, chunk by chunk and atomically,
with the columns of :data:`bpr.io.eventlog.WRITE_NAMES` (the same columns as simulated logs).

Limits (each refused with a one-line error): :data:`MAX_ACTIVITIES` distinct activities,
:data:`MAX_TEXT_CHARS` characters in a name, :data:`bpr.io.times.MAX_TIME_CHARS` in a timestamp,
timestamps within :data:`bpr.io.times.RANGE_TEXT`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bpr.errors import LogError
from bpr.io import eventlog as E
from bpr.io.atomic import atomic_path
from bpr.io.columns import XES_FIRST, ColumnMap, map_columns
from bpr.io.eventlog import WRITE_NAMES
from bpr.io.formats import RawLog, by_name, by_suffix
from bpr.io.times import DateOptions

__all__ = ["MAX_ACTIVITIES", "MAX_TEXT_CHARS", "WRITE_NAMES", "LogSource", "read_log",
           "write_log"]

Progress = Callable[[int, int], None]
LogSource = str | os.PathLike[str] | pd.DataFrame | E.EventLog | Any
_STEPS = 5
MAX_ACTIVITIES = 5000
MAX_TEXT_CHARS = 1000
WRITE_CHUNK = 65536


def _fmt_n(n: int) -> str:
    return f"{n:,}"


# ---------------------------------------------------------------- building the EventLog


def _text(col: pa.ChunkedArray | pd.Series, column: str, shown: str,
          row_label: Callable[[int], str]) -> pd.Series:
    """A text column as object dtype with ``NaN`` for missing or blank values."""
    if isinstance(col, pd.Series):
        try:
            col = pa.chunked_array([pa.array(col.reset_index(drop=True), from_pandas=True)])
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            s = col.reset_index(drop=True)
            col = pa.chunked_array([pa.array(s.where(s.isna(), s.astype(str)),
                                             type=pa.string(), from_pandas=True)])
    arr = col.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        if pa.types.is_floating(arr.type):
            # 1.0 -> "1": ids stored as floats (because of missing values) keep their text
            arr = pc.if_else(pc.is_finite(arr), arr, pa.scalar(None, arr.type))
            as_int = pc.cast(arr, pa.int64(), safe=False)
            whole = pc.equal(pc.cast(as_int, arr.type), arr)
            arr = pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(arr, pa.string()))
        else:
            try:
                arr = pc.cast(arr, pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                from bpr.io.times import _type_name

                what = ("bytes that are not UTF-8 text" if pa.types.is_binary(arr.type)
                        else f"{_type_name(arr.type)} values")
                raise LogError(f"column {column!r} holds {what}, not names; fix: map another"
                               " column or convert it to text", path=shown) from None
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
    if len(arr) and (pc.max(pc.utf8_length(arr)).as_py() or 0) > MAX_TEXT_CHARS:
        i = int(pc.index(pc.greater(pc.utf8_length(arr), MAX_TEXT_CHARS), True).as_py())
        raise LogError(f"column {column!r}, {row_label(i)}: a value of"
                       f" {len(arr[i].as_py()):,} characters (at most {MAX_TEXT_CHARS:,});"
                       " fix: correct the row or map another column", path=shown)
    s = arr.to_pandas().astype(object)
    return s.where(s.notna(), np.nan)


def _number(col: pa.ChunkedArray | pd.Series, column: str, shown: str,
            row_label: Callable[[int], str]) -> pd.Series:
    if isinstance(col, pd.Series):
        s = col.reset_index(drop=True)
    else:
        try:
            s = col.to_pandas()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            s = pd.Series([None] * len(col))
    if s.dtype == object and s.map(lambda v: isinstance(v, dict | list | bytes)).any():
        raise LogError(f"column {column!r} holds values that are not numbers; fix: correct"
                       " the column or remove it", path=shown)
    out = pd.to_numeric(s, errors="coerce")
    bad = (s.notna() & out.isna()).to_numpy() | np.isinf(out.to_numpy(dtype=float,
                                                                     na_value=np.nan))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "not a finite number" if pd.notna(out.iloc[i]) else "not a number"
        value = s.iloc[i]
        shown_value = repr(value) if isinstance(value, str) else str(value)
        raise LogError(f"column {column!r}, {row_label(i)}: {shown_value} is {what}; fix:"
                       " correct the value or remove the column", path=shown)
    return out.astype(float)


def _frame(raw: RawLog, shown: str, dates: DateOptions, notes: list[str]
           ) -> tuple[pd.DataFrame, Counter[int]]:
    """The mapped columns with EventLog names (plus ``lifecycle`` and ``row``), and counts of
    the UTC offsets (seconds) written in the timestamps; format guesses go to ``notes``."""
    from bpr.io.times import date_order, offsets_of_datetimes, offsets_of_strings, to_utc

    cmap, table, row_label = raw.cmap, raw.table, raw.row_label
    out: dict[str, pd.Series] = {}
    offsets: Counter[int] = Counter()
    for role, target in ((cmap.case, E.CASE), (cmap.activity, E.ACTIVITY),
                         (cmap.resource, E.RESOURCE), (cmap.role, E.ROLE),
                         (cmap.lifecycle, "lifecycle")):
        if role is not None:
            out[target] = _text(table[role], role, shown, row_label)
    times = [(role, target) for role, target in ((cmap.end, E.END), (cmap.start, E.START),
                                                 (cmap.enabled, E.ENABLED)) if role is not None]
    columns = {role: _arrow(table[role]) for role, _ in times}
    if dates.format is None and dates.dayfirst is None:
        dayfirst, note = date_order(list(columns.values()), list(columns))
        dates = DateOptions(None, dayfirst)
        if note:
            notes.append(note)
    for role, target in times:
        col = columns[role]
        if target != E.ENABLED:
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                offsets += offsets_of_strings(col)
            elif pa.types.is_timestamp(col.type) and col.type.tz is not None:
                offsets += offsets_of_datetimes(col.to_pandas())
        out[target] = to_utc(col, role, shown, row_label, notes, dates)
    for role, target in ((cmap.fixed_cost, E.FIXED_COST), (cmap.resource_cost, E.RESOURCE_COST)):
        if role is not None:
            out[target] = _number(table[role], role, shown, row_label)
    df = pd.DataFrame(out)
    df["row"] = np.arange(len(df), dtype=np.int64)
    return df, (raw.offsets if raw.offsets is not None else offsets)


def _arrow(col: pa.ChunkedArray | pd.Series) -> pa.Array:
    """A column as one Arrow array (pandas text, datetimes and numbers convert)."""
    if isinstance(col, pd.Series):
        s = col.reset_index(drop=True)
        try:
            return pa.array(s, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array(s.where(s.isna(), s.astype(str)), type=pa.string(),
                            from_pandas=True)
    return col.combine_chunks()


def _drop(df: pd.DataFrame, bad: pd.Series, what: str, fix: str, example: Callable[[int], str],
          shown: str, strict: bool, warnings: list[str]) -> pd.DataFrame:
    n = int(bad.sum())
    if n == 0:
        return df
    first = int(np.flatnonzero(bad.to_numpy())[0])
    text = f"{_fmt_n(n)} {'row' if n == 1 else 'rows'} {what} (first: {example(first)})"
    if strict:
        raise LogError(f"{text}; fix: {fix} (or read without --strict to drop them)",
                       path=shown)
    warnings.append(f"Dropped {text}; fix: {fix}")
    return df.loc[~bad.to_numpy()]


def _build(df: pd.DataFrame, cmap: ColumnMap, shown: str, strict: bool, lifecycle: str,
           row_label: Callable[[int], str], tick: Callable[[], None]) -> tuple[
        pd.DataFrame, bool, list[str]]:
    from bpr.io.lifecycle import apply_lifecycle, estimate_starts

    warnings: list[str] = []

    def at(i: int, frame: pd.DataFrame) -> str:
        return row_label(int(frame["row"].iloc[i]))

    gaps = {"case id": df[E.CASE].isna(), "activity": df[E.ACTIVITY].isna(),
            "end time": df[E.END].isna()}
    missing = gaps["case id"] | gaps["activity"] | gaps["end time"]

    def lacks(i: int) -> str:
        what = " and ".join(k for k, v in gaps.items() if v.iloc[i])
        return f"{at(i, df)} has no {what}"

    df = _drop(df, missing, "without a case id, an activity or an end time",
               "fill in the missing values or map other columns", lacks, shown, strict,
               warnings)
    if len(df) == 0:
        raise LogError("no usable events: every row lacks a case id, activity or end time;"
                       " fix: map the right columns with --case/--activity/--end", path=shown)
    if "lifecycle" in df:
        df, notes = apply_lifecycle(df, lifecycle, column=str(cmap.lifecycle), shown=shown)
        warnings += notes
    df = df.reset_index(drop=True)
    tick()
    if E.START not in df:
        df[E.START] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns, UTC]")
    no_start = df[E.START].isna()
    estimated = bool(no_start.any())
    if estimated:
        est = estimate_starts(df)
        df[E.START] = df[E.START].where(~no_start, est)
        n, total = int(no_start.sum()), len(df)
        scope = ("all " + _fmt_n(total) + " activity instances (the log has completion times"
                 " only)") if n == total else (f"{_fmt_n(n)} of {_fmt_n(total)} activity"
                                               " instances (no start time recorded)")
        warnings.append(f"Start times estimated for {scope}: start = the later of the previous"
                        " end in the case and the previous end by the same resource, so those"
                        " durations are upper bounds")
    backwards = df[E.END] < df[E.START]
    if backwards.all():
        raise LogError(f"no usable events: every row ends before it starts (first:"
                       f" {at(0, df)}, start {df[E.START].iloc[0]}, end {df[E.END].iloc[0]});"
                       " fix: swap the --start/--end columns", path=shown)
    fix = ("swap the --start/--end columns (most rows end before they start)"
           if backwards.mean() > 0.5 else "correct those timestamps")
    df = _drop(df, backwards, "whose end is before their start", fix,
               lambda i: (f"{at(i, df)}, case {df[E.CASE].iloc[i]!r}, activity"
                          f" {df[E.ACTIVITY].iloc[i]!r}, start {df[E.START].iloc[i]},"
                          f" end {df[E.END].iloc[i]}"), shown, strict, warnings)
    tick()
    return df, estimated, warnings


def _sort(df: pd.DataFrame) -> pd.DataFrame:
    """Cases in order of first appearance, then start, end, input position."""
    first_row = df.groupby(E.CASE, sort=False)["row"].transform("min").to_numpy()
    order = np.lexsort((df["row"].to_numpy(), df[E.END].to_numpy(dtype="int64"),
                        df[E.START].to_numpy(dtype="int64"), first_row))
    return df.iloc[order].reset_index(drop=True)


# ---------------------------------------------------------------- sources


def _is_pm4py_log(obj: object) -> bool:
    return type(obj).__module__.startswith("pm4py.") and hasattr(obj, "attributes")


def _raw_frame(df: pd.DataFrame, shown: str, pick: Callable[[list[str], bool], ColumnMap]
               ) -> RawLog:
    if len(df) == 0:
        raise LogError("the DataFrame has no rows; fix: pass a log with events", path=shown)
    frame = df.rename(columns=str).reset_index(drop=True)
    if frame.columns.duplicated().any():
        dup = frame.columns[frame.columns.duplicated()][0]
        raise LogError(f"the DataFrame names column {dup!r} twice; fix: rename one of them",
                       path=shown)
    names = list(frame.columns)
    cmap = pick(names, any(n in names for n in XES_FIRST.values()))
    def label(i: int) -> str:
        index = df.index[i]
        return f"row {i + 1} (index {index!r})" if isinstance(index, str) else \
            f"row {i + 1} (index {index})"

    return RawLog(frame[sorted({c for _, c in cmap.items()})], cmap, label)


def _raw_source(source: LogSource, pick: Callable[[list[str], bool], ColumnMap]
                ) -> tuple[RawLog, str]:
    """The raw columns of a file, a DataFrame or a pm4py EventLog, and how to name it."""
    if isinstance(source, pd.DataFrame):
        return _raw_frame(source, "<DataFrame>", pick), "<DataFrame>"
    if _is_pm4py_log(source):
        from bpr.io.quiet import import_pm4py, silenced

        pm4py = import_pm4py()
        with silenced():
            frame = pm4py.convert_to_dataframe(source)
        return _raw_frame(frame, "<pm4py EventLog>", pick), "<pm4py EventLog>"
    if not isinstance(source, str | os.PathLike):
        raise LogError(f"cannot read an event log from a {type(source).__name__}; fix: pass a"
                       " file path, a pandas DataFrame or a pm4py EventLog")
    from bpr.io.sniff import sniff

    shown = os.fspath(source)
    path = Path(shown).expanduser()
    fmt, head = sniff(path, shown)
    raw = fmt.read(path, shown, head, lambda columns: pick(columns, fmt.xes_names))
    return raw, shown


def read_log(source: LogSource, *, case: str | None = None,
             activity: str | None = None, start: str | None = None, end: str | None = None,
             resource: str | None = None, role: str | None = None, strict: bool = False,
             date_format: str | None = None, dayfirst: bool | None = None,
             lifecycle: str = "auto", progress: Progress | None = None) -> E.EventLog:
    """Read an event log into an :class:`EventLog` (one row per activity instance).

    ``source``: a file (CSV, .csv.gz, XES, .xes.gz, Parquet or Excel .xlsx, recognised from its
    content), a pandas DataFrame, a pm4py EventLog, or an :class:`EventLog` (returned as it is).
    ``case`` ... ``role`` name the source columns and override auto-detection. ``strict``
    turns dropped rows (missing values, end before start) into a :class:`LogError`.
    ``date_format`` (``"%d.%m.%Y %H:%M"``) and ``dayfirst`` settle how text dates are read
    (default: ISO 8601, else guessed, the day/month order decided from the data).
    ``lifecycle``: ``auto``, ``pair``, ``ignore`` or ``fold`` (see :data:`bpr.io.lifecycle.MODES`).
    ``progress(done, total)`` is called as the reading advances.
    """
    if isinstance(source, E.EventLog):
        return source
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], _STEPS)

    overrides = {"case": case, "activity": activity, "start": start, "end": end,
                 "resource": resource, "role": role}
    shown_box = ["<DataFrame>"]

    def pick(columns: list[str], xes: bool) -> ColumnMap:
        return map_columns(columns, overrides, path=shown_box[0], xes=xes)

    if isinstance(source, str | os.PathLike):
        shown_box[0] = os.fspath(source)
    elif _is_pm4py_log(source):
        shown_box[0] = "<pm4py EventLog>"
    raw, shown = _raw_source(source, pick)
    tick()
    notes: list[str] = []
    df, offsets = _frame(raw, shown, DateOptions(date_format, dayfirst), notes)
    cmap, row_label = raw.cmap, raw.row_label
    del raw
    tick()
    df, estimated, warnings = _build(df, cmap, shown, strict, lifecycle, row_label, tick)
    warnings = notes + warnings
    df = _sort(df)
    keep = [c for c in E.COLUMNS if c in df.columns]
    df = df[[E.CASE, E.ACTIVITY, E.START, E.END] +
            [c for c in keep if c not in (E.CASE, E.ACTIVITY, E.START, E.END)]]
    if E.RESOURCE not in df:
        df.insert(4, E.RESOURCE, pd.Series(np.nan, index=df.index, dtype=object))
        warnings.append("The log has no resource column: every activity instance has an"
                        " unknown resource (map one with --resource)")
    n_cases, n_acts = df[E.CASE].nunique(), df[E.ACTIVITY].nunique()
    if n_acts > MAX_ACTIVITIES:
        raise LogError(f"the log has {n_acts:,} distinct activities; bpr models at most"
                       f" {MAX_ACTIVITIES:,}; fix: map the activity column with --activity"
                       " (this one may hold free text or ids), or filter the log",
                       path=shown)
    if n_cases == 1:
        warnings.append("The log has a single case: arrival rates and branching"
                        " probabilities cannot be estimated reliably")
    if n_acts == 1:
        warnings.append("The log has a single activity: there is no control flow to discover")
    from bpr.io.times import dominant_offset

    tick()
    return E.EventLog(df=df, path=shown, timezone=dominant_offset(offsets),
                      start_times_estimated=estimated, warnings=warnings)


# ---------------------------------------------------------------- writing


def log_table(df: pd.DataFrame) -> pa.Table:
    """The Arrow table of a log frame's known columns (the chunks every writer takes)."""
    arrays: list[pa.Array] = []
    names: list[str] = []
    for c in E.COLUMNS:
        if c not in df.columns:
            continue
        s = df[c]
        if c in E.TIMES:
            if not isinstance(s.dtype, pd.DatetimeTZDtype):
                s = pd.to_datetime(s).dt.tz_localize("UTC")
            arrays.append(pa.array(s.dt.tz_convert("UTC"), from_pandas=True))
        elif c in E.COSTS:
            arrays.append(pa.array(pd.to_numeric(s, errors="coerce").to_numpy(dtype=float),
                                   type=pa.float64(), from_pandas=True))
        else:
            arrays.append(pa.array(s.astype("string"), type=pa.string(), from_pandas=True))
        names.append(c)
    return pa.table(arrays, names=names)


def write_log(log: E.EventLog | pd.DataFrame, path: str | os.PathLike[str],
              format: str | None = None) -> None:
    """Write ``log`` to ``path`` in ``format`` (a name of :func:`bpr.io.formats.format_names`;
    default: from the file name's ending, e.g. ``.csv.gz``, ``.xes``, ``.parquet``, ``.xlsx``).

    Columns get the names in :data:`WRITE_NAMES`; timestamps are written in the log's dominant
    offset (``EventLog.timezone``; UTC for a bare DataFrame) so the time zone survives a round
    trip. Written in chunks; the file appears only when completely written.
    """
    target = Path(os.fspath(path))
    fmt, gz = by_suffix(target) if format is None else by_name(format, path=str(target))
    df = log.df if isinstance(log, E.EventLog) else log
    tz = log.timezone if isinstance(log, E.EventLog) else "UTC"
    missing = [c for c in (E.CASE, E.ACTIVITY, E.START, E.END) if c not in df.columns]
    if missing:
        raise LogError(f"cannot write a log without the columns {missing}; fix: build it with"
                       " read_log or name the columns as in bpr.io.eventlog", path=str(target))
    codes = pd.factorize(df[E.CASE])[0]
    df = df.iloc[np.argsort(codes, kind="stable")]
    with atomic_path(target) as tmp, fmt.writer(tmp, tz=tz, gzipped=gz) as writer:
        for lo in range(0, max(len(df), 1), WRITE_CHUNK):
            writer.write(log_table(df.iloc[lo:lo + WRITE_CHUNK]))
