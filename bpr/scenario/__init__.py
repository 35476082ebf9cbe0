"""What-if scenarios: typed, pure changes to a process model, read from reviewable YAML files.

    scenario = load_scenario("scenarios/loan_digitise_credit_check.yaml")
    tobe = apply_scenario(scenario.load_base(), scenario)

See :mod:`bpr.scenario.changes` for the change types and :mod:`bpr.scenario.parse` for the file
format.
"""

from __future__ import annotations

import os

from bpr.scenario.base import REGISTRY, Change, ChangeProblem, parse_change
from bpr.scenario.changes import (
    Automate,
    Branching,
    Cost,
    Delay,
    Demand,
    Hours,
    Insert,
    Merge,
    Parallelise,
    Remove,
    Staff,
)
from bpr.scenario.model import (
    ChangeSource,
    Scenario,
    apply_change,
    apply_scenario,
    apply_steps,
)
from bpr.scenario.parse import read_scenario, resolve_base, scenario_from_data


def load_scenario(path: str | os.PathLike[str], *, validate: bool = True) -> Scenario:
    """Read a scenario file and its base model; with ``validate`` (default) apply every change
    once so that unknown names and model-breaking changes are reported now, with file and line.
    The returned scenario carries the loaded base model (``scenario.base_model``)."""
    from dataclasses import replace

    scenario = read_scenario(path)
    base = scenario.load_base()
    scenario = replace(scenario, base_model=base)
    if validate:
        apply_scenario(base, scenario)
    return scenario


__all__ = ["REGISTRY", "Automate", "Branching", "Change", "ChangeProblem", "ChangeSource", "Cost",
           "Delay", "Demand", "Hours", "Insert", "Merge", "Parallelise", "Remove", "Scenario",
           "Staff", "apply_change", "apply_scenario", "apply_steps", "load_scenario",
           "parse_change", "read_scenario", "resolve_base", "scenario_from_data"]
