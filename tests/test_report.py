"""The HTML report: built from a real what-if run, self-contained, escaped, and opened in headless
Chromium (no console errors, every chart image decoded, a screenshot and a PDF taken)."""

from __future__ import annotations

import io
import json
import re
import shutil
from html import escape
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from report_helpers import (
    SCENARIO_NAME,
    Browser,
    chromium_path,
    file_url,
    whatif_run,
)

from bpr.analysis.whatif import fmt
from bpr.cli import main
from bpr.report import build_report, write_report


@pytest.fixture(scope="module")
def run():
    return whatif_run()


@pytest.fixture(scope="module")
def fidelity_dict():
    rng = np.random.default_rng(3)
    return {
        "metrics": {"ngram": {"label": "n-gram distribution distance (n=3)", "unit": "",
                              "mean": 0.12, "std": 0.01},
                    "cycle_time_h": {"label": "cycle-time distribution distance", "unit": "h",
                                     "mean": 1.5, "std": 0.2}},
        "verdict": ["Close to the real process <really> (over 3 replications of 50 cases).",
                    "  - Check claim waits 20% longer & more"],
        "settings": {"replications": 3, "cases": 50, "seed": 1, "test_log": "test.csv"},
        "cycle_times_hours": {"real": rng.gamma(2, 3, 50).tolist(),
                              "simulated": rng.gamma(2, 3.2, 150).tolist()},
    }


@pytest.fixture(scope="module")
def report_file(run, fidelity_dict, tmp_path_factory):
    _, out = run
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(out, path, fidelity=fidelity_dict)
    return path


def test_report_content_matches_savings(run, report_file):
    result, out = run
    html = report_file.read_text(encoding="utf-8")
    s = json.loads((out / "savings.json").read_text())
    # headline numbers are the savings.json numbers
    hours = s["per_year"]["labour_hours_freed_per_year"]
    assert fmt(hours["mean"]) in html
    assert f"95% CI {fmt(hours['ci_low'])} to {fmt(hours['ci_high'])}" in html
    # the scenario adds a person: the headline quotes the net figures (after their pay)
    assert s["per_year"]["headcount_added_fte"]["mean"] == 1
    money = s["per_year"]["net_money_to_reallocate_per_year"]
    assert fmt(money["mean"]) in html
    fte = s["per_year"]["net_fte_freed"]
    assert f"95% CI {fmt(fte['ci_low'])} to {fmt(fte['ci_high'])}" in html
    assert "net FTE that can be reallocated" in html
    diff = s["per_case"]["cycle_time_hours"]["difference"]
    assert f"{fmt(diff['mean'])} [{fmt(diff['ci_low'])}, {fmt(diff['ci_high'])}]" in html
    significant = hours["ci_low"] > 0 or hours["ci_high"] < 0
    assert ("distinguishable from zero" if significant else "not distinguishable") in html
    # every change listed, assumptions stated
    for c in s["changes"]:
        assert escape(c["type"].capitalize()) in html
    assert "6,000 cases per year" in html and "annual_cases in the scenario file" in html
    assert "1,720 productive hours" in html
    assert f"seed {result.settings['seed']}" in html
    assert f"{result.settings['cases']:,} cases per replication x 3 replications" in html
    assert "expense_claim.yaml" in html
    assert "finance GBP 38" in html
    # fidelity: verdict and distances, escaped
    assert "Close to the real process &lt;really&gt;" in html
    assert "Check claim waits 20% longer &amp; more" in html
    assert "cycle-time distribution distance" in html


def test_report_escapes_user_text(report_file):
    html = report_file.read_text(encoding="utf-8")
    assert escape(SCENARIO_NAME) in html
    assert "<b>checks</b>" not in html
    assert "<script" not in html.lower()  # the description's script tag is text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_report_is_self_contained(report_file):
    html = report_file.read_text(encoding="utf-8")
    # nothing fetched: no external URL in src/href/url(), no scripts, no link tags
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", html)
    assert "url(" not in html
    assert "<link" not in html
    imgs = re.findall(r'<img class="chart" alt="([^"]*)" src="data:image/png;base64,([^"]+)"',
                      html)
    keys = re.findall(r'<figure id="chart-([^"]+)"', html)
    assert set(keys) == {"waterfall-hours", "waterfall-money", "cycle-times", "waiting", "pools",
                         "map-as-is", "map-to-be", "fidelity"}
    assert len(imgs) == len(keys)
    import base64

    from matplotlib.image import imread

    for _, data in imgs:
        png = base64.b64decode(data)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        arr = imread(io.BytesIO(png))
        assert arr.shape[0] > 100 and arr.shape[1] > 300
        assert arr.std() > 0.01  # not a blank image
    # print CSS: figures and tables are not split across pages, images fit the page
    assert "@media print" in html and "break-inside: avoid" in html
    assert "max-width: 100%" in html


def test_sweep_in_outdir_adds_the_pareto_chart(run, tmp_path):
    _, out = run
    local = tmp_path / "out"
    shutil.copytree(out, local)
    sweep = {"scenario": "x", "objectives": ["cycle_time_hours", "cost_per_case_with_staff"],
             "currency": "GBP", "points": [
                 {"point": i, "params": {"staff.finance": i}, "staff": i, "pareto": i != 2,
                  "kpis": {"cycle_time_hours": {"mean": 10 - i, "ci_low": 9 - i,
                                                "ci_high": 11 - i},
                           "cost_per_case_with_staff": {"mean": 10 * i + (5 if i == 2 else 0),
                                                        "ci_low": 10 * i, "ci_high": 10 * i}}}
                 for i in (1, 2, 3)]}
    (local / "sweep.json").write_text(json.dumps(sweep))
    html = build_report(local)
    assert 'id="chart-sweep"' in html
    assert "Fidelity unknown" in html  # no fidelity.json here


def test_hours_only_report(run, tmp_path):
    _, out = run
    local = tmp_path / "out"
    shutil.copytree(out, local)
    s = json.loads((local / "savings.json").read_text())
    s["hours_only"] = True
    s["hourly_rates"] = {p: None for p in s["hourly_rates"]}
    s["per_year"]["reallocatable_money_per_year"] = None
    s["per_year"]["net_money_to_reallocate_per_year"] = None
    for st in s["attribution"]:
        for part in ("alone", "cumulative", "step"):
            st[part]["reallocatable_money_per_year"] = None
            st[part]["net_money_to_reallocate_per_year"] = None
    (local / "savings.json").write_text(json.dumps(s))
    html = build_report(local)
    assert "hours only" in html
    assert 'id="chart-waterfall-money"' not in html
    assert 'id="chart-waterfall-hours"' in html


def test_cli_writes_the_report(run, tmp_path):
    _, out = run
    target = tmp_path / "r.html"
    res = CliRunner().invoke(main, ["report", str(out), "-o", str(target)])
    assert res.exit_code == 0, res.output
    assert f"wrote {target}" in res.output
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    res = CliRunner().invoke(main, ["report", str(out), "-o", str(tmp_path / "q.html"),
                                    "--quiet"])
    assert res.exit_code == 0 and res.output == ""


@pytest.mark.parametrize("case", ["missing", "empty", "file", "damaged", "not_whatif",
                                  "bad_fidelity", "pdf_name"])
def test_cli_bad_outdir(case, run, tmp_path):
    _, out = run
    target = tmp_path / "r.html"
    args = []
    if case == "missing":
        d, expect = tmp_path / "nope", "no such folder"
    elif case == "empty":
        d, expect = tmp_path / "empty", "not a bpr whatif output"
        d.mkdir()
    elif case == "file":
        d, expect = tmp_path / "f.txt", "not a folder"
        d.write_text("x")
    else:
        d = tmp_path / "copy"
        shutil.copytree(out, d)
        if case == "damaged":
            (d / "savings.json").write_text('{"per_case": ', encoding="utf-8")
            expect = "not valid JSON"
        elif case == "not_whatif":
            (d / "savings.json").write_text('{"a": 1}', encoding="utf-8")
            expect = "not written by bpr whatif"
        elif case == "pdf_name":
            target = tmp_path / "r.pdf"
            expect = "give a .html file name"
        else:
            (d / "fid.json").write_text("[1, 2]", encoding="utf-8")
            args = ["--fidelity", str(d / "fid.json")]
            expect = "not a validation result"
    res = CliRunner().invoke(main, ["report", str(d), "-o", str(target), *args])
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and expect in lines[0], res.output
    assert "Traceback" not in res.output
    assert not target.exists()


# -- the real browser --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    exe = chromium_path()
    if exe is None:
        pytest.fail("chromium is not installed: the report must be checked in a real browser. "
                    "Install Debian's package (apt-get install chromium) or run "
                    "`bash .ci/browser-setup` as root (make test does).")
    b = Browser(exe, tmp_path_factory.mktemp("chromium") / "profile")
    yield b
    b.close()


def test_report_in_headless_chromium(browser, report_file, tmp_path):
    browser.open(file_url(report_file))
    assert browser.problems() == []
    images = browser.evaluate(
        "Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, "
        "w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width}))")
    figures = browser.evaluate("document.querySelectorAll('figure').length")
    assert len(images) == figures == 8
    for img in images:
        assert img["complete"] and img["w"] > 0 and img["h"] > 0, img
        assert 0 < img["shown"] <= 1200, img  # scaled to the page, not overflowing
    title = browser.evaluate("document.querySelector('h1').textContent")
    assert title == SCENARIO_NAME
    overflow = browser.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    png = browser.screenshot()
    (tmp_path / "report.png").write_bytes(png)
    from matplotlib.image import imread

    arr = imread(io.BytesIO(png))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    assert arr.shape[0] > 2000 and arr.shape[1] >= 1000  # the whole page, not a blank viewport
    rgb = (arr[::4, ::4, :3] * 255).astype(np.int32)
    colours = np.unique(rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2])
    assert len(colours) > 100  # charts and text, not a flat page
    pdf = browser.pdf()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 50_000
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 3  # several A4 pages


def test_the_browser_check_catches_broken_pages(browser, tmp_path):
    """The harness can fail: a console error and a broken image are both reported."""
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img id="x" src="missing.png">'
                   '<script>console.error("boom")</script></body></html>', encoding="utf-8")
    browser.open(file_url(bad))
    problems = browser.problems()
    assert any("boom" in p for p in problems), problems
    assert any("missing.png" in p or "ERR_FILE_NOT_FOUND" in p for p in problems), problems
    assert browser.evaluate("document.getElementById('x').naturalWidth") == 0


def test_report_written_atomically(run, tmp_path):
    _, out = run
    target = tmp_path / "r.html"
    assert write_report(out, target) == target
    assert not [p for p in tmp_path.iterdir() if p.name != "r.html"]  # no temp files left
    assert Path(target).stat().st_size > 100_000
