"""Bounded work in `bpr check`: loops that cannot be left and runaway expected visits are
refused, and check says everything simulate would refuse (orphan joins, xor-into-and deadlocks).

Expected visits are checked against closed forms (geometric loops, nested loops, inclusive
splits) and against the simulator's own counts on a model it runs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.cli import main
from bpr.errors import ModelError
from bpr.model import check, find_problems
from bpr.model.check import MAX_EXPECTED_VISITS, expected_visits
from bpr.model.files import load_model
from bpr.model.schema import loads

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "processes").glob("*.yaml"))


def loop_model(stay: float, exit_: float | None = None) -> str:
    """start -> join -> Work -> retry (stay: back to join; exit: on to Done) -> end."""
    exit_ = 1 - stay if exit_ is None else exit_
    return f"""name: loop  # floats written with a dot: YAML 1.1 reads 1e-05 as text
activities:
  Work: {{duration: 5m}}
  Done: {{duration: 1m}}
gateways: {{again: xor, retry: xor}}
flow:
  - start -> again -> Work -> retry
  - {{from: retry, to: again, probability: {stay:.17e}}}
  - {{from: retry, to: Done, probability: {exit_:.17e}}}
  - Done -> end
"""


def problems_of(text: str) -> list[str]:
    m = loads(text, "m.yaml")
    return [str(p.error(m)) for p in find_problems(m)]


# -- expected visits: closed forms ------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.floats(0.0, 0.999))
def test_a_rework_loop_is_visited_one_over_its_exit_probability(stay):
    v = expected_visits(loads(loop_model(stay)))
    assert v["Work"] == pytest.approx(1 / (1 - stay), rel=1e-9)
    assert v["Done"] == pytest.approx(1.0) and v["end"] == pytest.approx(1.0)


NESTED = """name: nested
activities: {Inner: {duration: 1m}, Outer: {duration: 1m}, After: {duration: 1m}}
gateways: {o in: xor, i in: xor, i out: xor, o out: xor}
flow:
  - start -> o in -> Outer -> i in -> Inner -> i out
  - {from: i out, to: i in, probability: 0.75}
  - {from: i out, to: o out, probability: 0.25}
  - {from: o out, to: o in, probability: 0.5}
  - {from: o out, to: After, probability: 0.5}
  - After -> end
"""


def test_nested_loops_multiply():
    v = expected_visits(loads(NESTED))
    assert v["Outer"] == pytest.approx(2.0)  # 1 / 0.5
    assert v["Inner"] == pytest.approx(8.0)  # 2 outer rounds x 1 / 0.25
    assert v["After"] == pytest.approx(1.0)


PARALLEL_LOOP = """name: parallel loop
activities:
  A: {duration: 1m}
  B: {duration: 1m}
  C: {duration: 1m}
  D: {duration: 1m}
gateways: {a in: xor, split: and, join: and, back: xor, any: or, any done: or}
flow:
  - start -> a in -> split
  - split -> A -> join
  - split -> B -> join
  - join -> back
  - {from: back, to: a in, probability: 0.2}
  - {from: back, to: any, probability: 0.8}
  - {from: any, to: C, probability: 0.5}
  - {from: any, to: D, probability: 0.5}
  - C -> any done
  - D -> any done
  - any done -> end
"""


def test_parallel_and_inclusive_branches():
    v = expected_visits(loads(PARALLEL_LOOP))
    assert v["A"] == pytest.approx(1.25) and v["B"] == pytest.approx(1.25)  # 1 / 0.8 rounds
    assert v["join"] == pytest.approx(2.5)  # two tokens arrive per round
    assert v["back"] == pytest.approx(1.25)  # the join passes one on per split
    # inclusive: each branch with 0.5, and when neither is drawn (0.25) one by weight (0.5)
    assert v["C"] == pytest.approx(0.5 + 0.25 * 0.5) and v["D"] == pytest.approx(0.625)
    assert v["end"] == pytest.approx(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["expense_claim", "parallel loop", "nested"])
def test_expected_visits_match_the_simulator(name):
    import bpr

    m = (load_model(ROOT / "processes" / "expense_claim.yaml") if name == "expense_claim" else
         loads(PARALLEL_LOOP if name == "parallel loop" else NESTED))
    v = expected_visits(m)
    n = 20_000
    counts = bpr.simulate(m, cases=n, seed=3).replications[0].activity_count
    for a in m.activities:
        # per-case visits: at most Bernoulli (variance <= v) or geometric (<= v^2)
        tol = 5 * (v[a] * max(1.0, v[a]) / n) ** 0.5
        assert counts[a] / n == pytest.approx(v[a], abs=tol), a


def test_the_sparse_solver_agrees_with_the_dense_one(monkeypatch):
    m = loads(PARALLEL_LOOP)
    dense = expected_visits(m)
    monkeypatch.setattr(sys.modules["bpr.model.check"], "DENSE_LIMIT", 0)
    assert expected_visits(m) == pytest.approx(dense, rel=1e-9)


# -- refusals ------------------------------------------------------------------------------------
def test_a_loop_with_exit_probability_zero_is_refused():
    (msg,) = problems_of(loop_model(1.0))
    assert re.match(r"m\.yaml:\d+: cases that reach 'retry' can never leave the loop through "
                    r"'Work': every flow out of it has probability 0", msg), msg


def test_branching_that_sends_every_case_into_a_loop_is_refused():
    text = """name: trap
activities: {Work: {duration: 5m}, Fix: {duration: 5m}, Done: {duration: 1m}}
gateways: {in: xor, ok: xor, fix in: xor, fixed: xor}
flow:
  - start -> in -> Work -> ok
  - {from: ok, to: Done, probability: 0}
  - {from: ok, to: fix in, probability: 1}
  - fix in -> Fix -> fixed
  - {from: fixed, to: fix in, probability: 0.5}
  - {from: fixed, to: in, probability: 0.5}
  - Done -> end
"""
    (msg,) = problems_of(text)
    assert "can never leave the loop" in msg and "'ok'" in msg, msg


@pytest.mark.parametrize(("stay", "exit_", "words"), [
    (0.999999, None, r"'Work' would run about 1,000,000 times per case on average \(the loop "
                     r"at xor gateway 'retry' is left with probability 1e-06\); the limit is "
                     r"1,000 expected visits per case"),
    (1.0, 1e-17, r"'Work' would run forever per case on average"),  # numerically zero
])
def test_runaway_expected_visits_are_refused(stay, exit_, words):
    (msg,) = problems_of(loop_model(stay, exit_))
    assert re.search(words, msg), msg
    assert msg.startswith("m.yaml:5: ")  # the line of the xor gateway to fix


def test_visits_at_the_limit_pass():
    assert problems_of(loop_model(0.999)) == []  # 1,000 visits: the documented limit


DEADLOCK = """name: deadlock
activities: {A: {duration: 1m}, B: {duration: 1m}}
gateways: {choose: xor, both: and}
flow:
  - start -> choose
  - {from: choose, to: A, probability: 0.5}
  - {from: choose, to: B, probability: 0.5}
  - A -> both
  - B -> both
  - both -> end
"""

ORPHAN_OR = DEADLOCK.replace("both: and", "both: or")


def test_an_xor_split_joined_by_an_and_join_is_a_deadlock():
    (msg,) = problems_of(DEADLOCK)
    assert re.match(r"m\.yaml:3: xor split 'choose' sends each case down one branch, but its "
                    r"branches meet at parallel join 'both', which waits for all of them: the "
                    r"case would wait forever \(deadlock\)", msg), msg


def test_an_orphan_inclusive_join_is_refused():
    (msg,) = problems_of(ORPHAN_OR)
    assert "inclusive join 'both' is not the join of any inclusive split" in msg, msg


@pytest.mark.parametrize("text", [DEADLOCK, ORPHAN_OR, loop_model(1.0), loop_model(0.999999)],
                         ids=["deadlock", "orphan-or", "no-exit", "runaway"])
def test_check_refuses_what_simulate_refuses(tmp_path, text):
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(main, ["check", str(path)])
    simulated = runner.invoke(main, ["simulate", str(path), "--cases", "5", "-q", "-o",
                                     str(tmp_path / "out")])
    assert checked.exit_code == simulated.exit_code == 2, (checked.output, simulated.output)
    problem = checked.output.strip().splitlines()[0]  # then "Error: ... 1 problem found"
    assert "Traceback" not in checked.output + simulated.output
    assert "\n" not in simulated.output.strip()
    assert problem.split(": ", 2)[2] in simulated.output  # the same problem, in the same words
    assert not (tmp_path / "out").exists()
    with pytest.raises(ModelError):
        check(loads(text))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_model_passes_and_stays_within_the_visit_limit(path):
    m = load_model(path)  # checked on load
    v = expected_visits(m)
    assert max(v.values()) <= MAX_EXPECTED_VISITS
    assert v[m.start_event] == pytest.approx(1.0)
    ends = [n for n, e in m.events.items() if e.kind == "end"]
    assert sum(v[e] for e in ends) == pytest.approx(1.0, rel=1e-6)  # every case ends once
