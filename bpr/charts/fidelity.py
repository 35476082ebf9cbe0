"""The fidelity panel: the real (held-out) cycle-time distribution against the simulated one, with
the validation's distances beside it when a :class:`~bpr.analysis.fidelity.FidelityReport` (or
its JSON) is given."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from bpr.charts.distributions import draw_ecdfs
from bpr.charts.style import AS_IS, TO_BE, check_path, new_figure, plain, save, styled


def log_cycle_times(log: Any) -> np.ndarray:
    """Cycle time of every case of an event log (first start to last end), in hours."""
    from bpr.analysis.discrepancies import profile_log

    return np.asarray(profile_log(log, use_enabled=False).cycle_times_h, dtype=float)


def report_cycle_times(report: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """``(real, simulated)`` cycle times in hours if the validation result carries them (key
    ``cycle_times_hours: {real: [...], simulated: [...]}``), else None."""
    data = plain(report)
    ct = data.get("cycle_times_hours") if isinstance(data, Mapping) else None
    if not isinstance(ct, Mapping) or "real" not in ct or "simulated" not in ct:
        return None
    return np.asarray(ct["real"], dtype=float), np.asarray(ct["simulated"], dtype=float)


def metric_lines(report: Any) -> list[str]:
    """``label: mean ± sd unit`` for each distance of a validation (empty without one)."""
    data = plain(report) if report is not None else None
    if not isinstance(data, Mapping):
        return []
    out = []
    for m in (data.get("metrics") or {}).values():
        unit = f" {m['unit']}" if m.get("unit") else ""
        out.append(f"{m['label']}: {m['mean']:.3g} ± {m['std']:.2g}{unit}")
    return out


def fidelity_panel(real_hours: Any = None, simulated_hours: Any = None, *, report: Any = None,
                   log_x: bool | None = None, title: str | None = None,
                   path: str | os.PathLike[str] | None = None) -> Any:
    """ECDFs of the real and the simulated cycle times (``gid="ecdf:real"``/``"ecdf:simulated"``,
    medians ``"median:real"``/``"median:simulated"``) and, with ``report``, the validation's
    distances as text. The cycle times come from the arguments (hours; arrays or event logs) or
    else from ``report``. Returns the Figure; ``path`` writes PNG or SVG."""
    check_path(path)
    if real_hours is None or simulated_hours is None:
        found = report_cycle_times(report) if report is not None else None
        if found is None:
            raise ValueError("give the real and simulated cycle times (hours or event logs); "
                             "the validation result does not carry them")
        real_hours, simulated_hours = found
    real = _hours(real_hours)
    sim = _hours(simulated_hours)
    lines = metric_lines(report)
    with styled():
        fig = new_figure(3.8 if not lines else 4.4)
        ax = fig.add_subplot()
        draw_ecdfs(ax, [("real", "real (held-out log)", real, AS_IS),
                        ("simulated", "simulated", sim, TO_BE)], log_x)
        ax.set_title(title or "Fidelity: real vs simulated cycle time")
        if lines:
            ax.text(0.01, 0.98, "\n".join(lines), transform=ax.transAxes, va="top", ha="left",
                    fontsize=6.5, color="#333333", gid="metrics",
                    bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#dddddd", alpha=0.9))
    return save(fig, path)


def _hours(values: Any) -> np.ndarray:
    if hasattr(values, "df") or hasattr(values, "columns"):
        return log_cycle_times(values)
    return np.asarray(values, dtype=float)
