"""Property tests: random sequences of valid changes on random and bundled models always give
sound models, keep the activities they should, and never leave a pool with negative staff."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_helpers import random_model, small_model

from bpr.errors import ScenarioError
from bpr.model import Distribution, ProcessModel, check
from bpr.model.files import load_model
from bpr.scenario import (
    Automate,
    Branching,
    Demand,
    Insert,
    Merge,
    Parallelise,
    Remove,
    Staff,
    apply_change,
)

OPS = st.lists(st.tuples(st.integers(0, 7), st.integers(0, 10_000),
                         st.floats(0.01, 0.99)), max_size=8)
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _task_pairs(model: ProcessModel, same_pool: bool) -> list[tuple[str, str]]:
    g = model.graph
    pairs = []
    for a in model.activities:
        succ = list(g.successors(a))
        if len(succ) == 1 and succ[0] in model.activities:
            b = succ[0]
            if not same_pool or model.activities[a].pool == model.activities[b].pool:
                pairs.append((a, b))
    return pairs


def _pick(items: list, k: int):
    return items[k % len(items)] if items else None


def _valid_change(model: ProcessModel, op: int, k: int, x: float, counter: list[int]):
    """A change that must apply cleanly to ``model`` (None if none of this type applies)."""
    acts = sorted(model.activities)
    if op == 0:
        a = _pick(acts, k)
        return None if a is None else Remove(a)
    if op == 1:
        return Staff(_pick(sorted(model.pools), k), "add", 1 + k % 3)
    if op == 2:
        a = _pick(acts, k)
        return None if a is None else Automate(a, duration_factor=x, change_pool=k % 2 == 0)
    if op == 3:
        pair = _pick(_task_pairs(model, same_pool=True), k)
        return None if pair is None else Merge(pair, name=f"M{counter[0]}")
    if op == 4:
        pair = _pick(_task_pairs(model, same_pool=False), k)
        return None if pair is None else Parallelise(pair)
    if op == 5:
        a = _pick(acts, k)
        return None if a is None else Insert(f"N{counter[0]}", Distribution.fixed(60),
                                             after=a, pool=sorted(model.pools)[0])
    if op == 6:
        g = model.graph
        splits = sorted(n for n, gw in model.gateways.items() if gw.kind == "xor"
                        and g.out_degree(n) > 1)
        split = _pick(splits, k)
        if split is None:
            return None
        target = _pick(sorted(g.successors(split)), k // 7)
        return Branching(target, probability=x, gateway=split)
    return Demand(0.5 + x)


def _expected_activities(before: set[str], change) -> set[str]:
    if isinstance(change, Remove):
        return before - {change.activity}
    if isinstance(change, Merge):
        return (before - set(change.activities)) | {change.merged_name}
    if isinstance(change, Insert):
        return before | {change.activity}
    return before


def _run(model: ProcessModel, ops) -> None:
    counter = [0]
    for i, (op, k, x) in enumerate(ops):
        counter[0] += 1
        change = _valid_change(model, op, k, x, counter)
        if change is None:
            continue
        before = set(model.activities)
        new = apply_change(model, change, i)  # raises if the result is not sound
        check(new)
        assert set(new.activities) == _expected_activities(before, change)
        for name in set(new.activities) & before:  # untouched activities stay identical
            if name != getattr(change, "activity", None):
                assert new.activities[name] == model.activities[name]
        for n in new.gateways:
            succ = list(new.graph.successors(n))
            if new.gateways[n].kind == "xor" and len(succ) > 1:
                total = math.fsum(new.graph.edges[n, s]["probability"] for s in succ)
                assert abs(total - 1.0) < 1e-9
        model = new


@SETTINGS
@given(seed=st.integers(0, 10_000), ops=OPS)
def test_random_changes_on_random_models_stay_sound(seed, ops):
    _run(random_model(seed), ops)


@SETTINGS
@given(ops=OPS)
def test_random_changes_on_the_small_example_stay_sound(ops):
    _run(small_model(), ops)


@SETTINGS
@given(seed=st.integers(0, 10_000), k=st.integers(0, 100))
def test_remove_keeps_every_other_activity(seed, k):
    model = random_model(seed)
    victim = sorted(model.activities)[k % len(model.activities)]
    new = apply_change(model, Remove(victim))
    assert set(new.activities) == set(model.activities) - {victim}
    assert all(new.activities[a] == model.activities[a] for a in new.activities)


@SETTINGS
@given(delta=st.integers(-10, 10), mode=st.sampled_from(["add", "mul", "set"]),
       factor=st.floats(0, 3))
def test_staff_never_goes_negative(delta, mode, factor):
    amount = {"add": delta, "mul": factor, "set": abs(delta)}[mode]
    model = random_model(1)
    try:
        new = apply_change(model, Staff("P1", mode, amount))
    except ScenarioError as err:
        assert "would leave" in str(err) or "breaks the model" in str(err)
        return
    assert new.pools["P1"].count >= 1


BUNDLED = sorted((Path(__file__).resolve().parents[1] / "processes").glob("*.yaml"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_random_changes_on_bundled_models_stay_sound(path, ops):
    _run(_bundled(path), ops)


_CACHE: dict[Path, ProcessModel] = {}


def _bundled(path: Path) -> ProcessModel:
    if path not in _CACHE:
        _CACHE[path] = load_model(path)
    return _CACHE[path]
