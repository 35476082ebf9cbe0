"""Resource pool utilisation, as-is vs to-be, with 95% confidence intervals."""

from __future__ import annotations

import os
from typing import Any

from bpr.charts.bars import draw_paired, paired_rows
from bpr.charts.data import kpi_pair
from bpr.charts.style import check_path, interval_caption, label, new_figure, save, styled


def pool_utilisation(source: Any, scenario: Any = None, *, title: str | None = None,
                     path: str | os.PathLike[str] | None = None) -> Any:
    """Utilisation of each pool (% of its members' open hours spent working), as-is vs to-be.

    ``source``/``scenario`` as in :func:`bpr.charts.activities.activity_waiting`. Bars are
    tagged ``gid="util:<variant>:<pool>"`` (width in percent), whiskers
    ``"ci:<variant>:<pool>"``. Returns the Figure; ``path`` writes PNG or SVG.
    """
    check_path(path)
    base, other = kpi_pair(source, scenario)
    rows = paired_rows(base["kpis"].get("pool_utilisation") or {},
                       None if other is None else other["kpis"].get("pool_utilisation"),
                       scale=100.0)
    if not rows:
        raise ValueError("the model has no resource pools: no utilisation to draw")
    groups = [base["kpis"].get("pool_utilisation") or {},
              {} if other is None else other["kpis"].get("pool_utilisation") or {}]
    caption = interval_caption("whiskers", [e for g in groups for e in g.values()])
    with styled():
        fig = new_figure(max(2.2, 0.7 + 0.5 * len(rows)))
        ax = fig.add_subplot()
        draw_paired(ax, rows, "util", lambda s: s, show_scenario=other is not None)
        ax.axvline(100, color="#999999", lw=0.8, ls=":")
        hi = max([100.0] + [e[2] for r in rows for e in r[1:] if e is not None])
        ax.set_xlim(0, hi * 1.05)
        ax.set_xlabel(label("pool_utilisation").replace("%", "% of the pool's open hours"))
        ax.set_title(title or ("Pool utilisation: as-is vs to-be" if other is not None
                               else "Pool utilisation"))
        ax.set_title(caption, loc="right", fontsize=7,
                     fontweight="normal", color="#8c8c8c")
    return save(fig, path)
