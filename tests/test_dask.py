"""Dask: the same numbers as a local pool, and failures that end clearly, never a hang.

A real local cluster is used throughout: a scheduler in this process and worker processes the
tests start and kill themselves; hostile peers are tiny socket servers started here.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from scenario_helpers import DATA

from bpr.analysis.sweep import sweep
from bpr.analysis.whatif import whatif
from bpr.errors import ClusterError
from bpr.scenario import Scenario, parse_change
from bpr.sim.parallel import DaskTimeouts, check_address, map_ordered

HOSTILE = Path(__file__).resolve().parent / "hostile"
sys.path.insert(0, str(HOSTILE))
import dask_tasks  # noqa: E402  (worker processes import it from the same folder)
import peers  # noqa: E402

FAST = DaskTimeouts(connect=5, workers=3, result=20, poll=0.1)


@pytest.fixture(scope="module")
def cluster_address():
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_whatif_and_sweep_identical_on_pool_and_dask(cluster_address):
    sc = Scenario("s", str(DATA / "small.yaml"), (
        parse_change("automate", {"activity": "Check credit", "duration": "0.5x"}),
        parse_change("staff", {"pool": "Clerk", "count": "+1"})))
    run = {"cases": 200, "replications": 3, "seed": 9}
    local = whatif(sc, workers=1, **run).to_dict()
    pool = whatif(sc, workers=2, **run).to_dict()
    dask = whatif(sc, scheduler=cluster_address, **run).to_dict()
    assert pool == local
    assert dask == local
    grid = ["staff.Clerk=1..2"]
    s_pool = sweep(sc, grid, workers=2, **run).to_dict()
    s_dask = sweep(sc, grid, scheduler=cluster_address, **run).to_dict()
    assert s_pool == s_dask


# -- a scheduler whose workers the test owns ---------------------------------------------------

@contextlib.contextmanager
def bare_scheduler():
    """A scheduler with no workers (in this process)."""
    from dask.distributed import LocalCluster

    cluster = LocalCluster(n_workers=0, processes=True, dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def start_worker(address: str) -> subprocess.Popen:
    """A worker process without a nanny (killing it makes it gone for good)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HOSTILE), *filter(None, [os.environ.get("PYTHONPATH")])])}
    return subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", address, "--no-nanny",
         "--nthreads", "1", "--no-dashboard", "--death-timeout", "60"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_workers(address: str, n: int) -> None:
    from dask.distributed import Client

    with Client(address, timeout="20s", set_as_default=False) as c:
        c.wait_for_workers(n, timeout=60)


def runs(folder: Path) -> dict[int, int]:
    """How many times each item ran (one line per run)."""
    return {int(p.name): len(p.read_text().splitlines()) for p in folder.iterdir()}


@pytest.mark.slow
def test_a_lost_worker_reruns_only_unfinished_tasks(tmp_path):
    with bare_scheduler() as address:
        workers = [start_worker(address), start_worker(address)]
        try:
            wait_for_workers(address, 2)
            items = [(str(tmp_path), n, 0.3) for n in range(12)]

            def progress(done: int, total: int) -> None:
                if done == 8:  # about 4 results came from the worker killed now
                    workers[0].kill()

            out = map_ordered(dask_tasks.record, items, scheduler=address, progress=progress,
                              timeouts=FAST)
        finally:
            for w in workers:
                w.kill()
                w.wait()
    assert out == [n * n for n in range(12)]
    counts = runs(tmp_path)
    assert sorted(counts) == list(range(12))
    # results fetched before the kill are kept: only the task the dead worker was running
    # (and one it may have finished but not yet handed over) run again
    assert max(counts.values()) <= 2
    assert sum(counts.values()) <= 12 + 2


@pytest.mark.slow
def test_every_worker_gone_ends_with_one_line(tmp_path):
    with bare_scheduler() as address:
        worker = start_worker(address)
        try:
            wait_for_workers(address, 1)
            items = [(str(tmp_path), n, 0.2) for n in range(8)]

            def progress(done: int, total: int) -> None:
                if done == 1:
                    worker.kill()

            t0 = time.monotonic()
            with pytest.raises(ClusterError, match=r"every Dask worker .* is gone and none came "
                               r"back within 3 s; \d of 8 tasks had finished"):
                map_ordered(dask_tasks.record, items, scheduler=address, progress=progress,
                            timeouts=FAST)
            assert time.monotonic() - t0 < 60  # bounded (3 s plus polling), not a hang
        finally:
            worker.kill()
            worker.wait()


@pytest.mark.slow
def test_no_workers_is_refused_within_the_timeout():
    with bare_scheduler() as address, \
            pytest.raises(ClusterError, match="has no workers .*waited 3 s.*dask worker"):
        map_ordered(dask_tasks.record, [("/nonexistent", 1, 0)], scheduler=address,
                    timeouts=FAST)


@pytest.mark.slow
def test_a_task_that_kills_its_workers_is_given_up_after_bounded_retries():
    import dask
    from dask.distributed import LocalCluster

    # the scheduler (in this process) retries a task whose worker died once, then gives up
    with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
        cluster = LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                               dashboard_address=None)
    try:
        with pytest.raises(ClusterError, match=r"task [12] of 2 killed every Dask worker"):
            map_ordered(dask_tasks.kill_own_worker, [1, 2], scheduler=cluster.scheduler_address,
                        timeouts=DaskTimeouts(connect=5, workers=30, result=20, poll=0.1))
    finally:
        cluster.close()


# -- hostile peers and bad addresses -----------------------------------------------------------

@pytest.mark.parametrize(("behaviour", "message"), [
    ("silent", "accepted the connection but sent nothing within 1 s"),
    ("http", "an HTTP server answers at"),
    ("garbage", "does not speak the Dask protocol"),
    ("hangs_up", "closed the connection"),
])
def test_hostile_peers_are_refused_quickly(behaviour, message):
    with peers.serve(behaviour) as address:
        t0 = time.monotonic()
        with pytest.raises(ClusterError, match=message):
            map_ordered(dask_tasks.record, [("/x", 1, 0)], scheduler=address,
                        timeouts=DaskTimeouts(connect=1, workers=1, result=1, poll=0.1))
        assert time.monotonic() - t0 < 15


def test_nothing_listening_is_refused():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(ClusterError, match="cannot reach the Dask scheduler"):
        map_ordered(dask_tasks.record, [("/x", 1, 0)], scheduler=f"tcp://127.0.0.1:{port}",
                    timeouts=DaskTimeouts(connect=1))


@pytest.mark.parametrize(("address", "message"), [
    ("not a url", "is not a scheduler address"),
    ("http://localhost:8787", "is a web address"),
    ("https://example.org", "is a web address"),
    ("ftp://host:1", "unknown scheme 'ftp'"),
    ("tcp://host", "is not a scheduler address"),
    ("tcp://host:0", "is not a scheduler address"),
    ("tcp://host:99999", "is not a scheduler address"),
    ("tcp://:8786", "is not a scheduler address"),
])
def test_bad_addresses(address, message):
    with pytest.raises(ClusterError, match=message):
        check_address(address)


def test_good_addresses():
    assert check_address("localhost:8786") == "tcp://localhost:8786"
    assert check_address(" TCP://10.0.0.1:8786/ ") == "tcp://10.0.0.1:8786"
    assert check_address("tls://[::1]:8786") == "tls://[::1]:8786"


def test_timeouts_from_the_environment():
    t = DaskTimeouts.from_env({"BPR_DASK_CONNECT_TIMEOUT": "2.5", "BPR_DASK_TASK_TIMEOUT": "600",
                               "BPR_DASK_RESULT_TIMEOUT": "none", "BPR_DASK_WORKERS_TIMEOUT": "0"})
    assert (t.connect, t.task, t.result, t.workers) == (2.5, 600, None, None)
    assert DaskTimeouts.from_env({}) == DaskTimeouts()
    with pytest.raises(Exception, match="BPR_DASK_CONNECT_TIMEOUT must be a number"):
        DaskTimeouts.from_env({"BPR_DASK_CONNECT_TIMEOUT": "soon"})
    with pytest.raises(Exception, match=">= 0"):
        DaskTimeouts.from_env({"BPR_DASK_CONNECT_TIMEOUT": "-1"})


def test_cli_scheduler_errors_are_one_line_and_write_nothing(tmp_path):
    from click.testing import CliRunner

    from bpr.cli import main

    out = tmp_path / "out"
    for address in ("not a url", "http://127.0.0.1:8787"):
        res = CliRunner().invoke(main, ["simulate", str(DATA / "small.yaml"), "--cases", "10",
                                        "-o", str(out), "--scheduler", address])
        assert res.exit_code == 2, res.output
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: --scheduler"), res.output
        assert not out.exists() and list(tmp_path.iterdir()) == []
