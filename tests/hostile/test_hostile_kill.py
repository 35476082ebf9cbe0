"""Fault injection: every command that writes is killed (SIGKILL and SIGINT) at random moments
while it writes; its output is then the previous one or the complete new one, never a mix, and
the next run removes what the killed one left behind.

The commands run as real processes (forked from a zygote that imported bpr once, so each costs
its work, not Python's start-up). "Random moments": after the run's temporary output appears,
a delay drawn from a seeded generator; whatever moment the kill lands on, the assertion is the
same, so the outcome does not depend on machine load.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import DATA, LOGS, ROOT, snapshot  # noqa: E402
from forkserver import ForkServer  # noqa: E402

MODEL = str(DATA / "scenario" / "small.yaml")
SCENARIO = "name: {name}\nbase: " + MODEL + "\nchanges:\n  - staff: {{pool: Clerk, count: {n}}}\n"


@dataclass(frozen=True)
class Writer:
    """A command, two runs of it that write different outputs (old: A, new: B), and what they
    write (relative to the workspace; the first is the output whose folder holds the temps)."""

    name: str
    a: tuple[str, ...]
    b: tuple[str, ...]
    outputs: tuple[str, ...]
    prepare: tuple[tuple[str, ...], ...] = ()  # commands run once before (inputs)


def _sim(seed: int, out: str = "out", cases: int = 2000) -> tuple[str, ...]:
    return ("simulate", MODEL, "--cases", str(cases), "--replications", "2", "--seed",
            str(seed), "-o", out, "-q")


def _whatif(scenario: str, seed: int, out: str = "out") -> tuple[str, ...]:
    return ("whatif", scenario, "--cases", "200", "--replications", "2", "--seed", str(seed),
            "--no-attribution", "-o", out, "-q")


# small simulated logs as inputs (quick to read, different from each other)
LOGS_AB = (_sim(1, "la", cases=60), _sim(2, "lb", cases=60))
LA, LB = "la/simulated_logs/replication-0.csv", "lb/simulated_logs/replication-0.csv"
BPMN, PARAMS = str(DATA / "bpmn" / "simod_small.bpmn"), str(DATA / "bpmn" / "simod_small.json")

WRITERS = [
    Writer("simulate", _sim(1), _sim(2), ("out",)),
    Writer("whatif", _whatif("sa.yaml", 1), _whatif("sb.yaml", 2), ("out",)),
    Writer("sweep", ("sweep", "sa.yaml", "--grid", "staff.Clerk=1..2", "--cases", "200",
                     "--replications", "2", "-o", "out", "-q"),
           ("sweep", "sa.yaml", "--grid", "staff.Clerk=1..3", "--cases", "200",
            "--replications", "2", "-o", "out", "-q"), ("out",)),
    Writer("report", ("report", "wa", "-o", "r.html", "-q"),
           ("report", "wb", "-o", "r.html", "-q"), ("r.html",),
           prepare=(_whatif("sa.yaml", 1, "wa"), _whatif("sb.yaml", 2, "wb"))),
    Writer("split", ("split", str(LOGS / "LoanApp_simplified_train.csv.gz"), "--test", "0.2",
                     "-o", "out", "-q"),
           ("split", str(LOGS / "LoanApp_simplified_train.csv.gz"), "--test", "0.3", "-o", "out",
            "-q"), ("out",)),
    Writer("validate", ("validate", MODEL, LA, "-r", "2", "--seed", "1", "-o", "f.json", "-q"),
           ("validate", MODEL, LB, "-r", "2", "--seed", "2", "-o", "f.json", "-q"),
           ("f.json",), prepare=LOGS_AB),
    Writer("mine", ("mine", LA, "-o", "m.yaml", "-q"), ("mine", LB, "-o", "m.yaml", "-q"),
           ("m.yaml",), prepare=LOGS_AB),
    Writer("convert", ("convert", MODEL, "m.yaml", "-q"),
           ("convert", str(ROOT / "processes" / "expense_claim.yaml"), "m.yaml", "-q"),
           ("m.yaml",)),
    Writer("show", ("show", MODEL, "-o", "m.png", "-q"),
           ("show", str(ROOT / "processes" / "expense_claim.yaml"), "-o", "m.png", "-q"),
           ("m.png",)),
    Writer("import-prosimos",
           ("import-prosimos", BPMN, PARAMS, "--name", "a", "-o", "p.yaml", "-q"),
           ("import-prosimos", BPMN, PARAMS, "--name", "b", "-o", "p.yaml", "-q"), ("p.yaml",)),
]


@pytest.fixture(scope="module")
def forks(tmp_path_factory):
    fs = ForkServer(tmp_path_factory.mktemp("forklogs"))
    yield fs
    fs.close()


def _normal(path: Path) -> object:
    """The output's content, with the only run-dependent figure (elapsed time) left out."""
    snap = snapshot(path)
    if snap is not None and path.suffix == ".json" and path.is_file():
        data = json.loads(path.read_text())
        data.get("settings", {}).pop("elapsed_s", None)
        return data
    return snap


def _leftovers(ws: Path) -> list[str]:
    found = [str(p.relative_to(ws)) for p in ws.rglob(".*")
             if p.name.startswith(".bpr-") and p.name != ".bpr-output.json"
             or ".parts-" in p.name or p.name.endswith(".tmp")]
    return sorted(found)


def _wait_for_temp(pid: int, ws: Path) -> None:
    """Return once the run's temporary output exists in ``ws`` (or the run ended)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ws.is_dir() and any(n.startswith(".bpr-tmp-") for n in os.listdir(ws)):
            return
        try:  # still running? (the zygote reaps it when it ends)
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.001)


def _writing_time(forks: ForkServer, argv: tuple[str, ...], ws: Path) -> float:
    """Run ``argv`` to the end; the seconds from its temporary output's appearance to its end
    (the window the kills aim at)."""
    pid = forks.start(list(argv), ws)
    _wait_for_temp(pid, ws)
    t0 = time.monotonic()
    code = forks.wait()
    assert code == 0, forks.output()
    return time.monotonic() - t0


def _kill_while_writing(forks: ForkServer, argv: tuple[str, ...], ws: Path, sig: int,
                        delay: float, watch: Path | None = None) -> int:
    """Start ``argv`` in ``ws``; once its temporary output exists (in ``watch``, default
    ``ws``), wait ``delay`` s and send ``sig``."""
    pid = forks.start(list(argv), ws)
    _wait_for_temp(pid, watch or ws)
    time.sleep(delay)
    with contextlib.suppress(ProcessLookupError):  # if it finished first, its output is new
        os.kill(pid, sig)
    return forks.wait()


@pytest.mark.slow
@pytest.mark.parametrize("writer", WRITERS, ids=[w.name for w in WRITERS])
def test_killed_runs_leave_the_old_or_the_new_output(writer, forks, tmp_path):
    ws = tmp_path
    (ws / "sa.yaml").write_text(SCENARIO.format(name="a", n="+1"), encoding="utf-8")
    (ws / "sb.yaml").write_text(SCENARIO.format(name="b", n="+2"), encoding="utf-8")
    for argv in writer.prepare:
        assert forks.run(list(argv), ws)[0] == 0, forks.output()
    took = _writing_time(forks, writer.a, ws)
    old = [_normal(ws / o) for o in writer.outputs]
    rng = random.Random(f"{writer.name}-kill")
    seen = []
    for sig in (signal.SIGKILL, signal.SIGINT):
        code = _kill_while_writing(forks, writer.b, ws, sig, rng.uniform(0.0, 0.6 * took))
        assert code in (0, 130, -signal.SIGKILL), forks.output()
        if code == 130:
            assert forks.output()[1].strip().splitlines()[-1] == "Interrupted."
        seen.append((sig, code, [_normal(ws / o) for o in writer.outputs]))
    code, (out, err) = forks.run(list(writer.b), ws)
    assert code == 0, err
    new = [_normal(ws / o) for o in writer.outputs]
    assert new != old, "the two runs must write different outputs for the test to mean much"
    for sig, code, state in seen:
        assert state in (old, new), f"{signal.Signals(sig).name} (exit {code}) left a mix"
    assert _leftovers(ws) == [], "the last run must remove what killed runs left"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_first_run_leaves_no_folder(forks, tmp_path, sig):
    """Ctrl-C (or a kill) of a first run into a new folder leaves no folder (issue 16)."""
    argv = _sim(1, "new/out", cases=20000)
    code = _kill_while_writing(forks, argv, tmp_path, sig, 0.0, watch=tmp_path / "new")
    assert code == {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGKILL: -9}[sig]
    if sig == signal.SIGKILL:  # no chance to clean up: the next run does it
        assert not (tmp_path / "new" / "out").exists()
        assert forks.run(list(_sim(1, "new/out", cases=20)), tmp_path)[0] == 0
        assert _leftovers(tmp_path) == []
    else:
        said = {signal.SIGINT: "Interrupted.", signal.SIGTERM: "Terminated."}[sig]
        assert forks.output()[1].strip().splitlines()[-1] == said
        assert os.listdir(tmp_path) == []
