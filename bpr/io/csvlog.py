"""CSV event logs (``.csv``, ``.csv.gz``): read with Arrow's parser, written in chunks.

Reading finds the delimiter (``,``, ``;``, tab or ``|``) from the header line and reads only the
columns the log needs, every one as text (timestamps are parsed afterwards). Writing puts
timestamps as ISO 8601 with the log's UTC offset and quotes only where needed.
"""

from __future__ import annotations

import contextlib
import csv
import io
from pathlib import Path
from typing import Any

import pyarrow as pa

from bpr.errors import LogError
from bpr.io import eventlog as E
from bpr.io.formats import Head, LogFormat, LogWriter, Pick, RawLog, binary_sink, register

# A row may hold a value up to this long (the field-length limit is checked after reading).
BLOCK_BYTES = 16 << 20


def _delimiter(head: str) -> str:
    first = head.splitlines()[0] if head.splitlines() else ""
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


@register
class Csv(LogFormat):
    name = "csv"
    suffixes = (".csv",)
    gzip = True
    fallback = True
    description = "comma-separated values (or ; tab |), also gzip-compressed"

    def sniff(self, head: Head) -> bool:
        return head.text is not None and bool(head.text.strip())

    def read(self, path: Path, shown: str, head: Head, pick: Pick) -> RawLog:
        import pyarrow.csv as pcsv

        text = head.text or ""
        delim = _delimiter(text)
        lines = text.splitlines()
        header = next(csv.reader(io.StringIO(lines[0]), delimiter=delim)) if lines else []
        header = [h.strip().lstrip("\ufeff") for h in header]
        if len(header) != len(set(header)):
            dup = next(h for h in header if header.count(h) > 1)
            raise LogError(f"the header names column {dup!r} twice; fix: rename one of them",
                           path=shown)
        cmap = pick(header)
        needed = sorted({c for _, c in cmap.items()})
        try:
            stream = pa.input_stream(str(path), compression="gzip" if head.gzipped else None)
            table = pcsv.read_csv(
                stream,
                read_options=pcsv.ReadOptions(column_names=header, skip_rows=1,
                                              encoding=head.encoding, block_size=BLOCK_BYTES),
                parse_options=pcsv.ParseOptions(delimiter=delim, newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(
                    column_types={c: pa.string() for c in needed}, include_columns=needed,
                    strings_can_be_null=True, null_values=[""],
                    quoted_strings_can_be_null=True),
            )
        except (pa.ArrowInvalid, OSError, EOFError) as err:
            msg = " ".join(str(err).split())[:200]
            if head.gzipped and ("compress" in msg.lower() or "gzip" in msg.lower()):
                raise LogError(f"corrupt or truncated gzip file ({msg}); fix: compress the log"
                               " again", path=shown) from None
            raise LogError(f"cannot read as CSV ({msg}); fix: check the file is a complete CSV"
                           " with one header row and the same number of fields on every row",
                           path=shown) from None
        if table.num_rows == 0:
            raise LogError("the log has a header but no rows; fix: export a log with events",
                           path=shown)
        return RawLog(table, cmap, lambda i: f"row {i + 1} (line {i + 2})")

    def writer(self, path: Path, *, tz: str, gzipped: bool = False) -> LogWriter:
        return CsvWriter(path, tz=tz, gzipped=gzipped)


def text_table(table: pa.Table, tz: str) -> pa.Table:
    """A chunk with the written names, timestamps as ISO 8601 text in offset ``tz``."""
    from bpr.io.times import iso_text

    arrays: list[Any] = []
    names: list[str] = []
    for c, name in E.WRITE_NAMES.items():
        if c not in table.column_names:
            continue
        col = table.column(c)
        if c in E.TIMES:
            arrays.append(iso_text(col, tz))
        elif c in E.COSTS:
            arrays.append(col.cast(pa.float64()))
        else:
            arrays.append(col.cast(pa.string()))
        names.append(name)
    return pa.table(arrays, names=names)


class CsvWriter(LogWriter):
    """Streams chunks into a CSV file with one header row."""

    def __init__(self, path: Path, *, tz: str, gzipped: bool = False):
        super().__init__(path, tz=tz, gzipped=gzipped)
        self._stack = contextlib.ExitStack()
        self._writer: Any = None

    def write(self, table: pa.Table) -> None:
        import pyarrow.csv as pcsv

        text = text_table(table, self.tz)
        if self._writer is None:
            sink = self._stack.enter_context(binary_sink(self.path, self.gzipped))
            self._writer = self._stack.enter_context(pcsv.CSVWriter(
                sink, text.schema, write_options=pcsv.WriteOptions(quoting_style="needed")))
        self._writer.write_table(text)
        self.rows += table.num_rows

    def close(self) -> None:
        self._stack.close()
        self._writer = None
