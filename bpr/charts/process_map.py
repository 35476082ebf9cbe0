"""The process map: a BPMN-like drawing of a model with matplotlib (no graphviz needed).

Laid out left to right with :func:`bpr.model.bpmn.layout_graph` (the same layout BPMN export
writes). Events are circles (end: thick; timer: double with a clock hand), tasks rounded boxes,
gateways diamonds marked × (xor), + (and) or ○ (or). Edges out of splits are labelled with
their probabilities. When the model was mined (``model.observed``), tasks show how often they
ran and their mean waiting time (hours), coloured by waiting time.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bpr.errors import BprError
from bpr.io.atomic import atomic_path
from bpr.model.bpmn.layout import layout_graph
from bpr.model.process import ProcessModel

_FORMATS = {".png": "png", ".svg": "svg"}
_GATEWAY_MARK = {"xor": "×", "and": "+", "or": "○"}


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def draw_process_map(model: ProcessModel, path: str | os.PathLike[str] | None = None, *,
                     ax: Any = None, waiting: bool = True,
                     waiting_hours: Mapping[str, float] | None = None,
                     waiting_max_hours: float | None = None) -> Any:
    """Draw ``model``'s process map and return the matplotlib Figure.

    ``path``: write a ``.png`` or ``.svg`` there (atomically). ``ax``: draw into an existing
    Axes instead of a new figure. ``waiting``: colour tasks by observed mean waiting time (only
    when the model carries observed figures). ``waiting_hours``: colour tasks by these mean
    waits (hours, e.g. a simulation's ``activity_waiting_hours``) instead of the observed ones;
    the observed counts are then not shown. ``waiting_max_hours``: the top of the colour scale
    (give two maps the same value to compare them; default: the largest wait drawn).
    """
    fmt = None
    if path is not None:
        fmt = _FORMATS.get(Path(path).suffix.lower())
        if fmt is None:
            raise BprError(f"unknown image type {Path(path).suffix!r}; use .png or .svg",
                           path=str(path))
    import matplotlib

    if ax is None:
        matplotlib.use("Agg", force=False)
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon

    g = model.graph
    start = next((n for n, d in g.nodes(data=True) if d["kind"] == "start"), None)
    lay = layout_graph(g, start)
    obs = model.observed
    wait = dict(obs.activity_waiting_seconds) if (obs is not None and waiting) else {}
    counts = dict(obs.activity_count) if obs is not None else {}
    if waiting_hours is not None:
        wait = {k: float(v) * 3600 for k, v in waiting_hours.items() if k in g} if waiting else {}
        counts = {}
    cmap = colormaps["YlOrRd"]
    top = waiting_max_hours * 3600 if waiting_max_hours else max(wait.values(), default=0)
    norm = Normalize(vmin=0, vmax=top or 1)

    if ax is None:
        scale = 1 / 100  # inches per pixel of layout
        fig = Figure(figsize=(max(4.0, lay.width * scale), max(2.5, lay.height * scale)))
        ax = fig.add_axes((0, 0, 1, 1))
    else:
        fig = ax.figure
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    fs = 7

    for (s, t), pts in lay.waypoints.items():
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        back = (s, t) in lay.back_edges
        style = dict(color="#555555", lw=0.9, ls="--" if back else "-")
        ax.plot(xs[:-1] + [xs[-1]], ys[:-1] + [ys[-1]], **style, zorder=1)
        ax.add_patch(FancyArrowPatch(pts[-2], pts[-1], arrowstyle="-|>", mutation_scale=8,
                                     color="#555555", lw=0.9, zorder=2))
        p = g.edges[s, t].get("probability")
        if p is not None and g.out_degree(s) > 1:
            lx, ly = (pts[1] if len(pts) > 2 else ((xs[0] + xs[-1]) / 2, (ys[0] + ys[-1]) / 2))
            ax.text(lx + 3, ly - 3, f"{p:.2f}".rstrip("0").rstrip(".") if p < 1 else "1",
                    fontsize=fs - 1, color="#1f4e79", ha="left", va="bottom", zorder=5,
                    bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.8))

    for n, d in g.nodes(data=True):
        x, y, w, h = lay.bounds[n]
        cx, cy = x + w / 2, y + h / 2
        kind = d["kind"]
        if kind == "task":
            colour = cmap(norm(wait[n])) if n in wait else "#eef3fb"
            ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=10",
                                        fc=colour, ec="#2b2b2b", lw=1, zorder=3))
            label = "\n".join(textwrap.wrap(n, 16)[:4])
            extra = []
            if n in counts:
                extra.append(f"n={counts[n]}")
            if n in wait:
                extra.append(f"wait {_hours(wait[n])}")
            ax.text(cx, cy - (6 if extra else 0), label, ha="center", va="center", fontsize=fs,
                    zorder=4)
            if extra:
                ax.text(cx, y + h - 6, "  ".join(extra), ha="center", va="bottom",
                        fontsize=fs - 1.5, color="#333333", zorder=4)
        elif kind in _GATEWAY_MARK:
            ax.add_patch(Polygon([(cx, y), (x + w, cy), (cx, y + h), (x, cy)], closed=True,
                                 fc="#fff8dc", ec="#2b2b2b", lw=1, zorder=3))
            ax.text(cx, cy, _GATEWAY_MARK[kind], ha="center", va="center", fontsize=fs + 5,
                    zorder=4)
            if not n.startswith(f"{kind} "):
                ax.text(cx, y - 3, "\n".join(textwrap.wrap(n, 18)[:2]), ha="center",
                        va="bottom", fontsize=fs - 1, zorder=4)
        else:
            r = w / 2
            lw = 2.5 if kind == "end" else 1
            fc = "#e8f5e9" if kind == "start" else "#fdecea" if kind == "end" else "white"
            ax.add_patch(Circle((cx, cy), r, fc=fc, ec="#2b2b2b", lw=lw, zorder=3))
            if kind == "timer":
                ax.add_patch(Circle((cx, cy), r - 4, fc="none", ec="#2b2b2b", lw=0.8, zorder=4))
                ax.plot([cx, cx, cx + 6], [cy - 9, cy, cy], color="#2b2b2b", lw=0.8, zorder=4)
            ax.text(cx, y + h + 3, "\n".join(textwrap.wrap(n, 18)[:2]), ha="center", va="top",
                    fontsize=fs - 1, zorder=4)
    if wait:
        from matplotlib.cm import ScalarMappable

        sm = ScalarMappable(norm=Normalize(vmin=0, vmax=norm.vmax / 3600), cmap=cmap)
        cax = fig.add_axes((0.92, 0.15, 0.012, 0.3))
        cb = fig.colorbar(sm, cax=cax)
        cb.set_label("mean waiting (h)", fontsize=fs)
        cb.ax.tick_params(labelsize=fs - 1)
    ax.set_title(model.name, fontsize=fs + 3, loc="left")
    if path is not None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150)
    return fig
