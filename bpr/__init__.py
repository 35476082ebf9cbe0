"""bpr: business process re-engineering — mine, model, simulate, compare, present.

The public API mirrors the CLI verbs (names are imported lazily so ``import bpr`` is fast and
pm4py is only loaded when a log is read or a model mined)::

    log = bpr.read_log("event_logs/PurchasingExample.csv.gz")
    model = bpr.mine(log)
    model.save("processes/purchasing.yaml")
    result = bpr.simulate(model, cases=1000, replications=10, seed=1)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "BprError": "bpr.errors",
    "ProcessModel": "bpr.model",
    "Distribution": "bpr.model",
    "Calendar": "bpr.model",
    "EventLog": "bpr.io.eventlog",
    "read_log": "bpr.io.logs",
    "write_log": "bpr.io.logs",
    "load_model": "bpr.model.files",
    "save_model": "bpr.model.files",
    "check": "bpr.model",
    "mine": "bpr.discovery",
    "simulate": "bpr.sim",
    "RunSettings": "bpr.sim.settings",
    "load_scenario": "bpr.scenario",
    "apply_scenario": "bpr.scenario",
    "whatif": "bpr.analysis.whatif",
    "sweep": "bpr.analysis.sweep",
    "split_log": "bpr.analysis.fidelity",
    "validate": "bpr.analysis.fidelity",
    "calibrate": "bpr.analysis.calibrate",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'bpr' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return __all__
