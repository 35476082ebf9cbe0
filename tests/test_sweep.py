"""Sweeps: grid syntax, substitution into the scenario, Pareto front, outputs and the CLI."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scenario_helpers import DATA, small_model

from bpr.analysis.sweep import GridAxis, pareto_mask, parse_grid, point_changes, sweep
from bpr.analysis.whatif import whatif
from bpr.cli import main
from bpr.errors import ScenarioError
from bpr.scenario import Automate, Cost, Demand, Scenario, Staff, parse_change


def test_grid_syntax():
    assert parse_grid("staff.Clerk=1..4") == GridAxis("staff", "Clerk", "count", (1, 2, 3, 4))
    assert parse_grid("automate.Check credit history=0.1,0.5") == GridAxis(
        "automate", "Check credit history", "duration", (0.1, 0.5))
    assert parse_grid("staff.Clerk=+1,+2,x1.5").values == ("+1", "+2", "x1.5")
    assert parse_grid("demand=1,1.25").target is None
    assert parse_grid("cost.Clerk:hourly_rate=30,40").key == "hourly_rate"
    assert parse_grid("staff.A.B=1..2,5").values == (1, 2, 5)  # names may hold dots
    assert parse_grid("staff.A.B=1").target == "A.B"


@pytest.mark.parametrize(("spec", "message"), [
    ("staff.Clerk", "expected CHANGE.TARGET=VALUES"),
    ("stafff.Clerk=1", "unknown change type 'stafff'; did you mean 'staff'?"),
    ("remove.Rework=1", "remove has no parameter to sweep"),
    ("staff=1..3", "say which pool staff changes"),
    ("demand.x=1", "demand has no target"),
    ("staff.Clerk=5..2", "range '5..2' runs backwards"),
    ("staff.Clerk=", "no values"),
])
def test_grid_errors(spec, message):
    with pytest.raises(ScenarioError, match=message.replace("?", r"\?").replace("(", r"\(")):
        parse_grid(spec)


def test_point_substitutes_or_appends():
    m = small_model()
    sc = Scenario("s", "-", (Staff("Clerk", "add", 1),
                             Automate("Check credit", duration_factor=0.5, fixed_cost=1.0)))
    axes = [parse_grid("staff.Clerk=3"), parse_grid("automate.Check credit=0.1"),
            parse_grid("demand=1.5"), parse_grid("cost.Manager=70"), parse_grid("cost.Notify=2")]
    changes = point_changes(sc, axes, [3, 0.1, 1.5, 70, 2], m)
    assert changes[0] == Staff("Clerk", "set", 3)
    assert changes[1] == Automate("Check credit", duration_factor=0.1, fixed_cost=1.0)
    assert changes[2:] == [Demand(1.5), Cost(pool="Manager", hourly_rate=70.0),
                           Cost(activity="Notify", fixed_cost=2.0)]


def test_pareto_mask():
    pts = np.array([[1, 5], [2, 4], [2, 6], [3, 3], [4, 4], [1, 5]])
    assert pareto_mask(pts).tolist() == [True, True, False, True, False, True]


def test_sweep_points_match_whatif_and_pareto():
    sc = Scenario("s", str(DATA / "small.yaml"), (parse_change("staff", {"pool": "Clerk",
                                                                         "count": 2}),))
    r = sweep(sc, ["staff.Clerk=1..3", "automate.Check credit=0.5,1"], cases=300,
              replications=3, seed=5)
    assert len(r.points) == 6
    assert [p.params for p in r.points][:2] == [
        {"staff.Clerk": 1, "automate.Check credit": 0.5},
        {"staff.Clerk": 1, "automate.Check credit": 1}]
    # point (2 clerks, factor 1) is the base model itself: same numbers as whatif's base
    same = next(p for p in r.points if p.params == {"staff.Clerk": 2,
                                                    "automate.Check credit": 1})
    w = whatif(sc, cases=300, replications=3, seed=5, attribution=False)
    assert same.kpis["cycle_time_hours"] == w.per_case["cycle_time_hours"].base
    # more clerks cost more per case (everyone is paid), automation cuts the labour hours
    by = {(p.params["staff.Clerk"], p.params["automate.Check credit"]): p for p in r.points}
    assert (by[3, 1].kpis["cost_per_case_with_staff"].mean
            > by[2, 1].kpis["cost_per_case_with_staff"].mean)
    assert by[2, 0.5].kpis["labour_hours"].mean < by[2, 1].kpis["labour_hours"].mean
    assert r.objectives == ("cycle_time_hours", "cost_per_case_with_staff")
    front = r.pareto_points
    assert front
    for p in r.points:  # no front point is dominated by any point
        for q in front:
            better = (p.kpis["cycle_time_hours"].mean <= q.kpis["cycle_time_hours"].mean and
                      p.kpis["cost_per_case_with_staff"].mean
                      <= q.kpis["cost_per_case_with_staff"].mean)
            strictly = (p.kpis["cycle_time_hours"].mean < q.kpis["cycle_time_hours"].mean or
                        p.kpis["cost_per_case_with_staff"].mean
                        < q.kpis["cost_per_case_with_staff"].mean)
            assert not (better and strictly)


def test_cli_sweep_writes_files_and_rejects_bad_points(tmp_path: Path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nbase: {DATA / 'small.yaml'}\nchanges: []\n")
    runner = CliRunner()
    res = runner.invoke(main, ["sweep", str(path), "--grid", "staff.Manager=1..2",
                               "--cases", "200", "--replications", "2", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "Pareto-efficient" in res.output
    rows = list(csv.DictReader((tmp_path / "o" / "sweep.csv").open()))
    assert [r["staff.Manager"] for r in rows] == ["1", "2"]
    data = json.loads((tmp_path / "o" / "sweep.json").read_text())
    assert data["grid"][0]["values"] == [1, 2] and len(data["points"]) == 2
    res = runner.invoke(main, ["sweep", str(path), "--grid", "staff.Manager=0..1"])
    assert res.exit_code == 2
    assert "grid point staff.Manager=0: change 1 (staff) breaks the model" in res.output
