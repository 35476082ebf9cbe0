"""Paired horizontal bars with confidence-interval whiskers: as-is vs to-be per item (shared by
the activity waiting-time and pool utilisation charts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from bpr.charts.style import AS_IS, TO_BE, WHISKER, est


def paired_rows(base: Mapping[str, Any], scenario: Mapping[str, Any] | None, *,
                top: int | None = None, scale: float = 1.0
                ) -> list[tuple[str, tuple[float, float, float] | None,
                                tuple[float, float, float] | None]]:
    """Items of both groups (base order first) with their scaled ``(mean, lo, hi)`` or None,
    largest first (by the larger of the two means); at most ``top`` rows."""
    names = list(dict.fromkeys([*base, *(scenario or {})]))

    def scaled(d: Mapping[str, Any] | None, k: str) -> tuple[float, float, float] | None:
        e = est(d.get(k)) if d is not None else None
        return None if e is None else (e[0] * scale, e[1] * scale, e[2] * scale)

    rows = [(k, scaled(base, k), scaled(scenario, k)) for k in names]
    rows.sort(key=lambda r: -max((r[1] or (0.0,))[0], (r[2] or (0.0,))[0]))
    return rows[:top] if top else rows


def draw_paired(ax: Any, rows: list[tuple[str, Any, Any]], prefix: str,
                wrap: Callable[[str], str], show_scenario: bool = True) -> None:
    """Bars ``gid="<prefix>:base:<item>"`` / ``"<prefix>:scenario:<item>"`` with whisker lines
    ``"ci:base:<item>"`` / ``"ci:scenario:<item>"``; the first row at the top."""
    n = len(rows)
    h = 0.38 if show_scenario else 0.6
    y = np.arange(n)[::-1].astype(float)
    for yi, (name, b, s) in zip(y, rows, strict=True):
        groups = [("base", b, AS_IS, h / 2 if show_scenario else 0.0)]
        if show_scenario:
            groups.append(("scenario", s, TO_BE, -h / 2))
        for variant, e, colour, dy in groups:
            if e is None:
                continue
            ax.barh(yi + dy, e[0], height=h, color=colour, gid=f"{prefix}:{variant}:{name}")
            ax.plot([e[1], e[2]], [yi + dy, yi + dy], color=WHISKER, lw=1, marker="|", ms=5,
                    gid=f"ci:{variant}:{name}")
    ax.set_yticks(y, [wrap(r[0]) for r in rows])
    ax.grid(axis="y", visible=False)
    from matplotlib.patches import Patch

    handles = [Patch(color=AS_IS, label="as-is")]
    if show_scenario:
        handles.append(Patch(color=TO_BE, label="to-be"))
    ax.legend(handles=handles, loc="lower right")
