"""Fidelity benchmark: discover on the training part, validate on the held-out test part.

For each shared log: split (PurchasingExample: the literature's temporal 80/20 split; LoanApp and
Insurance: their given train/test halves) -> discover a model from the training log (timed) ->
``bpr.validate`` against the test log (10 replications) -> print the five distances beside the
published Simod and best-published values, and whether bpr beats them (lower is better).

    python -m benchmarks.fidelity [--logs PurchasingExample,LoanApp]
                                  [--discovery default,calibrated] [--budget 120]
                                  [--replications 10] [--workers 2] [--json out.json]

Discovery methods live in ``DISCOVERY`` (name -> function(train_log) -> model): ``default``
(``bpr.mine``) and ``calibrated`` (``bpr mine --calibrate``, :mod:`bpr.analysis.calibrate`, with
``--budget`` seconds). Both run by default, and each log gets the issue-7 table: metric | Simod |
best published | bpr default | bpr calibrated, with marks for beating Simod and the best
published value, and the discovery times.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):  # run as a script: make ``benchmarks`` and ``bpr`` importable
    sys.path.insert(0, str(ROOT))

from benchmarks.fidelity.published import PUBLISHED  # noqa: E402

EVENT_LOGS = ROOT / "event_logs"


@dataclass(frozen=True)
class Benchmark:
    """One log of the comparison: a full log split in time, or given train/test halves."""

    name: str
    full: str | None = None
    test_fraction: float = 0.2
    train: str | None = None
    test: str | None = None


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark("PurchasingExample", full="PurchasingExample.csv.gz", test_fraction=0.2),
    Benchmark("LoanApp", train="LoanApp_simplified_train.csv.gz",
              test="LoanApp_simplified_test.csv.gz"),
    Benchmark("Insurance", train="Insurance_Claims_train.csv.gz",
              test="Insurance_Claims_test.csv.gz"),
)


def default_discovery(train_log: Any) -> Any:
    """bpr's discovery with its default options."""
    from bpr.discovery import (
        mine,  # not ``bpr.discovery``: once imported, that name is the subpackage
    )

    return mine(train_log)


#: settings of the calibrated discovery (set from the command line)
CALIBRATION: dict[str, Any] = {"budget_seconds": 120.0, "workers": 1, "seed": 42}


def calibrated_discovery(train_log: Any) -> Any:
    """``bpr mine --calibrate``: options chosen on a hold-out of the training log, then refit."""
    from bpr.analysis.calibrate import calibrate

    return calibrate(train_log, **CALIBRATION).model


#: discovery method name -> function(train_log) -> model
DISCOVERY: dict[str, Callable[[Any], Any]] = {"default": default_discovery,
                                              "calibrated": calibrated_discovery}


def load_parts(bench: Benchmark) -> tuple[Any, Any]:
    """The (train, test) logs of a benchmark."""
    import bpr

    if bench.full is not None:
        return bpr.split_log(bpr.read_log(EVENT_LOGS / bench.full), bench.test_fraction)
    return bpr.read_log(EVENT_LOGS / bench.train), bpr.read_log(EVENT_LOGS / bench.test)


def run_one(bench: Benchmark, discovery: str, replications: int, seed: int,
            workers: int) -> dict[str, Any]:
    """Split/read, discover (timed), validate; the results as plain data."""
    import bpr

    train, test = load_parts(bench)
    t0 = time.perf_counter()
    model = DISCOVERY[discovery](train)
    discovery_s = time.perf_counter() - t0
    calibration = _calibration_lines(model.calibration) if model.calibration else None
    t0 = time.perf_counter()
    report = bpr.validate(model, test, replications=replications, seed=seed, workers=workers)
    validate_s = time.perf_counter() - t0
    return {"log": bench.name, "discovery": discovery, "train_cases": train.n_cases,
            "train_events": train.n_events, "test_cases": test.n_cases,
            "test_events": test.n_events, "discovery_s": discovery_s,
            "validate_s": validate_s, "report": report.to_dict(),
            "verdict": report.verdict, "calibration": calibration,
            "model_calibration": model.calibration}


def _calibration_lines(cal: dict[str, Any]) -> list[str]:
    """What calibration chose, from the model's ``calibration`` record."""
    changed = ", ".join(f"{k}={v}" for k, v in cal["changed"].items()) or "the defaults"
    d, c = cal["scores"]["default"], cal["scores"]["chosen"]
    return [f"chosen: {changed}",
            f"validation score {c['score']:.3f} (default {d['score']:.3f}); "
            f"{cal['candidates_tried']} candidates in {cal['elapsed_s']:.1f} s of "
            f"{cal['budget_s']:g} s{' (budget reached)' if cal['stopped_by_budget'] else ''}"]


def _cell(m: dict[str, Any], published: tuple[float, float, str] | None) -> str:
    digits = 3 if not m["unit"] else 2
    text = f"{m['mean']:.{digits}f} ± {m['std']:.{digits}f}"
    if published is None:
        return text
    simod, best, _ = published
    marks = ("✓" if m["mean"] < simod else "✗") + ("✓" if m["mean"] < best else "✗")
    return f"{text} {marks}"


def format_log(results: list[dict[str, Any]]) -> str:
    """The table of one log: a column per discovery method beside the published values.

    Marks after each bpr value: first beats Simod, second beats the best published value
    (lower is better).
    """
    first = results[0]
    published = PUBLISHED.get(first["log"], {})
    names = [r["discovery"] for r in results]
    lines = [
        f"## {first['log']}",
        f"train {first['train_cases']:,} cases / {first['train_events']:,} events; "
        f"test {first['test_cases']:,} cases / {first['test_events']:,} events; "
        f"validation: {first['report']['settings']['replications']} replications",
        "",
    ]
    head = ["metric"] + (["Simod", "best published"] if published else []) + [
        f"bpr {n}" for n in names]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "---|" * len(head))
    wins: dict[str, list[int]] = {n: [0, 0] for n in names}
    for metric in first["report"]["metrics"]:
        m0 = first["report"]["metrics"][metric]
        unit = f" ({m0['unit']})" if m0["unit"] else ""
        row = [m0["label"] + unit]
        pub = published.get(metric)
        if published:
            row += ([f"{pub[0]:g}", f"{pub[1]:g} ({pub[2]})"] if pub else ["-", "-"])
        for r in results:
            m = r["report"]["metrics"][metric]
            row.append(_cell(m, pub))
            if pub is not None:
                wins[r["discovery"]][0] += m["mean"] < pub[0]
                wins[r["discovery"]][1] += m["mean"] < pub[1]
        lines.append("| " + " | ".join(row) + " |")
    pad = ["", ""] if published else []
    if published:
        lines.append("| beats Simod / best published | " + " | ".join(pad) + " | " + " | ".join(
            f"{wins[n][0]}/5 / {wins[n][1]}/5" for n in names) + " |")
    lines.append("| discovery time (s) | " + " | ".join(pad) + (" | " if pad else "")
                 + " | ".join(f"{r['discovery_s']:.1f}" for r in results) + " |")
    lines.append("| validation time (s) | " + " | ".join(pad) + (" | " if pad else "")
                 + " | ".join(f"{r['validate_s']:.1f}" for r in results) + " |")
    if published:
        lines.append("")
        lines.append("Marks: beats Simod, beats the best published value (✓ yes, ✗ no). Target: "
                     "beat Simod on 5/5, the best published value on at least 3/5, discovery "
                     "under 300 s.")
        for r in results:
            w = wins[r["discovery"]]
            met = w[0] == 5 and w[1] >= 3 and r["discovery_s"] < 300
            lines.append(f"bpr {r['discovery']}: beats Simod on {w[0]}/5, the best published on "
                         f"{w[1]}/5, discovery {r['discovery_s']:.1f} s -> target "
                         f"{'MET' if met else 'NOT met'}")
    for r in results:
        if r.get("calibration"):
            lines.append("")
            lines.append(f"bpr {r['discovery']}:")
            lines.extend("  " + x for x in r["calibration"])
    lines.append("")
    lines.append(f"Verdict (bpr {results[-1]['discovery']}):")
    lines.extend(results[-1]["verdict"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fidelity",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--logs", default=",".join(b.name for b in BENCHMARKS),
                        help="comma-separated benchmark names")
    parser.add_argument("--discovery", default="default,calibrated",
                        help=f"comma-separated discovery methods ({', '.join(DISCOVERY)})")
    parser.add_argument("--budget", type=float, default=120.0,
                        help="seconds for the calibrated discovery")
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", dest="json_path", help="also write the results to this file")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.logs.split(",") if n.strip()]
    known = {b.name: b for b in BENCHMARKS}
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown log(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    methods = [n.strip() for n in args.discovery.split(",") if n.strip()]
    bad = [n for n in methods if n not in DISCOVERY]
    if bad or not methods:
        parser.error(f"unknown discovery {', '.join(bad) or '(none)'}; choose from "
                     f"{', '.join(DISCOVERY)}")
    CALIBRATION.update(budget_seconds=args.budget, seed=args.seed)
    t0 = time.perf_counter()
    from bpr.io.quiet import import_pm4py

    import_pm4py()  # library start-up is timed apart from discovery
    print(f"start-up (imports): {time.perf_counter() - t0:.1f} s\n", flush=True)
    results = []
    for name in names:
        per_log = [run_one(known[name], method, args.replications, args.seed, args.workers)
                   for method in methods]
        results.extend(per_log)
        print(format_log(per_log), flush=True)
        print(flush=True)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=2, default=str) + "\n",
                                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
