"""Excel workbooks (``.xlsx``) as event logs, read and written with openpyxl.

**Reading** takes the first worksheet with a header row (the first row names the columns, as
in a CSV). Cells typed as dates are timestamps; a workbook bpr wrote records their UTC offset in
its custom document property ``bpr.timezone``, other workbooks' dates are read as UTC (Excel
stores no time zone; write timestamps as ISO 8601 text with an offset to keep one).

**Writing** puts the log in a worksheet ``log`` with the columns every bpr log has, timestamps as
Excel dates on the log's local clock (number format ``yyyy-mm-dd hh:mm:ss.000``), the offset in
the ``bpr.timezone`` property. A worksheet holds at most 1,048,576 rows, so larger logs are
refused with a clear error (write CSV or Parquet instead).
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from bpr.errors import LogError
from bpr.io import eventlog as E
from bpr.io.formats import Head, LogFormat, LogWriter, Pick, RawLog, register

MAX_ROWS = 1_048_576  # Excel's worksheet limit, header included
TZ_PROPERTY = "bpr.timezone"
DATE_FORMAT = "yyyy-mm-dd hh:mm:ss.000"


def _is_workbook(head: Head) -> bool:
    if not head.raw.startswith(b"PK\x03\x04") or head.gzipped:
        return False
    if b"xl/" in head.raw:
        return True
    if head.path is None:
        return False
    try:
        with zipfile.ZipFile(head.path) as zf:
            return "xl/workbook.xml" in zf.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _column(values: list[Any]) -> pd.Series:
    """A worksheet column as a Series: datetimes, integers, floats, or text."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, dt.datetime | dt.date) for v in present):
        return pd.Series(pd.to_datetime(values, errors="coerce"))
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="Int64")
    if present and all(isinstance(v, int | float) and not isinstance(v, bool)
                       for v in present):
        return pd.Series(values, dtype=float)

    def text(v: Any) -> str | None:
        if v is None:
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, dt.datetime):
            return v.isoformat()
        return str(v)

    return pd.Series([text(v) for v in values], dtype=object)


@register
class Xlsx(LogFormat):
    name = "xlsx"
    suffixes = (".xlsx",)
    description = "Excel workbook (first worksheet, one header row)"

    def sniff(self, head: Head) -> bool:
        return _is_workbook(head)

    def read(self, path: Path, shown: str, head: Head, pick: Pick) -> RawLog:
        import openpyxl

        fh = open(path, "rb")  # noqa: SIM115 - a handle: openpyxl insists on .xlsx names
        try:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
            fh.close()
            raise LogError(f"cannot read as an Excel workbook ({err}); fix: save it again from"
                           " Excel as .xlsx, or export it as CSV", path=shown) from None
        try:
            tz = next((p.value for p in wb.custom_doc_props.props if p.name == TZ_PROPERTY),
                      None)
            for ws in wb.worksheets:
                rows = ws.iter_rows(values_only=True)
                header_row = next(rows, None)
                if header_row is None or all(h is None for h in header_row):
                    continue
                header = [("" if h is None else str(h)).strip() for h in header_row]
                while header and header[-1] == "":
                    header.pop()
                if len(header) != len(set(header)):
                    dup = next(h for h in header if header.count(h) > 1)
                    raise LogError(f"sheet {ws.title!r}: the header names column {dup!r}"
                                   " twice (or leaves a column unnamed); fix: name every"
                                   " column once", path=shown)
                cmap = pick(header)
                wanted = sorted({header.index(c) for _, c in cmap.items()})
                columns: dict[int, list[Any]] = {i: [] for i in wanted}
                for row in rows:
                    if row is None or all(v is None for v in row):
                        continue
                    for i in wanted:
                        columns[i].append(row[i] if i < len(row) else None)
                break
            else:
                raise LogError("the workbook has no worksheet with a header row; fix: put the"
                               " column names in the first row of the first sheet",
                               path=shown)
        finally:
            wb.close()
            fh.close()
        frame = pd.DataFrame({header[i]: _column(v) for i, v in columns.items()})
        if len(frame) == 0:
            raise LogError(f"sheet {ws.title!r} has a header but no rows; fix: export a log"
                           " with events", path=shown)
        if tz:
            from bpr.io.times import tzinfo_of

            for c in frame.columns:
                if pd.api.types.is_datetime64_dtype(frame[c].dtype):
                    frame[c] = frame[c].dt.tz_localize(tzinfo_of(str(tz)))
        title = ws.title
        return RawLog(frame, cmap, lambda i: f"sheet {title!r} row {i + 2}")

    def writer(self, path: Path, *, tz: str, gzipped: bool = False) -> LogWriter:
        return XlsxWriter(path, tz=tz)


class XlsxWriter(LogWriter):
    """Streams chunks into a write-only workbook; saved (zipped) on :meth:`close`."""

    def __init__(self, path: Path, *, tz: str, gzipped: bool = False):
        super().__init__(path, tz=tz)
        import openpyxl

        self._wb: Any = openpyxl.Workbook(write_only=True)
        self._ws: Any = self._wb.create_sheet("log")
        self._header = False

    def write(self, table: pa.Table) -> None:
        from openpyxl.cell import WriteOnlyCell

        from bpr.io.times import offset_seconds_of

        if self.rows + table.num_rows > MAX_ROWS - 1:
            raise LogError(f"an Excel worksheet holds at most {MAX_ROWS - 1:,} rows and this"
                           f" log has more; fix: write .csv, .csv.gz or .parquet instead",
                           path=str(self.path))
        cols = [c for c in E.WRITE_NAMES if c in table.column_names]
        if not self._header:
            self._ws.append([E.WRITE_NAMES[c] for c in cols])
            self._header = True
        shift = offset_seconds_of(self.tz)
        values: list[list[Any]] = []
        for c in cols:
            col = table.column(c)
            if c in E.TIMES:
                unit = col.type.unit
                wall = pc.add(col.cast(pa.timestamp(unit)), pa.scalar(
                    shift * {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[unit],
                    pa.duration(unit)))
                # Excel keeps milliseconds at best
                values.append(pc.cast(wall, pa.timestamp("ms"), safe=False).to_pylist())
            elif c in E.COSTS:
                values.append([None if v is None or not np.isfinite(v) else v
                               for v in col.cast(pa.float64()).to_pylist()])
            else:
                values.append(col.cast(pa.string()).to_pylist())
        times = [i for i, c in enumerate(cols) if c in E.TIMES]
        for row in zip(*values, strict=True):
            cells: list[Any] = list(row)
            for i in times:
                if cells[i] is not None:
                    cell = WriteOnlyCell(self._ws, value=cells[i])
                    cell.number_format = DATE_FORMAT
                    cells[i] = cell
            self._ws.append(cells)
        self.rows += table.num_rows

    def close(self) -> None:
        if self._wb is None:
            return
        from openpyxl.packaging.custom import StringProperty

        self._wb.custom_doc_props.append(StringProperty(name=TZ_PROPERTY, value=self.tz))
        self._wb.save(str(self.path))
        self._wb = None
