"""pm4py is silenced only while bpr calls it: the caller's own progress bars, warnings and log
records keep working during and after a bpr call, and nothing of pm4py reaches bpr's CLI."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from bpr.io.quiet import import_pm4py, silenced

ROOT = Path(__file__).resolve().parents[1]


def test_state_is_restored_and_only_pm4py_is_silenced() -> None:
    pm4py = import_pm4py()
    from pm4py.util import constants

    before = (constants.SHOW_PROGRESS_BAR, list(warnings.filters), logging.getLogger().filters[:],
              logging.getLogger("pm4py").level, os.environ.get("TQDM_DISABLE"), sys.stdout,
              sys.stderr)
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    root = logging.getLogger()
    handler = Keep()
    root.addHandler(handler)
    folder = os.path.dirname(pm4py.__file__)

    def record(path: str) -> logging.LogRecord:
        return root.makeRecord("root", logging.WARNING, path, 1, "msg", None, None)

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with silenced(), silenced():  # scopes nest
                assert constants.SHOW_PROGRESS_BAR is False
                assert sys.stdout is before[5] and sys.stderr is before[6]
                assert os.environ.get("TQDM_DISABLE") == before[4]
                warnings.warn_explicit("from pm4py", UserWarning, "x.py", 1,
                                       module="pm4py.objects.x")
                warnings.warn("from the caller", UserWarning, stacklevel=1)
                root.handle(record(os.path.join(folder, "objects", "x.py")))
                root.handle(record(__file__))
                logging.getLogger("pm4py.algo").warning("pm4py's own logger")
            warnings.warn_explicit("pm4py after", UserWarning, "x.py", 2,
                                   module="pm4py.objects.x")
        assert [str(w.message) for w in caught] == ["from the caller", "pm4py after"]
        assert [r.pathname for r in seen] == [__file__]
    finally:
        root.removeHandler(handler)
    after = (constants.SHOW_PROGRESS_BAR, list(warnings.filters), logging.getLogger().filters[:],
             logging.getLogger("pm4py").level, os.environ.get("TQDM_DISABLE"), sys.stdout,
             sys.stderr)
    assert after == before


_USER_BARS = r"""
import io, os, sys
from tqdm import tqdm
import bpr

out = io.StringIO()
before = tqdm(total=2, file=out, desc="mine-before", mininterval=0, disable=False)
before.update(2); before.close()
steps = []

def progress(done, total):
    # the user's own bar, created while bpr is working
    bar = tqdm(total=total, file=out, desc=f"mine-during-{done}", mininterval=0, disable=False)
    bar.update(done); bar.close()
    steps.append(sys.stdout is sys.__stdout__)

log = bpr.read_log(sys.argv[1], progress=progress)
from bpr.discovery import discover
model = discover(log, progress=progress).model
after = tqdm(total=3, file=out, desc="mine-after", mininterval=0)
after.update(3); after.close()
text = out.getvalue()
assert "mine-before" in text and "2/2" in text, text
assert "mine-during-1" in text and "mine-after" in text and "3/3" in text, text
assert all(steps) and steps, steps
assert "TQDM_DISABLE" not in os.environ
print("ok")
"""


@pytest.mark.slow
def test_users_progress_bars_print_during_and_after_a_bpr_call(event_logs: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TQDM_")}
    out = subprocess.run([sys.executable, "-c", _USER_BARS,
                          str(event_logs / "running-example.xes")],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.slow
def test_no_pm4py_banner_or_bar_in_cli_output(event_logs: Path, tmp_path: Path) -> None:
    bpr = Path(sys.executable).with_name("bpr")
    out = subprocess.run([str(bpr), "mine", str(event_logs / "03_repairExample.xes.gz"),
                          "-o", str(tmp_path / "m.yaml")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    text = (out.stdout + out.stderr).replace(str(tmp_path), "<tmp>")
    assert "pm4py" not in text.lower() and "agpl" not in text.lower()
    assert not re.search(r"\d+it/s|\d+%\|", text), text
    assert "Warning" not in out.stderr or all(
        line.startswith("Warning: ") for line in out.stderr.splitlines() if "Warning" in line)
