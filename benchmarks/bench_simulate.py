"""Simulation speed and memory: `python benchmarks/bench_simulate.py [--quick]`.

Models: mined from the shared PurchasingExample and LoanApp logs with ``bpr.discovery`` when it is
available, else the log-derived stand-ins of ``tests/test_sim_standins.py``. Each model is
simulated (one replication, the simulated log written as CSV, like ``bpr simulate``) at 10,000
and 100,000 cases, each run in its own subprocess so that peak memory (ru_maxrss) is per run.

Definitions: one *event* = one activity instance (one row of the simulated log); a log with
start and complete events would have twice as many (printed too). Baseline measured in the same
run: a plain SimPy M/M/1 queue (simpy.Resource, one process per customer, no logging) with the
same number of activity instances as the 10,000-case runs. Reference (not measured here): the
issue reports Prosimos at about 17,000 events/s at 10,000 cases on a purchasing model; bpr's
target is at least 5x that, with memory flat from 10k to 100k cases.

The hand-written model with people (own calendars and availability), a priority pool and a batch
step (``processes/insurance_claims_people.yaml``) is simulated too, to show what the general
dispatcher costs.

``--against PATH``: compare with another checkout of bpr (e.g. ``git worktree add /tmp/base
<commit>``) on the same machine in the same run: each model is mined once, saved, and simulated
``--repeat N`` times (default 5) by each code base in alternating order (ABBA), each run in a
fresh subprocess importing bpr from that checkout; the medians of events per CPU
second and their ratio are printed.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROSIMOS_EVENTS_PER_S = 17_000  # reported in issue 4/5 for Prosimos on a purchasing model
MODELS = {"purchasing": "PurchasingExample.csv.gz", "loanapp": "LoanApp_simplified_train.csv.gz"}
PEOPLE_MODEL = ROOT / "processes" / "insurance_claims_people.yaml"


def load_model(key: str):
    if key.endswith(".yaml"):
        from bpr.model.files import load_model as load_file

        return load_file(key), "file"
    if key == "people":
        from bpr.model.files import load_model as load_file

        return load_file(PEOPLE_MODEL), "hand-written"
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from bpr.discovery import mine
        from bpr.io.logs import read_log

        return mine(read_log(ROOT / "event_logs" / MODELS[key])), "mined"
    except ImportError:
        from test_sim_standins import loan_app_standin, purchasing_standin

        return (purchasing_standin() if key == "purchasing" else loan_app_standin()), "stand-in"


def child_simulate(key: str, cases: int) -> dict:
    from bpr.sim import simulate

    model, origin = load_model(key)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        c0 = time.process_time()
        result = simulate(model, cases=cases, seed=1, replications=1,
                          log_path=Path(tmp) / "simulated_logs")
        wall = time.perf_counter() - t0
        cpu = time.process_time() - c0
        log_mb = (Path(tmp) / "simulated_logs" / "replication-0.csv").stat().st_size / 1e6
    rep = result.replications[0]
    events = sum(rep.activity_count.values())
    return {"model": model.name, "origin": origin, "cases": cases, "wall_s": wall, "cpu_s": cpu,
            "events": events, "peak_rss_mb": resource.getrusage(
                resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_before_run_mb": base_rss / 1024,
            "log_mb": log_mb, "median_ct_h": rep.kpis["cycle_time_hours_median"]}


def child_baseline(events: int) -> dict:
    """Plain SimPy M/M/1 (simpy.Resource), ``events`` customers, rho = 0.8, no logging."""
    import random

    import simpy

    rng = random.Random(1)
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=1)

    def customer():
        with server.request() as req:
            yield req
            yield env.timeout(rng.expovariate(1 / 0.8))

    def source():
        for _ in range(events):
            env.process(customer())
            yield env.timeout(rng.expovariate(1.0))

    env.process(source())
    t0 = time.perf_counter()
    c0 = time.process_time()
    env.run()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"model": "plain SimPy M/M/1", "cases": events, "wall_s": wall, "cpu_s": cpu,
            "events": events,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_child(*args: str, src: str | None = None) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["BPR_BENCH_SRC"] = src
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True,
                         capture_output=True, text=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(against: str, repeat: int, cases: int) -> None:
    """This checkout against ``against`` (see the module doc)."""
    with tempfile.TemporaryDirectory() as tmp:
        for key in MODELS:
            model, origin = load_model(key)
            path = str(Path(tmp) / f"{key}.yaml")
            model.save(path)
            rates: dict[str, list[float]] = {"this": [], "other": []}
            for r in range(repeat):
                order = ("other", "this") if r % 2 == 0 else ("this", "other")
                for who in order:
                    res = run_child("sim", path, str(cases),
                                    src=against if who == "other" else str(ROOT))
                    rates[who].append(res["events"] / res["cpu_s"])
            this, other = statistics.median(rates["this"]), statistics.median(rates["other"])
            print(f"{model.name} [{origin}] {cases:,} cases, {repeat} runs each: "
                  f"this {this:,.0f} events per CPU second (runs: "
                  f"{', '.join(f'{x:,.0f}' for x in rates['this'])}); {against}: "
                  f"{other:,.0f} ({', '.join(f'{x:,.0f}' for x in rates['other'])}); "
                  f"ratio this/other {this / other:.3f}", flush=True)


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = (2_000, 20_000) if quick else (10_000, 100_000)
    if "--against" in sys.argv:
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 5
        compare(sys.argv[sys.argv.index("--against") + 1], repeat, sizes[1])
        return
    results = {}
    for key in MODELS:
        for n in sizes:
            results[key, n] = r = run_child("sim", key, str(n))
            growth = r["peak_rss_mb"] - r["rss_before_run_mb"]
            print(f"{r['model']} [{r['origin']}] {n:>7,} cases: {r['wall_s']:7.2f} s, "
                  f"{r['events']:>9,} events, {r['events'] / r['wall_s']:>9,.0f} events/s "
                  f"({2 * r['events'] / r['wall_s']:>9,.0f} start+complete events/s; "
                  f"{r['events'] / r['cpu_s']:>9,.0f} events per CPU second), "
                  f"peak RSS {r['peak_rss_mb']:6.0f} MB (+{growth:.0f} MB during the run), "
                  f"log {r['log_mb']:.0f} MB, "
                  f"median cycle time {r['median_ct_h']:.1f} h", flush=True)
    people = run_child("sim", "people", str(sizes[0]))
    print(f"{people['model']} [{people['origin']}] {sizes[0]:>7,} cases: "
          f"{people['wall_s']:7.2f} s, {people['events']:>9,} events, "
          f"{people['events'] / people['wall_s']:>9,.0f} events/s "
          f"({people['events'] / people['cpu_s']:>9,.0f} events per CPU second; people with "
          f"their own calendars, a priority pool and a batch step)", flush=True)
    ref_events = results["purchasing", sizes[0]]["events"]
    base = run_child("baseline", str(ref_events))
    base_rate = base["events"] / base["wall_s"]
    print(f"baseline: plain SimPy M/M/1, {ref_events:,} customers: {base['wall_s']:.2f} s, "
          f"{base_rate:,.0f} events/s ({base['events'] / base['cpu_s']:,.0f} per CPU second), "
          f"peak RSS {base['peak_rss_mb']:.0f} MB")
    print("(wall-clock rates depend on other load on the machine; the per-CPU-second rates and "
          "the ratios to the baseline measured in this run are the robust figures)")
    print()
    print("ratios")
    for key in MODELS:
        small, big = results[key, sizes[0]], results[key, sizes[1]]
        rate = small["events"] / small["wall_s"]
        cpu_ratio = (small["events"] / small["cpu_s"]) / (base["events"] / base["cpu_s"])
        vs_prosimos = rate / PROSIMOS_EVENTS_PER_S
        print(f"  {small['model']}: events/s vs plain SimPy M/M/1 {rate / base_rate:.2f}x "
              f"(per CPU second {cpu_ratio:.2f}x); "
              f"vs Prosimos' reported {PROSIMOS_EVENTS_PER_S:,}/s {vs_prosimos:.1f}x"
              f" (target >= 5x); memory {sizes[1] // 1000}k/{sizes[0] // 1000}k cases "
              f"{big['peak_rss_mb'] / small['peak_rss_mb']:.2f}x; events/s "
              f"{sizes[1] // 1000}k vs {sizes[0] // 1000}k "
              f"{(big['events'] / big['wall_s']) / rate:.2f}x")


def use_source(src: str) -> None:
    """Import bpr from the checkout ``src`` (ahead of an editable install's import hook)."""
    sys.meta_path[:] = [f for f in sys.meta_path
                        if "editable" not in str(getattr(f, "__module__", "")).lower()]
    sys.path.insert(0, src)


if __name__ == "__main__":
    if os.environ.get("BPR_BENCH_SRC"):
        use_source(os.environ["BPR_BENCH_SRC"])
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        if sys.argv[2] == "sim":
            res = child_simulate(sys.argv[3], int(sys.argv[4]))
        else:
            res = child_baseline(int(sys.argv[3]))
        print(json.dumps(res))
    else:
        main()
