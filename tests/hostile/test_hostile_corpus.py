"""Every case of the hostile-input corpus is handled cleanly (see corpus.py)."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import load_cases, run_case, subprocess_umount  # noqa: E402

CASES = load_cases()
PARAMS = [pytest.param(c, id=f"{c.family}/{c.name}", marks=[pytest.mark.slow] if c.slow else [])
          for c in CASES]


@pytest.mark.parametrize("case", PARAMS)
def test_case(case):
    # a workspace under /tmp that an unprivileged user can reach (for the permission cases)
    ws = Path(tempfile.mkdtemp(prefix="bpr-hostile-"))
    try:
        outcome = run_case(case, ws)
    finally:
        subprocess_umount(ws)
        shutil.rmtree(ws, ignore_errors=True)
    if outcome.kind == "skipped":
        pytest.skip(outcome.detail)
    if case.known and outcome.kind != "clean":
        pytest.xfail(f"known: {case.known} ({outcome.kind}: {outcome.detail})")
    assert outcome.kind == "clean", (f"{outcome.kind}: {outcome.detail}\nstdout: "
                                     f"{outcome.stdout[-800:]}\nstderr: {outcome.stderr[-800:]}")
