"""``python -m benchmarks.fidelity``."""

from benchmarks.fidelity.run import main

if __name__ == "__main__":
    raise SystemExit(main())
