"""The model file's people, case attributes, dispatch, shift-end and batch keys: exact round
trips (YAML, JSON, BPMN sidecar), strict keys with did-you-mean, one-line errors naming the file,
line and field, and the example model in processes/."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpr.errors import ModelError
from bpr.model import dumps, find_problems, loads
from bpr.model.files import load_model
from bpr.model.resources import Batch, CaseAttribute, Person
from bpr.sim import simulate
from bpr.sim.compiled import compile_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "processes" / "insurance_claims_people.yaml"

BASE = """
name: people
calendars:
  early: {mon-fri: 06:00-14:00}
people:
  Ann: {calendar: early, availability: {mon: 0.7, sat-sun: 0}, speed: 1.25, hourly_rate: 40}
  Bob: {}
case_attributes:
  customer: {values: {gold: 0.2, standard: 0.8}, priority: {gold: 2}}
pools:
  clerks: {members: [Ann, Bob], dispatch: priority, shift_end: finish}
  seniors: {members: [Ann]}
activities:
  - A: {pool: clerks, duration: 10m, priority: 1, batch: {size: 3, max_wait: 2h, at: '16:00'}}
  - B: {pool: seniors, duration: 5m, batch: {at: ['09:00', '13:30'], mode: parallel}}
"""


def test_new_keys_are_read_into_typed_classes():
    m = loads(BASE)
    assert m.people["Ann"] == Person("Ann", calendar="early",
                                     availability=(0.7, 1, 1, 1, 1, 0, 0), speed=1.25,
                                     hourly_rate=40.0)
    assert m.people["Bob"] == Person("Bob")
    assert m.case_attributes["customer"] == CaseAttribute(
        "customer", (("gold", 0.2), ("standard", 0.8)), (("gold", 2.0),))
    clerks = m.pools["clerks"]
    assert (clerks.count, clerks.members, clerks.dispatch, clerks.shift_end) == (
        2, ("Ann", "Bob"), "priority", "finish")
    assert m.activities["A"].priority == 1.0
    assert m.activities["A"].batch == Batch(size=3, max_wait=7200.0, at=(57600.0,))
    assert m.activities["B"].batch == Batch(at=(32400.0, 48600.0), mode="parallel")
    assert find_problems(m) == []


def test_yaml_round_trip_is_exact_and_stable():
    for m in (loads(BASE), load_model(EXAMPLE)):
        text = dumps(m)
        assert loads(text) == m
        assert dumps(loads(text)) == text


def test_json_and_bpmn_round_trips(tmp_path):
    m = load_model(EXAMPLE)
    m.save(str(tmp_path / "m.json"))
    assert load_model(tmp_path / "m.json") == m
    from bpr.model.files import save_model

    save_model(m, str(tmp_path / "m.bpmn"))
    back = load_model(tmp_path / "m.bpmn")
    assert back.people == m.people and back.case_attributes == m.case_attributes
    assert back.pools == m.pools
    assert {n: (a.priority, a.batch) for n, a in back.activities.items()} == {
        n: (a.priority, a.batch) for n, a in m.activities.items()}


def test_files_without_the_new_keys_are_written_as_before():
    text = (ROOT / "processes" / "expense_claim.yaml").read_text()
    out = dumps(loads(text))
    for key in ("people:", "case_attributes:", "dispatch:", "shift_end:", "priority:", "batch:"):
        assert key not in out


@pytest.mark.parametrize("old,new,expected", [
    ("Ann: {calendar: early,", "Ann: {calender: early,",
     "unknown key 'calender'; did you mean 'calendar'?"),
    ("dispatch: priority, shift_end", "dispach: priority, shift_end", "did you mean 'dispatch'?"),
    ("dispatch: priority", "dispatch: prority", "'prority' is unknown; did you mean 'priority'?"),
    ("shift_end: finish", "shift_end: finsh", "did you mean 'finish'?"),
    ("batch: {size: 3,", "batch: {sise: 3,", "did you mean 'size'?"),
    ("mode: parallel", "mode: paralel", "did you mean 'parallel'?"),
    ("at: '16:00'", "at: 16:00", "in quotes"),
    ("at: '16:00'", "at: '25:00'", "not a time of day"),
    ("max_wait: 2h", "max_wait: 0", "greater than 0"),
    ("size: 3,", "size: 0,", "at least 1"),
    ("speed: 1.25", "speed: 0", "greater than 0"),
    ("mon: 0.7", "mon: 1.5", "at most 1"),
    ("mon: 0.7", "moon: 0.7", "not a day"),
    ("{values: {gold: 0.2, standard: 0.8}", "{valus: {gold: 0.2, standard: 0.8}",
     "did you mean 'values'?"),
    ("priority: 1, batch", "priority: high, batch", "must be a number"),
    ("  Bob: {}\n", "  Bob: {rate: 3}\n", "did you mean 'hourly_rate'?"),
])
def test_bad_values_give_one_line_errors_naming_line_and_field(old, new, expected):
    assert old in BASE
    with pytest.raises(ModelError) as err:
        loads(BASE.replace(old, new, 1), path="m.yaml")
    msg = str(err.value)
    assert expected in msg and msg.startswith("m.yaml:") and "\n" not in msg


def test_a_batch_needs_a_release_rule():
    with pytest.raises(ModelError, match="a batch needs a release rule"):
        loads(BASE.replace("batch: {at: ['09:00', '13:30'], mode: parallel}",
                           "batch: {mode: parallel}"))


def test_a_pool_needs_a_count_or_members():
    with pytest.raises(ModelError, match="missing 'count'.*or 'members'"):
        loads(BASE.replace("seniors: {members: [Ann]}", "seniors: {calendar: early}"))


@pytest.mark.parametrize("old,new,expected", [
    ("calendar: early,", "calendar: erly,", "person 'Ann': unknown calendar 'erly'; did you mean "
                                            "'early'?"),
    ("gold: 0.2, standard: 0.8}", "gold: 0.3, standard: 0.8}", "shares sum to 1.1, not 1"),
    ("priority: {gold: 2}", "priority: {glod: 2}", "did you mean 'gold'?"),
    ("mon: 0.7, sat-sun: 0", "mon-fri: 0", "never in on a working day of calendar 'early'"),
    ("seniors: {members: [Ann]}", "seniors: {members: [Ann, Ann]}", "lists person 'Ann' twice"),
])
def test_cross_references_are_checked_with_the_line(old, new, expected):
    m = loads(BASE.replace(old, new, 1), path="m.yaml")
    problems = find_problems(m)
    assert problems and expected in problems[0].message
    with pytest.raises(ModelError) as err:
        compile_model(m)
    assert str(err.value).startswith("m.yaml:")


def test_count_and_members_work_together():
    m = loads(BASE.replace("seniors: {members: [Ann]}", "seniors: {count: 3, members: [Ann]}"))
    assert m.pools["seniors"].member_names() == ["Ann", "seniors-2", "seniors-3"]
    assert compile_model(m).pool_slot_person[1] == [0, -1, -1]
    text = dumps(m)
    assert "count: 3" in text and loads(text) == m


def test_example_model_simulates_and_extra_staff_work_the_pool_calendar():
    m = load_model(EXAMPLE)
    r = simulate(m, cases=300, seed=3)
    rep = r.replications[0]
    assert rep.cases_completed == 300
    assert all(0 < u < 1 for u in rep.pool_utilisation.values())
    from bpr.scenario.attrs import Staff
    from bpr.scenario.model import apply_change

    more = apply_change(m, Staff("claims team", "add", 1))
    assert more.pools["claims team"].member_names()[-1] == "claims team-5"
    wait = simulate(m, cases=300, seed=3).kpis()["activity_waiting_hours"]["Assess claim"].mean
    wait_more = simulate(more, cases=300, seed=3).kpis()[
        "activity_waiting_hours"]["Assess claim"].mean
    assert wait_more < wait


def test_every_dispatch_rule_is_known_to_the_model_and_documented():
    from bpr.model.resources import DISPATCH_RULES as NAMES
    from bpr.sim.dispatch import DISPATCH_RULES

    assert tuple(DISPATCH_RULES) == NAMES
    readme = (ROOT / "processes" / "README.md").read_text()
    for name in NAMES:
        line = DISPATCH_RULES[name]()
        assert len(line) == 0 and f"`{name}`" in readme
