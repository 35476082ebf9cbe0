"""Run every benchmark (``benchmarks/bench_*.py`` modules and sub-packages with a ``__main__``),
or only those whose name contains one of the words given: ``python -m benchmarks mine``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def targets() -> list[str]:
    names = [f"benchmarks.{p.stem}" for p in sorted(HERE.glob("bench_*.py"))]
    names += [f"benchmarks.{p.parent.name}" for p in sorted(HERE.glob("*/__main__.py"))]
    return names


def main(argv: list[str]) -> int:
    chosen = [t for t in targets() if not argv or any(w in t for w in argv)]
    if not chosen:
        print(f"no benchmark matches {argv}; available: {', '.join(targets())}")
        return 2
    status = 0
    for t in chosen:
        print(f"== {t}", flush=True)
        status |= subprocess.call([sys.executable, "-m", t], cwd=HERE.parent)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
