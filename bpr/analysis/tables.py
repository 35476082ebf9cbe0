"""The plain-text tables the CLI prints for a what-if and a sweep; labels and units come from the
registries of :mod:`bpr.sim.kpis`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bpr.sim.kpis import FIGURES, NET_PER_YEAR, PER_YEAR
from bpr.sim.results import NO_INTERVAL, Estimate
from bpr.text import fmt_number as fmt

if TYPE_CHECKING:
    from bpr.analysis.whatif import WhatIfResult

SIGNIFICANT_NOTE = "* distinguishable from zero (the 95% confidence interval excludes 0)"


def fmt_est(est: Estimate | None, star: bool = True) -> str:
    """``mean [low, high]`` with `` *`` when the interval excludes zero; ``mean (no interval)``
    with one replication; ``-`` for None."""
    if est is None:
        return "-"
    if est.ci_low is None or est.ci_high is None:
        return f"{fmt(est.mean)} (no interval)"
    mark = " *" if star and est.significant else ""
    return f"{fmt(est.mean)} [{fmt(est.ci_low)}, {fmt(est.ci_high)}]{mark}"


def aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as left-aligned columns two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def interval_note(replications: int) -> str:
    """The footnote on intervals: what the star means, or why there are none."""
    if replications < 2:
        return f"{NO_INTERVAL}: nothing is marked distinguishable from zero"
    return SIGNIFICANT_NOTE


def whatif_table(r: WhatIfResult) -> str:
    """The what-if summary: per case, per year, by pool and by change, with 95% intervals."""
    cur = r.currency
    s = r.settings
    lines = [f"What-if: {r.scenario.name}  (base: {r.base_model.name}; {s['replications']} "
             f"replications x {s['cases']} cases, common random numbers)", ""]
    rows = [("per case", "base", "scenario", "difference [95% CI]")]
    for k, v in r.per_case.items():
        rows.append((FIGURES[k].heading(cur), fmt(v.base.mean if v.base else None),
                     fmt(v.scenario.mean if v.scenario else None), fmt_est(v.difference)))
    lines += aligned(rows)
    e = r.economics
    lines += ["", f"per year  ({fmt(e.annual_cases)} cases/year, {r.annual_cases_source}"
              + (f"; scenario {fmt(e.annual_cases * r.volume_factor)}" if r.volume_factor != 1
                 else "") + f"; 1 FTE = {fmt(e.fte_hours_per_year)} h)"]
    added = r.per_year.get("headcount_added_fte")
    keys = [*PER_YEAR, *(NET_PER_YEAR if added is not None and added.mean != 0 else ())]
    labels = {k: FIGURES[k].heading(cur) for k in keys}
    w = max(len(x) for x in labels.values())
    for k, label in labels.items():
        est = r.per_year.get(k)
        lines.append(f"{label.ljust(w)}  {fmt_est(est) if est is not None else '- (hours only)'}")
    hours, money = FIGURES["labour_hours_freed_per_year"], FIGURES["reallocatable_money_per_year"]
    if r.per_pool:
        lines += ["", f"by pool: {hours.title()} / {money.title(cur)}"]
        for p, ests in r.per_pool.items():
            lines.append(f"  {p}: {fmt_est(ests[hours.key])} / {fmt_est(ests[money.key])}")
    if r.attribution:
        cycle = "cycle_time_hours"
        lines += ["", f"by change ({hours.title()}; {FIGURES[cycle].title()}: difference)",
                  "  #  change: alone | step in the sequence"]
        for st in r.attribution:
            lines.append(f"  {st.index}  {st.label}: {fmt_est(st.alone[hours.key])}"
                         f" | {fmt_est(st.step[hours.key])};  cycle "
                         f"{fmt_est(st.alone[cycle])} | {fmt_est(st.step[cycle])}")
        if r.interaction is not None:
            lines.append(f"  interaction (total - sum of changes alone): labour "
                         f"{fmt_est(r.interaction[hours.key])}; cycle "
                         f"{fmt_est(r.interaction[cycle])}")
    lines += ["", interval_note(r.replications)]
    lines += [f"note: {n}" for n in r.notes]
    return "\n".join(lines) + "\n"
