"""Costs: hourly rates per pool and fixed costs per activity, from a costs file or the log.

Costs file (YAML; ``bpr mine LOG --costs costs.yaml``)::

    currency: USD                 # optional, written to the model
    pools:                        # currency per busy hour of one member
      Clerk: {hourly_rate: 25}
    activities:                   # currency per execution
      Check credit history: {fixed_cost: 1.5}

Names must be pools and activities of the mined model (unknown names are an error with a
did-you-mean). Log cost columns (``fixed_cost``, ``resource_cost`` per instance, e.g. LoanApp's
``FixedCost``/``ResourceCost``) give: hourly rate of a pool = total resource cost of its
instances / their busy (working) hours; fixed cost of an activity = mean fixed cost per instance.
A file overrides the log. Without cost data rates stay ``None``: bpr reports hours only and never
invents money.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bpr.errors import BprError
from bpr.io.eventlog import ACTIVITY, FIXED_COST, RESOURCE_COST
from bpr.io.yamlio import load_yaml
from bpr.text import did_you_mean

_TOP = ("currency", "pools", "activities")


@dataclass(frozen=True)
class CostData:
    """Currency, pool -> hourly rate (currency/hour), activity -> fixed cost (currency)."""

    currency: str | None = None
    hourly_rate: dict[str, float] = field(default_factory=dict)
    fixed_cost: dict[str, float] = field(default_factory=dict)
    path: str | None = None


def _number(value: Any, path: str, line: int | None, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value) \
            or value < 0:
        raise BprError(f"{where}: expected a non-negative number, got {value!r}", path=path,
                       line=line)
    return float(value)


def read_costs(path: str | os.PathLike[str]) -> CostData:
    """Parse a costs file (see the module doc); names are checked later by :func:`check_names`."""
    p = str(path)
    if not os.path.isfile(p):
        raise BprError("costs file not found; check the path given to --costs", path=p)
    doc = load_yaml(p)
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise BprError("a costs file is a mapping with currency, pools and activities",
                       path=p, line=doc.line())
    for k in data:
        if k not in _TOP:
            raise BprError(f"unknown key {k!r}{did_you_mean(k, _TOP)} (allowed: "
                           f"{', '.join(_TOP)})", path=p, line=doc.line(k))
    rates: dict[str, float] = {}
    fixed: dict[str, float] = {}
    for section, key, out in (("pools", "hourly_rate", rates),
                              ("activities", "fixed_cost", fixed)):
        entries = data.get(section) or {}
        if not isinstance(entries, Mapping):
            raise BprError(f"{section}: expected a mapping of names to {{{key}: ...}}", path=p,
                           line=doc.line(section))
        for name, val in entries.items():
            line = doc.line(section, name)
            if isinstance(val, int | float) and not isinstance(val, bool):
                val = {key: val}
            if not isinstance(val, Mapping) or set(val) - {key}:
                bad = sorted(set(val) - {key})[0] if isinstance(val, Mapping) else val
                raise BprError(f"{section}.{name}: unknown setting {bad!r}; write "
                               f"{{{key}: NUMBER}}", path=p, line=line)
            if key in val:
                out[str(name)] = _number(val[key], p, line, f"{section}.{name}.{key}")
    cur = data.get("currency")
    return CostData(currency=None if cur is None else str(cur), hourly_rate=rates,
                    fixed_cost=fixed, path=p)


def check_names(costs: CostData, pools: set[str], activities: set[str]) -> None:
    """Raise for a pool or activity in ``costs`` that the model does not have."""
    for name in costs.hourly_rate:
        if name not in pools:
            raise BprError(f"pools: {name!r} is not a pool of the mined model"
                           f"{did_you_mean(name, pools)} (pools: {', '.join(sorted(pools))})",
                           path=costs.path)
    for name in costs.fixed_cost:
        if name not in activities:
            raise BprError(f"activities: {name!r} is not an activity of the log"
                           f"{did_you_mean(name, activities)}", path=costs.path)


def costs_from_log(df: pd.DataFrame, pool_of_row: pd.Series,
                   working_seconds: np.ndarray) -> CostData:
    """Rates and fixed costs from the log's cost columns (empty when it has none).

    ``pool_of_row``: the pool of each row's activity; ``working_seconds``: each row's duration.
    """
    rates: dict[str, float] = {}
    fixed: dict[str, float] = {}
    if RESOURCE_COST in df.columns:
        frame = pd.DataFrame({"pool": pool_of_row.to_numpy(),
                              "cost": pd.to_numeric(df[RESOURCE_COST], errors="coerce")
                              .to_numpy(dtype=float),
                              "hours": working_seconds / 3600.0}).dropna()
        agg = frame.groupby("pool", observed=True)[["cost", "hours"]].sum()
        for pool, row in agg.iterrows():
            if row["hours"] > 0 and row["cost"] > 0:
                rates[str(pool)] = round(float(row["cost"] / row["hours"]), 4)
    if FIXED_COST in df.columns:
        fc = pd.to_numeric(df[FIXED_COST], errors="coerce")
        means = fc.groupby(df[ACTIVITY].astype(str)).mean()
        for act, v in means.items():
            if np.isfinite(v) and v > 0:
                fixed[str(act)] = round(float(v), 4)
    return CostData(hourly_rate=rates, fixed_cost=fixed)
