"""Simulated event logs: the engine's rows turned into log chunks while the simulation runs.

The engine hands over each finished case's rows ``(case, activity, member, enabled, start, end,
cost)`` (times in simulation seconds). :class:`RowBuffer` collects them and every
:data:`CHUNK_ROWS` rows hands the chunk on; :meth:`LogLayout.log_table` turns a chunk into the
columns every bpr log has (:mod:`bpr.io.eventlog`, written by the formats of
:mod:`bpr.io.formats` under the names of ``WRITE_NAMES``), exactly as ``write_log`` writes a
mined log:

==================  ========================================================================
case:concept:name   ``<replication>-<case number from 1>`` (unique across replications)
concept:name        activity
org:resource        pool member name (empty for activities without staff)
org:role            pool name (empty for activities without staff)
start_timestamp     work start, ISO 8601 with the run's UTC offset
time:timestamp      work end
enabled_timestamp   when the activity was enabled (the case reached it); waiting = start - this
fixed_cost          currency per instance (the activity's fixed cost)
resource_cost       currency per instance (working hours x the pool's hourly rate)
==================  ========================================================================

Each replication is a log of its own, on its own time axis from the run's start, written to its
own file (``replication-<r>.<format>``), so a tool that reads one file sees the model's arrival
rate; memory does not grow with the number of cases.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bpr.io import eventlog as E

CHUNK_ROWS = 16384


@dataclass(frozen=True)
class LogLayout:
    """What turns numbers into log values: names, fixed costs and the clock."""

    activity_names: tuple[str, ...]
    activity_fixed_cost: tuple[float, ...]
    member_names: tuple[str, ...]        # global member number -> name
    member_roles: tuple[str, ...]        # global member number -> pool name
    start_utc_epoch_ms: int              # simulation time 0
    replication: int

    def table(self, columns: list[np.ndarray]) -> pa.Table:
        """The raw chunk: numbers, times as milliseconds since simulation time 0."""
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

    def empty(self) -> pa.Table:
        return self.table([np.zeros(0) for _ in range(7)])

    def log_table(self, raw: pa.Table) -> pa.Table:
        """A raw chunk as log columns (:mod:`bpr.io.eventlog` names; timestamps UTC, ms)."""
        names = pa.array(self.activity_names, type=pa.string())
        members = pa.array([*self.member_names, None], type=pa.string())
        roles = pa.array([*self.member_roles, None], type=pa.string())
        member_idx = np.asarray(raw.column("member").to_numpy(), dtype=np.int64)
        member_idx = pa.array(np.where(member_idx < 0, len(self.member_names), member_idx))
        case_num = pc.add(raw.column("case"), 1)
        fixed = pc.take(pa.array(self.activity_fixed_cost, pa.float64()), raw.column("activity"))
        out: dict[str, Any] = {
            E.CASE: pc.binary_join_element_wise(pa.scalar(f"{self.replication}"),
                                                pc.cast(case_num, pa.string()), "-"),
            E.ACTIVITY: pc.take(names, raw.column("activity")),
            E.RESOURCE: pc.take(members, member_idx),
            E.ROLE: pc.take(roles, member_idx),
        }
        for key, col in ((E.START, "start_ms"), (E.END, "end_ms"), (E.ENABLED, "enabled_ms")):
            out[key] = pc.cast(pc.add(raw.column(col), self.start_utc_epoch_ms),
                               pa.timestamp("ms", tz="UTC"))
        out[E.FIXED_COST] = fixed
        out[E.RESOURCE_COST] = pc.subtract(raw.column("cost"), fixed)
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
        self.chunks = 0

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
        self.chunks += 1
        self._flush(self.layout.table(cols))

    def finish(self) -> None:
        """Flush what is left; a replication without rows still hands over an empty chunk."""
        self.flush()
        if self.chunks == 0:
            self.chunks += 1
            self._flush(self.layout.empty())


class LogFolder:
    """The folder of a run's simulated logs: one file per replication, replaced as a whole.

    The files are written into a temporary sibling folder; on success it is renamed into place
    (an earlier folder of the same name is removed only then), on failure it is deleted, so
    ``target`` always holds one complete run. Temporary folders of killed runs (their process
    is gone) are removed by the next run.
    """

    def __init__(self, target: Path, log_format: str, replications: int):
        from bpr.errors import SimulationError
        from bpr.io.formats import by_name, file_suffix, formats

        fmt, gz = by_name(log_format)
        self.target = target
        self.suffix = file_suffix(fmt, gz)
        if target.exists() and not target.is_dir():
            raise SimulationError(f"{target}: the simulated logs go into a folder (one file"
                                  " per replication), and this is a file; fix: give a folder"
                                  " name or remove the file")
        name = target.name.lower()
        if any(name.endswith(s) for f in formats().values() for s in f.all_suffixes()):
            raise SimulationError(f"{target}: log_path names the folder for the replications'"
                                  f" logs (replication-0{self.suffix}, ...), not a file; fix:"
                                  f" give a folder such as {target.parent / 'simulated_logs'}")
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(target)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-",
                                         dir=target.parent))
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(self.tmp, 0o777 & ~mask)
        self.width = len(str(max(replications - 1, 0)))

    def file(self, replication: int) -> Path:
        """Where replication ``replication`` (from 0) writes its log."""
        return self.tmp / f"replication-{replication:0{self.width}d}{self.suffix}"

    def __enter__(self) -> LogFolder:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        try:
            if exc_type is None:
                self._publish()
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _publish(self) -> None:
        old = None
        if self.target.exists():
            old = self.target.parent / f".{self.target.name}.old-{os.getpid()}-{uuid.uuid4().hex}"
            os.rename(self.target, old)
        try:
            os.rename(self.tmp, self.target)
        except BaseException:
            if old is not None:
                os.rename(old, self.target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _remove_stale(target: Path) -> None:
    """Delete temporary siblings of ``target`` left by runs whose process is gone."""
    prefix = f".{target.name}."
    for sibling in target.parent.glob(f"{glob.escape(prefix)}*-*-*"):
        rest = sibling.name[len(prefix):]
        kind, _, tail = rest.partition("-")
        pid_text = tail.split("-", 1)[0]
        if kind not in ("tmp", "old") or not pid_text.isdigit() or not sibling.is_dir():
            continue
        if _alive(int(pid_text)):
            continue
        shutil.rmtree(sibling, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
