"""The same what-if and sweep on a local process pool and on a real Dask cluster (worker
processes) give identical numbers."""

from __future__ import annotations

import pytest
from scenario_helpers import DATA

from bpr.analysis.sweep import sweep
from bpr.analysis.whatif import whatif
from bpr.scenario import Scenario, parse_change


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
