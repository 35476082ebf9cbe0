"""Executors for independent tasks (replications, sweep points): in-process, a local process
pool, or a Dask distributed cluster. Results come back in input order and never depend on the
executor: each task must be a pure function of its (picklable) item.

``scheduler="tcp://host:port"`` (or the environment variable ``BPR_SCHEDULER``) sends tasks to a
running ``dask.distributed`` scheduler; tasks that write files (simulated logs) then need a file
system shared with the workers. A cluster that fails (unreachable, not a Dask scheduler, no
workers, every worker gone, a task that kills its workers) ends the run with one
:class:`~bpr.errors.ClusterError` line within bounded time (:class:`DaskTimeouts`), never a hang.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bpr.errors import ClusterError, SimulationError

T = TypeVar("T")
R = TypeVar("R")
SCHEDULER_ENV = "BPR_SCHEDULER"
_CANCELLED = (asyncio.CancelledError, concurrent.futures.CancelledError)


def resolve_scheduler(scheduler: str | None) -> str | None:
    """``scheduler`` or, when None, the ``BPR_SCHEDULER`` environment variable (empty: none)."""
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    return scheduler


def map_ordered(fn: Callable[[T], R], items: Sequence[T], *, workers: int = 1,
                scheduler: str | None = None,
                progress: Callable[[int, int], None] | None = None,
                timeouts: DaskTimeouts | None = None) -> list[R]:
    """``[fn(x) for x in items]``, run in-process (``workers == 1``), on a local process pool
    (``workers > 1``) or on a Dask cluster (``scheduler``); ``progress(done, total)`` after each
    finished item. ``fn`` must be a module-level function (it is pickled by reference).
    ``timeouts``: bounds on every Dask wait (default :meth:`DaskTimeouts.from_env`); a cluster
    that cannot do the work raises :class:`~bpr.errors.ClusterError` (one line)."""
    items = list(items)
    total = len(items)
    if workers < 1:
        raise SimulationError(f"workers must be at least 1, got {workers}")
    scheduler = resolve_scheduler(scheduler)
    if scheduler:
        return _map_dask(fn, items, scheduler, progress, timeouts)
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
    from concurrent.futures.process import BrokenProcessPool

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
        except BrokenProcessPool:
            for fut in pending:
                fut.cancel()
            raise SimulationError(f"a worker process died (out of memory, or killed) after "
                                  f"{done_count} of {total} tasks; run with fewer --workers or "
                                  f"fewer cases") from None
        except BaseException:
            for fut in pending:
                fut.cancel()
            raise
    return results


@dataclass(frozen=True)
class DaskTimeouts:
    """Bounds on waiting for a Dask cluster (seconds; None: no bound). From the environment:
    ``BPR_DASK_CONNECT_TIMEOUT``, ``BPR_DASK_WORKERS_TIMEOUT``, ``BPR_DASK_RESULT_TIMEOUT``,
    ``BPR_DASK_TASK_TIMEOUT`` (``0`` or ``none``: no bound)."""

    connect: float | None = 10.0  # reach the scheduler and shake hands
    workers: float | None = 60.0  # wait for a worker (at the start, or when all are gone)
    result: float | None = 60.0  # fetch one finished result from its worker
    task: float | None = None  # the longest wait for the next task to finish (workers present)
    poll: float = 0.5  # how often the cluster is checked while waiting

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> DaskTimeouts:
        env = os.environ if env is None else env
        values: dict[str, float | None] = {}
        for name in ("connect", "workers", "result", "task"):
            key = f"BPR_DASK_{name.upper()}_TIMEOUT"
            raw = env.get(key)
            if raw is None or raw.strip() == "":
                continue
            try:
                v = float(raw)
            except ValueError:
                if raw.strip().lower() in ("none", "off"):
                    values[name] = None
                    continue
                raise SimulationError(f"{key} must be a number of seconds, got {raw!r}") \
                    from None
            if v != v or v < 0:
                raise SimulationError(f"{key} must be a number of seconds >= 0, got {raw!r}")
            values[name] = None if v == 0 or v == float("inf") else v
        return cls(**values)  # type: ignore[arg-type]


_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")


def check_address(address: str) -> str:
    """The Dask scheduler address in canonical form, or a one-line error naming the fix."""
    text = str(address).strip()
    hint = f"give tcp://HOST:PORT (default port 8786) with --scheduler or {SCHEDULER_ENV}"
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "tcp", text
    scheme = scheme.lower()
    if scheme in ("http", "https"):
        raise ClusterError(f"--scheduler {text!r} is a web address; the Dask scheduler speaks "
                           f"its own protocol: {hint} (the dashboard is the http:// one)")
    if scheme not in _SCHEMES:
        raise ClusterError(f"--scheduler {text!r}: unknown scheme {scheme!r}; {hint}")
    if scheme == "inproc":
        return text
    host, colon, port = rest.rstrip("/").rpartition(":")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536 or \
            any(c.isspace() or c in "/?#@" for c in host):
        raise ClusterError(f"--scheduler {text!r} is not a scheduler address; {hint}")
    return f"{scheme}://{host}:{int(port)}"


def _within(seconds: float | None, what: str, fn: Callable[..., R], *args: Any,
            **kwargs: Any) -> R:
    """``fn(*args)`` in a helper thread, given up (ClusterError) after ``seconds``: a Dask call
    that waits on a peer that never answers must not hang the run."""
    if seconds is None:
        return fn(*args, **kwargs)
    box: list[Any] = []

    def run() -> None:
        try:
            box.append((True, fn(*args, **kwargs)))
        except BaseException as err:  # handed to the caller
            box.append((False, err))

    t = threading.Thread(target=run, name="bpr-dask-call", daemon=True)
    t.start()
    t.join(seconds)
    if not box:
        raise ClusterError(f"{what} did not answer within {seconds:g} s")
    ok, value = box[0]
    if not ok:
        raise value
    return value


def _probe(address: str, seconds: float | None) -> None:
    """Check that a ``tcp://`` peer answers like a Dask scheduler (which speaks first, with a
    small handshake message) before giving it to Dask, whose reader would wait forever on a
    silent peer and try to allocate exabytes for an HTTP server's reply."""
    if not address.startswith("tcp://"):
        return
    host, _, port = address[len("tcp://"):].rpartition(":")
    host = host.strip("[]")
    timeout = 10.0 if seconds is None else seconds
    quiet_for = min(1.0, timeout / 2)  # a scheduler sends its handshake at once
    try:
        with socket.create_connection((host, int(port)), timeout=timeout) as sock:
            deadline = time.monotonic() + timeout
            asked = False
            head = b""
            while len(head) < 8:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                sock.settimeout(left if asked else min(left, quiet_for))
                try:
                    chunk = sock.recv(8 - len(head))
                except TimeoutError:
                    if asked:
                        raise
                    # silent so far: a web server waits for a request, so make one
                    sock.sendall(b"GET / HTTP/1.0\r\n\r\n")
                    asked = True
                    continue
                if not chunk:
                    break
                head += chunk
    except TimeoutError:
        raise ClusterError(f"the peer at {address} accepted the connection but sent nothing "
                           f"within {timeout:g} s: it is not a Dask scheduler (or it is stuck); "
                           f"check --scheduler / {SCHEDULER_ENV}") from None
    except OSError as err:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} "
                           f"({err.strerror or err}); check that it runs and --scheduler / "
                           f"{SCHEDULER_ENV}") from None
    if len(head) < 8:
        raise ClusterError(f"the peer at {address} closed the connection: it is not a Dask "
                           f"scheduler; check --scheduler / {SCHEDULER_ENV}")
    if head.startswith(b"HTTP/") or head[:1] == b"<":
        raise ClusterError(f"an HTTP server answers at {address}, not a Dask scheduler (the "
                           f"scheduler usually listens on port 8786, its dashboard on 8787); "
                           f"check --scheduler / {SCHEDULER_ENV}")
    size = struct.unpack("<Q", head)[0]
    if not 0 < size < 2**26:
        raise ClusterError(f"the peer at {address} does not speak the Dask protocol (its first "
                           f"message would be {size:,} bytes); check --scheduler / "
                           f"{SCHEDULER_ENV}")


def _connect(address: str, t: DaskTimeouts) -> Any:
    from dask.distributed import Client

    _probe(address, t.connect)
    what = f"the Dask scheduler at {address}"
    try:
        return _within(None if t.connect is None else t.connect + 5, what, Client, address,
                       timeout=t.connect if t.connect is not None else "3600s",
                       set_as_default=False)
    except ClusterError:
        raise
    except (OSError, TimeoutError) as err:
        raise ClusterError(f"cannot reach the Dask scheduler at {address} ({err}); check that "
                           f"it runs and --scheduler / {SCHEDULER_ENV}") from None
    except (MemoryError, ValueError, TypeError, EOFError) as err:
        raise ClusterError(f"the peer at {address} does not speak the Dask protocol "
                           f"({type(err).__name__}); check --scheduler / {SCHEDULER_ENV}") \
            from None


def _workers(client: Any, t: DaskTimeouts, address: str) -> int:
    """Workers the scheduler knows now (a bounded call)."""
    info = _within(t.connect or 10.0, f"the Dask scheduler at {address}",
                   client.scheduler_info, n_workers=-1)
    return len(info.get("workers", {}))


def _map_dask(fn: Callable[[T], R], items: list[T], address: str,
              progress: Callable[[int, int], None] | None,
              timeouts: DaskTimeouts | None = None) -> list[R]:
    """Run on a Dask cluster. Results are fetched (and released on the cluster) as soon as
    each task finishes, so losing a worker re-runs only the unfinished tasks (the scheduler
    re-runs a task whose worker died up to its ``allowed-failures`` times, then gives up).
    Every wait is bounded: connecting, waiting for workers (at the start or when all are
    gone), fetching a result and, if set, the time to the next finished task."""
    try:
        from distributed import KilledWorker, as_completed
    except ImportError:  # pragma: no cover - dask is a dependency
        raise SimulationError("the Dask scheduler needs dask[distributed]; pip install "
                              "'dask[distributed]'") from None
    t = timeouts if timeouts is not None else DaskTimeouts.from_env()
    address = check_address(address)
    client = _connect(address, t)
    total = len(items)
    results: list[Any] = [None] * total
    pending: dict[Any, int] = {}
    done_count = 0

    def where() -> str:
        return f"{done_count} of {total} tasks had finished"

    try:
        if _workers(client, t, address) == 0:
            _wait_for_workers(client, t, address, "has no workers")
        futures = client.map(fn, items, pure=False)
        pending = {f: i for i, f in enumerate(futures)}
        finished = as_completed(futures, loop=client.loop)
        no_workers_since: float | None = None
        last_done = time.monotonic()
        while pending:
            done = [f for f in finished.next_batch(block=False) if f in pending]
            if not done:
                time.sleep(t.poll)
            now = time.monotonic()
            for fut in done:
                i = pending.pop(fut)
                try:
                    results[i] = _within(t.result, f"fetching a result from {address}",
                                         fut.result)
                except KilledWorker:
                    raise ClusterError(f"task {i + 1} of {total} killed every Dask worker that "
                                       f"ran it (out of memory, or a crash), {where()}; give "
                                       f"the workers more memory or run fewer cases") from None
                except _CANCELLED as err:
                    raise _lost(address, where()) from err
                fut.release()
                done_count += 1
                last_done = now
                if progress is not None:
                    progress(done_count, total)
            if done or not pending:
                no_workers_since = None
                continue
            if client.status not in ("running", "connecting"):
                raise _lost(address, where())
            if _workers(client, t, address) == 0:
                no_workers_since = no_workers_since or now
                if t.workers is not None and now - no_workers_since > t.workers:
                    raise ClusterError(f"every Dask worker at {address} is gone and none came "
                                       f"back within {t.workers:g} s; {where()}; start "
                                       f"workers (dask worker {address}) and run again")
            else:
                no_workers_since = None
                if t.task is not None and now - last_done > t.task:
                    raise ClusterError(f"no task finished on the Dask cluster at {address} "
                                       f"within {t.task:g} s; {where()}; raise "
                                       f"BPR_DASK_TASK_TIMEOUT or check the workers")
        return results
    finally:
        if pending:
            with contextlib.suppress(Exception):
                _within(5, "cancelling", client.cancel, list(pending))
        with contextlib.suppress(Exception):
            _within(5, "closing", client.close, timeout=3)


def _wait_for_workers(client: Any, t: DaskTimeouts, address: str, state: str) -> None:
    start = time.monotonic()
    while _workers(client, t, address) == 0:
        if t.workers is not None and time.monotonic() - start > t.workers:
            raise ClusterError(f"the Dask scheduler at {address} {state} (waited "
                               f"{t.workers:g} s); start workers with `dask worker {address}` "
                               f"or leave out --scheduler")
        time.sleep(t.poll)


def _lost(address: str, where: str) -> ClusterError:
    return ClusterError(f"lost the connection to the Dask scheduler at {address}; {where}; "
                        f"check the scheduler and run again")
