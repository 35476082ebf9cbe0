"""Scenario files: parsing, base resolution and the exact text of validation errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from scenario_helpers import DATA

from bpr.errors import ScenarioError
from bpr.scenario import Staff, load_scenario

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A project folder: pyproject.toml, processes/small.yaml, scenarios/."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (tmp_path / "processes").mkdir()
    (tmp_path / "scenarios").mkdir()
    shutil.copy(DATA / "small.yaml", tmp_path / "processes" / "small.yaml")
    return tmp_path


def write(project: Path, body: str, name: str = "s.yaml") -> Path:
    path = project / "scenarios" / name
    path.write_text(body)
    return path


def error_text(path: Path) -> str:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value)


def test_loads_a_scenario_relative_to_project_root(project):
    path = write(project, """\
name: Faster checks
base: processes/small.yaml
description: two changes
annual_cases: 12000
changes:
  - automate: {activity: Check credit, duration: 0.1x, fixed_cost: 0.50}
  - staff: {pool: Clerk, count: +1}
  - staff:
      pool: Manager
      count: +1
""")
    s = load_scenario(path)
    assert s.name == "Faster checks" and s.annual_cases == 12000
    assert s.changes[1] == Staff("Clerk", "add", 1)  # '+1' is relative, not YAML's 1
    assert s.changes[2] == Staff("Manager", "add", 1)
    assert s.base_model is not None and s.base_model.name == "Small loan"
    assert [c.kind for c in s.changes] == ["automate", "staff", "staff"]
    assert s.sources[1].line == 7


def test_base_relative_to_the_scenario_folder_wins(project):
    (project / "scenarios" / "local.yaml").write_text(
        (DATA / "small.yaml").read_text().replace("Small loan", "Local copy"))
    path = write(project, "name: x\nbase: local.yaml\nchanges: []\n")
    assert load_scenario(path).base_model.name == "Local copy"


def test_base_not_found(project):
    path = write(project, "name: x\nbase: processes/nope.yaml\nchanges: []\n")
    text = error_text(path)
    assert text.startswith(f"{path}: base: model file 'processes/nope.yaml' not found (looked for ")
    assert text.endswith("give a path relative to the scenario file's folder or to the project "
                         "root")


def test_unknown_activity_error_text(project):
    path = write(project, """\
name: x
base: processes/small.yaml
changes:
  - staff: {pool: Clerk, count: 3}
  - automate:
      activity: Chek credit
      duration: 0.5x
""")
    assert error_text(path) == (f"{path}:6: change 2 (automate), field 'activity': unknown "
                                f"activity 'Chek credit'; did you mean 'Check credit'?")


def test_unknown_pool_error_text(project):
    path = write(project, "name: x\nbase: processes/small.yaml\nchanges:\n"
                          "  - staff: {pool: Clerks, count: +1}\n")
    assert error_text(path) == (f"{path}:4: change 1 (staff), field 'pool': unknown pool "
                                f"'Clerks'; did you mean 'Clerk'? (pools: Clerk, Manager)")


def test_unknown_change_type_and_field(project):
    path = write(project, "name: x\nbase: processes/small.yaml\nchanges:\n"
                          "  - remove: {activity: Rework}\n  - automat: {activity: Receive}\n")
    assert error_text(path) == (
        f"{path}:5: change 2: unknown change type 'automat'; did you mean 'automate'? (known: "
        f"automate, branching, cost, delay, demand, hours, insert, merge, parallelise, remove, "
        f"staff)")
    path = write(project, "name: x\nbase: processes/small.yaml\nchanges:\n"
                          "  - automate: {activity: Receive, duraton: 0.5x}\n")
    assert error_text(path) == (f"{path}:4: change 1 (automate), field 'duraton': unknown field; "
                                f"did you mean 'duration'? (automate takes activity, duration, "
                                f"fixed_cost, pool)")


def test_bad_values_name_the_field(project):
    path = write(project, "name: x\nbase: processes/small.yaml\nchanges:\n"
                          "  - staff:\n      pool: Clerk\n      count: lots\n")
    assert error_text(path) == (f"{path}:6: change 1 (staff), field 'count': expected a number "
                                f"of staff (5), a change (+1, -1) or a factor (x1.5), got 'lots'")
    path = write(project, "name: x\nbase: processes/small.yaml\nchanges:\n"
                          "  - demand: {factor: -2}\n")
    assert "field 'factor': must be greater than 0, got -2" in error_text(path)


def test_change_that_breaks_the_model(project):
    path = write(project, "name: x\nbase: processes/small.yaml\nchanges:\n"
                          "  - staff: {pool: Manager, count: 0}\n")
    assert error_text(path) == (
        f"{path}:4: change 1 (staff) breaks the model: activity 'Approve' needs pool 'Manager', "
        f"which has no staff (count 0); give the pool at least 1; fix or drop this change")


def test_top_level_errors(project):
    path = write(project, "name: x\nbase: processes/small.yaml\nchange: []\n")
    assert error_text(path) == (f"{path}:3: unknown key 'change'; did you mean 'changes'? "
                                f"(allowed: name, base, description, annual_cases, "
                                f"fte_hours_per_year, changes)")
    path = write(project, "name: x\nbase: processes/small.yaml\nchanges:\n  - staff\n")
    assert error_text(path).startswith(f"{path}:4: change 1: expected a one-key mapping")
    path = write(project, "name: x\nbase: processes/small.yaml\nannual_cases: 0\nchanges: []\n")
    assert error_text(path) == f"{path}:3: annual_cases: expected a positive number, got 0"
    path = write(project, "name: [x\n")
    assert error_text(path).startswith(f"{path}:2: not valid YAML")


def test_shipped_scenarios_load():
    """Every scenario in scenarios/ loads against its base model and applies cleanly."""
    files = sorted((ROOT / "scenarios").glob("*.yaml"))
    for f in files:
        s = load_scenario(f)
        assert s.changes, f
