"""What the charts read from a ``bpr whatif`` output folder (OUTDIR) as plain dicts, and how they
find their data in a result object, its dict or such a folder.

:func:`load_whatif` reads ``savings.json``, ``base_kpis.json``, ``scenario_kpis.json``,
``cycle_times.csv``, ``scenario.yaml``, ``base_model.yaml`` and ``tobe_model.yaml`` (see
:meth:`bpr.analysis.whatif.WhatIfResult.write`), plus, when present, ``sweep.json`` (from
``bpr sweep -o OUTDIR``) and ``fidelity.json`` (``bpr validate --json > OUTDIR/fidelity.json``).
A folder that is not a what-if output gives one :class:`~bpr.errors.BprError` line.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bpr.analysis.outdir import check_outdir
from bpr.analysis.outdir import read_cycle_times as read_variant_cycle_times
from bpr.errors import BprError
from bpr.sim.results import read_json

REQUIRED = ("savings.json", "base_kpis.json", "scenario_kpis.json")
VARIANTS = ("base", "scenario")


@dataclass
class WhatIfData:
    """The contents of an OUTDIR: plain dicts as written, cycle times in hours by variant."""

    outdir: Path
    savings: dict[str, Any]
    base_kpis: dict[str, Any]
    scenario_kpis: dict[str, Any]
    cycle_times_hours: dict[str, np.ndarray]
    scenario_text: str | None = None
    base_model: Any = None  # ProcessModel or None
    tobe_model: Any = None
    sweep: dict[str, Any] | None = None
    fidelity: dict[str, Any] | None = None


def _json(path: Path) -> dict[str, Any]:
    return read_json(path, "re-run the command that wrote it")


def read_cycle_times(path: str | os.PathLike[str]) -> dict[str, np.ndarray]:
    """``cycle_times.csv`` (variant, replication, case, cycle_time_hours) -> hours by variant
    (replications in order)."""
    by_rep = read_variant_cycle_times(path)
    out = {v: np.zeros(0) for v in VARIANTS}
    for variant, reps in by_rep.items():
        out[variant] = (np.concatenate([reps[r] for r in sorted(reps)]) if reps
                        else np.zeros(0))
    return out


def load_whatif(outdir: str | os.PathLike[str]) -> WhatIfData:
    """Read a what-if output folder as plain dicts (see the module doc); for the typed result
    use :meth:`bpr.analysis.whatif.WhatIfResult.read`."""
    out = check_outdir(outdir, REQUIRED, "bpr whatif")
    savings = _json(out / "savings.json")
    for key in ("per_case", "per_year", "settings"):
        if not isinstance(savings.get(key), dict):
            raise BprError(f"savings.json has no {key!r} object: not written by bpr whatif; "
                           f"re-run bpr whatif -o {out}", path=str(out / "savings.json"))
    kpis = {}
    for name in ("base_kpis.json", "scenario_kpis.json"):
        data = _json(out / name)
        if not isinstance(data.get("kpis"), dict):
            raise BprError(f"no 'kpis' object: not written by bpr whatif; re-run bpr whatif -o "
                           f"{out}", path=str(out / name))
        kpis[name] = data
    ct_path = out / "cycle_times.csv"
    cycle = read_cycle_times(ct_path) if ct_path.is_file() else {
        v: np.zeros(0) for v in VARIANTS}
    found = WhatIfData(out, savings, kpis["base_kpis.json"], kpis["scenario_kpis.json"], cycle)
    if (out / "scenario.yaml").is_file():
        found.scenario_text = (out / "scenario.yaml").read_text(encoding="utf-8",
                                                                errors="replace")
    from bpr.model.files import load_model

    if (out / "base_model.yaml").is_file():
        found.base_model = load_model(out / "base_model.yaml")
    if (out / "tobe_model.yaml").is_file():
        found.tobe_model = load_model(out / "tobe_model.yaml")
    if (out / "sweep.json").is_file():
        found.sweep = _json(out / "sweep.json")
    if (out / "fidelity.json").is_file():
        found.fidelity = _json(out / "fidelity.json")
    return found


def cycle_times(source: Any) -> dict[str, np.ndarray]:
    """Cycle times in hours by variant (``base``, ``scenario``) from a WhatIfResult, a
    :class:`WhatIfData`, a mapping of arrays, or the path of ``cycle_times.csv``."""
    if isinstance(source, WhatIfData):
        return source.cycle_times_hours
    if isinstance(source, (str, os.PathLike)):
        return read_cycle_times(source)
    if isinstance(source, Mapping):
        return {k: np.asarray(v, dtype=float) for k, v in source.items()}
    base, tobe = getattr(source, "base", None), getattr(source, "tobe", None)
    if base is not None and tobe is not None:
        return {"base": base.cycle_times_hours, "scenario": tobe.cycle_times_hours}
    raise TypeError(f"cannot find cycle times in a {type(source).__name__}")


def kpi_pair(source: Any, scenario: Any = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The base and scenario KPI dicts (``kpis.json`` contents) from a WhatIfResult, a
    :class:`WhatIfData`, or two SimulationResults / dicts."""
    if isinstance(source, WhatIfData):
        return source.base_kpis, source.scenario_kpis
    if scenario is None and hasattr(source, "base") and hasattr(source, "tobe"):
        return source.base.to_dict(), source.tobe.to_dict()
    base = source if isinstance(source, Mapping) else source.to_dict()
    other = None if scenario is None else (
        scenario if isinstance(scenario, Mapping) else scenario.to_dict())
    return dict(base), None if other is None else dict(other)
