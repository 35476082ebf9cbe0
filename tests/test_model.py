"""The process model: file format round trip, strictness, errors with lines, soundness checks."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.errors import BprError, ModelError
from bpr.model import Calendar, Distribution, check, dumps, find_problems, loads
from bpr.model.files import load_model, save_model

LOAN = textwrap.dedent("""\
    name: Loan application
    currency: USD
    calendars:
      office:
        mon-fri: 08:00-12:00, 13:00-17:00
    pools:
      Clerk: {count: 3, calendar: office, hourly_rate: 25}
      Manager: 1
    activities:
      Check form: {pool: Clerk, duration: 10m}
      Check credit: {pool: Clerk, duration: {kind: gamma, mean: 20m, sd: 5m}}
      Approve: {pool: Manager, duration: {kind: lognormal, mean: 1h, sd: 30m}, fixed_cost: 2.5}
    arrivals:
      interarrival: {kind: exponential, mean: 30m}
      calendar: office
    """)

BRANCHY = textwrap.dedent("""\
    name: Branchy
    pools: {Staff: 2}
    activities:
      A: {pool: Staff, duration: 5m}
      B: {pool: Staff, duration: {kind: uniform, min: 60, max: 120}}
      C: {duration: {kind: empirical, quantiles: [10, 20, 40, 80]}}
      D: {pool: Staff, duration: {kind: triangular, min: 1, mode: 2, max: 9}}
      E: {pool: Staff, duration: {kind: normal, mean: 100, sd: 30, min: 0}}
    gateways: {split: xor, join: xor, fork: and, sync: and}
    events:
      start: start
      done: end
      wait: {kind: timer, delay: 1h}
    flow:
      - start -> A -> split
      - {from: split, to: B, probability: 0.25}
      - {from: split, to: fork, probability: 0.75}
      - fork -> C -> sync
      - fork -> D -> sync
      - B -> join
      - sync -> join
      - join -> wait -> E -> done
    """)


def test_plain_sequence_needs_no_flow_and_round_trips():
    m = loads(LOAN, "loan.yaml")
    check(m)
    assert [f.source for f in m.flows] == ["start", "Check form", "Check credit", "Approve"]
    assert m.pools["Manager"].count == 1
    assert m.activities["Check form"].duration == Distribution.fixed(600)
    assert m.activities["Check credit"].duration.params == {"mean": 1200.0, "sd": 300.0}
    assert loads(dumps(m)) == m


def test_branchy_model_round_trips_and_graph_has_kinds(tmp_path):
    m = check(loads(BRANCHY))
    assert loads(dumps(m)) == m
    g = m.graph
    assert g.nodes["fork"]["kind"] == "and"
    assert g.nodes["wait"]["kind"] == "timer"
    assert g.edges["split", "B"]["probability"] == 0.25
    for ext in ("yaml", "json"):
        path = tmp_path / f"m.{ext}"
        save_model(m, path)
        assert load_model(path) == m


def test_unknown_key_names_line_and_suggests(tmp_path):
    bad = LOAN.replace("fixed_cost: 2.5", "fixd_cost: 2.5")
    with pytest.raises(ModelError) as err:
        loads(bad, "loan.yaml")
    msg = str(err.value)
    assert msg.startswith("loan.yaml:12: activities.Approve.fixd_cost: unknown key 'fixd_cost'")
    assert "did you mean 'fixed_cost'" in msg


def test_duplicate_keys_are_rejected():
    with pytest.raises(BprError, match=r"m.yaml:4: duplicate key 'A'"):
        loads("name: x\nactivities:\n  A: {duration: 1}\n  A: {duration: 2}\n", "m.yaml")


def test_malformed_yaml_is_one_line_with_line_number():
    with pytest.raises(BprError) as err:
        loads("name: x\nactivities:\n  A: {duration: 1\n", "m.yaml")
    assert str(err.value).startswith("m.yaml:")
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("probability: 0.25", "probability: 0.2"), "sum to 0.95"),
        (lambda t: t.replace("- B -> join", "- B -> jion"),
         "unknown node 'jion'; did you mean 'join'"),
        (lambda t: t.replace("{pool: Staff, duration: 5m}", "{pool: Staf, duration: 5m}"),
         "unknown pool 'Staf'; did you mean 'Staff'"),
        (lambda t: t.replace("pools: {Staff: 2}", "pools: {Staff: 0}"), "has no staff (count 0)"),
        (lambda t: t.replace("- fork -> D -> sync", "- fork -> D -> join"),
         "has no matching parallel join"),
    ],
)
def test_unsound_models_are_reported_by_element(edit, expected):
    m = loads(edit(BRANCHY), "b.yaml")
    problems = find_problems(m)
    assert problems, "expected a problem"
    assert any(expected in p.message for p in problems), [p.message for p in problems]
    with pytest.raises(ModelError):
        check(m)


def test_unknown_distribution_and_bad_calendar():
    with pytest.raises(ModelError, match="unknown distribution kind 'weibul'"):
        loads("name: x\nactivities:\n  A: {duration: {kind: weibul, mean: 3}}\n")
    with pytest.raises(ModelError, match="range '09:00-09:00' is empty"):
        loads("name: x\ncalendars:\n  c: {mon: 09:00-09:00}\nactivities: [A]\n")


def test_overnight_shifts_run_into_the_next_day():
    night = Calendar.from_dict({"fri-sun": "22:00-06:00"})
    h = 3600
    # Friday 22:00 to Saturday 06:00, ..., Sunday 22:00 wraps to Monday 06:00
    assert night.intervals == ((0, 6 * h), (4 * 86400 + 22 * h, 5 * 86400 + 6 * h),
                               (5 * 86400 + 22 * h, 6 * 86400 + 6 * h), (6 * 86400 + 22 * h,
                                                                       7 * 86400))
    assert night.open_seconds_per_week == 3 * 8 * h
    # 3 h of work started Sunday 23:00 end Monday 02:00 of the next week
    assert night.work_end(6 * 86400 + 23 * h, 3 * h) == 7 * 86400 + 2 * h
    assert Calendar.from_dict(night.to_dict()) == night


def test_check_reports_dead_ends():
    text = BRANCHY.replace("- join -> wait -> E -> done", "- join -> wait -> E\n  - E -> wait")
    problems = [p.message for p in find_problems(loads(text))]
    assert any("must have one incoming and one outgoing" in m for m in problems)


def test_calendar_working_time_pause_and_resume():
    cal = Calendar.from_dict({"mon-fri": "08:00-12:00, 13:00-17:00"})
    h = 3600
    assert cal.open_seconds_per_week == 40 * h
    # Monday 16:00 + 5 h of work -> Tuesday 12:00 (1 h Monday, 4 h Tuesday morning)
    assert cal.work_end(16 * h, 5 * h) == 36 * h
    # queued on Saturday: starts Monday next week 08:00
    assert cal.next_open(5 * 86400 + 10 * h) == 7 * 86400 + 8 * h
    assert cal.working_seconds(0, 7 * 86400) == 40 * h
    assert cal.to_dict() == {"mon-fri": "08:00-12:00, 13:00-17:00"}


@settings(max_examples=200, deadline=None)
@given(start=st.floats(0, 3 * 604800), work=st.floats(1, 200 * 3600))
def test_work_end_inverts_working_seconds(start, work):
    cal = Calendar.from_dict({"mon-thu": "09:00-17:00", "fri": "09:00-13:00", "sat": "22:00-24:00",
                              "sun": "00:00-02:00"})
    end = cal.work_end(start, work)
    assert end >= start
    assert cal.working_seconds(start, end) == pytest.approx(work, abs=1e-6)
    if work > 0:
        assert cal.is_open(end - 1e-6) or cal.working_seconds(end - 1, end) > 0


@pytest.mark.parametrize(
    "dist",
    [
        Distribution("exponential", {"mean": 300}),
        Distribution("gamma", {"mean": 300, "sd": 100}),
        Distribution("lognormal", {"mean": 300, "sd": 200}),
        Distribution("normal", {"mean": 300, "sd": 50}),
        Distribution("uniform", {"min": 100, "max": 500}),
        Distribution("triangular", {"min": 0, "mode": 300, "max": 600}),
        Distribution("empirical", {"quantiles": [100, 200, 300, 400, 500]}),
        Distribution("fixed", {"value": 300}),
    ],
)
def test_sample_means_match_named_parameters(dist):
    x = dist.sample(np.random.default_rng(1), 200_000)
    assert (x >= 0).all()
    assert x.mean() == pytest.approx(dist.mean(), rel=0.02)
    if "sd" in dist.params:
        assert x.std() == pytest.approx(dist.params["sd"], rel=0.03)
    assert dist.scaled(0.5).mean() == pytest.approx(dist.mean() * 0.5)


def test_bounds_clip_samples():
    d = Distribution("exponential", {"mean": 100, "min": 20, "max": 150})
    x = d.sample(np.random.default_rng(0), 10_000)
    assert x.min() >= 20 and x.max() <= 150
