"""Charts: matplotlib figures (returned, not shown), written atomically when a path is given.

Each function takes result objects (WhatIfResult, SimulationResult, SweepResult,
FidelityReport) or the dicts a command wrote into its output folder, and returns a
:class:`matplotlib.figure.Figure`; ``path=`` writes ``.png`` or ``.svg``. Names are imported
lazily so that ``import bpr.charts`` does not load matplotlib.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "savings_waterfall": "bpr.charts.savings",
    "cycle_time_ecdf": "bpr.charts.distributions",
    "activity_waiting": "bpr.charts.activities",
    "pool_utilisation": "bpr.charts.pools",
    "sweep_pareto": "bpr.charts.sweep",
    "fidelity_panel": "bpr.charts.fidelity",
    "draw_process_map": "bpr.charts.process_map",
    "load_whatif": "bpr.charts.data",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bpr.charts' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted({*__all__, "activities", "data", "distributions", "fidelity", "pools",
                   "process_map", "savings", "style", "sweep"})
