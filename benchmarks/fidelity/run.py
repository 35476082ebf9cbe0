"""Fidelity benchmark: discover on the training part, validate on the held-out test part.

For each shared log: split (PurchasingExample: the literature's temporal 80/20 split; LoanApp and
Insurance: their given train/test halves) -> discover a model from the training log (timed) ->
``bpr.validate`` against the test log (10 replications) -> print the five distances beside the
published Simod and best-published values, and whether bpr beats them (lower is better).

    python -m benchmarks.fidelity [--logs PurchasingExample,LoanApp] [--discovery default]
                                  [--replications 10] [--workers 2] [--json out.json]

Discovery methods live in ``DISCOVERY`` (name -> function(train_log) -> model): the calibrated
discovery of issue 7 plugs in there as another entry, and ``--discovery`` picks it.
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


#: discovery method name -> function(train_log) -> model
DISCOVERY: dict[str, Callable[[Any], Any]] = {"default": default_discovery}


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
    t0 = time.perf_counter()
    report = bpr.validate(model, test, replications=replications, seed=seed, workers=workers)
    validate_s = time.perf_counter() - t0
    return {"log": bench.name, "discovery": discovery, "train_cases": train.n_cases,
            "train_events": train.n_events, "test_cases": test.n_cases,
            "test_events": test.n_events, "discovery_s": discovery_s,
            "validate_s": validate_s, "report": report.to_dict(),
            "verdict": report.verdict}


def format_result(result: dict[str, Any]) -> str:
    """A markdown table: metric | Simod | best published | bpr | beats Simod | beats best."""
    published = PUBLISHED.get(result["log"], {})
    metrics = result["report"]["metrics"]
    lines = [
        f"## {result['log']} ({result['discovery']} discovery)",
        f"train {result['train_cases']:,} cases / {result['train_events']:,} events; "
        f"test {result['test_cases']:,} cases / {result['test_events']:,} events; "
        f"discovery {result['discovery_s']:.2f} s; validation "
        f"({result['report']['settings']['replications']} replications) "
        f"{result['validate_s']:.1f} s",
        "",
        "| metric | Simod | best published | bpr (mean ± std) | beats Simod | beats best |",
        "|---|---|---|---|---|---|",
    ]
    wins_simod = wins_best = 0
    for key, m in metrics.items():
        unit = f" ({m['unit']})" if m["unit"] else ""
        bpr_cell = f"{m['mean']:.3f} ± {m['std']:.3f}" if not m["unit"] else (
            f"{m['mean']:.2f} ± {m['std']:.2f}")
        if key in published:
            simod, best, method = published[key]
            beat_simod, beat_best = m["mean"] < simod, m["mean"] < best
            wins_simod += beat_simod
            wins_best += beat_best
            cells = [f"{simod:g}", f"{best:g} ({method})", bpr_cell,
                     "yes" if beat_simod else "no", "yes" if beat_best else "no"]
        else:
            cells = ["-", "-", bpr_cell, "-", "-"]
        lines.append(f"| {m['label']}{unit} | " + " | ".join(cells) + " |")
    if published:
        lines.append("")
        lines.append(f"bpr beats Simod on {wins_simod}/5 metrics and the best published value on "
                     f"{wins_best}/5 (target: 5/5 and at least 3/5; discovery under 300 s).")
    lines.append("")
    lines.extend(result["verdict"])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fidelity",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--logs", default=",".join(b.name for b in BENCHMARKS),
                        help="comma-separated benchmark names")
    parser.add_argument("--discovery", default="default", choices=sorted(DISCOVERY))
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
    t0 = time.perf_counter()
    from bpr.io.quiet import import_pm4py

    import_pm4py()  # library start-up is timed apart from discovery
    print(f"start-up (imports): {time.perf_counter() - t0:.1f} s\n", flush=True)
    results = []
    for name in names:
        result = run_one(known[name], args.discovery, args.replications, args.seed,
                         args.workers)
        results.append(result)
        print(format_result(result), flush=True)
        print(flush=True)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(results, indent=2, default=str) + "\n",
                                        encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
