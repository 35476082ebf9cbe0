"""Cycle-time distributions as empirical CDFs, with medians marked: as-is vs to-be, and real vs
simulated (the fidelity panel uses :func:`draw_ecdfs` too)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from bpr.charts.data import cycle_times
from bpr.charts.style import AS_IS, TO_BE, check_path, new_figure, nice_number, save, styled


def ecdf(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)``: the sorted finite values and the fraction of values <= each (i/n)."""
    x = np.sort(np.asarray(values, dtype=float))
    x = x[np.isfinite(x)]
    return x, np.arange(1, len(x) + 1) / max(len(x), 1)


def use_log_scale(*samples: np.ndarray) -> bool:
    """Log x when every value is positive and the 99th percentile is over 50x the 1st."""
    allv = np.concatenate([np.asarray(s, dtype=float) for s in samples]) if samples else []
    if len(allv) == 0 or np.min(allv) <= 0:
        return False
    lo, hi = np.percentile(allv, [1, 99])
    return bool(lo > 0 and hi / lo > 50)


def draw_ecdfs(ax: Any, series: Sequence[tuple[str, str, np.ndarray, str]],
               log_x: bool | None = None) -> None:
    """Draw ECDFs of ``(key, legend label, values in hours, colour)`` into ``ax`` with medians
    marked. Artists are tagged ``gid="ecdf:<key>"`` (the step line) and ``"median:<key>"``."""
    for key, text, values, colour in series:
        x, y = ecdf(values)
        if len(x) == 0:
            continue
        med = float(np.median(x))
        ax.plot(x, y, drawstyle="steps-post", color=colour, lw=1.6, gid=f"ecdf:{key}",
                label=f"{text}: median {nice_number(med)} h (n={len(x):,})")
        ax.axvline(med, color=colour, lw=1, ls="--", gid=f"median:{key}")
        ax.plot([med], [0.5], marker="o", color=colour, ms=4)
    if log_x is None:
        log_x = use_log_scale(*[s[2] for s in series if len(s[2])])
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("cycle time per case (hours" + (", log scale)" if log_x else ")"))
    ax.set_ylabel("share of cases completed within (cumulative)")
    ax.set_ylim(0, 1.02)
    ax.axhline(0.5, color="#bbbbbb", lw=0.6)
    ax.legend(loc="lower right")


def cycle_time_ecdf(source: Any, *, log_x: bool | None = None, title: str | None = None,
                    path: str | os.PathLike[str] | None = None) -> Any:
    """Cycle time per case, as-is vs to-be, as ECDFs with the medians marked (dashed lines).

    ``source``: a WhatIfResult, the :class:`~bpr.charts.data.WhatIfData` of an OUTDIR, its
    ``cycle_times.csv`` path, or ``{"base": hours, "scenario": hours}``. ``log_x``: log scale
    (default: automatic for skewed data). Returns the Figure; ``path`` writes PNG or SVG.
    """
    check_path(path)
    ct = cycle_times(source)
    series = [("base", "as-is", ct.get("base", np.zeros(0)), AS_IS),
              ("scenario", "to-be", ct.get("scenario", np.zeros(0)), TO_BE)]
    if not any(len(s[2]) for s in series):
        raise ValueError("no cycle times to draw (was the what-if run kept without them?)")
    with styled():
        fig = new_figure(3.8)
        ax = fig.add_subplot()
        draw_ecdfs(ax, series, log_x)
        ax.set_title(title or "Cycle time per case: as-is vs to-be")
    return save(fig, path)
