"""Sweep benchmark: 40 grid points x 10 replications on the small hand-written expense claim
model, run with 1 local worker, 2 local workers and a 2-worker Dask LocalCluster.

Prints the wall times, the speed-up of 2 workers over 1 (target >= 1.7x on a 2-core machine)
and the Dask time, and checks that all three runs give identical results.

    python -m benchmarks.bench_sweep [--cases N] [--replications R]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "expense_claim_receipt_scanning.yaml"
GRID = ["staff.finance=2..6", "automate.Verify receipts=0.1,0.2,0.3,0.4,0.5,0.6,0.8,1"]


def _run(label: str, **kw) -> tuple[float, dict]:
    from bpr.analysis.sweep import sweep

    c0 = _cpu()
    t0 = time.perf_counter()
    result = sweep(str(SCENARIO), GRID, **kw)
    dt = time.perf_counter() - t0
    cpu = _cpu() - c0
    extra = "" if "scheduler" in kw else (f"  (CPU {cpu:6.1f} s: {cpu / dt:.2f} cores actually "
                                          f"used)")
    print(f"{label:<28} {dt:8.2f} s{extra}", flush=True)
    return dt, result.to_dict()


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the local pool's workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--replications", type=int, default=10)
    args = ap.parse_args(argv)
    run = {"cases": args.cases, "replications": args.replications, "seed": 1}
    points = 5 * 8
    print(f"sweep of {points} points x {args.replications} replications x {args.cases} cases "
          f"({points * args.replications} simulations) on {SCENARIO.name}; "
          f"{os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f} before the run "
          f"(other processes on the machine slow the parallel runs down)")
    t1, r1 = _run("1 local worker", workers=1, **run)
    t2, r2 = _run("2 local workers", workers=2, **run)

    from dask.distributed import LocalCluster

    t0 = time.perf_counter()
    cluster = LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                           dashboard_address=None)
    start = time.perf_counter() - t0
    try:
        td, rd = _run("Dask LocalCluster, 2 workers", scheduler=cluster.scheduler_address, **run)
    finally:
        cluster.close()
    print(f"{'(Dask cluster start-up)':<28} {start:8.2f} s")
    print(f"simulations per second: 1 worker {points * args.replications / t1:.1f}, "
          f"2 workers {points * args.replications / t2:.1f}, "
          f"Dask {points * args.replications / td:.1f}")
    print(f"speed-up 2 workers / 1 worker: {t1 / t2:.2f}x (target >= 1.7x on 2 cores)")
    print(f"Dask / 1 worker: {t1 / td:.2f}x; Dask / 2 local workers: {t2 / td:.2f}x")
    print(f"load average after the runs: {os.getloadavg()[0]:.1f}")
    same = r1 == r2 == rd
    print(f"identical results on all three executors: {same}")
    front = [p["point"] for p in r1["points"] if p["pareto"]]
    print(f"Pareto-efficient points: {front}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
