"""Simulated event logs: flat records, streamed to disk in chunks while the simulation runs.

The engine hands over each finished case's rows ``(case, activity, member, enabled, start, end,
cost)`` (times in simulation seconds). :class:`RowBuffer` collects them and every
:data:`CHUNK_ROWS` rows turns them into a pyarrow table with the log's columns:

==================  =============================================================
case:concept:name   ``<replication>-<case number from 1>`` (unique across replications)
concept:name        activity
org:resource        pool member name (empty for activities without staff)
org:role            pool name (empty for activities without staff)
start_timestamp     work start, ISO 8601 local time with the run's UTC offset
time:timestamp      work end (same format)
cost                currency (working hours x hourly rate + fixed cost)
replication         replication number (from 0)
==================  =============================================================

Each replication writes its own *part* file (CSV without header, Parquet, or XES traces), so
memory does not grow with the number of cases; :func:`concatenate_parts` joins the parts in
replication order into the final file atomically.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import quoteattr

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bpr.io.atomic import atomic_path

CHUNK_ROWS = 16384
LOG_FORMATS = ("csv", "xes", "parquet")
COLUMNS = ("case:concept:name", "concept:name", "org:resource", "org:role", "start_timestamp",
           "time:timestamp", "cost", "replication")

_XES_HEAD = ('<?xml version="1.0" encoding="UTF-8" ?>\n'
             '<log xes.version="1849-2016" xes.features="nested-attributes" '
             'xmlns="http://www.xes-standard.org/">\n'
             '<extension name="Concept" prefix="concept" '
             'uri="http://www.xes-standard.org/concept.xesext"/>\n'
             '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
             '<extension name="Organizational" prefix="org" '
             'uri="http://www.xes-standard.org/org.xesext"/>\n')
_XES_TAIL = "</log>\n"


@dataclass(frozen=True)
class LogLayout:
    """What turns numbers into log values: names and the clock (see :mod:`bpr.sim.clock`)."""

    activity_names: tuple[str, ...]
    member_names: tuple[str, ...]        # global member number -> name
    member_roles: tuple[str, ...]        # global member number -> pool name
    start_local_epoch_ms: int            # local wall clock of simulation time 0
    start_utc_epoch_ms: int
    offset_text: str                     # "+02:00"
    replication: int

    def table(self, columns: list[np.ndarray]) -> pa.Table:
        """The typed table of a chunk: raw numbers plus timestamps (local wall clock, ms)."""
        case, act, member, enabled, start, end, cost = columns
        return pa.table({
            "case": pa.array(case.astype(np.int64)),
            "activity": pa.array(act.astype(np.int32)),
            "member": pa.array(member.astype(np.int32)),
            "enabled_ms": pa.array(np.rint(enabled * 1000).astype(np.int64)),
            "start_ms": pa.array(np.rint(start * 1000).astype(np.int64)),
            "end_ms": pa.array(np.rint(end * 1000).astype(np.int64)),
            "cost": pa.array(cost.astype(np.float64)),
        })

    def formatted(self, raw: pa.Table, *, text_times: bool) -> pa.Table:
        """The log's columns (see module doc); timestamps as text or as typed timestamps."""
        n = raw.num_rows
        names = pa.array(self.activity_names, type=pa.string())
        members = pa.array([*self.member_names, ""], type=pa.string())
        roles = pa.array([*self.member_roles, ""], type=pa.string())
        member_idx = np.asarray(raw.column("member").to_numpy(), dtype=np.int64)
        member_idx = np.where(member_idx < 0, len(self.member_names), member_idx)
        case_num = pc.add(raw.column("case"), 1)
        case_id = pc.binary_join_element_wise(pa.scalar(f"{self.replication}"),
                                              pc.cast(case_num, pa.string()), "-")
        out: dict[str, Any] = {
            "case:concept:name": case_id,
            "concept:name": pc.take(names, raw.column("activity")),
            "org:resource": pc.take(members, pa.array(member_idx)),
            "org:role": pc.take(roles, pa.array(member_idx)),
        }
        for key, col in (("start_timestamp", "start_ms"), ("time:timestamp", "end_ms")):
            ms = pc.add(raw.column(col), self.start_local_epoch_ms)
            ts = pc.cast(ms, pa.timestamp("ms"))
            if text_times:
                out[key] = pc.binary_join_element_wise(pc.cast(ts, pa.string()),
                                                       pa.scalar(self.offset_text), "")
            else:
                utc = pc.cast(pc.add(raw.column(col), self.start_utc_epoch_ms),
                              pa.timestamp("ms", tz=self.offset_text))
                out[key] = utc
        out["cost"] = raw.column("cost")
        out["replication"] = pa.array(np.full(n, self.replication, dtype=np.int32))
        return pa.table(out)


class RowBuffer:
    """Collects case rows from the engine; every ``chunk_rows`` rows calls ``flush(table)``
    with the raw chunk table (:meth:`LogLayout.table`)."""

    def __init__(self, layout: LogLayout, flush: Callable[[pa.Table], None],
                 chunk_rows: int = CHUNK_ROWS):
        self.layout = layout
        self._flush = flush
        self.chunk_rows = chunk_rows
        self.rows: list[tuple] = []
        self.total = 0

    def add(self, rows: list[tuple]) -> None:
        self.rows.extend(rows)
        if len(self.rows) >= self.chunk_rows:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        cols = [np.asarray(c, dtype=float) for c in zip(*self.rows, strict=True)]
        self.total += len(self.rows)
        self.rows = []
        self._flush(self.layout.table(cols))


class PartWriter:
    """Writes one replication's part of the log (``fmt`` csv/parquet/xes) to ``path``."""

    def __init__(self, path: Path, fmt: str, layout: LogLayout, *, header: bool):
        self.path = path
        self.fmt = fmt
        self.layout = layout
        self.header = header
        self._fh: IO[bytes] | None = None
        self._writer: Any = None

    def __call__(self, raw: pa.Table) -> None:
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            table = self.layout.formatted(raw, text_times=False)
            if self._writer is None:
                self._writer = pq.ParquetWriter(str(self.path), table.schema)
            self._writer.write_table(table)
            return
        if self._fh is None:
            self._fh = open(self.path, "wb")  # noqa: SIM115 - closed in close()
        table = self.layout.formatted(raw, text_times=True)
        if self.fmt == "csv":
            import pyarrow.csv as pcsv

            opts = pcsv.WriteOptions(include_header=self.header, quoting_style="needed")
            pcsv.write_csv(table, self._fh, write_options=opts)
            self.header = False
        else:
            self._fh.write(_xes_traces(table).encode("utf-8"))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if not self.path.exists():  # a replication without rows still leaves a part
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                empty = self.layout.formatted(self.layout.table(
                    [np.zeros(0) for _ in range(7)]), text_times=False)
                pq.write_table(empty, str(self.path))
            elif self.fmt == "csv" and self.header:
                self.path.write_text(",".join(f'"{c}"' for c in COLUMNS) + "\n",
                                     encoding="utf-8")
            else:
                self.path.write_bytes(b"")


def _xes_traces(table: pa.Table) -> str:
    """XES ``<trace>`` elements of a formatted chunk (rows of a case are contiguous)."""
    cols = {c: table.column(c).to_pylist() for c in COLUMNS}
    out: list[str] = []
    current = None
    for i in range(table.num_rows):
        case = cols["case:concept:name"][i]
        if case != current:
            if current is not None:
                out.append("</trace>\n")
            out.append(f'<trace>\n<string key="concept:name" value={quoteattr(case)}/>\n')
            current = case
        res = cols["org:resource"][i]
        role = cols["org:role"][i]
        out.append(
            f'<event>\n<string key="concept:name" value={quoteattr(cols["concept:name"][i])}/>\n'
            + (f'<string key="org:resource" value={quoteattr(res)}/>\n'
               f'<string key="org:role" value={quoteattr(role)}/>\n' if res else "")
            + f'<date key="start_timestamp" value="{_xes_time(cols["start_timestamp"][i])}"/>\n'
            f'<date key="time:timestamp" value="{_xes_time(cols["time:timestamp"][i])}"/>\n'
            f'<float key="cost" value="{cols["cost"][i]!r}"/>\n'
            f'<int key="replication" value="{cols["replication"][i]}"/>\n</event>\n')
    if current is not None:
        out.append("</trace>\n")
    return "".join(out)


def _xes_time(text: str) -> str:
    return text.replace(" ", "T", 1)


def concatenate_parts(parts: list[Path], target: Path, fmt: str) -> None:
    """Join part files in order into ``target``, atomically (nothing half-written on error)."""
    with atomic_path(target) as tmp:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            writer = None
            try:
                for part in parts:
                    pf = pq.ParquetFile(str(part))
                    if writer is None:
                        writer = pq.ParquetWriter(str(tmp), pf.schema_arrow)
                    for i in range(pf.num_row_groups):
                        writer.write_table(pf.read_row_group(i))
            finally:
                if writer is not None:
                    writer.close()
            return
        with open(tmp, "wb") as out:
            if fmt == "xes":
                out.write(_XES_HEAD.encode("utf-8"))
            for part in parts:
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, 1 << 20)
            if fmt == "xes":
                out.write(_XES_TAIL.encode("utf-8"))


def remove_parts(folder: Path) -> None:
    """Delete a folder of part files (best effort)."""
    with contextlib.suppress(FileNotFoundError):
        shutil.rmtree(folder)
