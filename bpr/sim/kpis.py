"""One place for every result concept: the KPIs a replication measures and the savings figures a
what-if derives from them, each with its plain-words label, unit and direction.

:data:`KPIS` describes the keys :class:`bpr.sim.engine.Replication` produces (one value per
replication; see :mod:`bpr.sim.engine` for the definitions) plus *derived* KPIs, computed from a
replication's other values by the entry's ``derive`` hook. :data:`FIGURES` describes the savings
figures of :mod:`bpr.analysis.savings`: per case (``scenario - base``), per year and net
(``base - scenario``, positive is good). Results, savings, the printed tables, the charts and the
report read their keys, labels and units from here, so a new KPI is one :func:`kpi` entry::

    kpi("waiting_share", "share of the time in activities spent waiting", SHARE,
        lower_is_better=True, derive=_waiting_share)

Units are :data:`HOURS`, :data:`SHARE` (a fraction 0..1, shown as a percentage), ``cases``,
``cases/day``, ``FTE``, ``instances`` or :data:`MONEY` (the model's currency, written in place
of ``currency``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

HOURS = "h"
SHARE = "share"
MONEY = "currency"

#: KPI groups: one value per replication, or one per activity / per pool (a mapping by name).
SCALAR, ACTIVITY, POOL = "scalar", "activity", "pool"
#: Savings figure groups and their sign conventions.
PER_CASE_GROUP, PER_YEAR_GROUP, NET_GROUP, POINT_GROUP = "per case", "per year", "net", "point"
SCENARIO_MINUS_BASE = "scenario - base"
BASE_MINUS_SCENARIO = "base - scenario"

Values = Mapping[str, float | None]


def unit_text(unit: str, currency: str | None = None) -> str:
    """The unit as shown to people: money in ``currency`` (nothing when it is unknown), a share
    in %."""
    if unit == MONEY:
        return currency or ""
    if unit == SHARE:
        return "%"
    return unit


def _with_unit(text: str, unit: str, currency: str | None) -> str:
    """``text (unit)``, or ``text`` alone when it already names the unit (``FTE freed``)."""
    shown = unit_text(unit, currency)
    return text if not shown or shown in text.split() else f"{text} ({shown})"


@dataclass(frozen=True)
class Kpi:
    """One key performance indicator, measured once per replication.

    ``group`` says whether the replication holds one value (:data:`SCALAR`) or one per
    activity / pool (the attribute of :class:`~bpr.sim.results.ReplicationStats` named ``key``).
    ``lower_is_better`` is None when neither direction is better (throughput follows demand,
    utilisation has a sweet spot). ``non_negative``: the quantity cannot be below zero.
    ``derive(values)``: for a derived KPI, its value from the replication's other scalar values
    (None where undefined); None for the KPIs the engine measures.
    """

    key: str
    label: str
    unit: str
    lower_is_better: bool | None
    non_negative: bool = True
    group: str = SCALAR
    derive: Callable[[Values], float | None] | None = None

    def heading(self, currency: str | None = None) -> str:
        """``label (unit)``, e.g. ``mean cycle time per case (h)``."""
        return _with_unit(self.label, self.unit, currency)

    def shown(self, value: float) -> float:
        """The value in the unit people read (a share as a percentage)."""
        return 100.0 * value if self.unit == SHARE else value


@dataclass(frozen=True)
class Figure:
    """One savings figure of a what-if or a sweep point.

    ``group``: :data:`PER_CASE_GROUP` (base, scenario and their difference per case),
    :data:`PER_YEAR_GROUP`, :data:`NET_GROUP` (after the pay of staff a scenario adds) or
    :data:`POINT_GROUP` (a sweep point's own level, not a difference). ``sign`` is the
    difference's convention; ``good`` is +1 when a positive value is good for the organisation
    (hours freed) and -1 when a negative one is (a shorter cycle time). ``kpi``: the
    per-replication KPI a per-case figure compares. ``per_pool``: also given for each pool.
    """

    key: str
    label: str
    unit: str
    group: str
    sign: str
    good: int
    kpi: str | None = None
    per_pool: bool = False
    qualifier: str = ""

    def heading(self, currency: str | None = None) -> str:
        """The table row label, e.g. ``labour hours freed (h)``, ``cost (GBP)``, ``FTE freed``."""
        qualifier = f" ({self.qualifier})" if self.qualifier else ""
        return _with_unit(f"{self.label}{qualifier}", self.unit, currency)

    def title(self, currency: str | None = None) -> str:
        """The full phrase for axes and captions, e.g. ``labour hours freed per year (h)``."""
        span = "" if self.unit == "FTE" else {
            PER_CASE_GROUP: " per case", PER_YEAR_GROUP: " per year", NET_GROUP: " per year",
        }.get(self.group, "")
        qualifier = f" ({self.qualifier})" if self.qualifier else ""
        return _with_unit(f"{self.label}{span}{qualifier}", self.unit, currency)


KPIS: dict[str, Kpi] = {}
FIGURES: dict[str, Figure] = {}


def kpi(key: str, label: str, unit: str, *, lower_is_better: bool | None,
        non_negative: bool = True, group: str = SCALAR,
        derive: Callable[[Values], float | None] | None = None) -> Kpi:
    """Register a KPI (see :class:`Kpi`); registering a key twice is a programming error."""
    if key in KPIS:
        raise ValueError(f"KPI {key!r} is registered twice")
    entry = Kpi(key, label, unit, lower_is_better, non_negative, group, derive)
    KPIS[key] = entry
    return entry


def figure(key: str, label: str, unit: str, group: str, *, kpi: str | None = None,
           per_pool: bool = False, good: int | None = None, qualifier: str = "") -> Figure:
    """Register a savings figure: per-case figures are ``scenario - base`` (negative is good),
    the others ``base - scenario`` (positive is good) unless ``good`` says otherwise."""
    if key in FIGURES:
        raise ValueError(f"savings figure {key!r} is registered twice")
    sign = SCENARIO_MINUS_BASE if group == PER_CASE_GROUP else BASE_MINUS_SCENARIO
    entry = Figure(key, label, unit, group, sign,
                   good if good is not None else (-1 if group == PER_CASE_GROUP else 1), kpi,
                   per_pool, qualifier)
    FIGURES[key] = entry
    return entry


def _waiting_share(v: Values) -> float | None:
    wait, proc = v.get("waiting_time_hours_mean"), v.get("processing_time_hours_mean")
    if wait is None or proc is None or wait + proc <= 0:
        return None
    return wait / (wait + proc)


# -- the KPIs (per replication) ------------------------------------------------------------------
kpi("cycle_time_hours_mean", "mean cycle time per case", HOURS, lower_is_better=True)
kpi("cycle_time_hours_median", "median cycle time", HOURS, lower_is_better=True)
kpi("cycle_time_hours_p90", "90th percentile cycle time", HOURS, lower_is_better=True)
kpi("waiting_time_hours_mean", "mean waiting time per case", HOURS, lower_is_better=True)
kpi("processing_time_hours_mean", "processing time per case", HOURS, lower_is_better=True)
kpi("throughput_cases_per_day", "throughput", "cases/day", lower_is_better=None)
kpi("wip_cases_mean", "work in progress", "cases", lower_is_better=True)
kpi("cost_per_case", "cost per case", MONEY, lower_is_better=True)
kpi("labour_hours_total", "labour hours in total", HOURS, lower_is_better=True)
kpi("labour_hours_per_case", "labour hours per case", HOURS, lower_is_better=True)
#: Derived: of the time a case spends in its activities (waiting + processing), the share
#: spent waiting — for staff, for working hours or an extraneous delay (0..1).
kpi("waiting_share", "share of the time in activities spent waiting", SHARE,
    lower_is_better=True, derive=_waiting_share)
kpi("activity_waiting_hours", "mean waiting time before the activity", HOURS,
    lower_is_better=True, group=ACTIVITY)
kpi("activity_count", "instances", "instances", lower_is_better=None, group=ACTIVITY)
kpi("pool_utilisation", "utilisation", SHARE, lower_is_better=None, group=POOL)
kpi("pool_busy_hours", "busy hours", HOURS, lower_is_better=None, group=POOL)

# -- the savings figures -------------------------------------------------------------------------
figure("cycle_time_hours", "mean cycle time", HOURS, PER_CASE_GROUP, kpi="cycle_time_hours_mean")
figure("waiting_time_hours", "mean waiting time", HOURS, PER_CASE_GROUP,
       kpi="waiting_time_hours_mean")
figure("labour_hours", "labour hours", HOURS, PER_CASE_GROUP, kpi="labour_hours_per_case")
figure("cost", "cost", MONEY, PER_CASE_GROUP, kpi="cost_per_case")
figure("labour_hours_freed_per_year", "labour hours freed", HOURS, PER_YEAR_GROUP,
       per_pool=True)
figure("fte_freed", "FTE freed", "FTE", PER_YEAR_GROUP, per_pool=True)
figure("cost_saved_per_year", "cost saved", MONEY, PER_YEAR_GROUP)
figure("reallocatable_money_per_year", "money to reallocate", MONEY, PER_YEAR_GROUP,
       per_pool=True)
figure("headcount_added_fte", "headcount added", "FTE", NET_GROUP, good=-1)
figure("net_fte_freed", "net FTE freed", "FTE", NET_GROUP, qualifier="after added staff")
figure("net_money_to_reallocate_per_year", "net money to reallocate", MONEY, NET_GROUP,
       qualifier="after added staff")
figure("labour_hours_per_year", "labour hours per year", HOURS, POINT_GROUP, good=-1)
figure("cost_per_case_with_staff", "cost per case incl. staff pay", MONEY, POINT_GROUP, good=-1)


def kpis_of(group: str) -> tuple[str, ...]:
    """The KPI keys of ``group`` (:data:`SCALAR`, :data:`ACTIVITY` or :data:`POOL`), in order."""
    return tuple(k for k, v in KPIS.items() if v.group == group)


def figures_of(*groups: str) -> tuple[str, ...]:
    """The savings figure keys of the given groups, in registry order."""
    return tuple(k for k, v in FIGURES.items() if v.group in groups)


def with_derived(values: Values) -> dict[str, float | None]:
    """A replication's scalar KPI values plus every derived KPI computed from them."""
    out = dict(values)
    for key, entry in KPIS.items():
        if entry.derive is not None and entry.group == SCALAR:
            out[key] = entry.derive(values)
    return out


SCALAR_KPIS = kpis_of(SCALAR)
GROUPED_KPIS = kpis_of(ACTIVITY) + kpis_of(POOL)
PER_CASE = figures_of(PER_CASE_GROUP)
PER_YEAR = figures_of(PER_YEAR_GROUP)
NET_PER_YEAR = figures_of(NET_GROUP)
PER_POOL = tuple(k for k, v in FIGURES.items() if v.per_pool)
