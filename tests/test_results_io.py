"""Typed results read back from what they wrote (simulation, what-if, sweep), the report built
from an object or a folder alike, and honest output with a single replication (no interval,
never "significant")."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scenario_helpers import DATA, small_model

from bpr.analysis.sweep import SweepResult, sweep
from bpr.analysis.whatif import WhatIfResult, whatif
from bpr.cli import main
from bpr.errors import BprError
from bpr.scenario import Scenario, load_scenario, parse_change
from bpr.sim import SimulationResult, simulate
from bpr.sim.results import NO_INTERVAL

runner = CliRunner()


def scenario_file(tmp_path: Path, changes: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(f"name: Round trip\ndescription: two changes\nbase: {DATA / 'small.yaml'}\n"
                    f"annual_cases: 5000\nchanges:\n{changes}", encoding="utf-8")
    return path


TWO = ("  - staff: {pool: Clerk, count: +1}\n"
       "  - automate: {activity: Check income, duration: 0.5x}\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("io")
    sc = load_scenario(scenario_file(tmp, TWO))
    result = whatif(sc, cases=120, replications=3, seed=4)
    out = tmp / "out"
    result.write(out)
    return result, out


def test_whatif_round_trip(run):
    result, out = run
    back = WhatIfResult.read(out)
    assert back.to_dict() == result.to_dict()
    assert back.to_dict() == json.loads((out / "savings.json").read_text())
    assert back.base.to_dict() == result.base.to_dict()
    assert back.tobe.to_dict() == result.tobe.to_dict()
    assert back.table() == result.table()
    assert np.array_equal(back.base.cycle_times_hours, result.base.cycle_times_hours)
    assert np.array_equal(back.tobe.cycle_times_hours, result.tobe.cycle_times_hours)
    assert back.scenario.changes == result.scenario.changes
    assert back.per_year["fte_freed"] == result.per_year["fte_freed"]  # n included
    # and written again it gives the same files, byte for byte
    again = out.parent / "again"
    back.write(again)
    for name in ("savings.json", "base_kpis.json", "scenario_kpis.json", "cycle_times.csv",
                 "scenario.yaml"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_simulation_round_trip(tmp_path):
    result = simulate(small_model(), cases=60, replications=3, seed=2)
    path = result.write(tmp_path)
    assert path == tmp_path / "kpis.json"
    back = SimulationResult.read(tmp_path)
    assert back.to_dict() == result.to_dict()
    assert SimulationResult.read(path).kpis() == result.kpis()


def test_cli_simulate_output_reads_back(tmp_path):
    out = tmp_path / "o"
    r = runner.invoke(main, ["simulate", str(DATA / "small.yaml"), "-o", str(out), "--cases",
                             "40", "--replications", "2", "--quiet"])
    assert r.exit_code == 0, r.output
    back = SimulationResult.read(out)
    assert back.to_dict() == json.loads((out / "kpis.json").read_text())
    assert [rep.cases_arrived for rep in back.replications] == [40, 40]


def test_sweep_round_trip(tmp_path):
    sc = Scenario("s", str(DATA / "small.yaml"),
                  (parse_change("cost", {"activity": "Check income", "fixed_cost": 2.0}),))
    result = sweep(sc, ["staff.Clerk=1..2", "cost.Check income=1,3"], base=small_model(), cases=60,
                   replications=2, seed=3)
    result.write(tmp_path)
    back = SweepResult.read(tmp_path)
    assert back.to_dict() == result.to_dict()
    assert back.table() == result.table()
    assert back.scenario.changes == result.scenario.changes
    assert [a.field_for(small_model()) for a in back.axes] == ["count", "fixed_cost"]


@pytest.mark.parametrize("damage,needle", [
    ("no_models", "incomplete what-if output (base_model.yaml missing)"),
    ("old_kpis", "not written by bpr (or by an older version)"),
    ("bad_estimate", "not as bpr writes it"),
])
def test_read_refuses_damaged_folders_in_one_line(run, tmp_path, damage, needle):
    _, out = run
    d = tmp_path / "copy"
    shutil.copytree(out, d)
    if damage == "no_models":
        (d / "base_model.yaml").unlink()
    elif damage == "old_kpis":
        data = json.loads((d / "base_kpis.json").read_text())
        del data["replications"]
        (d / "base_kpis.json").write_text(json.dumps(data))
    else:
        data = json.loads((d / "savings.json").read_text())
        data["per_year"]["fte_freed"] = {"ci_low": 1}
        (d / "savings.json").write_text(json.dumps(data))
    with pytest.raises(BprError) as err:
        WhatIfResult.read(d)
    assert needle in str(err.value) and "\n" not in str(err.value)
    r = runner.invoke(main, ["report", str(d), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and needle in r.output and not (tmp_path / "r.html").exists()


@pytest.mark.slow
def test_report_from_the_object_equals_the_report_from_its_folder(run):
    from bpr import __version__
    from bpr.report import build_report

    result, out = run
    from_folder = build_report(out)
    assert f"Made with bpr {__version__} from {out.name}." in from_folder
    assert build_report(result) == from_folder.replace(f"bpr {__version__} from {out.name}.",
                                                       f"bpr {__version__}.")


def test_the_scenario_written_is_the_one_simulated(tmp_path):
    # a scenario changed in code keeps the path of its file: the file must not be copied
    path = scenario_file(tmp_path, TWO)
    sc = load_scenario(path)
    fewer = sc.with_changes(sc.changes[:1])
    result = whatif(fewer, cases=40, replications=2, seed=1, attribution=False)
    result.write(tmp_path / "out")
    back = WhatIfResult.read(tmp_path / "out")
    assert back.scenario.changes == fewer.changes != sc.changes
    assert back.to_dict() == result.to_dict()
    # unchanged, the file is copied as written (comments and all)
    same = whatif(sc, cases=40, replications=2, seed=1, attribution=False)
    same.write(tmp_path / "same")
    assert (tmp_path / "same" / "scenario.yaml").read_text() == path.read_text()


# -- one replication: no interval, never significant ----------------------------------------------
@pytest.fixture(scope="module")
def single(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("single")
    result = whatif(load_scenario(scenario_file(tmp, TWO)), cases=80, replications=1, seed=2)
    result.write(tmp / "out")
    return result, tmp / "out"


def test_one_replication_gives_no_interval_and_nothing_significant(single):
    result, out = single
    estimates = [*result.per_year.values(), *(p.difference for p in result.per_case.values()),
                 *(e for st in result.attribution for e in st.alone.values())]
    estimates = [e for e in estimates if e is not None]
    assert estimates and all(e.ci_low is None and e.ci_high is None and e.n == 1
                             for e in estimates)
    assert not any(result.significant().values())
    # a change that certainly moves the hours is still not called significant
    assert result.per_year["labour_hours_freed_per_year"].mean > 0
    data = json.loads((out / "savings.json").read_text())
    assert data["per_year"]["fte_freed"]["ci_low"] is None
    assert WhatIfResult.read(out).to_dict() == result.to_dict()


def test_one_replication_table_says_why(single):
    result, _ = single
    table = result.table()
    assert NO_INTERVAL in table and "(no interval)" in table
    assert " *" not in table and "distinguishable from zero (the 95%" not in table


def test_one_replication_report_says_why(single):
    from bpr.report import build_report

    _, out = single
    html = build_report(out)
    assert "no confidence interval" in html and "no interval: one replication" in html
    assert "cannot tell any of these figures apart from noise" in html
    assert ">distinguishable from zero<" not in html
    assert "95% CI" not in html.split('id="kpis"')[0]  # no interval in the headline cards


def test_one_replication_charts_draw_no_whiskers(single):
    from bpr.charts.savings import savings_waterfall

    result, _ = single
    fig = savings_waterfall(result)
    titles = [fig.axes[0].get_title(loc="right")]
    assert titles == ["no intervals: one replication"]


def test_cli_simulate_with_one_replication(tmp_path):
    r = runner.invoke(main, ["simulate", str(DATA / "small.yaml"), "-o", str(tmp_path / "o"),
                             "--cases", "30", "--replications", "1"])
    assert r.exit_code == 0, r.output
    assert NO_INTERVAL in r.output
    assert not re.search(r"\[-?[\d.,]+, -?[\d.,]+\]", r.output)  # no "[low, high]" anywhere
    data = json.loads((tmp_path / "o" / "kpis.json").read_text())
    assert data["kpis"]["cycle_time_hours_mean"]["ci_low"] is None


def test_cli_whatif_accepts_one_replication(tmp_path):
    path = scenario_file(tmp_path, TWO)
    r = runner.invoke(main, ["whatif", str(path), "--cases", "40", "--replications", "1"])
    assert r.exit_code == 0, r.output
    assert NO_INTERVAL in r.output
