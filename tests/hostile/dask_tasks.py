"""Tasks for the Dask failure tests, importable by worker processes (module-level functions).

Each task appends its item to ``RUNS_DIR/<item>`` so a test can count how often it ran.
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def record(item: tuple[str, int, float]) -> int:
    """Note that ``item`` ran, sleep its seconds, return its number squared."""
    runs_dir, n, seconds = item
    with open(Path(runs_dir) / str(n), "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(seconds)
    return n * n


def kill_own_worker(item: int) -> int:
    """A task that kills the process running it (like a task that exhausts the memory)."""
    os.kill(os.getpid(), 9)
    return item  # never reached
