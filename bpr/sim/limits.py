"""Bounded work: the limits a replication enforces instead of running forever.

A model whose loop almost never exits, a duration of 1e300 seconds or a horizon that lets a
billion cases arrive would otherwise hang or fill the memory. The engine stops with a one-line
:class:`SimulationError` that names the node (or the arrivals) and the limit:

- :data:`MAX_VISITS`: visits of one node by one case (a loop that seldom exits);
- :data:`MAX_SIMULATED_SECONDS`: the simulation clock (1,000 years);
- :data:`MAX_CASES`: arrivals in one replication.

Size limits of the model itself (members per pool, people, batch sizes) are in
:mod:`bpr.model.resources` and reported by ``bpr check``.
"""

from __future__ import annotations

from bpr.errors import SimulationError

MAX_VISITS = 10_000
MAX_SIMULATED_YEARS = 1_000
MAX_SIMULATED_SECONDS = MAX_SIMULATED_YEARS * 365.25 * 86400.0
MAX_CASES = 10_000_000


def too_many_visits(node: str, case: int) -> SimulationError:
    return SimulationError(
        f"case {case + 1} reached {node!r} {MAX_VISITS:,} times (the limit of visits per case "
        f"and node): the loop through {node!r} almost never exits; lower its loop-back "
        f"probability")


def too_late(what: str) -> SimulationError:
    return SimulationError(
        f"{what}: the simulation clock passed {MAX_SIMULATED_YEARS:,} years (the limit): a "
        f"duration, delay or inter-arrival time is far too long, or a pool can never keep up")


def too_many_cases(cases: int | None = None) -> SimulationError:
    told = f"{cases:,} cases" if cases is not None else "the arrivals within the horizon"
    return SimulationError(
        f"{told} exceed the limit of {MAX_CASES:,} cases per replication; simulate fewer cases "
        f"or days (or check the inter-arrival time)")
