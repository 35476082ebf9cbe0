"""Prosimos/Simod import: distribution conventions checked against scipy, and the real models."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.stats as st

from bpr.errors import ModelError
from bpr.model import check
from bpr.model.calendar import DAY, Calendar
from bpr.model.prosimos import import_prosimos, prosimos_calendar
from bpr.model.prosimos_dist import parse_component, to_bpr

DATA = Path(__file__).parent / "data" / "bpmn"
RNG = np.random.default_rng(7)


def spec(name: str, *values: float) -> dict:
    return {"distribution_name": name, "distribution_params": [{"value": v} for v in values]}


def rejection_sample(dist, lo: float, hi: float, n: int) -> np.ndarray:
    """Prosimos' (pix-framework's) way: draw, drop values < 0, < min or > max, redraw."""
    out = np.empty(0)
    while out.size < n:
        x = dist.rvs(size=2 * n, random_state=RNG)
        out = np.concatenate([out, x[(x >= 0) & (x >= lo) & (x <= hi)]])
    return out[:n]


# scipy reference of each convention: (spec, frozen scipy distribution, min, max)
CASES = {
    "expon": (spec("expon", 300, 0, 2000), st.expon(loc=0, scale=300), 0, 2000),
    "expon shifted": (spec("expon", 300, 100, 900), st.expon(loc=100, scale=200), 100, 900),
    "norm": (spec("norm", 500, 200, 100, 1200), st.norm(500, 200), 100, 1200),
    "uniform": (spec("uniform", 60, 180), st.uniform(60, 120), 60, 180),
    "lognorm": (spec("lognorm", 1000, 250_000, 0, 6000),
                st.lognorm(math.sqrt(math.log(1.25)), scale=1000 / math.sqrt(1.25)), 0, 6000),
    "lognorm heavy": (spec("lognorm", 7798, 238460674, 1440, 62100),
                      st.lognorm(math.sqrt(math.log(1 + 238460674 / 7798 ** 2)),
                                 scale=7798 / math.sqrt(1 + 238460674 / 7798 ** 2)), 1440, 62100),
    "gamma": (spec("gamma", 800, 160_000, 0, 5000), st.gamma(4, scale=200), 0, 5000),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_component_matches_scipy_rejection_sampling(case):
    d, ref, lo, hi = CASES[case]
    comp = parse_component(d, "x")
    truth = rejection_sample(ref, lo, hi, 200_000)
    # the exact truncated mean agrees with a large rejection sample
    assert comp.true_mean() == pytest.approx(truth.mean(), rel=0.01)
    # the exact truncated CDF agrees with the sample at its quartiles
    qs = np.quantile(truth, [0.1, 0.25, 0.5, 0.75, 0.9])
    assert np.allclose(comp.cdf(qs), [0.1, 0.25, 0.5, 0.75, 0.9], atol=0.01)
    # and the converted bpr distribution reproduces the same distribution
    bpr_dist = to_bpr([comp])
    draws = bpr_dist.sample(np.random.default_rng(1), 200_000)
    assert draws.mean() == pytest.approx(truth.mean(), rel=0.015)
    assert st.ks_2samp(draws[:20_000], truth[:20_000]).statistic < 0.02


def test_named_kinds_when_exact():
    assert to_bpr([parse_component(spec("fix", 42), "x")]).to_dict() == {"kind": "fixed",
                                                                        "value": 42}
    assert to_bpr([parse_component(spec("uniform", 60, 180), "x")]).to_dict() == {
        "kind": "uniform", "min": 60, "max": 180}
    e = to_bpr([parse_component(spec("expon", 300, 0, 1e7), "x")])
    assert e.kind == "exponential" and e.params["mean"] == 300
    ln = to_bpr([parse_component(spec("lognorm", 1000, 250_000, 0, 1e6), "x")])
    assert ln.kind == "lognormal" and ln.params["sd"] == pytest.approx(500)
    g = to_bpr([parse_component(spec("gamma", 800, 160_000, 0, 1e6), "x")])
    assert g.kind == "gamma" and g.params["sd"] == pytest.approx(400)
    n = to_bpr([parse_component(spec("norm", 500, 100, 0, 1e6), "x")])
    assert n.kind == "normal" and n.params["sd"] == 100
    # a shifted exponential or heavy truncation needs a quantile table
    assert to_bpr([parse_component(spec("expon", 300, 100, 900), "x")]).kind == "empirical"


def test_mixture_of_resources_is_equal_weight():
    comps = [parse_component(spec("fix", 300), "x"), parse_component(spec("fix", 900), "x")]
    d = to_bpr(comps)
    x = d.sample(np.random.default_rng(3), 100_000)
    assert x.mean() == pytest.approx(600, rel=0.01)
    assert np.mean(x < 400) == pytest.approx(0.5, abs=0.02)


def test_bad_distribution_names_and_params():
    with pytest.raises(ModelError, match="'weibull' is not supported"):
        parse_component(spec("weibull", 1, 2), "task_resource_distribution[0]")
    with pytest.raises(ModelError, match="lognorm needs 4 parameters"):
        parse_component(spec("lognorm", 1), "x")


def test_calendar_end_of_day_and_ranges():
    cal = prosimos_calendar([{"from": "MONDAY", "to": "FRIDAY", "beginTime": "09:00:00",
                              "endTime": "17:00:00"},
                             {"from": "SATURDAY", "to": "SATURDAY", "beginTime": "20:00:00",
                              "endTime": "23:59:59.999000"}], "c")
    assert cal.open_seconds_per_week == 5 * 8 * 3600 + 4 * 3600
    assert (5 * DAY + 20 * 3600, 6 * DAY) in cal.intervals


def test_small_model_maps_everything():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = import_prosimos(DATA / "simod_small.bpmn", DATA / "simod_small.json")
    check(m)
    assert {(f.target, f.probability) for f in m.flows if f.source == "xor 1"} == {
        ("B", 0.25), ("C", 0.75)}
    assert m.events["wait before wait"].delay.to_dict() == {"kind": "fixed", "value": 3600}
    # r1 and r2 share a task set: one team; their calendars 9-17 and 13-21 -> union 9-21 (12 h),
    # 80 h/week of work over 60 open h/week -> 1 person
    assert m.activities["A"].pool == m.activities["B"].pool
    team = m.pools[m.activities["A"].pool]
    assert team.count == 1 and team.hourly_rate == 40
    assert m.calendar(team.calendar).open_seconds_per_week == 5 * 12 * 3600
    assert m.activities["B"].duration.mean() == pytest.approx(600, rel=0.01)
    assert m.activities["C"].duration.to_dict() == {"kind": "uniform", "min": 60, "max": 180}
    assert m.arrivals.calendar == "always"
    assert m.arrivals.interarrival.kind == "exponential"


def _imported(prosimos_models: Path, name: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = import_prosimos(prosimos_models / f"{name}.bpmn", prosimos_models / f"{name}.json")
    return check(m), [str(w.message) for w in caught]


def test_purchasing_model(prosimos_models):
    m, notes = _imported(prosimos_models, "PurchasingExample_train")
    data = json.loads((prosimos_models / "PurchasingExample_train.json").read_text())
    assert len(m.activities) == 21
    assert sum(e.kind == "timer" for e in m.events.values()) == 20
    assert all(n.startswith("wait before ") for n, e in m.events.items() if e.kind == "timer")
    probs = sorted(f.probability for f in m.flows if f.probability is not None)
    given = sorted(p["value"] for g in data["gateway_branching_probabilities"]
                   for p in g["probabilities"])
    assert probs == pytest.approx(given)
    # 27 resources in 5 teams; team 1 merges the two groups of 7 purchasing staff
    assert len(m.pools) == 5
    assert "from 14:" in m.description
    assert sum(1 for n in notes if "resources allowed in Prosimos" in n) == 3
    # arrival rate kept: mean wall-clock gap of the bpr process == Prosimos' (simulated) one
    cal = m.calendar(m.arrivals.calendar)
    gaps = m.arrivals.interarrival.sample(np.random.default_rng(5), 20_000)
    t, wall = 0.0, []
    for g in gaps:
        nxt = cal.work_end(t, float(g))
        wall.append(nxt - t)
        t = nxt
    arr = parse_component(data["arrival_time_distribution"], "a")
    pros = arr.sample(np.random.default_rng(6), 20_000)
    t, pwall = cal.next_open(0.0), []
    for d in pros:
        nxt = cal.next_open(t + float(d))
        pwall.append(nxt - t)
        t = nxt
    assert np.mean(wall) == pytest.approx(np.mean(pwall), rel=0.03)


def test_loan_model(prosimos_models):
    m, _ = _imported(prosimos_models, "LoanApp_simplified_train")
    assert len(m.activities) == 12
    assert len(m.gateways) == 8 and sum(g.kind == "and" for g in m.gateways.values()) == 2
    assert sorted(p.count for p in m.pools.values()) == [1, 1, 2, 2, 2, 3]
    assert m.arrivals.interarrival.mean() > 0
    # every duration mean equals the mean of the per-resource truncated means
    data = json.loads((prosimos_models / "LoanApp_simplified_train.json").read_text())
    ids = {}
    from lxml import etree
    root = etree.parse(str(prosimos_models / "LoanApp_simplified_train.bpmn")).getroot()
    for el in root.iter():
        if el.get("name"):
            ids[el.get("id")] = el.get("name")
    for td in data["task_resource_distribution"]:
        want = np.mean([parse_component(r, "x").true_mean() for r in td["resources"]])
        got = m.activities[ids[td["task_id"]]].duration.mean()
        assert got == pytest.approx(want, rel=0.01, abs=1e-6)


def test_saved_models_match_fresh_import(prosimos_models):
    from dataclasses import replace

    from bpr.model.files import load_model

    root = Path(__file__).resolve().parents[1] / "processes"
    for name, saved, title in (("LoanApp_simplified_train", "loan_application_simod.yaml",
                                "Loan application (Simod)"),
                               ("PurchasingExample_train", "purchasing_simod.yaml",
                                "Purchasing (Simod)")):
        m, _ = _imported(prosimos_models, name)
        assert load_model(root / saved) == replace(m, name=title)


def test_bad_json(tmp_path):
    (tmp_path / "p.json").write_text('{"resource_profiles": [')
    with pytest.raises(ModelError, match=r"p\.json:1: not valid JSON"):
        import_prosimos(DATA / "simod_small.bpmn", tmp_path / "p.json")
    (tmp_path / "p.json").write_text('{"resource_profiles": []}')
    with pytest.raises(ModelError, match="missing section 'resource_calendars'"):
        import_prosimos(DATA / "simod_small.bpmn", tmp_path / "p.json")
    data = json.loads((DATA / "simod_small.json").read_text())
    data["gateway_branching_probabilities"][0]["probabilities"][0]["path_id"] = "nope"
    (tmp_path / "p.json").write_text(json.dumps(data))
    with pytest.raises(ModelError, match=r"p\.json: gateway_branching_probabilities\[0\]"
                                         r"\.probabilities\[0\]: flow 'nope' is not in"):
        import_prosimos(DATA / "simod_small.bpmn", tmp_path / "p.json")


def _cal(*hours: tuple[float, float]) -> Calendar:
    return Calendar(tuple((a * 3600, b * 3600) for a, b in hours))


def test_team_staffing_rules_by_hand():
    """Three people: A 0-10 h, B 5-10 h, C 5-8 h of the week: 18 person-hours over 10 union
    hours; on duty: 1 person 0-5 h, 3 people 5-8 h, 2 people 8-10 h."""
    from bpr.model.prosimos import duty_profile, team_staffing

    members = [(_cal((0, 10)), 1), (_cal((5, 10)), 1), (_cal((5, 8)), 1)]
    assert duty_profile(members) == [(0, 18000, 1), (18000, 28800, 3), (28800, 36000, 2)]
    cal, n = team_staffing(members, "union")
    assert (cal.intervals, n) == (((0, 36000),), 2)  # 18 / 10 = 1.8 -> 2
    cal, n = team_staffing(members, "union-up")
    assert (cal.intervals, n) == (((0, 36000),), 2)
    # capacity: 2 people for 9 h, taken from the busiest hours: 5-8 (3 on duty), 8-10 (2), and
    # then 4 of the 5 hours with 1 on duty, earliest first
    cal, n = team_staffing(members, "capacity")
    assert n == 2 and cal.intervals == ((0, 4 * 3600), (5 * 3600, 10 * 3600))
    assert n * cal.open_seconds_per_week == 18 * 3600
    # 2.2 + 3 person-hours over 4 union hours: 1.3 rounds to 1, up to 2
    two = [(_cal((0, 2), (2.8, 3)), 1), (_cal((1, 4)), 1)]
    assert team_staffing(two, "union")[1] == 1 and team_staffing(two, "union-up")[1] == 2
    with pytest.raises(ModelError, match="staffing rule"):
        team_staffing(members, "nope")


@pytest.mark.parametrize(("rule", "counts"), [("union", [2, 2, 1, 1, 1]),
                                              ("union-up", [3, 2, 2, 2, 2]),
                                              ("capacity", [3, 2, 2, 2, 2])])
def test_purchasing_staffing_rules(prosimos_models, rule, counts):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = import_prosimos(prosimos_models / "PurchasingExample_train.bpmn",
                            prosimos_models / "PurchasingExample_train.json", staffing=rule)
    assert [m.pools[f"team {i}"].count for i in range(1, 6)] == counts
    hours = [323, 130, 64, 103, 45]  # members' weekly working hours, teams 1..5
    for i, h in enumerate(hours, 1):
        p = m.pools[f"team {i}"]
        open_h = m.calendars[p.calendar].open_seconds_per_week / 3600
        if rule == "capacity":  # weekly capacity kept to the minute
            assert p.count * open_h == pytest.approx(h, abs=p.count / 60)
    with pytest.raises(ModelError, match="staffing rule"):
        import_prosimos(prosimos_models / "PurchasingExample_train.bpmn",
                        prosimos_models / "PurchasingExample_train.json", staffing="x")
