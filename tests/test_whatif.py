"""What-if analysis against known truths: no change means exactly zero, staff relieves a
bottleneck, removing an activity frees exactly its hours, annualisation and attribution add up."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from scenario_helpers import DATA, small_model

from bpr.analysis.savings import FTE_HOURS_PER_YEAR
from bpr.analysis.whatif import whatif
from bpr.cli import main
from bpr.model import Activity, Arrivals, Distribution, Flow, Pool, ProcessModel
from bpr.scenario import Scenario, parse_change

RUN = {"cases": 400, "replications": 5, "seed": 7}


def scenario(*entries: tuple[str, dict], **kw) -> Scenario:
    return Scenario(name="test", base=str(DATA / "small.yaml"),
                    changes=tuple(parse_change(k, v) for k, v in entries), **kw)


def walk_estimates(node, path=""):
    """Every {mean, ci_low, ci_high} object in a savings.json tree."""
    if isinstance(node, dict):
        if set(node) == {"mean", "ci_low", "ci_high"}:
            yield path, node
        else:
            for k, v in node.items():
                yield from walk_estimates(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_estimates(v, f"{path}[{i}]")


def test_no_effective_change_gives_exactly_zero():
    sc = scenario(("staff", {"pool": "Clerk", "count": 2}),
                  ("cost", {"pool": "Manager", "hourly_rate": 60}))
    r = whatif(sc, **RUN)
    for key, pc in r.per_case.items():
        assert pc.difference.mean == 0 and pc.difference.ci_low == 0, key
        assert pc.difference.ci_low <= 0 <= pc.difference.ci_high
        assert not pc.significant
    for key, est in r.per_year.items():
        assert est.mean == 0 and est.ci_low == 0 == est.ci_high, key
    assert not any(r.significant().values())
    assert all(s.step["cycle_time_hours"].mean == 0 for s in r.attribution)


def _overloaded() -> ProcessModel:
    """One clerk, utilisation 0.95 (M/M/1): long queues."""
    return ProcessModel(
        name="overloaded", activities={"Serve": Activity("Serve", Distribution.exponential(570),
                                                         "Clerk")},
        flows=(Flow("start", "Serve"), Flow("Serve", "end")),
        pools={"Clerk": Pool("Clerk", 1, hourly_rate=25.0)},
        arrivals=Arrivals(Distribution.exponential(600)))


def test_staff_on_the_bottleneck_cuts_waiting_significantly():
    sc = Scenario(name="one more clerk", base="-", changes=(parse_change(
        "staff", {"pool": "Clerk", "count": "+1"}),))
    r = whatif(sc, base=_overloaded(), cases=1500, replications=6, seed=3)
    wait = r.per_case["waiting_time_hours"]
    assert wait.significant and wait.difference.ci_high < 0
    assert wait.difference.mean < -0.5 * wait.base.mean  # M/M/1 -> M/M/2: most waiting goes
    # the work itself does not change: same labour hours, exactly (common random numbers)
    assert r.per_case["labour_hours"].difference.mean == pytest.approx(0, abs=1e-12)
    assert r.per_year["fte_freed"].mean == pytest.approx(0, abs=1e-9)


def test_removing_an_activity_frees_its_labour_hours():
    model = small_model()
    sc = scenario(("remove", {"activity": "Receive"}), annual_cases=10_000)
    r = whatif(sc, base=model, cases=800, replications=8, seed=11)
    expected_per_case = -300 / 3600  # Receive: gamma mean 300 s, once per case, Clerk pool
    d = r.per_case["labour_hours"].difference
    assert d.ci_low <= expected_per_case <= d.ci_high
    assert d.mean == pytest.approx(expected_per_case, rel=0.05)
    freed = r.per_year["labour_hours_freed_per_year"]
    assert freed.ci_low <= 10_000 * 300 / 3600 <= freed.ci_high
    assert r.per_year["fte_freed"].mean == pytest.approx(freed.mean / FTE_HOURS_PER_YEAR)
    money = r.per_pool["Clerk"]["reallocatable_money_per_year"]
    assert money.mean == pytest.approx(r.per_pool["Clerk"]["labour_hours_freed_per_year"].mean
                                       * 30.0)
    assert r.annual_cases_source == "annual_cases in the scenario file"


def test_demand_scales_the_yearly_volume():
    sc = scenario(("demand", {"factor": 2.0}), annual_cases=1000)
    r = whatif(sc, **RUN)
    base_lab = r.per_case["labour_hours"].base.mean
    # twice the cases: the freed hours are minus the base's yearly hours (per case ~ unchanged)
    freed = r.per_year["labour_hours_freed_per_year"].mean
    assert freed == pytest.approx(base_lab * 1000 - r.per_case["labour_hours"].scenario.mean
                                  * 2000)
    assert freed == pytest.approx(-base_lab * 1000, rel=0.1)


def test_attribution_steps_add_up_to_the_total():
    sc = scenario(("automate", {"activity": "Check credit", "duration": "0.2x"}),
                  ("remove", {"activity": "Rework"}), ("staff", {"pool": "Clerk", "count": "+1"}))
    r = whatif(sc, **RUN)
    assert [s.index for s in r.attribution] == [1, 2, 3]
    for key in ("cycle_time_hours", "labour_hours_freed_per_year"):
        total = r.per_case[key].difference.mean if key in r.per_case else r.per_year[key].mean
        assert sum(s.step[key].mean for s in r.attribution) == pytest.approx(total)
        assert r.attribution[-1].cumulative[key].mean == pytest.approx(total)
        alone = sum(s.alone[key].mean for s in r.attribution)
        assert r.interaction[key].mean == pytest.approx(total - alone)
    # the first step is the first change alone
    assert r.attribution[0].step == r.attribution[0].alone
    # adding staff alone frees no labour hours (busy time is the same work)
    assert abs(r.attribution[2].alone["labour_hours_freed_per_year"].mean) < 50


def test_hours_only_without_costs():
    model = small_model()
    model = replace(model, pools={n: replace(p, hourly_rate=None) for n, p in
                                  model.pools.items()},
                    activities={n: replace(a, fixed_cost=0.0) for n, a in
                                model.activities.items()})
    r = whatif(scenario(("remove", {"activity": "Rework"})), base=model, **RUN)
    assert r.hours_only
    assert r.per_year["cost_saved_per_year"] is None
    assert r.per_year["reallocatable_money_per_year"] is None
    assert r.per_year["labour_hours_freed_per_year"].mean > 0
    assert "labour hours only" in " ".join(r.notes)


def test_outdir_files(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nbase: {DATA / 'small.yaml'}\nchanges:\n"
                    f"  - automate: {{activity: Check credit, duration: 0.5x}}\n")
    r = whatif(str(path), cases=200, replications=3, seed=1)
    out = tmp_path / "out"
    r.write(out)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["base_kpis.json", "base_model.yaml", "cycle_times.csv", "savings.json",
                     "scenario.yaml", "scenario_kpis.json", "tobe_model.yaml"]
    data = json.loads((out / "savings.json").read_text())
    ests = list(walk_estimates(data))
    assert len(ests) > 40
    assert all(e["ci_low"] <= e["mean"] <= e["ci_high"] for _, e in ests)
    assert set(data["per_year"]) == {"labour_hours_freed_per_year", "fte_freed",
                                     "cost_saved_per_year", "reallocatable_money_per_year",
                                     "headcount_added_fte", "net_fte_freed",
                                     "net_money_to_reallocate_per_year"}
    assert data["fte_hours_per_year"] == 1720
    assert (out / "scenario.yaml").read_text() == path.read_text()
    rows = list(csv.DictReader((out / "cycle_times.csv").open()))
    assert {r_["variant"] for r_ in rows} == {"base", "scenario"}
    assert len(rows) == sum(s.cases_completed for s in r.base.replications) * 2
    tobe = yaml.safe_load((out / "tobe_model.yaml").read_text())
    assert tobe["activities"]["Check credit"]["duration"]["mean"] == 300


def test_cli_whatif_json_and_errors(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nbase: {DATA / 'small.yaml'}\nchanges:\n"
                    f"  - remove: {{activity: Rework}}\n")
    runner = CliRunner()
    res = runner.invoke(main, ["whatif", str(path), "--cases", "200", "--replications", "3",
                               "--json", "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["per_case"]["labour_hours"]["difference"]["mean"] < 0
    assert (tmp_path / "out" / "savings.json").is_file()
    res = runner.invoke(main, ["whatif", str(path), "--cases", "200", "--replications", "3"])
    assert res.exit_code == 0 and "labour hours freed" in res.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"name: t\nbase: {DATA / 'small.yaml'}\nchanges:\n"
                   f"  - remove: {{activity: Rewrk}}\n")
    res = runner.invoke(main, ["whatif", str(bad), "-o", str(tmp_path / "bad_out")])
    assert res.exit_code == 2
    assert res.output.strip() == (f"Error: {bad}:4: change 1 (remove), field 'activity': "
                                  f"unknown activity 'Rewrk'; did you mean 'Rework'?")
    assert not (tmp_path / "bad_out").exists()
