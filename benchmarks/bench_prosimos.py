"""bpr vs Prosimos on the same Simod model: `python benchmarks/bench_prosimos.py [--quick]`.

Model: tests/data/prosimos_models/PurchasingExample_train (Simod's discovery), run by Prosimos
as is and by bpr after `bpr import-prosimos` (processes/purchasing_simod.yaml is the same import);
``--bpmn``/``--json`` choose another Prosimos model. Prosimos (PyPI `prosimos`) is installed by
this script into its own virtual environment under benchmarks/.work/ (never a bpr dependency);
`--bpr-only` skips it, `--prosimos-only` runs only it.

For 10,000 and 100,000 cases (``--quick``: 2,000 and 10,000; ``--sizes`` to choose), each tool
runs ``--replications`` times (Prosimos once at 100,000 cases or more: it needs about 15 minutes
and GBs per run), each run in its own subprocess, and the script prints: events/s (one event =
one activity instance, a row of the simulated log), peak memory (ru_maxrss of the subprocess),
the ratio of the two tools, and the mean cycle time and mean waiting time per case (hours) with
95% Student-t intervals over the replications. Cycle time = end of the case's last activity -
its arrival (bpr) or the enablement of its first activity (Prosimos; the same instant when the
start event leads straight to a task); waiting per case = sum over its activity instances of
(start - enabled), as both tools define it.

Prosimos runs are cached in benchmarks/results/prosimos_cache/ keyed by the model files, the
number of cases, the seed and the Prosimos version (Prosimos takes no seed: replication ``s`` is
simply the ``s``-th cached run), so changing bpr's import does not mean re-running Prosimos;
``--fresh`` ignores the cache. Prosimos' own wall-clock time and memory are kept with its result.

Why the cycle times differ on this model (measured, 10,000 cases; details in the report of
issue 5, tests/test_prosimos_agreement.py and bpr/model/prosimos.py):

* Prosimos' dispatcher gives a task to the allowed resource released first even when that
  person is off duty and a colleague on duty is idle (tests/prosimos_small.py ``shifts``: 3.66 h
  of waiting per case where theory says 0). ``--dispatch earliest-start`` swaps in a
  work-conserving choice, Prosimos otherwise unchanged: cycle 599.5 -> 544.9 h, waiting
  111.0 -> 52.8 h. On models the import represents exactly, bpr agrees with Prosimos and with
  queueing theory.
* What remains is the import: one calendar and an integer count per team instead of each
  person's own calendar (``--staffing``; see bpr.model.prosimos.team_staffing).
"""

from __future__ import annotations

import argparse
import hashlib
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
CACHE = ROOT / "benchmarks" / "results" / "prosimos_cache"
START = "2024-01-01T00:00:00+00:00"

BPR_RUN = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
from bpr.model.prosimos import import_prosimos
from bpr.sim import simulate
m = import_prosimos(sys.argv[1], sys.argv[2], staffing=sys.argv[5])
t = time.perf_counter()
r = simulate(m, cases=int(sys.argv[3]), seed=int(sys.argv[4]), replications=1,
             start="2024-01-01T00:00:00")
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
if sys.argv[6] == "earliest-start":
    # Prosimos' own rule gives a task to the allowed resource released first, on duty or not.
    # This variant gives it to the one that can START first (its calendar considered), the
    # rule of a work-conserving queue (bpr's pools): used to measure what the rule costs.
    from prosimos.simulation_engine import SimBPMEnv
    plain_execute = SimBPMEnv.execute_enabled_event
    def execute_enabled_event(self, c_event):
        self._enabled_at = c_event.enabled_at
        return plain_execute(self, c_event)
    def pop_and_allocate_resource(self, task_id, num_allocated_tasks):
        q = self.resource_queue._resource_queues[self.resource_queue._task_queue_map[task_id]]
        best = None
        for r_id, entry in q.entry_finder.items():
            avail = max(self._enabled_at, entry[0])
            when = avail + self.sim_setup.next_resting_time(r_id, self._datetime_from(avail))
            if best is None or (when, entry[0]) < best[0]:
                best = ((when, entry[0]), r_id)
        r_id = best[1]
        r_avail_at = q.entry_finder[r_id][0]
        q.remove_element(r_id)
        self.sim_resources[r_id].allocated_tasks += num_allocated_tasks
        return r_id, r_avail_at
    SimBPMEnv.execute_enabled_event = execute_enabled_event
    SimBPMEnv.pop_and_allocate_resource = pop_and_allocate_resource
t = time.perf_counter()
run_simulation(sys.argv[1], sys.argv[2], int(sys.argv[3]), None, sys.argv[4], sys.argv[5])
secs = time.perf_counter() - t
log = pd.read_csv(sys.argv[4])
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


def prosimos_version(py: Path) -> str:
    out = subprocess.run([str(py), "-c", "import importlib.metadata as m; "
                          "print(m.version('prosimos'), m.version('pix-framework'))"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def run_prosimos(py: Path, version: str, bpmn: str, params: str, cases: int, rep: int,
                 fresh: bool = False, dispatch: str = "prosimos") -> dict:
    """One Prosimos run (replication ``rep``), from the cache when it holds one; ``dispatch``
    "earliest-start" replaces Prosimos' resource choice (see PROSIMOS_RUN)."""
    h = hashlib.sha256()
    for part in (Path(bpmn).read_bytes(), Path(params).read_bytes(),
                 f"{cases}|{rep}|{version}|{START}|{dispatch}|{PROSIMOS_RUN}".encode()):
        h.update(hashlib.sha256(part).digest())
    path = CACHE / f"{Path(bpmn).stem}-{dispatch}-{cases}-{rep}-{h.hexdigest()[:16]}.json"
    if path.exists() and not fresh:
        return json.loads(path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        out = run_child([str(py), "-c", PROSIMOS_RUN, bpmn, params, str(cases),
                         os.path.join(tmp, "log.csv"), START, dispatch])
    CACHE.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    return out


def run_bpr(bpmn: str, params: str, cases: int, rep: int, staffing: str = "union") -> dict:
    return run_child([sys.executable, "-c", BPR_RUN, bpmn, params, str(cases), str(rep),
                      staffing])


def ci(values: list[float]) -> str:
    """Mean and 95% Student-t interval over replications (the mean alone for one run)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return f"{mean:.2f} (1 run)"
    from scipy.stats import t

    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    h = t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    return f"{mean:.2f} [{mean - h:.2f}, {mean + h:.2f}]"


def rate(runs: list[dict]) -> float:
    return sum(r["events"] for r in runs) / sum(r["seconds"] for r in runs)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--bpr-only", action="store_true")
    ap.add_argument("--prosimos-only", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="ignore cached Prosimos runs")
    ap.add_argument("--replications", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--staffing", default="union",
                    help="bpr import's staffing rule (bpr.model.prosimos.STAFFING_RULES)")
    ap.add_argument("--dispatch", choices=("prosimos", "earliest-start"), default="prosimos",
                    help="Prosimos' resource choice, or the work-conserving variant")
    ap.add_argument("--bpmn", default=str(MODELS / f"{NAME}.bpmn"))
    ap.add_argument("--json", default=str(MODELS / f"{NAME}.json"))
    args = ap.parse_args(argv)
    sizes = args.sizes or ((2_000, 10_000) if args.quick else (10_000, 100_000))
    bpmn, params = args.bpmn, args.json
    tools = [] if args.prosimos_only else ["bpr"]
    py, version = None, ""
    if not args.bpr_only:
        py = ensure_prosimos()
        version = prosimos_version(py)
        tools.append("prosimos")
    print(f"model {Path(bpmn).stem}; {args.replications} replications per size; bpr import "
          f"staffing={args.staffing}; Prosimos dispatch={args.dispatch}"
          + (f"; prosimos {version.split()[0]} (pix-framework {version.split()[1]})"
             if version else ""))
    for n in sizes:
        results: dict[str, list[dict]] = {}
        for tool in tools:
            if tool == "prosimos":
                assert py is not None
                reps = 1 if n >= 100_000 else args.replications
                runs = [run_prosimos(py, version, bpmn, params, n, s + 1, args.fresh,
                                     args.dispatch)
                        for s in range(reps)]
            else:
                runs = [run_bpr(bpmn, params, n, s + 1, args.staffing)
                        for s in range(args.replications)]
            results[tool] = runs
            print(f"{tool:9s} {n:>7,} cases, {len(runs)} run(s): {rate(runs):>10,.0f} events/s, "
                  f"peak {max(r['peak_mib'] for r in runs):,.0f} MiB, "
                  f"cycle h {ci([r['cycle_h'] for r in runs])}, waiting h "
                  f"{ci([r['wait_h'] for r in runs])}", flush=True)
        if len(results) == 2:
            b, p = results["bpr"], results["prosimos"]
            print(f"ratio bpr/prosimos at {n:,} cases: {rate(b) / rate(p):.1f}x events/s, "
                  f"{max(r['peak_mib'] for r in b) / max(r['peak_mib'] for r in p):.2f}x "
                  f"peak memory", flush=True)


if __name__ == "__main__":
    main()
