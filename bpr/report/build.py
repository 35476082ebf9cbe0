"""The shareable what-if report: one self-contained HTML file built from a ``bpr whatif`` OUTDIR.

Charts are embedded as base64 PNG, the stylesheet is inline, and nothing is fetched (no fonts,
scripts or network), so the file can be mailed, opened offline and printed to PDF. Sections:
headline, the scenario's changes, charts, KPI tables, assumptions, fidelity, the scenario file.
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bpr.charts.data import WhatIfData, load_whatif
from bpr.errors import BprError
from bpr.report import text as t
from bpr.report.css import CSS
from bpr.report.text import e

PNG_DPI = 110


@dataclass(frozen=True)
class Chart:
    """One embedded chart: its title, caption and PNG bytes."""

    key: str
    title: str
    caption: str
    png: bytes

    def html(self) -> str:
        data = base64.b64encode(self.png).decode("ascii")
        return (f'<figure id="chart-{e(self.key)}"><img class="chart" alt="{e(self.title)}" '
                f'src="data:image/png;base64,{data}">'
                f"<figcaption><strong>{e(self.title)}.</strong> {e(self.caption)}"
                f"</figcaption></figure>")


def _png(fig: Any, dpi: int = PNG_DPI) -> bytes:
    from bpr.charts.style import styled

    buf = io.BytesIO()
    with styled():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": "bpr (matplotlib)"})
    return buf.getvalue()


def _fidelity_dict(fidelity: Any) -> dict[str, Any] | None:
    if fidelity is None:
        return None
    if isinstance(fidelity, (str, os.PathLike)):
        p = Path(fidelity)
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except OSError as err:
            raise BprError(f"cannot read the validation result ({err.__class__.__name__}); "
                           f"write it with bpr validate MODEL TEST_LOG --json > FILE",
                           path=str(p)) from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise BprError("not a JSON validation result; write it with bpr validate MODEL "
                           "TEST_LOG --json > FILE", path=str(p)) from None
        if not isinstance(data, dict) or "metrics" not in data:
            raise BprError("not a validation result (no 'metrics'); write it with bpr "
                           "validate MODEL TEST_LOG --json > FILE", path=str(p))
        return data
    if isinstance(fidelity, Mapping):
        return dict(fidelity)
    return fidelity.to_dict()


def charts(data: WhatIfData, fidelity: Mapping[str, Any] | None = None) -> tuple[
        list[Chart], list[str]]:
    """Render every chart the data allows; returns the charts and notes on those left out."""
    from bpr.charts.activities import activity_waiting
    from bpr.charts.distributions import cycle_time_ecdf
    from bpr.charts.fidelity import fidelity_panel, report_cycle_times
    from bpr.charts.pools import pool_utilisation
    from bpr.charts.savings import savings_waterfall
    from bpr.charts.sweep import sweep_pareto

    s = data.savings
    cur = s.get("currency")
    jobs: list[tuple[str, str, str, Callable[[], Any]]] = [
        ("waterfall-hours", "Labour hours freed per year, by change",
         "Each bar adds one change to those before it (in the order of the scenario file); "
         "the last bar is the scenario's total. Whiskers: 95% confidence intervals.",
         lambda: savings_waterfall(s, measure="hours")),
    ]
    added = s["per_year"].get("headcount_added_fte")
    hired = added is not None and added["mean"] != 0
    if hired and s["per_year"].get("net_money_to_reallocate_per_year") is not None:
        jobs.append(("waterfall-money", f"Net money to reallocate per year "
                                        f"({cur or 'currency'}), by change",
                     "Freed hours of each pool times its hourly rate, less the yearly pay of "
                     "staff the scenario adds (one FTE each), by change.",
                     lambda: savings_waterfall(s, measure="net_money_to_reallocate_per_year")))
    elif s["per_year"].get("reallocatable_money_per_year") is not None:
        jobs.append(("waterfall-money", f"Money to reallocate per year ({cur or 'currency'}), "
                                        f"by change",
                     "Freed hours of each pool times its hourly rate, by change.",
                     lambda: savings_waterfall(s, measure="money")))
    jobs += [
        ("cycle-times", "Cycle time per case, as-is vs to-be",
         "Share of cases completed within a given time (empirical CDF over all replications); "
         "dashed lines: medians.", lambda: cycle_time_ecdf(data)),
        ("waiting", "Waiting time per activity", "Mean waiting time before each activity, per "
         "instance; whiskers: 95% confidence intervals.", lambda: activity_waiting(data)),
        ("pools", "Pool utilisation", "Share of each pool's open hours spent working; whiskers: "
         "95% confidence intervals.", lambda: pool_utilisation(data)),
    ]
    if data.base_model is not None and data.tobe_model is not None:
        from bpr.charts.process_map import draw_process_map

        bw = _means(data.base_kpis["kpis"].get("activity_waiting_hours"))
        tw = _means(data.scenario_kpis["kpis"].get("activity_waiting_hours"))
        top = max([*bw.values(), *tw.values(), 0.0]) or None
        jobs += [
            ("map-as-is", "Process map, as-is", "Tasks coloured by simulated mean waiting time "
             "(hours; the same scale on both maps).",
             lambda: draw_process_map(data.base_model, waiting_hours=bw, waiting_max_hours=top)),
            ("map-to-be", "Process map, to-be", "Tasks coloured by simulated mean waiting time "
             "(hours; the same scale on both maps).",
             lambda: draw_process_map(data.tobe_model, waiting_hours=tw, waiting_max_hours=top)),
        ]
    if data.sweep is not None:
        jobs.append(("sweep", "Sweep: cycle time vs cost", "Every grid point of the sweep in "
                     "this folder; red: Pareto-efficient (no other point is better on both).",
                     lambda: sweep_pareto(data.sweep)))
    if fidelity is not None and report_cycle_times(fidelity) is not None:
        jobs.append(("fidelity", "Fidelity: real vs simulated cycle time", "The held-out real "
                     "log against the model's simulation.",
                     lambda: fidelity_panel(report=fidelity)))
    out, notes = [], []
    from matplotlib.figure import Figure

    for key, title, caption, draw in jobs:
        try:
            fig = draw()
        except ValueError as err:  # data missing for this chart: say so, keep the rest
            notes.append(f"{title}: not drawn ({err})")
            continue
        assert isinstance(fig, Figure)
        out.append(Chart(key, title, caption, _png(fig)))
    return out, notes


def _means(d: Mapping[str, Any] | None) -> dict[str, float]:
    return {k: float(v["mean"]) for k, v in (d or {}).items() if v is not None}


def _model_file(scenario_text: str | None) -> str | None:
    if not scenario_text:
        return None
    from bpr.io.yamlio import parse_yaml

    try:
        doc = parse_yaml(scenario_text).data
    except BprError:
        return None
    base = doc.get("base") if isinstance(doc, dict) else None
    return str(base) if base else None


def build_report(outdir: str | os.PathLike[str], *, fidelity: Any = None) -> str:
    """The report of the what-if OUTDIR as one self-contained HTML string.

    ``fidelity``: a :class:`~bpr.analysis.fidelity.FidelityReport`, its dict, or the path of
    its JSON; default ``OUTDIR/fidelity.json`` when present. Raises BprError (one line) when
    OUTDIR is not a what-if output.
    """
    data = load_whatif(outdir)
    fid = _fidelity_dict(fidelity) if fidelity is not None else data.fidelity
    s = data.savings
    figs, notes = charts(data, fid)
    by_key = {c.key: c for c in figs}
    name = s.get("scenario") or "Scenario"
    from bpr import __version__

    def fig(*keys: str) -> str:
        return "\n".join(by_key[k].html() for k in keys if k in by_key)

    st = s.get("settings") or {}
    sections = [
        f"<header><h1>{e(name)}</h1>"
        f'<p class="sub">What-if report · as-is model: {e(s.get("base_model", ""))} · '
        f"{e(st.get('replications', '?'))} replications x {e(st.get('cases', '?'))} cases, "
        f"seed {e(st.get('seed', '?'))}</p></header>",
        '<section id="headline"><h2>Headline</h2>' + t.headline(s) + "</section>",
        '<section id="changes"><h2>The scenario\'s changes</h2>' + t.changes_list(s)
        + "</section>",
        '<section id="savings"><h2>Savings by change</h2>'
        + fig("waterfall-hours", "waterfall-money") + t.attribution_table(s) + "</section>",
        '<section id="kpis"><h2>KPIs: as-is, to-be and the difference</h2>'
        + t.per_case_table(s) + "<h3>Per year</h3>" + t.per_year_table(s)
        + ("<h3>By pool</h3>" + t.per_pool_table(s) if s.get("per_pool") else "")
        + "<h3>Further KPIs</h3>" + t.kpi_table(data.base_kpis, data.scenario_kpis)
        + "</section>",
        '<section id="charts"><h2>Where the time goes</h2>'
        + fig("cycle-times", "waiting", "pools", "map-as-is", "map-to-be") + "</section>",
    ]
    if "sweep" in by_key:
        sections.append('<section id="sweep"><h2>Sweep</h2>' + fig("sweep") + "</section>")
    sections += [
        '<section id="assumptions"><h2>Assumptions</h2>'
        + t.assumptions(s, _model_file(data.scenario_text)) + "</section>",
        '<section id="fidelity"><h2>Fidelity of the model</h2>' + t.fidelity_section(fid)
        + fig("fidelity") + "</section>",
    ]
    if notes:
        sections.append('<section id="notes">' + "".join(
            f'<p class="note">{e(n)}</p>' for n in notes) + "</section>")
    if data.scenario_text:
        sections.append('<section id="scenario-file"><h2>Scenario file</h2>'
                        f"<pre>{e(data.scenario_text)}</pre></section>")
    sections.append(f"<footer>Made with bpr {e(__version__)} from {e(data.outdir.name)}. "
                    f"Intervals are 95% confidence intervals over the simulation "
                    f"replications; they do not cover errors in the model itself (see "
                    f"Fidelity).</footer>")
    body = "\n".join(sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{e(name)} · bpr what-if report</title><style>{CSS}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def write_report(outdir: str | os.PathLike[str], path: str | os.PathLike[str], *,
                 fidelity: Any = None) -> Path:
    """Build the report of OUTDIR and write it to ``path`` atomically (nothing is written when
    the folder is not a what-if output); returns the path."""
    from bpr.io.atomic import write_text

    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise BprError("the report is an HTML page: give a .html file name (print it to PDF "
                       "from a browser)", path=str(path))
    html = build_report(outdir, fidelity=fidelity)
    write_text(path, html)
    return Path(path)
