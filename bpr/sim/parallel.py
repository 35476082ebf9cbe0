"""Executors for independent tasks (replications, sweep points): in-process, a local process
pool, or a Dask distributed cluster. Results come back in input order and never depend on the
executor: each task must be a pure function of its (picklable) item.

``scheduler="tcp://host:port"`` (or the environment variable ``BPR_SCHEDULER``) sends tasks to a
running ``dask.distributed`` scheduler; tasks that write files (simulated logs) then need a file
system shared with the workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bpr.errors import SimulationError

T = TypeVar("T")
R = TypeVar("R")
SCHEDULER_ENV = "BPR_SCHEDULER"


def resolve_scheduler(scheduler: str | None) -> str | None:
    """``scheduler`` or, when None, the ``BPR_SCHEDULER`` environment variable (empty: none)."""
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    return scheduler


def map_ordered(fn: Callable[[T], R], items: Sequence[T], *, workers: int = 1,
                scheduler: str | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[R]:
    """``[fn(x) for x in items]``, run in-process (``workers == 1``), on a local process pool
    (``workers > 1``) or on a Dask cluster (``scheduler``); ``progress(done, total)`` after each
    finished item. ``fn`` must be a module-level function (it is pickled by reference)."""
    items = list(items)
    total = len(items)
    if workers < 1:
        raise SimulationError(f"workers must be at least 1, got {workers}")
    scheduler = resolve_scheduler(scheduler)
    if scheduler:
        return _map_dask(fn, items, scheduler, progress)
    if workers == 1 or total <= 1:
        results = []
        for i, item in enumerate(items):
            results.append(fn(item))
            if progress is not None:
                progress(i + 1, total)
        return results
    return _map_pool(fn, items, min(workers, total), progress)


def _map_pool(fn: Callable[[T], R], items: list[T], workers: int,
              progress: Callable[[int, int], None] | None) -> list[R]:
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = multiprocessing.get_context("spawn")
    total = len(items)
    results: list[Any] = [None] * total
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        pending = set(futures)
        done_count = 0
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    results[futures[fut]] = fut.result()
                    done_count += 1
                    if progress is not None:
                        progress(done_count, total)
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return results


def _map_dask(fn: Callable[[T], R], items: list[T], address: str,
              progress: Callable[[int, int], None] | None) -> list[R]:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:  # pragma: no cover - dask is a dependency
        raise SimulationError("the Dask scheduler needs dask[distributed]; pip install "
                              "'dask[distributed]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as err:
        raise SimulationError(f"cannot reach the Dask scheduler at {address!r} ({err}); check "
                              f"--scheduler / {SCHEDULER_ENV}") from None
    try:
        futures = client.map(fn, items, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * len(items)
        for done_count, fut in enumerate(as_completed(futures), start=1):
            results[index[fut.key]] = fut.result()
            if progress is not None:
                progress(done_count, len(items))
        return results
    finally:
        client.close()
