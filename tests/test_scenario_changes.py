"""Each change type on its own: exact effect on the model, purity, errors with did-you-mean."""

from __future__ import annotations

import math

import pytest
from scenario_helpers import small_model

from bpr.errors import ScenarioError
from bpr.model import Activity, Distribution, Flow, Gateway, ProcessModel, check
from bpr.model.check import split_join_pairs
from bpr.scenario import (
    Automate,
    Branching,
    Cost,
    Delay,
    Demand,
    Insert,
    Merge,
    Parallelise,
    Remove,
    Staff,
    apply_scenario,
    parse_change,
)
from bpr.scenario.changes import sum_distribution, variance


def flows(model: ProcessModel) -> dict[tuple[str, str], float | None]:
    return {(f.source, f.target): f.probability for f in model.flows}


def test_changes_are_pure():
    m = small_model()
    before = (dict(m.activities), m.flows, dict(m.pools))
    for ch in [Remove("Rework"), Staff("Clerk", "add", 1), Merge(("Check credit",
                                                                   "Check income"))]:
        apply_scenario(m, [ch])
    assert (dict(m.activities), m.flows, dict(m.pools)) == before


def test_automate_factor_cost_and_pool():
    m = small_model()
    t = apply_scenario(m, [parse_change("automate", {"activity": "Check credit",
                                                     "duration": "0.1x", "fixed_cost": 0.5})])
    a = t.activities["Check credit"]
    assert a.duration.mean() == pytest.approx(60.0)
    assert a.fixed_cost == 0.5 and a.pool == "Clerk"  # staff kept unless pool: null
    t = apply_scenario(m, [parse_change("automate", {"activity": "Check credit", "pool": None,
                                                     "duration": "30s"})])
    assert t.activities["Check credit"].pool is None
    assert t.activities["Check credit"].duration == Distribution.fixed(30)


def test_automate_unknown_activity_suggests_name():
    with pytest.raises(ScenarioError, match=r"field 'activity': unknown activity 'Chek credit'; "
                                            r"did you mean 'Check credit'\?"):
        apply_scenario(small_model(), [Automate("Chek credit", duration_factor=0.5)])


def test_remove_reconnects_and_keeps_probability():
    t = apply_scenario(small_model(), [Remove("Rework")])
    assert "Rework" not in t.activities
    assert flows(t)[("decide", "loop")] == 0.2
    assert set(t.activities) == set(small_model().activities) - {"Rework"}
    check(t)


def test_remove_folds_duplicate_branches_and_trivial_gateways():
    m = ProcessModel(
        name="two branches",
        activities={n: Activity(n, Distribution.fixed(60)) for n in ("A", "B", "C")},
        gateways={"s": Gateway("s", "xor"), "j": Gateway("j", "xor")},
        flows=(Flow("start", "s"), Flow("s", "A", 0.7), Flow("s", "B", 0.3), Flow("A", "j"),
               Flow("B", "j"), Flow("j", "C"), Flow("C", "end")))
    t = apply_scenario(m, [Remove("A")])
    assert flows(t)[("s", "j")] == 0.7 and flows(t)[("s", "B")] == 0.3
    t = apply_scenario(m, [Remove("A"), Remove("B")])
    assert not t.gateways  # s and j no longer split or join
    assert flows(t) == {("start", "C"): None, ("C", "end"): None}


def test_remove_last_activity_leaves_start_to_end():
    m = ProcessModel(name="one", activities={"A": Activity("A", Distribution.fixed(1))},
                     flows=(Flow("start", "A"), Flow("A", "end")))
    assert flows(apply_scenario(m, [Remove("A")])) == {("start", "end"): None}


def test_merge_sums_mean_and_variance():
    t = apply_scenario(small_model(), [Merge(("Check credit", "Check income"), "Checks")])
    d = t.activities["Checks"].duration
    assert d.kind == "gamma"
    assert d.mean() == pytest.approx(1000.0)
    assert d.params["sd"] == pytest.approx(600.0)  # sqrt(600² + 0²)
    assert flows(t)[("loop", "Checks")] is None and ("Checks", "decide") in flows(t)
    assert "Check credit" not in t.activities


def test_merge_needs_sequence_and_one_pool():
    with pytest.raises(ScenarioError, match="'Approve' does not directly follow 'Receive'"):
        apply_scenario(small_model(), [Merge(("Receive", "Approve"))])
    sign = Insert("Sign", Distribution.fixed(60), after="Receive", pool="Manager")
    with pytest.raises(ScenarioError, match=r"change 2 \(merge\), field 'pool': the activities "
                                            r"use different pools \(Clerk, Manager\)"):
        apply_scenario(small_model(), [sign, Merge(("Receive", "Sign"))])
    t = apply_scenario(small_model(), [sign, Merge(("Receive", "Sign"), pool="Manager",
                                                   change_pool=True)])
    assert t.activities["Receive + Sign"].pool == "Manager"


def test_variance_and_sum_of_distributions():
    assert variance(Distribution("uniform", {"min": 0, "max": 12})) == pytest.approx(12.0)
    assert variance(Distribution("triangular", {"min": 0, "mode": 0, "max": 6})) == (
        pytest.approx(2.0))
    emp = Distribution("empirical", {"quantiles": [0, 10]})  # uniform(0, 10)
    assert variance(emp) == pytest.approx(100 / 12)
    s = sum_distribution([Distribution.fixed(5), Distribution.fixed(7)])
    assert s == Distribution.fixed(12)
    s = sum_distribution([Distribution.exponential(3), Distribution("gamma", {"mean": 5,
                                                                                "sd": 4})])
    assert s.mean() == 8 and s.params["sd"] == pytest.approx(5.0)


def test_parallelise_builds_paired_and_block():
    t = apply_scenario(small_model(), [Parallelise(("Check credit", "Check income"))])
    pairs = split_join_pairs(t)
    assert len(pairs) == 1
    (split, join), = pairs.items()
    assert t.gateways[split].kind == "and" and t.gateways[join].kind == "and"
    assert set(t.graph.successors(split)) == {"Check credit", "Check income"}
    assert list(t.graph.successors(join)) == ["decide"]


def test_insert_after_and_before():
    ins = Insert("Verify ID", Distribution.fixed(120), after="Receive", pool="Clerk")
    t = apply_scenario(small_model(), [ins])
    assert flows(t)[("Receive", "Verify ID")] is None and ("Verify ID", "loop") in flows(t)
    t = apply_scenario(small_model(), [Insert("Prepare", Distribution.fixed(60),
                                              before="Approve")])
    assert flows(t)[("decide", "Prepare")] == 0.6  # the branch keeps its share
    with pytest.raises(ScenarioError, match="'decide' has 3 outgoing flows"):
        apply_scenario(small_model(), [Insert("X", Distribution.fixed(1), after="decide")])
    with pytest.raises(ScenarioError, match="'Approve' already exists"):
        apply_scenario(small_model(), [Insert("Approve", Distribution.fixed(1), after="Receive")])


@pytest.mark.parametrize(("count", "expected"), [(5, 5), ("+1", 3), (-1, 1), ("-1", 1),
                                                 ("x1.5", 3), ("x1.25", 3), ("x0.5", 1)])
def test_staff_counts(count, expected):
    t = apply_scenario(small_model(), [parse_change("staff", {"pool": "Clerk", "count": count})])
    assert t.pools["Clerk"].count == expected


def test_staff_never_negative_and_zero_breaks_model():
    with pytest.raises(ScenarioError, match="has 2 staff; -3 would leave -1"):
        apply_scenario(small_model(), [Staff("Clerk", "add", -3)])
    with pytest.raises(ScenarioError, match=r"change 1 \(staff\) breaks the model: .*count 0"):
        apply_scenario(small_model(), [Staff("Clerk", "set", 0)])


def test_hours_with_schedule_or_name():
    ch = parse_change("hours", {"pool": "Clerk", "calendar": {"mon-fri": "08:00-18:00"}})
    t = apply_scenario(small_model(), [ch])
    cal = t.calendars[t.pools["Clerk"].calendar]
    assert t.pools["Clerk"].calendar == "Clerk hours"
    assert cal.open_seconds_per_week == 5 * 10 * 3600
    t2 = apply_scenario(t, [parse_change("hours", {"pool": "Manager",
                                                   "calendar": "Clerk hours"})])
    assert t2.pools["Manager"].calendar == "Clerk hours"
    with pytest.raises(ScenarioError, match="unknown calendar 'Clerk hour'; did you mean "
                                            "'Clerk hours'"):
        apply_scenario(t, [parse_change("hours", {"pool": "Manager", "calendar": "Clerk hour"})])


def test_demand_scales_interarrival():
    t = apply_scenario(small_model(), [Demand(1.25)])
    assert t.arrivals.interarrival.mean() == pytest.approx(1200 / 1.25)


def test_branching_rescales_others_to_sum_one():
    t = apply_scenario(small_model(), [parse_change("branching", {"to": "Rework",
                                                                  "probability": "0.5x"})])
    f = flows(t)
    assert f[("decide", "Rework")] == pytest.approx(0.1)
    assert f[("decide", "Approve")] == pytest.approx(0.6 * 0.9 / 0.8)
    assert f[("decide", "Reject")] == pytest.approx(0.2 * 0.9 / 0.8)
    assert math.fsum(f[("decide", x)] for x in ("Approve", "Rework", "Reject")) == (
        pytest.approx(1.0))
    t = apply_scenario(small_model(), [Branching("Reject", probability=0.0,
                                                 gateway="Check income", via="from")])
    assert flows(t)[("decide", "Approve")] == pytest.approx(0.75)


def test_branching_unknown_target():
    with pytest.raises(ScenarioError, match="no exclusive splits have a branch leading to "
                                            "'Receive'"):
        apply_scenario(small_model(), [Branching("Receive", probability=0.5)])


def test_cost_and_delay():
    t = apply_scenario(small_model(), [Cost(pool="Clerk", hourly_rate=45.0),
                                       Cost(activity="Notify", fixed_cost=1.0)])
    assert t.pools["Clerk"].hourly_rate == 45 and t.activities["Notify"].fixed_cost == 1.0
    with pytest.raises(ScenarioError, match="has no extraneous delay to scale"):
        apply_scenario(small_model(), [Delay("Approve", factor=0.5)])
    t = apply_scenario(small_model(), [parse_change("delay", {"activity": "Approve",
                                                              "distribution": "2h"}),
                                       Delay("Approve", factor=0.5)])
    assert t.activities["Approve"].delay == Distribution.fixed(3600)
    t = apply_scenario(t, [parse_change("delay", {"activity": "Approve", "distribution": None})])
    assert t.activities["Approve"].delay is None


def test_round_trip_of_every_change_type():
    entries = [
        ("automate", {"activity": "A", "duration": "0.1x", "fixed_cost": 0.5, "pool": None}),
        ("automate", {"activity": "A", "duration": {"kind": "fixed", "value": 30}}),
        ("remove", {"activity": "A"}),
        ("merge", {"activities": ["A", "B"], "name": "AB"}),
        ("parallelise", {"activities": ["A", "B", "C"]}),
        ("insert", {"activity": "N", "after": "A", "pool": "P",
                    "duration": {"kind": "fixed", "value": 5}}),
        ("staff", {"pool": "P", "count": "+2"}), ("staff", {"pool": "P", "count": 4}),
        ("staff", {"pool": "P", "count": "x1.5"}),
        ("hours", {"pool": "P", "calendar": "office"}),
        ("demand", {"factor": 1.2}),
        ("branching", {"from": "A", "to": "B", "probability": 0.1}),
        ("branching", {"to": "B", "probability": "0.5x"}),
        ("cost", {"pool": "P", "hourly_rate": 30.0}),
        ("cost", {"activity": "A", "fixed_cost": 2.0}),
        ("delay", {"activity": "A", "factor": 0.5}),
    ]
    for kind, fields in entries:
        ch = parse_change(kind, fields)
        assert ch.to_dict() == fields, kind
        assert parse_change(kind, ch.to_dict()) == ch
