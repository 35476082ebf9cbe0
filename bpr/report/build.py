"""The shareable what-if report: one self-contained HTML file built from a what-if result (a
:class:`~bpr.analysis.whatif.WhatIfResult`, or the OUTDIR ``bpr whatif -o`` wrote).

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
from typing import TYPE_CHECKING, Any

from bpr.errors import BprError
from bpr.report import text as t
from bpr.report.css import CSS
from bpr.report.text import e
from bpr.sim.results import NO_INTERVAL, read_json

if TYPE_CHECKING:
    from bpr.analysis.whatif import WhatIfResult

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


def charts(result: WhatIfResult, fidelity: Mapping[str, Any] | None = None,
           sweep: Any = None) -> tuple[list[Chart], list[str]]:
    """Render every chart the result allows (``sweep``: a SweepResult or the dict of its
    ``sweep.json``); returns the charts and notes on those left out."""
    from bpr.charts.activities import activity_waiting
    from bpr.charts.distributions import cycle_time_ecdf
    from bpr.charts.fidelity import fidelity_panel, report_cycle_times
    from bpr.charts.pools import pool_utilisation
    from bpr.charts.savings import savings_waterfall
    from bpr.charts.sweep import sweep_pareto
    from bpr.sim.kpis import FIGURES

    cur = result.currency
    whiskers = ("Whiskers: 95% confidence intervals." if result.has_intervals
                else "No whiskers: one replication gives no confidence interval.")
    jobs: list[tuple[str, str, str, Callable[[], Any]]] = [
        ("waterfall-hours", f"{FIGURES['labour_hours_freed_per_year'].title()}, by change",
         "Each bar adds one change to those before it (in the order of the scenario file); "
         f"the last bar is the scenario's total. {whiskers}",
         lambda: savings_waterfall(result, measure="hours")),
    ]
    py = result.per_year
    added = py.get("headcount_added_fte")
    if added is not None and added.mean != 0 and \
            py.get("net_money_to_reallocate_per_year") is not None:
        jobs.append(("waterfall-money",
                     f"{FIGURES['net_money_to_reallocate_per_year'].title(cur)}, by change",
                     "Freed hours of each pool times its hourly rate, less the yearly pay of "
                     "staff the scenario adds (one FTE each), by change.",
                     lambda: savings_waterfall(result,
                                               measure="net_money_to_reallocate_per_year")))
    elif py.get("reallocatable_money_per_year") is not None:
        jobs.append(("waterfall-money",
                     f"{FIGURES['reallocatable_money_per_year'].title(cur)}, by change",
                     "Freed hours of each pool times its hourly rate, by change.",
                     lambda: savings_waterfall(result, measure="money")))
    jobs += [
        ("cycle-times", "Cycle time per case, as-is vs to-be",
         "Share of cases completed within a given time (empirical CDF over all replications); "
         "dashed lines: medians.", lambda: cycle_time_ecdf(result)),
        ("waiting", "Waiting time per activity", "Mean waiting time before each activity, per "
         f"instance. {whiskers}", lambda: activity_waiting(result)),
        ("pools", "Pool utilisation", "Share of each pool's open hours spent working. "
         f"{whiskers}", lambda: pool_utilisation(result)),
    ]
    from bpr.charts.process_map import draw_process_map

    bw = _means(result.base.kpis().get("activity_waiting_hours"))
    tw = _means(result.tobe.kpis().get("activity_waiting_hours"))
    top = max([*bw.values(), *tw.values(), 0.0]) or None
    jobs += [
        ("map-as-is", "Process map, as-is", "Tasks coloured by simulated mean waiting time "
         "(hours; the same scale on both maps).",
         lambda: draw_process_map(result.base_model, waiting_hours=bw, waiting_max_hours=top)),
        ("map-to-be", "Process map, to-be", "Tasks coloured by simulated mean waiting time "
         "(hours; the same scale on both maps).",
         lambda: draw_process_map(result.tobe_model, waiting_hours=tw, waiting_max_hours=top)),
    ]
    if sweep is not None:
        jobs.append(("sweep", "Sweep: cycle time vs cost", "Every grid point of the sweep; "
                     "red: Pareto-efficient (no other point is better on both).",
                     lambda: sweep_pareto(sweep)))
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
    return {k: float(v.mean) for k, v in (d or {}).items() if v is not None}


def _source(source: Any, fidelity: Any, sweep: Any) -> tuple[WhatIfResult, Any, Any, str | None]:
    """The result, validation dict, sweep and folder name a report is built from."""
    from bpr.analysis.whatif import WhatIfResult

    if isinstance(source, WhatIfResult):
        return source, _fidelity_dict(fidelity), sweep, None
    out = Path(source)
    result = WhatIfResult.read(out)
    if fidelity is None and (out / "fidelity.json").is_file():
        fidelity = out / "fidelity.json"
    if sweep is None and (out / "sweep.json").is_file():
        sweep = read_json(out / "sweep.json", f"re-run bpr sweep -o {out}")
    return result, _fidelity_dict(fidelity), sweep, out.name


def build_report(source: WhatIfResult | str | os.PathLike[str], *, fidelity: Any = None,
                 sweep: Any = None) -> str:
    """The report of a what-if as one self-contained HTML string.

    ``source``: a :class:`~bpr.analysis.whatif.WhatIfResult`, or the OUTDIR a
    ``bpr whatif -o OUTDIR`` wrote (read with :meth:`WhatIfResult.read`; its ``fidelity.json``
    and ``sweep.json`` are used when present). ``fidelity``: a
    :class:`~bpr.analysis.fidelity.FidelityReport`, its dict, or the path of its JSON.
    ``sweep``: a :class:`~bpr.analysis.sweep.SweepResult` or its dict. Raises BprError (one
    line) when OUTDIR is not a what-if output.
    """
    r, fid, sweep, folder = _source(source, fidelity, sweep)
    figs, notes = charts(r, fid, sweep)
    by_key = {c.key: c for c in figs}
    name = r.scenario.name or "Scenario"
    from bpr import __version__

    def fig(*keys: str) -> str:
        return "\n".join(by_key[k].html() for k in keys if k in by_key)

    st = r.settings
    sections = [
        f"<header><h1>{e(name)}</h1>"
        f'<p class="sub">What-if report · as-is model: {e(r.base_model.name)} · '
        f"{e(st.get('replications', '?'))} replications x {e(st.get('cases', '?'))} cases, "
        f"seed {e(st.get('seed', '?'))}</p></header>",
        '<section id="headline"><h2>Headline</h2>' + t.headline(r) + "</section>",
        '<section id="changes"><h2>The scenario\'s changes</h2>' + t.changes_list(r)
        + "</section>",
        '<section id="savings"><h2>Savings by change</h2>'
        + fig("waterfall-hours", "waterfall-money") + t.attribution_table(r) + "</section>",
        '<section id="kpis"><h2>KPIs: as-is, to-be and the difference</h2>'
        + t.per_case_table(r) + "<h3>Per year</h3>" + t.per_year_table(r)
        + ("<h3>By pool</h3>" + t.per_pool_table(r) if r.per_pool else "")
        + "<h3>Further KPIs</h3>" + t.kpi_table(r) + "</section>",
        '<section id="charts"><h2>Where the time goes</h2>'
        + fig("cycle-times", "waiting", "pools", "map-as-is", "map-to-be") + "</section>",
    ]
    if "sweep" in by_key:
        sections.append('<section id="sweep"><h2>Sweep</h2>' + fig("sweep") + "</section>")
    sections += [
        '<section id="assumptions"><h2>Assumptions</h2>' + t.assumptions(r) + "</section>",
        '<section id="fidelity"><h2>Fidelity of the model</h2>' + t.fidelity_section(fid)
        + fig("fidelity") + "</section>",
    ]
    if notes:
        sections.append('<section id="notes">' + "".join(
            f'<p class="note">{e(n)}</p>' for n in notes) + "</section>")
    sections.append('<section id="scenario-file"><h2>Scenario file</h2>'
                    f"<pre>{e(r.scenario_text())}</pre></section>")
    made_from = f" from {e(folder)}" if folder else ""
    intervals = ("Intervals are 95% confidence intervals over the simulation replications; "
                 "they do not cover errors in the model itself (see Fidelity)."
                 if r.has_intervals else f"{e(NO_INTERVAL[0].upper() + NO_INTERVAL[1:])}.")
    sections.append(f"<footer>Made with bpr {e(__version__)}{made_from}. {intervals}</footer>")
    body = "\n".join(sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "img-src data:; style-src 'unsafe-inline'\">"
            f"<title>{e(name)} · bpr what-if report</title><style>{CSS}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def write_report(source: WhatIfResult | str | os.PathLike[str], path: str | os.PathLike[str],
                 *, fidelity: Any = None, sweep: Any = None) -> Path:
    """Build the report of ``source`` (a result or its OUTDIR, see :func:`build_report`) and
    write it to ``path`` atomically (nothing is written when the folder is not a what-if
    output); returns the path."""
    from bpr.io.atomic import write_text

    if Path(path).suffix.lower() not in (".html", ".htm"):
        raise BprError("the report is an HTML page: give a .html file name (print it to PDF "
                       "from a browser)", path=str(path))
    html = build_report(source, fidelity=fidelity, sweep=sweep)
    write_text(path, html)
    return Path(path)
