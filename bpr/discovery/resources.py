"""Resource pools: who can do what, how many of them, and which pool each activity needs.

- **Role column** (``use_roles`` and the log has roles): one pool per role; a resource belongs to
  the role it most often appears with.
- **No roles**: resources are clustered on their activity profiles, like Simod: the
  resource x activity frequency matrix, Pearson correlation between resources' rows, resources
  linked when the correlation is at least ``correlation`` (default 0.7), pools = connected
  components. A pool is named after its members' common name prefix (``Clerk-000001``,
  ``Clerk-000002`` -> ``Clerk``) or else after the activity it performs most (``<activity> team``).
- **No resources at all** (or an activity whose instances name none): one pool per activity,
  ``<activity> team``, sized by the most instances of it that ever ran at the same time, so
  observed parallelism is kept but no staff contention is invented.

Each activity maps to the pool that performed most of its instances; pool ``count`` = number of
distinct resources; ``members`` = their names from the log.
"""

from __future__ import annotations

import os
import re
import warnings
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from bpr.io.eventlog import ACTIVITY, END, RESOURCE, ROLE, START


@dataclass(frozen=True)
class PoolAssignment:
    """Pools (name -> member names), activity -> pool, and resource -> pool."""

    members: dict[str, tuple[str, ...]]
    activity_pool: dict[str, str]
    resource_pool: dict[str, str]
    counts: dict[str, int]
    method: str  # "roles", "clustering" or "per-activity"


_TRAIL = re.compile(r"[\s_\-#.]*\d+$")


def _pool_name(resources: list[str], activity_counts: pd.Series, taken: set[str]) -> str:
    prefix = os.path.commonprefix(resources) if len(resources) > 1 else ""
    prefix = _TRAIL.sub("", prefix).strip(" _-#.")
    if len(resources) == 1:
        stem = _TRAIL.sub("", resources[0]).strip(" _-#.")
        prefix = stem if stem and stem != resources[0] else ""
    base = prefix if len(prefix) >= 3 else f"{activity_counts.idxmax()} team"
    name, i = base, 1
    while name in taken:
        i += 1
        name = f"{base} {i}"
    return name


def _concurrency(starts: np.ndarray, ends: np.ndarray) -> int:
    """The most intervals [start, end) open at one moment."""
    if starts.size == 0:
        return 1
    t = np.concatenate([starts, ends])
    d = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    order = np.lexsort((d, t))  # ends (-1) before starts (+1) at equal times
    return max(1, int(np.cumsum(d[order]).max()))


def discover_pools(df: pd.DataFrame, *, use_roles: bool = True,
                   correlation: float = 0.7) -> PoolAssignment:
    """Pools for the activities of ``df`` (an EventLog frame; see the module doc)."""
    has_res = RESOURCE in df.columns and df[RESOURCE].notna().any()
    members: dict[str, tuple[str, ...]] = {}
    resource_pool: dict[str, str] = {}
    method = "per-activity"
    if has_res:
        staffed = df[df[RESOURCE].notna()]
        res = staffed[RESOURCE].astype(str)
        acts = staffed[ACTIVITY].astype(str)
        if use_roles and ROLE in df.columns and staffed[ROLE].notna().any():
            method = "roles"
            pairs = pd.DataFrame({"r": res, "role": staffed[ROLE].astype("string")}).dropna()
            top = pairs.groupby(["r", "role"], observed=True).size().reset_index(name="n")
            top = top.sort_values(["r", "n"], ascending=[True, False]).drop_duplicates("r")
            resource_pool = dict(zip(top["r"], top["role"].astype(str), strict=True))
            for r in sorted(set(res) - set(resource_pool)):  # resources never given a role
                resource_pool[r] = "Unassigned"
        else:
            method = "clustering"
            mat = pd.crosstab(res, acts)
            names = list(mat.index)
            x = mat.to_numpy(dtype=float)
            with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                corr = np.corrcoef(x) if len(names) > 1 else np.ones((1, 1))
            corr = np.nan_to_num(np.atleast_2d(corr), nan=0.0)
            g = nx.Graph()
            g.add_nodes_from(range(len(names)))
            ii, jj = np.nonzero(np.triu(corr >= correlation, k=1))
            g.add_edges_from(zip(ii.tolist(), jj.tolist(), strict=True))
            comps = sorted((sorted(c) for c in nx.connected_components(g)),
                           key=lambda c: (-len(c), names[c[0]]))
            taken: set[str] = set()
            for comp in comps:
                rs = [names[i] for i in comp]
                pname = _pool_name(rs, mat.iloc[comp].sum(axis=0), taken)
                taken.add(pname)
                for r in rs:
                    resource_pool[r] = pname
        for r, p in sorted(resource_pool.items()):
            members[p] = (*members.get(p, ()), r)
    activity_pool: dict[str, str] = {}
    counts: dict[str, int] = {p: len(m) for p, m in members.items()}
    if has_res:
        staffed = df[df[RESOURCE].notna()]
        pool_of = staffed[RESOURCE].astype(str).map(resource_pool)
        tab = pd.crosstab(staffed[ACTIVITY].astype(str), pool_of)
        for act, row in tab.iterrows():
            activity_pool[str(act)] = str(row.idxmax())
    # activities never done by a named resource: a pool of their own, sized by parallelism
    for act, grp in df.groupby(ACTIVITY, observed=True, sort=True):
        act = str(act)
        if act in activity_pool:
            continue
        pname = f"{act} team"
        while pname in members:
            pname += " (2)"
        s = grp[START].to_numpy(dtype="datetime64[ns]").astype("int64")
        e = grp[END].to_numpy(dtype="datetime64[ns]").astype("int64")
        counts[pname] = _concurrency(s, e)
        members[pname] = ()
        activity_pool[act] = pname
    return PoolAssignment(members=members, activity_pool=activity_pool,
                          resource_pool=resource_pool, counts=counts, method=method)
