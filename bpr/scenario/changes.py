"""Every change type a scenario can contain, by the name used in scenario files.

``REGISTRY`` maps the name (``automate``, ``remove``, ``merge``, ``parallelise``, ``insert``,
``staff``, ``hours``, ``demand``, ``branching``, ``cost``, ``delay``) to its class; each class
documents its fields and its effect and has a pure ``apply(model) -> ProcessModel``.
"""

from __future__ import annotations

from bpr.scenario.attrs import Automate, Cost, Delay, Demand, Hours, Staff
from bpr.scenario.base import REGISTRY, Change, ChangeProblem, parse_change
from bpr.scenario.structure import (
    Branching,
    Insert,
    Merge,
    Parallelise,
    Remove,
    sum_distribution,
    variance,
)

__all__ = ["REGISTRY", "Automate", "Branching", "Change", "ChangeProblem", "Cost", "Delay",
           "Demand", "Hours", "Insert", "Merge", "Parallelise", "Remove", "Staff",
           "parse_change", "sum_distribution", "variance"]
