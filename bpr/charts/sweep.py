"""The sweep's Pareto frontier: mean cycle time against cost per case (or labour hours when the
model has no hourly rates), every grid point with its 95% intervals, the efficient ones
highlighted and joined."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from bpr.charts.style import (
    HIGHLIGHT,
    NEUTRAL,
    check_path,
    est,
    interval_caption,
    label,
    new_figure,
    plain,
    save,
    styled,
)


def pareto_data(sweep: Any) -> dict[str, Any]:
    """What the chart draws: the y objective, and per point its index, params, (mean, lo, hi)
    of x (cycle time) and y, and whether it is efficient (as the sweep decided)."""
    data = plain(sweep)
    objectives = list(data.get("objectives") or ["cycle_time_hours", "labour_hours"])
    ykey = objectives[1] if len(objectives) > 1 else "labour_hours"
    points = []
    caption = interval_caption("lines", [e for p in data["points"] for e in p["kpis"].values()])
    for p in data["points"]:
        x, y = est(p["kpis"].get("cycle_time_hours")), est(p["kpis"].get(ykey))
        if x is None or y is None:
            continue
        points.append({"point": int(p["point"]), "params": dict(p.get("params") or {}),
                       "x": x, "y": y, "pareto": bool(p.get("pareto"))})
    return {"ykey": ykey, "currency": data.get("currency"), "points": points,
            "objectives": objectives, "caption": caption}


def sweep_pareto(sweep: Any, *, annotate: bool = True, title: str | None = None,
                 path: str | os.PathLike[str] | None = None) -> Any:
    """Scatter of every sweep point (``gid="points:all"``), the Pareto-efficient ones on top
    (``"points:pareto"``) joined by the frontier line (``"frontier"``, with two objectives).

    ``sweep``: a :class:`~bpr.analysis.sweep.SweepResult` or the dict of ``sweep.json``.
    ``annotate`` labels the efficient points with their parameters. Returns the Figure.
    """
    check_path(path)
    d = pareto_data(sweep)
    pts = d["points"]
    if not pts:
        raise ValueError("no sweep point has both cycle time and cost figures")
    with styled():
        fig = new_figure(4.2)
        ax = fig.add_subplot()
        xs = np.array([p["x"][0] for p in pts])
        ys = np.array([p["y"][0] for p in pts])
        for p in pts:
            ax.plot([p["x"][1], p["x"][2]], [p["y"][0]] * 2, color="#cccccc", lw=0.8, zorder=1)
            ax.plot([p["x"][0]] * 2, [p["y"][1], p["y"][2]], color="#cccccc", lw=0.8, zorder=1)
        ax.scatter(xs, ys, s=22, color=NEUTRAL, zorder=2, gid="points:all", label="grid point")
        eff = [p for p in pts if p["pareto"]]
        if eff:
            ex = np.array([p["x"][0] for p in eff])
            ey = np.array([p["y"][0] for p in eff])
            ax.scatter(ex, ey, s=46, color=HIGHLIGHT, edgecolor="white", zorder=4,
                       gid="points:pareto", label="Pareto-efficient")
            if len(d["objectives"]) == 2:
                order = np.argsort(ex)
                ax.plot(ex[order], ey[order], color=HIGHLIGHT, lw=1.2, zorder=3,
                        gid="frontier")
            if annotate:
                for p in eff:
                    text = ", ".join(f"{k}={v}" for k, v in p["params"].items())
                    ax.annotate(f"#{p['point']} {text}", (p["x"][0], p["y"][0]),
                                xytext=(5, 4), textcoords="offset points", fontsize=6.5,
                                color="#333333")
        ax.set_xlabel(label("cycle_time_hours"))
        ax.set_ylabel(label(d["ykey"], d["currency"]))
        ax.legend(loc="upper right")
        note = "" if len(d["objectives"]) == 2 else (
            f" (efficient on {', '.join(d['objectives'])})")
        ax.set_title(title or f"Sweep: cycle time vs {label(d['ykey']).split(' (')[0]}{note}")
        ax.set_title(d["caption"], loc="right", fontsize=7,
                     fontweight="normal", color=NEUTRAL)
    return save(fig, path)
