"""The process model: dataclasses, distributions, calendars, file format and soundness checks."""

from bpr.model.calendar import Calendar
from bpr.model.check import check, find_problems
from bpr.model.distribution import Distribution
from bpr.model.process import (
    ALWAYS,
    Activity,
    Arrivals,
    Event,
    Flow,
    Gateway,
    Observed,
    Pool,
    ProcessModel,
)
from bpr.model.resources import Batch, CaseAttribute, Person
from bpr.model.schema import dumps, loads

__all__ = ["ALWAYS", "Activity", "Arrivals", "Batch", "Calendar", "CaseAttribute", "Distribution",
           "Event", "Flow", "Gateway", "Observed", "Person", "Pool", "ProcessModel", "check",
           "dumps", "find_problems", "loads"]
