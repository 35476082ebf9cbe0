"""The process map: a BPMN-like drawing of a model with matplotlib (no graphviz needed).

Laid out with :func:`bpr.model.bpmn.layout_graph`, the layered layout BPMN export writes: no
edge passes through a shape, loop-backs run in the channels around the tasks (dashed), and a
flow too long for :data:`MAX_WIDTH_IN` inches is wrapped into bands stacked top to bottom (as
many as keep the text largest), so the map keeps a bounded size and a readable text size in a
report or on a page. Events are circles (end:
thick; timer: double with a clock hand), tasks rounded boxes, gateways diamonds marked
× (xor), + (and) or ○ (or); split flows show their probabilities. When the model was mined
(``model.observed``), tasks show how often they ran and their mean waiting time, coloured by
waiting time (scale in a colour bar below the drawing). Text on a coloured box is black or
white, whichever contrasts more with the fill (WCAG contrast ratio).
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bpr.errors import BprError
from bpr.io.atomic import atomic_path
from bpr.model.bpmn.diagram import wrap_label
from bpr.model.bpmn.layout import layout_graph
from bpr.model.bpmn.route import fit_score
from bpr.model.process import ProcessModel

_FORMATS = {".png": "png", ".svg": "svg"}
_GATEWAY_MARK = {"xor": "×", "and": "+", "or": "○"}
PX_PER_IN = 100.0  # layout pixels per inch of figure at full size
MAX_WIDTH_IN = 8.6  # fits the report's 60rem column (960 px at its 110 dpi) and an A4 page
MAX_HEIGHT_IN = 20.0  # a tall map scrolls; beyond this the whole drawing is scaled down
FONT_PX = 10.5  # task and label text, in layout pixels (the layout sizes labels for ~11 px)
TITLE_IN = 0.4
LEGEND_IN = 0.8
INK = "#1a1a1a"
EDGE = "#555555"
PROBABILITY = "#1f4e79"
TASK_FILL = "#eef3fb"


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def luminance(rgb: tuple[float, ...]) -> float:
    """WCAG relative luminance of an sRGB colour (channels 0..1)."""
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """WCAG contrast ratio of two colours (1 to 21; 4.5 is the minimum for normal text)."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_colour(fill: tuple[float, ...]) -> str:
    """Black or white, whichever reads better on ``fill``."""
    black, white = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)  # one of them always reaches 4.58
    return "#000000" if contrast(fill, black) >= contrast(fill, white) else "#ffffff"


def _auto_named(name: str, kind: str) -> bool:
    return re.fullmatch(rf"{kind}( (join|split))? \d+", name) is not None


def draw_process_map(model: ProcessModel, path: str | os.PathLike[str] | None = None, *,
                     ax: Any = None, waiting: bool = True,
                     waiting_hours: Mapping[str, float] | None = None,
                     waiting_max_hours: float | None = None) -> Any:
    """Draw ``model``'s process map and return the matplotlib Figure.

    ``path``: write a ``.png`` or ``.svg`` there (atomically). ``ax``: draw into an existing
    Axes instead of a new figure (the colour bar then takes room below it). ``waiting``: colour
    tasks by observed mean waiting time (only when the model carries observed figures).
    ``waiting_hours``: colour tasks by these mean waits (hours, e.g. a simulation's
    ``activity_waiting_hours``) instead of the observed ones; the observed counts are then not
    shown. ``waiting_max_hours``: the top of the colour scale (give two maps the same value to
    compare them; default: the largest wait drawn).
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
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize, to_rgb
    from matplotlib.figure import Figure

    g = model.graph
    start = next((n for n, d in g.nodes(data=True) if d["kind"] == "start"), None)
    node_labels = {n: n for n, d in g.nodes(data=True)
                   if d["kind"] != "task" and not _auto_named(n, d["kind"])}
    edge_labels = {(s, t): _probability(p) for s, t, p in g.edges(data="probability")
                   if p is not None and g.out_degree(s) > 1}
    box = (MAX_WIDTH_IN * PX_PER_IN, MAX_HEIGHT_IN * PX_PER_IN)
    lay = max((layout_graph(g, start, node_labels=node_labels, edge_labels=edge_labels,
                            fit=box, direction=d) for d in ("LR", "TB")),
              key=lambda lay: fit_score(lay, box))
    obs = model.observed
    wait = dict(obs.activity_waiting_seconds) if (obs is not None and waiting) else {}
    counts = dict(obs.activity_count) if obs is not None else {}
    if waiting_hours is not None:
        wait = {k: float(v) * 3600 for k, v in waiting_hours.items() if k in g} if waiting else {}
        counts = {}
    cmap = colormaps["YlOrRd"]
    top = waiting_max_hours * 3600 if waiting_max_hours else max(wait.values(), default=0)
    norm = Normalize(vmin=0, vmax=top or 1)
    scale_hours = Normalize(vmin=0, vmax=(top or 1) / 3600)

    scale = min(1.0, MAX_WIDTH_IN * PX_PER_IN / lay.width, MAX_HEIGHT_IN * PX_PER_IN / lay.height)
    pt = FONT_PX * scale * 72 / PX_PER_IN  # points per layout text size
    if ax is None:
        w_in = max(3.0, lay.width * scale / PX_PER_IN)
        map_in = lay.height * scale / PX_PER_IN
        legend = LEGEND_IN if wait else 0.0
        h_in = TITLE_IN + map_in + legend
        fig = Figure(figsize=(w_in, h_in))
        ax = fig.add_axes((0, legend / h_in, lay.width * scale / PX_PER_IN / w_in,
                           map_in / h_in))
        fig.text(0.01, 1 - 0.5 * TITLE_IN / h_in, model.name, fontsize=pt * 1.35,
                 weight="bold", va="center", ha="left", color=INK)
        if wait:
            cax = fig.add_axes((0.3, 0.62 * legend / h_in, 0.4, 0.14 * legend / h_in))
            cb = fig.colorbar(ScalarMappable(norm=scale_hours, cmap=cmap),
                              cax=cax, orientation="horizontal")
            cb.set_label("mean waiting before the task (h)", fontsize=pt, color=INK)
            cb.ax.tick_params(labelsize=pt * 0.9)
    else:
        fig = ax.figure
        ax.set_title(model.name, fontsize=pt * 1.35, loc="left")
        if wait:
            cb = fig.colorbar(ScalarMappable(norm=scale_hours, cmap=cmap),
                              ax=ax, location="bottom", shrink=0.4, pad=0.02)
            cb.set_label("mean waiting before the task (h)", fontsize=pt)
    ax.set_xlim(0, lay.width)
    ax.set_ylim(lay.height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    _draw_edges(ax, lay, pt, edge_labels)
    _draw_nodes(ax, g, lay, pt, wait, counts, cmap, norm, to_rgb)
    if path is not None:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=150)
    return fig


def _probability(p: float) -> str:
    return f"{p:.2f}".rstrip("0").rstrip(".") if p < 1 else "1"


def _draw_edges(ax: Any, lay: Any, pt: float, texts: Mapping[tuple[str, str], str]) -> None:
    from matplotlib.patches import FancyArrowPatch

    for (s, t), pts in lay.waypoints.items():
        back = (s, t) in lay.back_edges
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=EDGE, lw=0.9,
                ls=(0, (4, 2)) if back else "-", zorder=1, solid_capstyle="butt")
        ax.add_patch(FancyArrowPatch(pts[-2], pts[-1], arrowstyle="-|>", mutation_scale=8,
                                     color=EDGE, lw=0.9, zorder=2, shrinkA=0, shrinkB=0))
    for e, (x, y, w, h) in lay.edge_labels.items():
        ax.text(x + w / 2, y + h / 2, texts[e], fontsize=pt * 0.9, color=PROBABILITY,
                ha="center", va="center", zorder=5,
                bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none"))


def _draw_nodes(ax: Any, g: Any, lay: Any, pt: float, wait: Mapping[str, float],
                counts: Mapping[str, int], cmap: Any, norm: Any, to_rgb: Any) -> None:
    from matplotlib.patches import Circle, FancyBboxPatch, Polygon

    for n, d in g.nodes(data=True):
        x, y, w, h = lay.bounds[n]
        cx, cy = x + w / 2, y + h / 2
        kind = d["kind"]
        if kind == "task":
            fill = to_rgb(cmap(norm(wait[n])) if n in wait else TASK_FILL)
            ink = text_colour(fill)
            ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0,rounding_size=10",
                                        fc=fill, ec="#2b2b2b", lw=1, zorder=3))
            extra = []
            if n in counts:
                extra.append(f"n={counts[n]}")
            if n in wait:
                extra.append(f"wait {_hours(wait[n])}")
            lines = textwrap.wrap(n, 16)[: 3 if extra else 4]
            ax.text(cx, cy - (7 if extra else 0), "\n".join(lines), ha="center", va="center",
                    fontsize=pt, color=ink, zorder=4, linespacing=1.1)
            if extra:
                ax.text(cx, y + h - 5, "  ".join(extra), ha="center", va="bottom",
                        fontsize=pt * 0.85, color=ink, zorder=4)
        elif kind in _GATEWAY_MARK:
            ax.add_patch(Polygon([(cx, y), (x + w, cy), (cx, y + h), (x, cy)], closed=True,
                                 fc="#fff8dc", ec="#2b2b2b", lw=1, zorder=3))
            ax.text(cx, cy, _GATEWAY_MARK[kind], ha="center", va="center", fontsize=pt * 1.6,
                    color=INK, zorder=4)
        else:
            r = w / 2
            fc = "#e8f5e9" if kind == "start" else "#fdecea" if kind == "end" else "white"
            ax.add_patch(Circle((cx, cy), r, fc=fc, ec="#2b2b2b",
                                lw=2.5 if kind == "end" else 1, zorder=3))
            if kind == "timer":
                ax.add_patch(Circle((cx, cy), r - 4, fc="none", ec="#2b2b2b", lw=0.8, zorder=4))
                ax.plot([cx, cx, cx + 6], [cy - 9, cy, cy], color="#2b2b2b", lw=0.8, zorder=4)
        if n in lay.labels:
            lx, ly, lw, lh = lay.labels[n]
            ax.text(lx + lw / 2, ly + lh / 2, "\n".join(wrap_label(n)), ha="center",
                    va="center", fontsize=pt * 0.9, color=INK, zorder=4, linespacing=1.1,
                    bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none"))
