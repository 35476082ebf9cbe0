"""Read and write event logs: CSV (.csv, .csv.gz), XES (.xes, .xes.gz) and Parquet.

:func:`read_log` recognises the format from the file's content, finds the columns by their
common names (or the user's overrides, see :mod:`bpr.io.columns`), pairs lifecycle start/complete
events (:mod:`bpr.io.lifecycle`), estimates start times for completion-only events, parses
timestamps to UTC (:mod:`bpr.io.times`) and returns an :class:`~bpr.io.eventlog.EventLog`.
Problems the user can fix raise a one-line :class:`~bpr.errors.LogError`; repairs that change the
data (dropped rows, estimated starts) are listed in ``EventLog.warnings``, one line each.

:func:`write_log` writes an EventLog with XES-style column names (``case:concept:name``,
``concept:name``, ``org:resource``, ``start_timestamp``, ``time:timestamp``, and ``org:role``,
``enabled_timestamp``, ``fixed_cost``, ``resource_cost`` when present), atomically.
"""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from bpr.errors import LogError
from bpr.io import eventlog as E
from bpr.io.atomic import atomic_path
from bpr.io.columns import ColumnMap, map_columns
from bpr.io.sniff import Sniffed, sniff

Progress = Callable[[int, int], None]
_STEPS = 5

# Column names written by write_log (and read back by read_log and pm4py).
WRITE_NAMES: dict[str, str] = {
    E.CASE: "case:concept:name", E.ACTIVITY: "concept:name", E.RESOURCE: "org:resource",
    E.ROLE: "org:role", E.START: "start_timestamp", E.END: "time:timestamp",
    E.ENABLED: "enabled_timestamp", E.FIXED_COST: "fixed_cost",
    E.RESOURCE_COST: "resource_cost",
}
_FORMATS = {".csv": "csv", ".csv.gz": "csv", ".parquet": "parquet", ".xes": "xes",
            ".xes.gz": "xes"}


def _fmt_n(n: int) -> str:
    return f"{n:,}"


# ---------------------------------------------------------------- raw tables per format


def _csv_delimiter(head: str) -> str:
    first = head.splitlines()[0] if head.splitlines() else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def _read_csv(path: Path, shown: str, sniffed: Sniffed,
              pick: Callable[[list[str], bool], ColumnMap]) -> tuple[pa.Table, ColumnMap]:
    import pyarrow.csv as pcsv

    delim = _csv_delimiter(sniffed.head)
    lines = sniffed.head.splitlines()
    header = next(csv.reader(io.StringIO(lines[0]), delimiter=delim)) if lines else []
    header = [h.strip().lstrip("\ufeff") for h in header]
    if len(header) != len(set(header)):
        dup = next(h for h in header if header.count(h) > 1)
        raise LogError(f"the header names column {dup!r} twice; fix: rename one of them",
                       path=shown)
    cmap = pick(header, False)
    needed = sorted({c for _, c in cmap.items()})
    try:
        stream = pa.input_stream(str(path), compression="gzip" if sniffed.gzipped else None)
        table = pcsv.read_csv(
            stream,
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1,
                                          encoding=sniffed.encoding),
            parse_options=pcsv.ParseOptions(delimiter=delim, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                column_types={c: pa.string() for c in needed}, include_columns=needed,
                strings_can_be_null=True, null_values=[""], quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, OSError, EOFError) as err:
        msg = " ".join(str(err).split())[:200]
        if sniffed.gzipped and ("compress" in msg.lower() or "gzip" in msg.lower()):
            raise LogError(f"corrupt or truncated gzip file ({msg}); fix: compress the log"
                           " again", path=shown) from None
        raise LogError(f"cannot read as CSV ({msg}); fix: check the file is a complete CSV"
                       " with one header row and the same number of fields on every row",
                       path=shown) from None
    return table, cmap


def _read_parquet(path: Path, shown: str,
                  pick: Callable[[list[str], bool], ColumnMap]) -> tuple[pa.Table, ColumnMap]:
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        cmap = pick(list(schema.names), False)
        table = pq.read_table(path, columns=sorted({c for _, c in cmap.items()}))
    except (pa.ArrowInvalid, OSError) as err:
        raise LogError(f"cannot read as Parquet ({' '.join(str(err).split())[:200]}); fix:"
                       " write the Parquet file again", path=shown) from None
    return table, cmap


# ---------------------------------------------------------------- building the EventLog


def _text(col: pa.ChunkedArray | pd.Series) -> pd.Series:
    """A text column as object dtype with ``NaN`` for missing or blank values."""
    if isinstance(col, pd.Series):
        s = col.reset_index(drop=True)
        s = s.where(s.isna(), s.astype(str)).astype(object)
    else:
        import pyarrow.compute as pc

        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            if pa.types.is_floating(col.type):
                # 1.0 -> "1": ids stored as floats (because of missing values) keep their text
                as_int = pc.cast(col, pa.int64(), safe=False)
                whole = pc.equal(pc.cast(as_int, col.type), col)
                col = pc.if_else(whole, pc.cast(as_int, pa.string()), pc.cast(col, pa.string()))
            else:
                col = pc.cast(col, pa.string())
        col = pc.utf8_trim_whitespace(col)
        col = pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col)
        s = col.to_pandas().astype(object)
        return s.where(s.notna(), np.nan)
    return s.where(s.notna() & (s != ""), np.nan)


def _number(col: pa.ChunkedArray | pd.Series, column: str, shown: str,
            row_label: Callable[[int], str]) -> pd.Series:
    s = col.to_pandas() if not isinstance(col, pd.Series) else col.reset_index(drop=True)
    out = pd.to_numeric(s, errors="coerce")
    bad = s.notna() & out.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LogError(f"column {column!r}, {row_label(i)}: {s.iloc[i]!r} is not a number; fix:"
                       " correct the value or remove the column", path=shown)
    return out.astype(float)


def _frame(raw: pa.Table | pd.DataFrame, cmap: ColumnMap, shown: str,
           row_label: Callable[[int], str], notes: list[str]) -> tuple[pd.DataFrame,
                                                                       Counter[int]]:
    """The mapped columns with EventLog names (plus ``lifecycle`` and ``row``), and counts of
    the UTC offsets (seconds) written in the timestamps; format guesses go to ``notes``."""
    from bpr.io.times import offsets_of_datetimes, offsets_of_strings, to_utc

    out: dict[str, pd.Series] = {}
    offsets: Counter[int] = Counter()
    for role, target in ((cmap.case, E.CASE), (cmap.activity, E.ACTIVITY),
                         (cmap.resource, E.RESOURCE), (cmap.role, E.ROLE),
                         (cmap.lifecycle, "lifecycle")):
        if role is not None:
            out[target] = _text(raw[role])
    for role, target in ((cmap.end, E.END), (cmap.start, E.START), (cmap.enabled, E.ENABLED)):
        if role is None:
            continue
        col = raw[role]
        if target != E.ENABLED:
            if isinstance(col, pd.Series):
                if isinstance(col.dtype, pd.DatetimeTZDtype):
                    offsets += offsets_of_datetimes(col)
            elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                offsets += offsets_of_strings(col)
            elif pa.types.is_timestamp(col.type) and col.type.tz is not None:
                offsets += offsets_of_datetimes(col.to_pandas())
        out[target] = to_utc(col, role, shown, row_label, notes)
    for role, target in ((cmap.fixed_cost, E.FIXED_COST), (cmap.resource_cost, E.RESOURCE_COST)):
        if role is not None:
            out[target] = _number(raw[role], role, shown, row_label)
    df = pd.DataFrame(out)
    df["row"] = np.arange(len(df), dtype=np.int64)
    return df, offsets


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


def _build(df: pd.DataFrame, cmap: ColumnMap, shown: str, strict: bool,
           row_label: Callable[[int], str], tick: Callable[[], None]) -> tuple[
        pd.DataFrame, bool, list[str]]:
    from bpr.io.lifecycle import estimate_starts, pair_lifecycle

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
    lc = df.get("lifecycle")
    paired = (lc is not None and E.START not in df
              and lc.astype(str).str.strip().str.lower().eq("start").any())
    if paired:
        p = pair_lifecycle(df.rename(columns={E.END: "time"}))
        df = p.instances
        if p.unmatched_starts:
            warnings.append(f"Dropped {_fmt_n(p.unmatched_starts)} lifecycle 'start' events"
                            " that were never completed (no matching 'complete' of the same"
                            " activity in the same case)")
        if p.ignored:
            what = ", ".join(f"{k!r} ({_fmt_n(v)})" for k, v in sorted(p.ignored.items()))
            warnings.append(f"Ignored lifecycle transitions other than start/complete: {what}")
    elif lc is not None:
        word = lc.astype(str).str.strip().str.lower()
        from bpr.io.lifecycle import COMPLETE_WORDS

        keep = word.isin(COMPLETE_WORDS) | lc.isna()
        if not keep.all():
            counts = word[~keep].value_counts()
            what = ", ".join(f"{k!r} ({_fmt_n(int(v))})" for k, v in counts.items())
            warnings.append(f"Ignored lifecycle transitions other than complete: {what}")
            df = df.loc[keep.to_numpy()]
        df = df.drop(columns=["lifecycle"])
    else:
        df = df.drop(columns=["lifecycle"], errors="ignore")
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
    df = _drop(df, backwards, "whose end is before their start",
               "correct the timestamps or swap the --start/--end columns",
               lambda i: (f"{at(i, df)}, case {df[E.CASE].iloc[i]!r}, activity"
                          f" {df[E.ACTIVITY].iloc[i]!r}, start {df[E.START].iloc[i]},"
                          f" end {df[E.END].iloc[i]}"), shown, strict, warnings)
    if len(df) == 0:
        raise LogError("no usable events: every row ends before it starts; fix: swap the"
                       " --start/--end columns", path=shown)
    tick()
    return df, estimated, warnings


def _sort(df: pd.DataFrame) -> pd.DataFrame:
    """Cases in order of first appearance, then start, end, input position."""
    first_row = df.groupby(E.CASE, sort=False)["row"].transform("min").to_numpy()
    order = np.lexsort((df["row"].to_numpy(), df[E.END].to_numpy(dtype="int64"),
                        df[E.START].to_numpy(dtype="int64"), first_row))
    return df.iloc[order].reset_index(drop=True)


def read_log(path: str | os.PathLike[str], *, case: str | None = None,
             activity: str | None = None, start: str | None = None, end: str | None = None,
             resource: str | None = None, role: str | None = None, strict: bool = False,
             progress: Progress | None = None) -> E.EventLog:
    """Read an event log file into an :class:`EventLog` (one row per activity instance).

    The format (CSV, gzip-compressed CSV, XES, .xes.gz, Parquet) is recognised from the file's
    content. ``case`` ... ``role`` name the source columns and override auto-detection.
    ``strict`` turns dropped rows (missing values, end before start) into a :class:`LogError`.
    ``progress(done, total)`` is called as the reading advances.
    """
    shown = os.fspath(path)
    p = Path(shown).expanduser()
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], _STEPS)

    sniffed = sniff(p, shown)
    overrides = {"case": case, "activity": activity, "start": start, "end": end,
                 "resource": resource, "role": role}

    def pick(columns: list[str], xes: bool) -> ColumnMap:
        return map_columns(columns, overrides, path=shown, xes=xes)

    xes_offsets: Counter[int] | None = None
    if sniffed.kind == "xes":
        from bpr.io.times import offsets_of_strings
        from bpr.io.xes import read_xes_frame, timezone_sample

        raw = read_xes_frame(p, shown, gzipped=sniffed.gzipped, head=sniffed.head)
        if len(raw) == 0:
            raise LogError("the XES log has no events; fix: export a log with events",
                           path=shown)
        cmap = pick(list(raw.columns), True)
        xes_offsets = offsets_of_strings(pa.array(timezone_sample(p, sniffed.gzipped),
                                                  pa.string()))

        def row_label(i: int) -> str:
            return f"event {i + 1}"
    else:
        if sniffed.kind == "csv":
            raw, cmap = _read_csv(p, shown, sniffed, pick)

            def row_label(i: int) -> str:
                return f"row {i + 1} (line {i + 2})"
        else:
            raw, cmap = _read_parquet(p, shown, pick)

            def row_label(i: int) -> str:
                return f"row {i + 1}"
        if raw.num_rows == 0:
            raise LogError("the log has a header but no rows; fix: export a log with events",
                           path=shown)
    tick()
    notes: list[str] = []
    df, offsets = _frame(raw, cmap, shown, row_label, notes)
    del raw
    tick()
    df, estimated, warnings = _build(df, cmap, shown, strict, row_label, tick)
    warnings = notes + warnings
    df = _sort(df)
    keep = [c for c in (E.CASE, E.ACTIVITY, E.START, E.END, E.RESOURCE, E.ROLE, E.ENABLED,
                        E.FIXED_COST, E.RESOURCE_COST) if c in df.columns]
    df = df[keep]
    if E.RESOURCE not in df:
        df[E.RESOURCE] = pd.Series(np.nan, index=df.index, dtype=object)
        warnings.append("The log has no resource column: every activity instance has an"
                        " unknown resource (map one with --resource)")
    n_cases, n_acts = df[E.CASE].nunique(), df[E.ACTIVITY].nunique()
    if n_cases == 1:
        warnings.append("The log has a single case: arrival rates and branching"
                        " probabilities cannot be estimated reliably")
    if n_acts == 1:
        warnings.append("The log has a single activity: there is no control flow to discover")
    from bpr.io.times import dominant_offset

    tz = dominant_offset(xes_offsets if xes_offsets is not None else offsets)
    tick()
    return E.EventLog(df=df, path=shown, timezone=tz, start_times_estimated=estimated,
                      warnings=warnings)


# ---------------------------------------------------------------- writing


def _format_of(path: Path, format: str | None) -> tuple[str, bool]:
    if format is not None:
        fmt = format.lower().lstrip(".")
        gz = fmt.endswith(".gz")
        fmt = fmt.removesuffix(".gz")
        if fmt not in ("csv", "xes", "parquet"):
            raise LogError(f"unknown log format {format!r}; fix: use csv, csv.gz, xes, xes.gz"
                           " or parquet", path=str(path))
        return fmt, gz
    name = path.name.lower()
    for ext in sorted(_FORMATS, key=len, reverse=True):
        if name.endswith(ext):
            return _FORMATS[ext], ext.endswith(".gz")
    raise LogError("cannot tell the log format from the file name; fix: end it with .csv,"
                   " .csv.gz, .xes, .xes.gz or .parquet", path=str(path))


def write_log(log: E.EventLog | pd.DataFrame, path: str | os.PathLike[str],
              format: str | None = None) -> None:
    """Write ``log`` to ``path`` as CSV, .csv.gz, Parquet, XES or .xes.gz (by extension).

    Columns get the XES-style names in :data:`WRITE_NAMES`; timestamps are written in the log's
    dominant offset (``EventLog.timezone``; UTC for a bare DataFrame) so the time zone survives
    a round trip. The file appears only when completely written.
    """
    from bpr.io.times import tzinfo_of
    from bpr.io.xes import write_xes

    target = Path(os.fspath(path))
    fmt, gz = _format_of(target, format)
    df = log.df if isinstance(log, E.EventLog) else log
    tz = log.timezone if isinstance(log, E.EventLog) else "UTC"
    missing = [c for c in (E.CASE, E.ACTIVITY, E.START, E.END) if c not in df.columns]
    if missing:
        raise LogError(f"cannot write a log without the columns {missing}; fix: build it with"
                       " read_log or name the columns as in bpr.io.eventlog", path=str(target))
    codes = pd.factorize(df[E.CASE])[0]
    df = df.iloc[np.argsort(codes, kind="stable")]
    with atomic_path(target) as tmp:
        if fmt == "xes":
            write_xes(df, tmp, gzipped=gz, tz=tz)
            return
        cols = [c for c in WRITE_NAMES if c in df.columns]
        out = df[cols].rename(columns=WRITE_NAMES)
        if fmt == "parquet":
            zone = tzinfo_of(tz)
            for c in (E.START, E.END, E.ENABLED):
                if c in df.columns:
                    out[WRITE_NAMES[c]] = df[c].dt.tz_convert(zone)
            out.to_parquet(tmp, index=False)
            return
        _write_csv(df, cols, tmp, gzipped=gz, tz=tz)


def _write_csv(df: pd.DataFrame, cols: list[str], tmp: Path, *, gzipped: bool, tz: str) -> None:
    import pyarrow.csv as pcsv

    from bpr.io.times import iso_text

    arrays = []
    for c in cols:
        if c in (E.START, E.END, E.ENABLED):
            arrays.append(iso_text(df[c], tz))
        elif c in (E.FIXED_COST, E.RESOURCE_COST):
            arrays.append(pa.array(df[c].to_numpy(dtype=float), from_pandas=True))
        else:
            text = df[c].where(df[c].isna(), df[c].astype(str)).astype(object)
            arrays.append(pa.array(text.where(text.notna(), None).tolist(), pa.string()))
    table = pa.table(arrays, names=[WRITE_NAMES[c] for c in cols])
    options = pcsv.WriteOptions(quoting_style="needed")
    if gzipped:
        import gzip

        with gzip.open(tmp, "wb", compresslevel=5) as sink:
            pcsv.write_csv(table, sink, write_options=options)
    else:
        pcsv.write_csv(table, str(tmp), write_options=options)
