"""The report's words and tables: headline, changes, KPI tables and assumptions, as HTML
fragments built from a :class:`~bpr.analysis.whatif.WhatIfResult`. Labels and units come from
:mod:`bpr.sim.kpis`; every user-provided text is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from bpr.sim.kpis import FIGURES, KPIS, NET_PER_YEAR, PER_YEAR
from bpr.sim.results import NO_INTERVAL, Estimate
from bpr.text import fmt_number as fmt

if TYPE_CHECKING:
    from bpr.analysis.whatif import WhatIfResult

#: The KPIs of the "further KPIs" table (the per-case figures are in their own table).
OTHER_KPIS = ("cycle_time_hours_median", "cycle_time_hours_p90", "processing_time_hours_mean",
              "waiting_share", "throughput_cases_per_day", "wip_cases_mean")


def e(text: Any) -> str:
    """HTML-escape any value shown in the report."""
    return escape(str(text), quote=True)


def significant(d: Estimate | None) -> bool:
    return d is not None and d.significant


def ci_text(d: Estimate | None, scale: float = 1.0) -> str:
    """``mean [low, high]``, ``mean (no interval)`` with one replication, or a dash."""
    if d is None:
        return "–"
    if d.ci_low is None or d.ci_high is None:
        return f"{fmt(scale * d.mean)} (no interval)"
    return f"{fmt(scale * d.mean)} [{fmt(scale * d.ci_low)}, {fmt(scale * d.ci_high)}]"


def sig_badge(d: Estimate | None) -> str:
    if d is None:
        return ""
    if not d.has_interval:
        return '<span class="nosig">no interval: one replication</span>'
    if significant(d):
        return '<span class="sig">distinguishable from zero</span>'
    return '<span class="nosig">not distinguishable from zero</span>'


def money(currency: str | None) -> str:
    """`` (GBP)`` or nothing (plain text: escape where it is used)."""
    return f" ({currency})" if currency else ""


def _card(title: str, d: Estimate | None, unit: str = "", missing: str = "–") -> str:
    if d is None:
        return (f'<div class="card"><div class="k">{e(title)}</div><div class="v">{e(missing)}'
                f'</div></div>')
    ci = (f"95% CI {fmt(d.ci_low)} to {fmt(d.ci_high)}" if d.has_interval
          else "no confidence interval")
    return (f'<div class="card"><div class="k">{e(title)}</div>'
            f'<div class="v">{e(fmt(d.mean))}{e(unit)}</div>'
            f'<div class="ci">{e(ci)}</div>{sig_badge(d)}</div>')


def _hired(r: WhatIfResult) -> bool:
    added = r.per_year.get("headcount_added_fte")
    return added is not None and added.mean != 0


def headline(r: WhatIfResult) -> str:
    """The summary sentence and the headline cards (hours, FTE, money per year; cycle time)."""
    py = r.per_year
    cur = r.currency
    hours = py.get("labour_hours_freed_per_year")
    fte = py.get("fte_freed")
    cash = py.get("reallocatable_money_per_year")
    cycle = r.per_case["cycle_time_hours"].difference if "cycle_time_hours" in r.per_case \
        else None
    added = py.get("headcount_added_fte")
    hired = _hired(r)
    parts = []
    if hours is not None:
        verb = "freed" if hours.mean >= 0 else "added"
        parts.append(f"{fmt(abs(hours.mean))} labour hours a year {verb} "
                     f"({fmt(abs(fte.mean)) if fte else '–'} FTE)")
    if cash is not None:
        parts.append(f"worth {cur or ''} {fmt(cash.mean)} a year that could be "
                     f"reallocated".replace("  ", " "))
    elif r.hours_only:
        parts.append("hours only: the model has no hourly rates, so no money figure")
    if hired and added is not None:
        net_fte, net_cash = py.get("net_fte_freed"), py.get("net_money_to_reallocate_per_year")
        net = f"net {fmt(net_fte.mean)} FTE" if net_fte else "net FTE unknown"
        if net_cash is not None:
            net += f" and {cur or ''} {fmt(net_cash.mean)} a year".replace("  ", " ")
        parts.append(f"it changes headcount by {fmt(added.mean)} FTE, so after their pay: "
                     f"{net}")
    sentence = "With the scenario's changes: " + "; ".join(e(p) for p in parts) + "."
    if not r.has_intervals:
        sentence += (f" {e(NO_INTERVAL[0].upper() + NO_INTERVAL[1:])}, so the simulation "
                     f"cannot tell any of these figures apart from noise: run 2 or more "
                     f"replications (10 is the default) before counting on them.")
    elif hours is not None and not significant(hours):
        sentence += (" The simulation cannot tell the hours apart from zero at 95% confidence: "
                     "do not count on them.")
    cash_title = f"{FIGURES['reallocatable_money_per_year'].title(cur)}"
    if hired:
        fte_card = _card("net FTE that can be reallocated (after added staff)",
                         py.get("net_fte_freed"))
        cash_card = _card(FIGURES["net_money_to_reallocate_per_year"].title(cur),
                          py.get("net_money_to_reallocate_per_year"), missing="hours only")
    else:
        fte_card = _card("FTE that can be reallocated", fte)
        cash_card = _card(cash_title, cash, missing="hours only")
    cards = [
        _card(FIGURES["labour_hours_freed_per_year"].title().removesuffix(" (h)"), hours, " h"),
        fte_card,
        cash_card,
        _card(FIGURES["cost_saved_per_year"].title(cur), py.get("cost_saved_per_year"),
              missing="no cost data"),
        _card("change in mean cycle time per case", cycle, " h"),
    ]
    return (f'<p class="summary">{sentence}</p>\n<div class="headline">' + "\n".join(cards)
            + "</div>")


def changes_list(r: WhatIfResult) -> str:
    """The scenario's changes as a numbered list (type, then its fields)."""
    items = []
    for c in r.scenario.changes:
        detail = ", ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in c.to_dict().items())
        items.append(f"<li><strong>{e(c.kind.capitalize())}</strong>: {e(detail)}</li>")
    if not items:
        return "<p>The scenario makes no change (a check run: every difference should be " \
               "indistinguishable from zero).</p>"
    desc = r.scenario.description
    intro = f"<p>{e(desc)}</p>\n" if desc else ""
    return intro + '<ol class="changes">\n' + "\n".join(items) + "\n</ol>"


def _value(v: Any) -> str:
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return ", ".join(_value(x) for x in v)
    return str(v)


def table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[bool],
          caption: str | None = None) -> str:
    """An HTML table; ``head`` is plain text, cells are already escaped HTML."""
    th = "".join(f'<th class="n">{e(h)}</th>' if n else f"<th>{e(h)}</th>"
                 for h, n in zip(head, numeric, strict=True))
    body = "\n".join("<tr>" + "".join(f'<td class="n">{c}</td>' if n else f"<td>{c}</td>"
                                      for c, n in zip(r, numeric, strict=True)) + "</tr>"
                     for r in rows)
    cap = f"<caption class=\"note\">{e(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{th}</tr></thead><tbody>\n{body}\n</tbody></table>"


def _yes(d: Estimate | None) -> str:
    if d is None:
        return "–"
    if not d.has_interval:
        return "no interval"
    return "yes" if significant(d) else "no"


def _interval_caption(r: WhatIfResult, text: str) -> str:
    return text if r.has_intervals else f"{NO_INTERVAL}; {text}"


def per_case_table(r: WhatIfResult) -> str:
    cur = r.currency
    rows = [[e(FIGURES[k].heading(cur)), e(ci_text(v.base)), e(ci_text(v.scenario)),
             e(ci_text(v.difference)), _yes(v.difference)] for k, v in r.per_case.items()]
    return table(["per case", "as-is", "to-be", "difference (to-be − as-is)",
                  "distinguishable"], rows, [False, True, True, True, False],
                 _interval_caption(r, "mean [95% confidence interval]; the difference is "
                                      "paired (common random numbers)"))


def per_year_table(r: WhatIfResult) -> str:
    cur = r.currency
    rows = []
    for k in (*PER_YEAR, *NET_PER_YEAR):
        d = r.per_year.get(k)
        rows.append([e(FIGURES[k].heading(cur)),
                     e(ci_text(d)) if d is not None else "– (hours only)", _yes(d)])
    return table(["per year (as-is − to-be)", "estimate [95% CI]", "distinguishable"], rows,
                 [False, True, False])


def per_pool_table(r: WhatIfResult) -> str:
    cur = r.currency
    if not r.per_pool:
        return ""
    keys = ("labour_hours_freed_per_year", "fte_freed", "reallocatable_money_per_year")
    rows = [[e(p), *(e(ci_text(v.get(k))) for k in keys)] for p, v in r.per_pool.items()]
    return table(["pool", *(FIGURES[k].title(cur) for k in keys)], rows,
                 [False, True, True, True])


def attribution_table(r: WhatIfResult) -> str:
    if not r.attribution:
        return ""
    key, cycle = "labour_hours_freed_per_year", "cycle_time_hours"
    rows = [[e(st.index), e(st.label), e(ci_text(st.alone.get(key))),
             e(ci_text(st.step.get(key))), e(ci_text(st.alone.get(cycle))),
             e(ci_text(st.step.get(cycle)))] for st in r.attribution]
    inter = r.interaction
    if inter:
        rows.append(["", "interaction (total − sum of the changes alone)",
                     e(ci_text(inter.get(key))), "", e(ci_text(inter.get(cycle))), ""])
    return table(["#", "change", "hours freed / year, alone", "hours freed / year, as a step",
                  "cycle time change (h), alone", "cycle time change (h), as a step"], rows,
                 [False, False, True, True, True, True],
                 "alone: the change applied to the as-is model by itself; as a step: added to "
                 "the changes before it (the waterfall bars)")


def kpi_table(r: WhatIfResult) -> str:
    """Further KPIs and per-pool utilisation, as-is and to-be (separate estimates)."""
    bk, tk = r.base.kpis(), r.tobe.kpis()
    cur = r.currency
    rows = []
    for k in OTHER_KPIS:
        kpi = KPIS[k]
        if bk.get(k) is not None or tk.get(k) is not None:
            scale = kpi.shown(1.0)
            rows.append([e(kpi.heading(cur)), e(ci_text(bk.get(k), scale)),
                         e(ci_text(tk.get(k), scale))])
    util = KPIS["pool_utilisation"]
    bu, tu = bk.get("pool_utilisation") or {}, tk.get("pool_utilisation") or {}
    for p in dict.fromkeys([*bu, *tu]):
        rows.append([f"{e(util.label)} of {e(p)} (%)", e(ci_text(bu.get(p), 100.0)),
                     e(ci_text(tu.get(p), 100.0))])
    return table(["KPI", "as-is", "to-be"], rows, [False, True, True])


def assumptions(r: WhatIfResult) -> str:
    """The frame of the numbers: rates, FTE hours, volume, replications, seed, cases, model."""
    st = r.settings
    cur = r.currency or ""
    rates = dict(r.economics.hourly_rates)
    known = {p: x for p, x in rates.items() if x is not None}
    if r.hours_only or not known:
        cost = "hours only: the model has no hourly rates, so no money figure is given"
    else:
        cost = "hourly rates of the as-is model: " + ", ".join(
            f"{p} {cur} {fmt(x)}/h".replace("  ", " ") for p, x in known.items())
        missing = [p for p, x in rates.items() if x is None]
        if missing:
            cost += f" (no rate, left out of the money: {', '.join(missing)})"
    econ = r.economics
    volume = f"{fmt(econ.annual_cases)} cases per year ({r.annual_cases_source})"
    if r.volume_factor != 1:
        volume += f"; to-be volume {fmt(econ.annual_cases * r.volume_factor)} (a demand change)"
    cases, reps, variants = st.get("cases"), st.get("replications"), st.get("variants_simulated")
    total = (f"{cases:,} cases per replication x {reps} replications x {variants} variants = "
             f"{cases * reps * variants:,} cases simulated" if isinstance(cases, int)
             and isinstance(reps, int) and isinstance(variants, int) else "unknown")
    intervals = (f"{int(round(100 * float(st.get('confidence', 0.95))))}% Student-t over the "
                 f"replications" if r.has_intervals else NO_INTERVAL)
    model_file = r.scenario.base
    items = [
        ("Cost rates", cost),
        ("FTE hours per year", f"{fmt(econ.fte_hours_per_year)} productive hours per "
                               f"full-time person"),
        ("Annual case volume", volume),
        ("Replications", f"{reps} per variant, common random numbers (the same seeds for "
                         f"as-is, to-be and every attribution variant)"),
        ("Seed", str(st.get("seed"))),
        ("Cases simulated", total),
        ("Warm-up", f"{st.get('warmup_cases', 0)} first cases left out of the statistics"),
        ("Confidence intervals", intervals),
        ("Model", f"{r.base_model.name}" + (f" (file {model_file})" if model_file else "")),
    ]
    rows = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in items)
    notes = "".join(f'<p class="note">Note: {e(n)}</p>' for n in r.notes)
    return f"<table><tbody>\n{rows}\n</tbody></table>{notes}"


def fidelity_section(fid: Mapping[str, Any] | None) -> str:
    """The validation verdict and distances, or how to obtain them."""
    if fid is None:
        return ("<p>Fidelity unknown: no validation result was given. Measure it with "
                "<code>bpr validate MODEL TEST_LOG --json &gt; OUTDIR/fidelity.json</code> "
                "(a held-out log from <code>bpr split</code>) and build the report again.</p>")
    verdict = fid.get("verdict") or []
    head = f"<p><strong>{e(verdict[0])}</strong></p>" if verdict else ""
    rest = "".join(f"<li>{e(str(v).strip().lstrip('- '))}</li>" for v in verdict[1:])
    rows = [[e(m.get("label", k)), e(f"{float(m['mean']):.3g}"), e(f"{float(m['std']):.2g}"),
             e(m.get("unit") or "–")] for k, m in (fid.get("metrics") or {}).items()]
    st = fid.get("settings") or {}
    where = ""
    if st:
        where = (f'<p class="note">{e(st.get("replications", "?"))} replications of '
                 f'{e(st.get("cases", "?"))} cases against {e(st.get("test_log") or "a test log")}'
                 f' (seed {e(st.get("seed", "?"))}).</p>')
    return (head + (f"<ul>{rest}</ul>" if rest else "")
            + (table(["distance (lower is closer)", "mean", "std", "unit"], rows,
                     [False, True, True, False]) if rows else "") + where)
