"""Bounded work: loops that (almost) never exit, absurd durations and horizons, and huge pools end
with a one-line error naming the node or field and the limit, instead of a hang."""

from __future__ import annotations

import pytest

from bpr.errors import ModelError, SimulationError
from bpr.model import loads
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
def test_a_loop_that_never_exits_is_stopped_naming_the_node(p, q, monkeypatch):
    # bpr check refuses these models first; the engine's cap is the defence in depth behind it
    with pytest.raises(ModelError):
        compile_model(loads(LOOP.format(p=p, q=q)))
    monkeypatch.setattr("bpr.sim.compiled.check", lambda model: None)
    with pytest.raises(SimulationError) as err:
        run(LOOP.format(p=p, q=q))
    msg = str(err.value)
    assert "'Rework'" in msg and f"{MAX_VISITS:,}" in msg and "\n" not in msg


def test_a_loop_of_gateways_only_is_stopped_too(monkeypatch):
    monkeypatch.setattr("bpr.sim.compiled.check", lambda model: None)
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


def test_absurd_times_are_refused_by_the_model_naming_the_field():
    for text, field in [
        ("name: slow\npools: {P: 1}\nactivities:\n  - Wait forever: {pool: P, duration: 1e300}\n",
         "Wait forever.duration"),
        ("name: slow\nactivities:\n  - A: {duration: 1m, delay: 1e300}\n", "A.delay"),
        ("name: rare\narrivals: {interarrival: 1e300}\nactivities: [A: {duration: 1m}]\n",
         "arrivals.interarrival"),
    ]:
        with pytest.raises(ModelError, match=f"{field}.*100 years"):
            loads(text)


def test_a_case_that_outruns_the_clock_is_stopped_at_the_limit():
    steps = "\n".join(f"  - Step {i}: {{duration: 95 * 365d}}" for i in range(11))
    text = "name: slow\nactivities:\n" + steps.replace("95 * 365d", str(95 * 365 * 86400)) + "\n"
    with pytest.raises(SimulationError, match="1,000 years"):
        run(text, cases=1)


def test_arrivals_past_the_clock_limit_are_stopped_naming_the_arrivals():
    text = (f"name: rare\narrivals: {{interarrival: {99 * 365 * 86400}}}\n"
            f"activities: [A: {{duration: 1m}}]\n")
    with pytest.raises(SimulationError, match="arrivals.*1,000 years"):
        run(text, cases=12)


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
    with pytest.raises(ModelError, match="P.count.*100,000"):
        loads(text)


def test_batch_size_limit_is_named():
    text = "name: b\nactivities: [A: {duration: 1m, batch: {size: 1000000000}}]\n"
    with pytest.raises(ModelError, match="batch.size.*100,000"):
        loads(text)
