"""Discrete-event simulation of process models (SimPy), with replications and KPIs.

``simulate(model, cases=1000, replications=10, seed=1)`` runs independent replications (in
parallel with ``workers`` or on a Dask cluster with ``scheduler``) and returns a
:class:`SimulationResult` whose KPIs are estimates with 95% confidence intervals;
``simulate_log(model, cases=...)`` returns one replication's log in memory as an
:class:`bpr.io.eventlog.EventLog`.

Semantics (token flow, calendars, the pause-and-resume rule, costs, KPI definitions) are
documented in :mod:`bpr.sim.engine`; random streams and common random numbers in
:mod:`bpr.sim.streams`; the clock and time zones in :mod:`bpr.sim.clock`; the log columns in
:mod:`bpr.sim.records`. In short:

- Horizon: ``cases`` arrivals, or arrivals during ``days`` days; every case that arrived is
  simulated to its end. The first ``warmup_cases`` cases are left out of all statistics.
- Reproducible: replication ``r`` of seed ``s`` is a pure function of (model, s, r, horizon,
  start), so results and files are byte-identical whatever ``workers`` or ``scheduler``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bpr.errors import SimulationError
from bpr.model.process import ProcessModel
from bpr.sim.clock import Clock, make_clock
from bpr.sim.parallel import map_ordered
from bpr.sim.records import LogLayout
from bpr.sim.results import Estimate, ReplicationStats, SimulationResult
from bpr.sim.settings import DEFAULT_CASES, RunSettings, resolve

if TYPE_CHECKING:
    from bpr.io.eventlog import EventLog

__all__ = ["DEFAULT_CASES", "Estimate", "ReplicationStats", "RunSettings", "SimulationResult",
           "map_ordered", "simulate", "simulate_log"]


@dataclass(frozen=True)
class ReplicationTask:
    """Everything one replication needs (picklable: sent to worker processes)."""

    model: ProcessModel
    seed: int
    replication: int
    cases: int | None
    horizon_seconds: float | None
    warmup_cases: int
    clock: Clock
    part_path: str | None = None  # this replication's log file (in a temporary folder)
    log_format: str = "csv"


def _layout(cm: Any, clock: Clock, replication: int) -> LogLayout:
    members: list[str] = []
    roles: list[str] = []
    for name, names in zip(cm.pool_names, cm.pool_members, strict=True):
        members += names
        roles += [name] * len(names)
    return LogLayout(activity_names=tuple(cm.activity_names),
                     activity_fixed_cost=tuple(float(c) for c in cm.activity_fixed_cost),
                     member_names=tuple(members), member_roles=tuple(roles),
                     start_utc_epoch_ms=clock.start_utc_epoch_ms, replication=replication)


def _log_timezone(clock: Clock) -> str:
    return "UTC" if clock.offset_text == "+00:00" else clock.offset_text


def run_replication(task: ReplicationTask,
                    progress: Callable[[int], None] | None = None) -> ReplicationStats:
    """Run one replication (writing its log to ``task.part_path`` if set)."""
    import contextlib

    from bpr.io.formats import by_name
    from bpr.sim.compiled import compile_model
    from bpr.sim.engine import Replication
    from bpr.sim.records import RowBuffer

    cm = compile_model(task.model)
    buffer = None
    with contextlib.ExitStack() as stack:
        if task.part_path is not None:
            fmt, gz = by_name(task.log_format)
            writer = stack.enter_context(fmt.writer(Path(task.part_path),
                                                    tz=_log_timezone(task.clock), gzipped=gz))
            layout = _layout(cm, task.clock, task.replication)
            buffer = RowBuffer(layout, lambda raw: writer.write(layout.log_table(raw)))
        rep = Replication(cm, seed=task.seed, replication=task.replication,
                          week_offset=task.clock.week_offset, cases=task.cases,
                          horizon_seconds=task.horizon_seconds, warmup_cases=task.warmup_cases,
                          sink=buffer.add if buffer is not None else None, progress=progress)
        stats = rep.run()
        if buffer is not None:
            buffer.finish()
    return stats


def _settings(model: ProcessModel, settings: RunSettings, log_format: str
              ) -> tuple[int | None, float | None, Clock]:
    """Cases (or days) and the clock of one run (the settings are checked already)."""
    from bpr.errors import LogError
    from bpr.io.formats import by_name

    try:
        by_name(log_format)
    except LogError as err:
        raise SimulationError(err.detail) from None
    cases = settings.cases_for(model)
    default_start = model.observed.first_event if model.observed is not None else None
    clock = make_clock(settings.start, model.timezone, default_start)
    return cases, settings.days, clock


def simulate(model: ProcessModel | str | os.PathLike[str], *,
             settings: RunSettings | None = None, cases: int | None = None,
             days: float | None = None, warmup_cases: int | None = None,
             start: datetime | str | None = None, replications: int | None = None,
             seed: int | None = None, workers: int | None = None, scheduler: str | None = None,
             log_path: str | Path | None = None, log_format: str = "csv",
             progress: Callable[[int, int], None] | None = None) -> SimulationResult:
    """Simulate independent replications of ``model`` and estimate its KPIs.

    ``settings`` (:class:`~bpr.sim.settings.RunSettings`), with the keyword values that are
    not None replacing its fields: ``cases`` arrivals per replication (default: the observed
    case count, else 1000), or ``days``: arrivals during that many days; ``replications``
    (default 10); ``start``: date of simulation time 0 (naive: in the model's time zone;
    default: the first observed event, else Monday 2024-01-01 00:00). ``log_path``: a folder
    that receives one log per replication, ``replication-<r>.<format>`` (``log_format``: a name
    of :func:`bpr.io.formats.format_names`, e.g. ``csv``, ``xes.gz``, ``parquet``), each on its
    own time axis from ``start`` so that any tool reading one file sees the model's rates;
    streamed while the replications run, and the folder replaced as a whole only when every
    file is complete. ``progress(done, total)``.
    """
    from bpr.sim.compiled import compile_model

    run = resolve(settings, cases=cases, days=days, warmup_cases=warmup_cases, start=start,
                  replications=replications, seed=seed, workers=workers, scheduler=scheduler)
    if not isinstance(model, ProcessModel):
        from bpr.model.files import load_model

        model = load_model(model)
    cases, days, clock = _settings(model, run, log_format)
    replications, seed, warmup_cases = run.replications_to_run, run.seed, run.warmup_cases
    workers, scheduler = run.workers, run.scheduler
    compile_model(model)  # raise model errors here, before any work or output
    horizon = None if days is None else float(days) * 86400.0
    from bpr.sim.records import LogFolder

    folder = None if log_path is None else LogFolder(Path(log_path), log_format, replications)
    tasks = [ReplicationTask(model=model, seed=int(seed), replication=r, cases=cases,
                             horizon_seconds=horizon, warmup_cases=int(warmup_cases), clock=clock,
                             part_path=None if folder is None else str(folder.file(r)),
                             log_format=log_format)
             for r in range(replications)]
    from bpr.sim.parallel import resolve_scheduler

    with folder if folder is not None else contextlib.nullcontext():
        if workers == 1 and not resolve_scheduler(scheduler):
            stats = []
            for task in tasks:
                per_case = None
                if progress is not None and cases is not None:
                    done_before = task.replication * cases
                    total = replications * cases

                    def per_case(done: int, _b: int = done_before, _t: int = total) -> None:
                        progress(_b + done, _t)
                stats.append(run_replication(task, per_case))
                if progress is not None:
                    progress(task.replication + 1 if cases is None else
                             (task.replication + 1) * cases,
                             replications if cases is None else replications * cases)
        else:
            stats = map_ordered(run_replication, tasks, workers=workers, scheduler=scheduler,
                                progress=progress)
    record: dict[str, Any] = {
        "model": model.name, "seed": int(seed), "replications": int(replications),
        "cases": cases, "days": days, "warmup_cases": int(warmup_cases),
        "start": clock.start_local.isoformat(), "timezone": model.timezone,
    }
    return SimulationResult(model_name=model.name, settings=record, replications=stats)


def simulate_log(model: ProcessModel, *, cases: int, start: datetime | str | None = None,
                 seed: int = 42, replication: int = 0) -> EventLog:
    """One replication of ``cases`` cases as an in-memory :class:`EventLog` (times in UTC;
    columns case_id, activity, start_time, end_time, resource, role, enabled_time, fixed_cost,
    resource_cost). The same replication as ``simulate(..., seed=seed)`` would run."""
    import numpy as np
    import pyarrow as pa

    from bpr.io.eventlog import TIMES, EventLog
    from bpr.sim.compiled import compile_model
    from bpr.sim.engine import Replication
    from bpr.sim.records import RowBuffer

    cases_, _, clock = _settings(model, RunSettings.of(cases=cases, start=start, seed=seed),
                                 "csv")
    cm = compile_model(model)
    layout = _layout(cm, clock, replication)
    chunks: list[pa.Table] = []
    buffer = RowBuffer(layout, lambda raw: chunks.append(layout.log_table(raw)))
    Replication(cm, seed=int(seed), replication=replication, week_offset=clock.week_offset,
                cases=cases_, sink=buffer.add).run()
    buffer.finish()
    table = pa.concat_tables(chunks)
    try:
        table = table.cast(pa.schema([
            pa.field(f.name, pa.timestamp("ns", tz="UTC")) if f.name in TIMES else f
            for f in table.schema]))
    except pa.ArrowInvalid:
        raise SimulationError("the simulated times run past the year 2262, which timestamps"
                              " cannot hold; fix: start earlier or simulate fewer cases"
                              ) from None
    df = table.to_pandas()[["case_id", "activity", "start_time", "end_time", "resource", "role",
                            "enabled_time", "fixed_cost", "resource_cost"]]
    for col in ("resource", "role"):
        df[col] = df[col].astype(object).where(df[col].notna(), np.nan)
    return EventLog(df=df, path="<simulated>", timezone=_log_timezone(clock))
