"""Parquet event logs: typed columns, read column by column, written in row groups.

Timestamps are written as Arrow timestamps carrying the log's UTC offset as their time zone
(``+02:00``), so the instants and the offset both survive; costs as float64, names as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from bpr.errors import LogError
from bpr.io import eventlog as E
from bpr.io.formats import Head, LogFormat, LogWriter, Pick, RawLog, register


@register
class Parquet(LogFormat):
    name = "parquet"
    suffixes = (".parquet",)
    description = "Apache Parquet"

    def sniff(self, head: Head) -> bool:
        return head.raw.startswith(b"PAR1") and not head.gzipped

    def read(self, path: Path, shown: str, head: Head, pick: Pick) -> RawLog:
        import pyarrow.parquet as pq

        try:
            schema = pq.read_schema(path)
            cmap = pick([str(n) for n in schema.names])
            table = pq.read_table(path, columns=sorted({c for _, c in cmap.items()}))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as err:
            raise LogError(f"cannot read as Parquet ({' '.join(str(err).split())[:200]}); fix:"
                           " write the Parquet file again", path=shown) from None
        if table.num_rows == 0:
            raise LogError("the log has a header but no rows; fix: export a log with events",
                           path=shown)
        return RawLog(table, cmap, lambda i: f"row {i + 1}")

    def writer(self, path: Path, *, tz: str, gzipped: bool = False) -> LogWriter:
        return ParquetWriter(path, tz=tz)


def typed_table(table: pa.Table, tz: str) -> pa.Table:
    """A chunk with the written names; timestamps in offset ``tz``, costs float64, text."""
    zone = "UTC" if tz in ("UTC", "Z", "+00:00") else tz
    arrays: list[Any] = []
    names: list[str] = []
    for c, name in E.WRITE_NAMES.items():
        if c not in table.column_names:
            continue
        col = table.column(c)
        if c in E.TIMES:
            arrays.append(col.cast(pa.timestamp(col.type.unit, tz=zone)))
        elif c in E.COSTS:
            arrays.append(col.cast(pa.float64()))
        else:
            arrays.append(col.cast(pa.string()))
        names.append(name)
    return pa.table(arrays, names=names)


class ParquetWriter(LogWriter):
    """Streams chunks into a Parquet file (one row group per chunk)."""

    def __init__(self, path: Path, *, tz: str, gzipped: bool = False):
        super().__init__(path, tz=tz)
        self._writer: Any = None

    def write(self, table: pa.Table) -> None:
        import pyarrow.parquet as pq

        typed = typed_table(table, self.tz)
        if self._writer is None:
            self._writer = pq.ParquetWriter(str(self.path), typed.schema)
        self._writer.write_table(typed.cast(self._writer.schema))
        self.rows += table.num_rows

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
