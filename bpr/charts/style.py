"""One look for every bpr chart: sizes, fonts, the as-is / to-be palette, axis labels with units,
and the atomic PNG/SVG writer.

Charts are built on :class:`matplotlib.figure.Figure` directly (no pyplot state, nothing shown),
so they work on the Agg backend in scripts, tests, notebooks and worker processes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bpr.errors import BprError

#: Colours: as-is (base) grey-blue, to-be (scenario) orange; savings green, losses red.
AS_IS = "#4c72b0"
TO_BE = "#dd8452"
GAIN = "#55a868"
LOSS = "#c44e52"
TOTAL = "#2f4b7c"
NEUTRAL = "#8c8c8c"
HIGHLIGHT = "#c44e52"
WHISKER = "#222222"

FONT_SIZE = 9.0
TITLE_SIZE = 11.0
WIDTH_IN = 7.5  # inches; fits an A4/Letter page with margins
DPI = 150

_RC: dict[str, Any] = {
    "font.size": FONT_SIZE,
    "axes.titlesize": TITLE_SIZE,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": FONT_SIZE,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "xtick.labelsize": FONT_SIZE - 1,
    "ytick.labelsize": FONT_SIZE - 1,
    "legend.fontsize": FONT_SIZE - 1,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "svg.hashsalt": "bpr",
}
_FORMATS = {".png": "png", ".svg": "svg"}

def label(key: str, currency: str | None = None) -> str:
    """The axis label of ``key`` with its unit (money in ``currency`` when known), from the
    registries of :mod:`bpr.sim.kpis` (a savings figure or a KPI)."""
    from bpr.sim.kpis import FIGURES, KPIS

    if key in FIGURES:
        return FIGURES[key].title(currency)
    if key in KPIS:
        return KPIS[key].heading(currency)
    return key.replace("_", " ")


@contextmanager
def styled() -> Iterator[None]:
    """Apply the bpr style while a figure is built (rc settings are restored after).

    Figures are plain :class:`~matplotlib.figure.Figure` objects rendered by Agg; no backend is
    selected here, so a notebook's inline backend keeps working."""
    import matplotlib

    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]  # keys are rc names
        yield


def new_figure(height_in: float = 4.0, width_in: float = WIDTH_IN) -> Any:
    """A pyplot-free Figure of the standard width (call inside :func:`styled`)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")


def check_path(path: str | os.PathLike[str] | None) -> str | None:
    """The image format for ``path`` (``png``/``svg``), or a one-line error before any work."""
    if path is None:
        return None
    fmt = _FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise BprError(f"unknown image type {Path(path).suffix!r}; use .png or .svg",
                       path=str(path))
    return fmt


def save(fig: Any, path: str | os.PathLike[str] | None) -> Any:
    """Write ``fig`` to ``path`` (PNG or SVG by extension) atomically; return the figure."""
    fmt = check_path(path)
    if path is None:
        return fig
    from bpr.io.atomic import atomic_path

    with atomic_path(path) as tmp, styled():
        fig.savefig(tmp, format=fmt, dpi=DPI, metadata=_metadata(fmt))
    return fig


def _metadata(fmt: str | None) -> dict[str, Any]:
    # No dates in the files: the same data gives the same bytes.
    if fmt == "svg":
        return {"Date": None}
    return {"Software": "bpr (matplotlib)"}


def est(d: Mapping[str, Any] | Any | None) -> tuple[float, float, float] | None:
    """``(mean, ci_low, ci_high)`` of an Estimate or a ``{mean, ci_low, ci_high}`` dict; without
    an interval (one replication) both bounds are the mean, so no whisker is drawn."""
    if d is None:
        return None
    if isinstance(d, Mapping):
        mean, lo, hi = d["mean"], d.get("ci_low"), d.get("ci_high")
    else:
        mean, lo, hi = d.mean, d.ci_low, d.ci_high
    mean = float(mean)
    if lo is None or hi is None:
        return mean, mean, mean
    return mean, float(lo), float(hi)


def has_interval(d: Mapping[str, Any] | Any | None) -> bool:
    """True when an estimate (or its dict) has a confidence interval."""
    if d is None:
        return False
    if isinstance(d, Mapping):
        return d.get("ci_low") is not None and d.get("ci_high") is not None
    return d.ci_low is not None and d.ci_high is not None


def interval_caption(kind: str, estimates: Any) -> str:
    """The right-hand caption on intervals: ``"<kind>: 95% confidence intervals"``, or that
    there are none (one replication) when no estimate has one."""
    if any(has_interval(e) for e in estimates):
        return f"{kind}: 95% confidence intervals"
    return "no intervals: one replication"


def plain(obj: Any) -> Any:
    """A result object as the plain dict written to OUTDIR (``to_dict()``), or the dict itself."""
    if obj is None or isinstance(obj, Mapping):
        return obj
    to_dict = getattr(obj, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"expected a result object or the dict loaded from its JSON file, got "
                        f"{type(obj).__name__}")
    return to_dict()


def nice_number(value: float) -> str:
    """A short tick/annotation text: 1,234 / 12.3 / 0.123."""
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a == 0 or not math.isfinite(a):
        return f"{value:g}"
    decimals = max(0, 2 - int(math.floor(math.log10(a))))
    return f"{value:,.{min(decimals, 4)}f}"
