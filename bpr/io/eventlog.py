"""The in-memory event log every part of bpr shares.

An :class:`EventLog` wraps a pandas DataFrame with **one row per activity instance** and these
columns (the names are the constants below):

==============  ==========================================================================
case_id         str, the case
activity        str
start_time      datetime64[ns, UTC]  when work started
end_time        datetime64[ns, UTC]  when work ended (``end_time >= start_time``)
resource        str or <NA>
role            str or <NA> (only if the log has a role column)
enabled_time    datetime64[ns, UTC] (only if the log has one)
fixed_cost      float (only if the log has cost columns), currency per instance
resource_cost   float (only if the log has cost columns), currency per instance
==============  ==========================================================================

Logs bpr writes hold the same columns under the names of :data:`WRITE_NAMES`.

Rows are sorted by ``case_id`` (in order of first appearance), ``start_time``, ``end_time``.
``timezone`` is the log's dominant UTC offset (e.g. ``"+02:00"``), used for calendars.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

CASE = "case_id"
ACTIVITY = "activity"
START = "start_time"
END = "end_time"
RESOURCE = "resource"
ROLE = "role"
ENABLED = "enabled_time"
FIXED_COST = "fixed_cost"
RESOURCE_COST = "resource_cost"

COLUMNS = (CASE, ACTIVITY, RESOURCE, ROLE, START, END, ENABLED, FIXED_COST, RESOURCE_COST)
TIMES = (START, END, ENABLED)
TEXTS = (CASE, ACTIVITY, RESOURCE, ROLE)
COSTS = (FIXED_COST, RESOURCE_COST)

# The names under which every log bpr writes (write_log and the simulator) holds its columns,
# in this order: XES attribute names where XES has one, pm4py's names for the interval times.
WRITE_NAMES: dict[str, str] = {
    CASE: "case:concept:name", ACTIVITY: "concept:name", RESOURCE: "org:resource",
    ROLE: "org:role", START: "start_timestamp", END: "time:timestamp",
    ENABLED: "enabled_timestamp", FIXED_COST: "fixed_cost", RESOURCE_COST: "resource_cost",
}


@dataclass
class EventLog:
    """A log of activity instances (see the module doc for the columns)."""

    df: pd.DataFrame
    path: str = "<memory>"
    timezone: str = "UTC"
    start_times_estimated: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def n_cases(self) -> int:
        return int(self.df[CASE].nunique())

    @property
    def n_events(self) -> int:
        return len(self.df)

    @property
    def has_roles(self) -> bool:
        return ROLE in self.df.columns and bool(self.df[ROLE].notna().any())

    @property
    def has_costs(self) -> bool:
        return FIXED_COST in self.df.columns or RESOURCE_COST in self.df.columns
