"""Waiting time per activity, as-is vs to-be, with 95% confidence intervals."""

from __future__ import annotations

import os
import textwrap
from typing import Any

from bpr.charts.bars import draw_paired, paired_rows
from bpr.charts.data import kpi_pair
from bpr.charts.style import check_path, interval_caption, label, new_figure, save, styled


def activity_waiting(source: Any, scenario: Any = None, *, top: int | None = 15,
                     title: str | None = None,
                     path: str | os.PathLike[str] | None = None) -> Any:
    """Mean waiting time before each activity (hours per instance), as-is vs to-be.

    ``source``: a WhatIfResult or :class:`~bpr.charts.data.WhatIfData` (both variants), or the
    base SimulationResult / ``kpis.json`` dict with ``scenario`` the to-be one (optional: only
    the as-is bars without it). The ``top`` activities with the longest waits are shown, the
    longest first. Bars are tagged ``gid="wait:<variant>:<activity>"``, whiskers
    ``"ci:<variant>:<activity>"``. Returns the Figure; ``path`` writes PNG or SVG.
    """
    check_path(path)
    base, other = kpi_pair(source, scenario)
    rows = paired_rows(base["kpis"].get("activity_waiting_hours") or {},
                       None if other is None else other["kpis"].get("activity_waiting_hours"),
                       top=top)
    if not rows:
        raise ValueError("no activity waiting times to draw")
    groups = [base["kpis"].get("activity_waiting_hours") or {},
              {} if other is None else other["kpis"].get("activity_waiting_hours") or {}]
    caption = interval_caption("whiskers", [e for g in groups for e in g.values()])
    with styled():
        fig = new_figure(max(2.4, 0.5 + 0.42 * len(rows)))
        ax = fig.add_subplot()
        draw_paired(ax, rows, "wait", lambda s: "\n".join(textwrap.wrap(s, 28)[:2]),
                    show_scenario=other is not None)
        ax.set_xlabel(label("activity_waiting_hours"))
        ax.set_xlim(left=0)
        ax.set_title(title or ("Waiting time per activity: as-is vs to-be" if other is not None
                               else "Waiting time per activity"))
        ax.set_title(caption, loc="right", fontsize=7,
                     fontweight="normal", color="#8c8c8c")
    return save(fig, path)
