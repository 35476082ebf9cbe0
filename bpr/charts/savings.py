"""The savings waterfall: what each change of a scenario adds, in the order of the file, up to the
total, with 95% confidence-interval whiskers.

Bar ``i`` is the *step* of :class:`bpr.analysis.whatif.Step`: the effect of adding change ``i``
to changes ``1..i-1`` (so the bars add up exactly to the total, interactions included). It
starts where the previous bar ended; its whisker spans ``start + ci_low .. start + ci_high`` of
that step's paired estimate. The last bar is the scenario's total (``per_year`` or the per-case
difference) from zero with its own interval.
"""

from __future__ import annotations

import os
import textwrap
from typing import Any

from bpr.charts.style import (
    GAIN,
    LOSS,
    NEUTRAL,
    TOTAL,
    WHISKER,
    check_path,
    est,
    interval_caption,
    label,
    new_figure,
    nice_number,
    plain,
    save,
    styled,
)
from bpr.sim.kpis import FIGURES, NET_GROUP, PER_CASE_GROUP, PER_YEAR_GROUP, figures_of

#: Short names for the figures people ask for most (the keys of bpr.sim.kpis.FIGURES work too).
ALIASES = {"hours": "labour_hours_freed_per_year", "money": "reallocatable_money_per_year",
           "fte": "fte_freed", "cost": "cost_saved_per_year", "net_fte": "net_fte_freed",
           "net_money": "net_money_to_reallocate_per_year"}


def _measures() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The per-year (and net) and the per-case figure keys a waterfall can draw."""
    return figures_of(PER_YEAR_GROUP, NET_GROUP), figures_of(PER_CASE_GROUP)


def waterfall_data(savings: Any, measure: str = "hours") -> dict[str, Any]:
    """The numbers the waterfall draws: ``steps`` (label, start, mean, ci_low, ci_high; the CI
    relative to zero, i.e. of the step itself) and ``total`` (mean, ci_low, ci_high).

    ``savings``: a :class:`~bpr.analysis.whatif.WhatIfResult` or the dict of ``savings.json``.
    ``measure``: a per-year key (``labour_hours_freed_per_year`` ...), a per-case key
    (``cycle_time_hours`` ...) or an alias: hours, money, fte, cost.
    """
    data = plain(savings)
    key = ALIASES.get(measure, measure)
    per_year, per_case = _measures()
    if key not in per_year and key not in per_case:
        raise ValueError(f"unknown measure {measure!r}; use one of "
                         f"{', '.join([*ALIASES, *per_year, *per_case])}")
    total_est = (data["per_year"].get(key) if key in per_year
                 else data["per_case"][key]["difference"])
    total = est(total_est)
    if total is None:
        raise ValueError(f"{key} is not available for this scenario (no cost data: hours only)")
    step_ests = []
    steps = []
    start = 0.0
    scale = max([abs(x) for x in total] + [1e-300])
    for step in data.get("attribution") or []:
        step_ests.append(step["step"].get(key))
        e = est(step_ests[-1])
        if e is None:
            raise ValueError(f"{key} is missing for change {step['change']}")
        e = _clean(e, scale)
        steps.append({"change": int(step["change"]), "label": str(step["label"]),
                      "start": start, "mean": e[0], "ci_low": e[1], "ci_high": e[2]})
        start += e[0]
    return {"key": key, "currency": data.get("currency"), "steps": steps,
            "caption": interval_caption("whiskers", [total_est, *step_ests]),
            "total": {"mean": total[0], "ci_low": total[1], "ci_high": total[2]},
            "good_sign": float(FIGURES[key].good)}


def savings_waterfall(savings: Any, *, measure: str = "hours", title: str | None = None,
                      path: str | os.PathLike[str] | None = None) -> Any:
    """Draw the waterfall of ``measure`` by change (see the module doc); returns the Figure.

    Bars are tagged for inspection: rectangles ``gid="step:<change>"`` and ``"total"``, whiskers
    (Line2D) ``"whisker:<change>"`` and ``"whisker:total"``. ``path``: write PNG or SVG.
    """
    check_path(path)
    d = waterfall_data(savings, measure)
    key, good = d["key"], d["good_sign"]
    with styled():
        fig = new_figure(4.2)
        ax = fig.add_subplot()
        names = []
        for i, s in enumerate(d["steps"]):
            colour = GAIN if s["mean"] * good > 0 else LOSS if s["mean"] != 0 else NEUTRAL
            ax.bar(i, s["mean"], bottom=s["start"], width=0.6, color=colour, gid=f"step:"
                   f"{s['change']}")
            ax.plot([i, i], [s["start"] + s["ci_low"], s["start"] + s["ci_high"]], color=WHISKER,
                    lw=1.2, solid_capstyle="butt", gid=f"whisker:{s['change']}",
                    marker="_", markersize=8)
            end = s["start"] + s["mean"]
            ax.plot([i + 0.3, i + 0.7], [end, end], color=NEUTRAL, lw=0.8, ls=":")
            _value_label(ax, i, _signed(s["mean"]), s["mean"],
                         [s["start"], end, s["start"] + s["ci_low"], s["start"] + s["ci_high"]])
            names.append("\n".join(textwrap.wrap(f"{s['change']}. {s['label']}", 16)[:4]))
        n = len(d["steps"])
        t = d["total"]
        ax.bar(n, t["mean"], width=0.6, color=TOTAL, gid="total")
        ax.plot([n, n], [t["ci_low"], t["ci_high"]], color=WHISKER, lw=1.2, marker="_",
                markersize=8, gid="whisker:total")
        _value_label(ax, n, f"{nice_number(t['mean'])}\n[{nice_number(t['ci_low'])}, "
                            f"{nice_number(t['ci_high'])}]", t["mean"],
                     [0.0, t["mean"], t["ci_low"], t["ci_high"]])
        names.append("total")
        ax.axhline(0, color="#444444", lw=0.8)
        ax.set_xticks(range(n + 1), names)
        ax.set_ylabel(label(key, d["currency"]))
        ax.grid(axis="x", visible=False)
        ax.use_sticky_edges = False
        ax.margins(y=0.18)
        drawn = [0.0, t["ci_low"], t["ci_high"], *(s["start"] + s[k] for s in d["steps"]
                                                   for k in ("mean", "ci_low", "ci_high")),
                 *(s["start"] for s in d["steps"])]
        if min(drawn) >= 0:
            ax.set_ylim(bottom=0)  # no empty band below the zero line
        elif max(drawn) <= 0:
            ax.set_ylim(top=0)
        ax.set_title(title or f"{label(key, d['currency']).split(' (')[0].capitalize()}, "
                              f"by change")
        ax.set_title(d["caption"], loc="right", fontsize=7,
                     fontweight="normal", color=NEUTRAL)
    return save(fig, path)


def _clean(e: tuple[float, float, float], scale: float) -> tuple[float, float, float]:
    """Floating-point dust (|x| < 1e-9 of the total's scale) is zero: a change that moves
    nothing draws no bar and reads 0, not -0.0000."""
    return tuple(0.0 if abs(x) < 1e-9 * scale else x for x in e)  # type: ignore[return-value]


def _value_label(ax: Any, x: float, text: str, value: float, ys: list[float]) -> None:
    """Write ``text`` beyond the bar and its whisker: above when ``value`` >= 0, else below."""
    if value >= 0:
        ax.annotate(text, (x, max(ys)), xytext=(0, 3), textcoords="offset points",
                    ha="center", va="bottom", fontsize=7.5)
    else:
        ax.annotate(text, (x, min(ys)), xytext=(0, -3), textcoords="offset points",
                    ha="center", va="top", fontsize=7.5)


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + nice_number(value)
