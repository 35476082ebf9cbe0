"""Bounded work: loops that (almost) never exit, absurd durations and horizons, and huge pools end
with a one-line error naming the node or field and the limit, instead of a hang."""

from __future__ import annotations

import pytest

from bpr.errors import ModelError, SimulationError
from bpr.model import find_problems, loads
from bpr.sim import simulate
from bpr.sim.compiled import compile_model
from bpr.sim.engine import Replication
from bpr.sim.limits import MAX_CASES, MAX_VISITS


def run(text: str, **kw) -> None:
    kw.setdefault("cases", 3)
    Replication(compile_model(loads(text)), seed=1, replication=0, week_offset=0.0, **kw).run()


LOOP = """
name: endless
activities:
  Rework: {{duration: 1m}}
gateways: {{again: xor, back: xor}}
flow:
  - start -> back -> Rework -> again
  - {{from: again, to: back, probability: {p}}}
  - {{from: again, to: end, probability: {q}}}
"""


@pytest.mark.parametrize("p,q", [("1", "0"), ("0.9999999", "0.0000001")])
def test_a_loop_that_never_exits_is_stopped_naming_the_node(p, q):
    with pytest.raises(SimulationError) as err:
        run(LOOP.format(p=p, q=q))
    msg = str(err.value)
    assert "'Rework'" in msg and f"{MAX_VISITS:,}" in msg and "\n" not in msg


def test_a_loop_of_gateways_only_is_stopped_too():
    text = """
name: spin
activities:
  A: {duration: 1m}
gateways: {again: xor, back: xor}
flow:
  - start -> A -> back -> again
  - {from: again, to: back, probability: 1}
  - {from: again, to: end, probability: 0}
"""
    with pytest.raises(SimulationError, match="'again'|'back'"):
        run(text)


def test_absurd_duration_is_stopped_naming_the_activity():
    text = """
name: slow
pools: {P: 1}
activities:
  - Wait forever: {pool: P, duration: 1e300}
"""
    with pytest.raises(SimulationError, match="'Wait forever'.*1,000 years"):
        run(text)


def test_absurd_delay_or_timer_is_stopped_at_the_case_end():
    text = """
name: slow
activities:
  - A: {duration: 1m, delay: 1e300}
"""
    with pytest.raises(SimulationError, match="case 1.*1,000 years"):
        run(text)


def test_absurd_interarrival_is_stopped_naming_the_arrivals():
    text = """
name: rare
arrivals: {interarrival: 1e300}
activities: [A: {duration: 1m}]
"""
    with pytest.raises(SimulationError, match="arrivals.*1,000 years"):
        run(text)


def test_too_many_cases_fail_at_once():
    text = "name: many\nactivities: [A: {duration: 1m}]\n"
    with pytest.raises(SimulationError, match=f"{MAX_CASES:,}"):
        run(text, cases=MAX_CASES + 1)
    with pytest.raises(SimulationError, match="cases per replication"):
        simulate(loads(text), cases=10**9)


@pytest.mark.parametrize("interarrival", ["0", "1e-9"])
def test_a_horizon_that_lets_too_many_cases_arrive_fails_at_once(interarrival):
    text = f"name: flood\narrivals: {{interarrival: {interarrival}}}\n" \
           f"activities: [A: {{duration: 1m}}]\n"
    with pytest.raises(SimulationError, match="cases per replication"):
        simulate(loads(text), days=1)


def test_huge_pool_is_refused_naming_the_pool_and_the_limit():
    text = "name: big\npools: {P: 1000000000}\nactivities: [A: {pool: P, duration: 1m}]\n"
    problems = find_problems(loads(text))
    assert any("pool 'P'" in p.message and "100,000" in p.message for p in problems)
    with pytest.raises(ModelError, match="100,000"):
        compile_model(loads(text))


def test_batch_size_limit_is_named():
    text = "name: b\nactivities: [A: {duration: 1m, batch: {size: 1000000000}}]\n"
    with pytest.raises(ModelError, match="batch.size.*100,000"):
        loads(text)
