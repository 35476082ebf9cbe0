"""bpr vs Prosimos on the same Simod model: `python benchmarks/bench_prosimos.py [--quick]`.

Model: tests/data/prosimos_models/PurchasingExample_train (Simod's discovery), run by Prosimos
as is and by bpr after `bpr import-prosimos` (processes/purchasing_simod.yaml is the same import).
Prosimos (PyPI `prosimos`) is installed by this script into its own virtual environment under
benchmarks/.work/ (never a bpr dependency); `--bpr-only` skips it.

For 10,000 and 100,000 cases (``--quick``: 2,000 and 10,000), each tool runs ``--replications``
times, each run in its own subprocess, and the script prints: events/s (one event = one activity
instance, a row of the simulated log), peak memory (ru_maxrss of the subprocess), the ratio of
the two tools, and the mean cycle time and mean waiting time per case (hours) with 95% Student-t
intervals over the replications. Waiting per case = sum over its activity instances of
(start - enabled), as both tools define it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "tests" / "data" / "prosimos_models"
NAME = "PurchasingExample_train"
WORK = ROOT / "benchmarks" / ".work"
VENV = WORK / "prosimos-venv"
START = "2024-01-01T00:00:00+00:00"

BPR_RUN = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
from bpr.model.prosimos import import_prosimos
from bpr.sim import simulate
m = import_prosimos(sys.argv[1], sys.argv[2])
t = time.perf_counter()
r = simulate(m, cases=int(sys.argv[3]), seed=int(sys.argv[4]), start="2024-01-01T00:00:00")
secs = time.perf_counter() - t
rep = r.replications[0]
import resource
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "seconds": secs, "events": int(sum(rep.activity_count.values())),
                  "cycle_h": rep.kpis["cycle_time_hours_mean"],
                  "wait_h": rep.kpis["waiting_time_hours_mean"]}))
"""

PROSIMOS_RUN = r"""
import json, sys, time
import pandas as pd
from prosimos.simulation_engine import run_simulation
t = time.perf_counter()
run_simulation(sys.argv[1], sys.argv[2], int(sys.argv[3]), None, sys.argv[5], sys.argv[6])
secs = time.perf_counter() - t
log = pd.read_csv(sys.argv[5])
for c in ("enable_time", "start_time", "end_time"):
    log[c] = pd.to_datetime(log[c], utc=True, format="mixed")
g = log.groupby("case_id")
cycle = (g["end_time"].max() - g["enable_time"].min()).dt.total_seconds() / 3600
wait = ((log["start_time"] - log["enable_time"]).dt.total_seconds() / 3600).groupby(
    log["case_id"]).sum()
import resource
print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "seconds": secs, "events": int(len(log)), "cycle_h": float(cycle.mean()),
                  "wait_h": float(wait.mean())}))
"""


def run_child(cmd: list[str]) -> dict:
    """Run ``cmd``; its JSON result plus its own peak memory (MiB, its ru_maxrss)."""
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {' '.join(cmd[:3])}...\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["peak_mib"] = out.pop("peak_kib") / 1024
    return out


def ensure_prosimos() -> Path:
    py = VENV / "bin" / "python"
    if not py.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "prosimos", "pandas"], check=True,
                       stderr=subprocess.DEVNULL)
    return py


def ci(values: list[float]) -> str:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return f"{mean:.2f}"
    from scipy.stats import t

    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    h = t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return f"{mean:.2f} [{mean - h:.2f}, {mean + h:.2f}]"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bpr-only", action="store_true")
    ap.add_argument("--replications", type=int, default=5)
    args = ap.parse_args()
    sizes = (2_000, 10_000) if args.quick else (10_000, 100_000)
    bpmn, params = str(MODELS / f"{NAME}.bpmn"), str(MODELS / f"{NAME}.json")
    tools = {"bpr": lambda n, s, tmp: [sys.executable, "-c", BPR_RUN, bpmn, params, str(n),
                                       str(s)]}
    if not args.bpr_only:
        py = ensure_prosimos()
        tools["prosimos"] = lambda n, s, tmp: [str(py), "-c", PROSIMOS_RUN, bpmn, params, str(n),
                                               "-",  # no statistics file: Prosimos 2.1
                                               # crashes computing them on this model
                                               os.path.join(tmp, "log.csv"), START]
    print(f"model {NAME}; {args.replications} replications per size")
    results: dict[tuple[str, int], list[dict]] = {}
    for n in sizes:
        for tool, cmd in tools.items():
            runs = []
            # Prosimos needs GBs at 100k cases: one run is enough for speed and memory
            reps = 1 if (tool == "prosimos" and n >= 100_000) else args.replications
            for s in range(reps):
                with tempfile.TemporaryDirectory() as tmp:
                    runs.append(run_child(cmd(n, s + 1, tmp)))
            results[(tool, n)] = runs
            ev = sum(r["events"] for r in runs) / sum(r["seconds"] for r in runs)
            print(f"{tool:9s} {n:>7,} cases: {ev:>10,.0f} events/s, peak {max(r['peak_mib'] for r in runs):,.0f} MiB, "  # noqa: E501
                  f"cycle h {ci([r['cycle_h'] for r in runs])}, waiting h "
                  f"{ci([r['wait_h'] for r in runs])}", flush=True)
        if ("prosimos", n) in results:
            b = results[("bpr", n)]
            p = results[("prosimos", n)]
            ratio = (sum(r["events"] for r in b) / sum(r["seconds"] for r in b)) / (
                sum(r["events"] for r in p) / sum(r["seconds"] for r in p))
            print(f"ratio bpr/prosimos at {n:,} cases: {ratio:.1f}x events/s")


if __name__ == "__main__":
    main()
