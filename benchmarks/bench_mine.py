"""Mining benchmark: ``bpr mine`` end to end (read + discover) on a real log scaled up.

PurchasingExample (9,119 events) is scaled by re-timing copies of its cases (see
:mod:`benchmarks.scale`) to about 250k and 2.5M events. Each measurement runs in a fresh
subprocess, which reports its wall time and peak memory (``ru_maxrss``). The baseline, measured
in the same run on the same file, is pandas reading the CSV plus pm4py's Inductive Miner alone
(``pm4py.discover_process_tree_inductive`` on the DataFrame, noise 0.2).

Targets (2 cores): 250k events < 30 s, 2.5M events < 5 min, peak memory < 4 GiB.
Usage: ``python -m benchmarks.bench_mine [--sizes 250000 2500000] [--no-baseline]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "event_logs" / "PurchasingExample.csv.gz"
TARGET_SECONDS = {250_000: 30.0, 2_500_000: 300.0}
MEMORY_TARGET_MIB = 4096.0


def _child_mine(path: str) -> dict:
    from bpr.discovery import discover, summarize
    from bpr.io.logs import read_log

    t0 = time.perf_counter()
    log = read_log(path)
    t1 = time.perf_counter()
    d = discover(log)
    summarize(d)
    t2 = time.perf_counter()
    return {"events": log.n_events, "cases": log.n_cases, "read_s": t1 - t0,
            "mine_s": t2 - t1, "steps": d.seconds_per_step}


def _child_baseline(path: str) -> dict:
    import pandas as pd

    from bpr.io.quiet import import_pm4py, silenced

    pm4py = import_pm4py()
    t0 = time.perf_counter()
    df = pd.read_csv(path)
    df["end_time"] = pd.to_datetime(df["end_time"], utc=True, format="mixed")
    t1 = time.perf_counter()
    with silenced():
        pm4py.discover_process_tree_inductive(df, noise_threshold=0.2, case_id_key="case_id",
                                              activity_key="activity", timestamp_key="end_time")
    t2 = time.perf_counter()
    return {"read_s": t1 - t0, "im_s": t2 - t1}


def _run_child(kind: str, path: Path) -> dict:
    code = ("import json, resource, sys; from benchmarks.bench_mine import _child_" + kind +
            " as f; r = f(sys.argv[1]); "
            "r['peak_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; "
            "print(json.dumps(r))")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(path)], cwd=ROOT, check=True,
                         capture_output=True, text=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - t0
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[250_000, 2_500_000])
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from benchmarks.scale import scaled_csv

    ok = True
    print(f"{'events':>10} {'read s':>7} {'mine s':>7} {'total s':>8} {'events/s':>10} "
          f"{'peak MiB':>9} {'target':>7} | {'pm4py IM s':>10} {'ratio':>6}")
    for size in args.sizes:
        t = time.perf_counter()
        path = scaled_csv(SOURCE, size)
        prep = time.perf_counter() - t
        r = _run_child("mine", path)
        total = r["read_s"] + r["mine_s"]
        base = "" if args.no_baseline else _run_child("baseline", path)
        target = TARGET_SECONDS.get(size, total + 1)
        met = total < target and r["peak_mib"] < MEMORY_TARGET_MIB
        ok &= met
        b_txt = "" if not base else (f"{base['im_s']:>10.1f} {total / base['im_s']:>6.2f}")
        print(f"{r['events']:>10,} {r['read_s']:>7.1f} {r['mine_s']:>7.1f} {total:>8.1f} "
              f"{r['events'] / total:>10,.0f} {r['peak_mib']:>9.0f} "
              f"{'ok' if met else 'MISSED':>7} | {b_txt}", flush=True)
        slow = sorted(r["steps"].items(), key=lambda kv: -kv[1])[:3]
        print(f"{'':>10} (scaled log prepared in {prep:.1f}s; slowest mining steps: "
              f"{', '.join(f'{k} {v:.1f}s' for k, v in slow)}"
              + (f"; baseline peak {base['peak_mib']:.0f} MiB" if base else "") + ")")
    print("ratio = bpr read+mine time / pm4py Inductive Miner alone (same file, same run)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
