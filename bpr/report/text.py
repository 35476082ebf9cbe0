"""The report's words and tables: headline, changes, KPI tables and assumptions, as HTML
fragments built from the plain dicts of a what-if OUTDIR. Every user-provided text is escaped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from bpr.text import fmt_number as fmt

PER_CASE_LABELS = {"cycle_time_hours": "cycle time (h)", "waiting_time_hours": "waiting time (h)",
                   "labour_hours": "labour (h)", "cost": "cost"}
PER_YEAR_LABELS = {"labour_hours_freed_per_year": "labour hours freed (h)",
                   "fte_freed": "FTE freed",
                   "cost_saved_per_year": "cost saved",
                   "reallocatable_money_per_year": "money to reallocate",
                   "headcount_added_fte": "headcount added (FTE)",
                   "net_fte_freed": "net FTE freed (after added staff)",
                   "net_money_to_reallocate_per_year": "net money to reallocate (after added "
                                                       "staff)"}
OTHER_KPIS = {"cycle_time_hours_median": "median cycle time (h)",
              "cycle_time_hours_p90": "90th percentile cycle time (h)",
              "processing_time_hours_mean": "processing time per case (h)",
              "throughput_cases_per_day": "throughput (cases per day)",
              "wip_cases_mean": "work in progress (cases)"}


def e(text: Any) -> str:
    """HTML-escape any value shown in the report."""
    return escape(str(text), quote=True)


def significant(d: Mapping[str, float] | None) -> bool:
    return d is not None and (d["ci_low"] > 0 or d["ci_high"] < 0)


def ci_text(d: Mapping[str, float] | None) -> str:
    """``mean [low, high]`` or a dash."""
    if d is None:
        return "–"
    return f"{fmt(d['mean'])} [{fmt(d['ci_low'])}, {fmt(d['ci_high'])}]"


def sig_badge(d: Mapping[str, float] | None) -> str:
    if d is None:
        return ""
    if significant(d):
        return '<span class="sig">distinguishable from zero</span>'
    return '<span class="nosig">not distinguishable from zero</span>'


def money(currency: str | None) -> str:
    """`` (GBP)`` or nothing (plain text: escape where it is used)."""
    return f" ({currency})" if currency else ""


def _card(title: str, d: Mapping[str, float] | None, unit: str = "",
          missing: str = "–") -> str:
    if d is None:
        return (f'<div class="card"><div class="k">{e(title)}</div><div class="v">{e(missing)}'
                f'</div></div>')
    return (f'<div class="card"><div class="k">{e(title)}</div>'
            f'<div class="v">{e(fmt(d["mean"]))}{e(unit)}</div>'
            f'<div class="ci">95% CI {e(fmt(d["ci_low"]))} to {e(fmt(d["ci_high"]))}</div>'
            f'{sig_badge(d)}</div>')


def headline(s: Mapping[str, Any]) -> str:
    """The summary sentence and the headline cards (hours, FTE, money per year; cycle time)."""
    py = s["per_year"]
    cur = s.get("currency")
    hours = py.get("labour_hours_freed_per_year")
    fte = py.get("fte_freed")
    cash = py.get("reallocatable_money_per_year")
    cycle = (s["per_case"].get("cycle_time_hours") or {}).get("difference")
    added = py.get("headcount_added_fte")
    hired = added is not None and added["mean"] != 0
    parts = []
    if hours is not None:
        verb = "freed" if hours["mean"] >= 0 else "added"
        parts.append(f"{fmt(abs(hours['mean']))} labour hours a year {verb} "
                     f"({fmt(abs(fte['mean'])) if fte else '–'} FTE)")
    if cash is not None:
        parts.append(f"worth {cur or ''} {fmt(cash['mean'])} a year that could be "
                     f"reallocated".replace("  ", " "))
    elif s.get("hours_only"):
        parts.append("hours only: the model has no hourly rates, so no money figure")
    if hired:
        net_fte, net_cash = py.get("net_fte_freed"), py.get("net_money_to_reallocate_per_year")
        net = f"net {fmt(net_fte['mean'])} FTE" if net_fte else "net FTE unknown"
        if net_cash is not None:
            net += f" and {cur or ''} {fmt(net_cash['mean'])} a year".replace("  ", " ")
        parts.append(f"it changes headcount by {fmt(added['mean'])} FTE, so after their pay: "
                     f"{net}")
    sentence = "With the scenario's changes: " + "; ".join(e(p) for p in parts) + "."
    if hours is not None and not significant(hours):
        sentence += (" The simulation cannot tell the hours apart from zero at 95% confidence: "
                     "do not count on them.")
    if hired:
        fte_card = _card("net FTE that can be reallocated (after added staff)",
                         py.get("net_fte_freed"))
        cash_card = _card(f"net money to reallocate per year{(' (' + cur + ')') if cur else ''}",
                          py.get("net_money_to_reallocate_per_year"), missing="hours only")
    else:
        fte_card = _card("FTE that can be reallocated", fte)
        cash_card = _card(f"money to reallocate per year{(' (' + cur + ')') if cur else ''}",
                          cash, missing="hours only")
    cards = [
        _card("labour hours freed per year", hours, " h"),
        fte_card,
        cash_card,
        _card("cost saved per year" + (f" ({cur})" if cur else ""),
              py.get("cost_saved_per_year"), missing="no cost data"),
        _card("change in mean cycle time per case", cycle, " h"),
    ]
    return (f'<p class="summary">{sentence}</p>\n<div class="headline">' + "\n".join(cards)
            + "</div>")


def changes_list(s: Mapping[str, Any]) -> str:
    """The scenario's changes as a numbered list (type, then its fields)."""
    items = []
    for c in s.get("changes") or []:
        fields = {k: v for k, v in c.items() if k not in ("change", "type", "label")}
        detail = ", ".join(f"{k.replace('_', ' ')} {_value(v)}" for k, v in fields.items())
        items.append(f"<li><strong>{e(str(c.get('type', '')).capitalize())}</strong>: "
                     f"{e(detail)}</li>")
    if not items:
        return "<p>The scenario makes no change (a check run: every difference should be " \
               "indistinguishable from zero).</p>"
    desc = s.get("description")
    intro = f"<p>{e(desc)}</p>\n" if desc else ""
    return intro + '<ol class="changes">\n' + "\n".join(items) + "\n</ol>"


def _value(v: Any) -> str:
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k}: {_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
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


def _yes(d: Mapping[str, float] | None) -> str:
    return "–" if d is None else ("yes" if significant(d) else "no")


def per_case_table(s: Mapping[str, Any]) -> str:
    cur = s.get("currency")
    rows = []
    for k, v in s["per_case"].items():
        lab = PER_CASE_LABELS.get(k, k) + (money(cur) if k == "cost" else "")
        rows.append([e(lab), e(ci_text(v.get("base"))), e(ci_text(v.get("scenario"))),
                     e(ci_text(v.get("difference"))), _yes(v.get("difference"))])
    return table(["per case", "as-is", "to-be", "difference (to-be − as-is)",
                  "distinguishable"], rows, [False, True, True, True, False],
                 "mean [95% confidence interval]; the difference is paired (common random "
                 "numbers)")


def per_year_table(s: Mapping[str, Any]) -> str:
    cur = s.get("currency")
    rows = []
    for k, lab in PER_YEAR_LABELS.items():
        d = s["per_year"].get(k)
        text = lab + (money(cur) if k in ("cost_saved_per_year",
                                          "reallocatable_money_per_year") else "")
        rows.append([e(text), e(ci_text(d)) if d is not None else "– (hours only)", _yes(d)])
    return table(["per year (as-is − to-be)", "estimate [95% CI]", "distinguishable"], rows,
                 [False, True, False])


def per_pool_table(s: Mapping[str, Any]) -> str:
    cur = s.get("currency")
    pools = s.get("per_pool") or {}
    if not pools:
        return ""
    rows = [[e(p), e(ci_text(v.get("labour_hours_freed_per_year"))),
             e(ci_text(v.get("fte_freed"))), e(ci_text(v.get("reallocatable_money_per_year")))]
            for p, v in pools.items()]
    return table(["pool", "labour hours freed per year", "FTE freed",
                  f"money to reallocate per year{money(cur)}"], rows,
                 [False, True, True, True])


def attribution_table(s: Mapping[str, Any]) -> str:
    steps = s.get("attribution") or []
    if not steps:
        return ""
    key = "labour_hours_freed_per_year"
    rows = [[e(st["change"]), e(st["label"]), e(ci_text(st["alone"].get(key))),
             e(ci_text(st["step"].get(key))), e(ci_text(st["alone"].get("cycle_time_hours"))),
             e(ci_text(st["step"].get("cycle_time_hours")))] for st in steps]
    inter = s.get("interaction")
    if inter:
        rows.append(["", "interaction (total − sum of the changes alone)",
                     e(ci_text(inter.get(key))), "", e(ci_text(inter.get("cycle_time_hours"))),
                     ""])
    return table(["#", "change", "hours freed / year, alone", "hours freed / year, as a step",
                  "cycle time change (h), alone", "cycle time change (h), as a step"], rows,
                 [False, False, True, True, True, True],
                 "alone: the change applied to the as-is model by itself; as a step: added to "
                 "the changes before it (the waterfall bars)")


def kpi_table(base: Mapping[str, Any], tobe: Mapping[str, Any]) -> str:
    """Further KPIs and per-pool utilisation, as-is and to-be (separate estimates)."""
    bk, tk = base["kpis"], tobe["kpis"]
    rows = [[e(lab), e(ci_text(bk.get(k))), e(ci_text(tk.get(k)))]
            for k, lab in OTHER_KPIS.items() if bk.get(k) is not None or tk.get(k) is not None]
    bu, tu = bk.get("pool_utilisation") or {}, tk.get("pool_utilisation") or {}
    for p in dict.fromkeys([*bu, *tu]):
        rows.append([f"utilisation of {e(p)} (%)", e(ci_text(_pct(bu.get(p)))),
                     e(ci_text(_pct(tu.get(p))))])
    return table(["KPI", "as-is", "to-be"], rows, [False, True, True])


def _pct(d: Mapping[str, float] | None) -> dict[str, float] | None:
    return None if d is None else {k: 100 * d[k] for k in ("mean", "ci_low", "ci_high")}


def assumptions(s: Mapping[str, Any], model_file: str | None) -> str:
    """The frame of the numbers: rates, FTE hours, volume, replications, seed, cases, model."""
    st = s.get("settings") or {}
    cur = s.get("currency") or ""
    rates = s.get("hourly_rates") or {}
    known = {p: r for p, r in rates.items() if r is not None}
    if s.get("hours_only") or not known:
        cost = "hours only: the model has no hourly rates, so no money figure is given"
    else:
        cost = "hourly rates of the as-is model: " + ", ".join(
            f"{p} {cur} {fmt(r)}/h".replace("  ", " ") for p, r in known.items())
        missing = [p for p, r in rates.items() if r is None]
        if missing:
            cost += f" (no rate, left out of the money: {', '.join(missing)})"
    volume = (f"{fmt(s.get('annual_cases_base', 0))} cases per year "
              f"({s.get('annual_cases_source', 'unknown source')})")
    if s.get("annual_cases_scenario") not in (None, s.get("annual_cases_base")):
        volume += f"; to-be volume {fmt(s['annual_cases_scenario'])} (a demand change)"
    cases = st.get("cases")
    reps = st.get("replications")
    variants = st.get("variants_simulated")
    total = (f"{cases:,} cases per replication x {reps} replications x {variants} variants = "
             f"{cases * reps * variants:,} cases simulated" if isinstance(cases, int)
             and isinstance(reps, int) and isinstance(variants, int) else "unknown")
    items = [
        ("Cost rates", cost),
        ("FTE hours per year", f"{fmt(s.get('fte_hours_per_year', 0))} productive hours per "
                               f"full-time person"),
        ("Annual case volume", volume),
        ("Replications", f"{reps} per variant, common random numbers (the same seeds for "
                         f"as-is, to-be and every attribution variant)"),
        ("Seed", str(st.get("seed"))),
        ("Cases simulated", total),
        ("Warm-up", f"{st.get('warmup_cases', 0)} first cases left out of the statistics"),
        ("Confidence intervals", f"{int(round(100 * float(st.get('confidence', 0.95))))}% "
                                 f"Student-t over the replications"),
        ("Model", f"{s.get('base_model', '')}" + (f" (file {model_file})" if model_file
                                                  else "")),
    ]
    rows = "\n".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in items)
    notes = "".join(f'<p class="note">Note: {e(n)}</p>' for n in s.get("notes") or [])
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
