"""Charts draw the numbers of the results: bar ends and whiskers are the attribution estimates,
ECDF lines are the sorted cycle times, medians sit at the medians, highlighted sweep points are
exactly the efficient ones. Files are written atomically as PNG or SVG."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from report_helpers import whatif_run

from bpr.charts.activities import activity_waiting
from bpr.charts.data import load_whatif, read_cycle_times
from bpr.charts.distributions import cycle_time_ecdf, ecdf
from bpr.charts.fidelity import fidelity_panel
from bpr.charts.pools import pool_utilisation
from bpr.charts.process_map import draw_process_map
from bpr.charts.savings import savings_waterfall
from bpr.charts.sweep import sweep_pareto
from bpr.errors import BprError


@pytest.fixture(scope="module")
def run():
    return whatif_run()


def by_gid(fig: Figure) -> dict[str, object]:
    out = {}
    for ax in fig.axes:
        for artist in [*ax.patches, *ax.lines, *ax.collections, *ax.texts]:
            gid = artist.get_gid()
            if gid is not None:
                out[gid] = artist
    return out


def rect(a) -> tuple[float, float]:
    """(bottom, top) of a vertical bar."""
    return a.get_y(), a.get_y() + a.get_height()


# -- waterfall ----------------------------------------------------------------------------------
@pytest.mark.parametrize("measure,key", [("hours", "labour_hours_freed_per_year"),
                                         ("money", "reallocatable_money_per_year"),
                                         ("cycle_time_hours", "cycle_time_hours")])
def test_waterfall_draws_the_attribution(run, measure, key):
    result, out = run
    s = json.loads((out / "savings.json").read_text())
    for source in (result, s):  # the result object and the dict read back draw the same
        arts = by_gid(savings_waterfall(source, measure=measure))
        start = 0.0
        for step in s["attribution"]:
            e = step["step"][key]
            bar = arts[f"step:{step['change']}"]
            lo, hi = sorted([start, start + e["mean"]])
            assert sorted(rect(bar)) == pytest.approx([lo, hi], rel=1e-9, abs=1e-9)
            wy = arts[f"whisker:{step['change']}"].get_ydata()
            assert list(wy) == pytest.approx([start + e["ci_low"], start + e["ci_high"]])
            start += e["mean"]
        total = (s["per_year"][key] if key in s["per_year"]
                 else s["per_case"][key]["difference"])
        assert sorted(rect(arts["total"])) == pytest.approx(sorted([0.0, total["mean"]]))
        assert list(arts["whisker:total"].get_ydata()) == pytest.approx(
            [total["ci_low"], total["ci_high"]])
        # the steps add up to the total (interactions included)
        assert start == pytest.approx(total["mean"], rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(-1e4, 1e4), st.floats(0, 500), st.floats(0, 500)),
                min_size=0, max_size=6))
def test_waterfall_bars_start_where_the_previous_ended(steps):
    attribution = []
    for i, (m, dl, dh) in enumerate(steps, start=1):
        attribution.append({"change": i, "label": f"change {i}", "step": {
            "labour_hours_freed_per_year": {"mean": m, "ci_low": m - dl, "ci_high": m + dh}}})
    total = sum(m for m, _, _ in steps)
    s = {"currency": None, "per_case": {}, "attribution": attribution,
         "per_year": {"labour_hours_freed_per_year": {"mean": total, "ci_low": total - 1,
                                                      "ci_high": total + 1}}}
    fig = savings_waterfall(s)
    arts = by_gid(fig)
    running = 0.0
    for i, (m, dl, dh) in enumerate(steps, start=1):
        assert arts[f"step:{i}"].get_y() == pytest.approx(running, abs=1e-4)
        assert arts[f"step:{i}"].get_height() == pytest.approx(m, abs=1e-4)
        assert list(arts[f"whisker:{i}"].get_ydata()) == pytest.approx(
            [running + m - dl, running + m + dh], abs=1e-4)
        running += m
    assert arts["total"].get_height() == pytest.approx(total, abs=1e-4)
    assert len([a for a in arts if a.startswith("step:")]) == len(steps)
    # tick labels: one per change plus the total
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][-1] == "total"


def test_waterfall_without_money_says_hours_only(run):
    _, out = run
    s = json.loads((out / "savings.json").read_text())
    s["per_year"]["reallocatable_money_per_year"] = None
    with pytest.raises(ValueError, match="hours only"):
        savings_waterfall(s, measure="money")
    with pytest.raises(ValueError, match="unknown measure"):
        savings_waterfall(s, measure="happiness")


# -- cycle-time ECDF ----------------------------------------------------------------------------
def test_ecdf_lines_are_the_sorted_cycle_times(run):
    result, out = run
    base = result.base.cycle_times_hours
    tobe = result.tobe.cycle_times_hours
    assert len(base) == 150 * 3 and len(tobe) == 150 * 3
    for source in (result, load_whatif(out), out / "cycle_times.csv"):
        arts = by_gid(cycle_time_ecdf(source))
        for key, values in (("base", base), ("scenario", tobe)):
            line = arts[f"ecdf:{key}"]
            assert np.allclose(line.get_xdata(), np.sort(values), rtol=1e-12)
            assert np.allclose(line.get_ydata(), np.arange(1, len(values) + 1) / len(values))
            assert line.get_drawstyle() == "steps-post"
            med = arts[f"median:{key}"].get_xdata()
            assert med[0] == med[1] == pytest.approx(np.median(values), rel=1e-12)


def test_ecdf_of_known_values():
    x, y = ecdf([3.0, 1.0, 2.0, np.nan, 2.0])
    assert list(x) == [1.0, 2.0, 2.0, 3.0] and list(y) == [0.25, 0.5, 0.75, 1.0]
    fig = cycle_time_ecdf({"base": [1, 2, 3, 4], "scenario": [1, 1, 2]}, log_x=False)
    arts = by_gid(fig)
    assert arts["median:base"].get_xdata()[0] == 2.5
    assert arts["median:scenario"].get_xdata()[0] == 1.0
    assert fig.axes[0].get_xscale() == "linear"
    skewed = {"base": np.geomspace(0.01, 100, 200), "scenario": np.geomspace(0.01, 10, 200)}
    assert cycle_time_ecdf(skewed).axes[0].get_xscale() == "log"


def test_cycle_times_csv_round_trip(run):
    result, out = run
    ct = read_cycle_times(out / "cycle_times.csv")
    assert np.array_equal(ct["base"], result.base.cycle_times_hours)
    assert np.array_equal(ct["scenario"], result.tobe.cycle_times_hours)


# -- activities and pools -------------------------------------------------------------------
def test_activity_waiting_bars_are_the_kpis(run):
    result, out = run
    kb = result.base.to_dict()["kpis"]["activity_waiting_hours"]
    kt = result.tobe.to_dict()["kpis"]["activity_waiting_hours"]
    fig = activity_waiting(load_whatif(out), top=None)
    arts = by_gid(fig)
    for variant, k in (("base", kb), ("scenario", kt)):
        for act, e in k.items():
            if e is None:
                continue
            assert arts[f"wait:{variant}:{act}"].get_width() == pytest.approx(e["mean"])
            assert list(arts[f"ci:{variant}:{act}"].get_xdata()) == pytest.approx(
                [e["ci_low"], e["ci_high"]])
    # the longest wait is the top row
    labels = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_yticklabels()]
    ys = list(fig.axes[0].get_yticks())
    top_label = labels[int(np.argmax(ys))]
    longest = max(kb, key=lambda a: max(kb[a]["mean"], (kt.get(a) or {"mean": 0})["mean"]))
    assert top_label == longest
    # top=2 keeps the two longest
    arts2 = by_gid(activity_waiting(result, top=2))
    assert len([g for g in arts2 if g.startswith("wait:base:")]) == 2
    # as-is only
    arts3 = by_gid(activity_waiting(result.base))
    assert not [g for g in arts3 if g.startswith("wait:scenario:")]


def test_pool_utilisation_bars_are_percentages(run):
    result, _ = run
    ub = result.base.to_dict()["kpis"]["pool_utilisation"]
    ut = result.tobe.to_dict()["kpis"]["pool_utilisation"]
    arts = by_gid(pool_utilisation(result))
    assert set(ub) == {"finance", "managers"}
    for variant, u in (("base", ub), ("scenario", ut)):
        for pool, e in u.items():
            assert arts[f"util:{variant}:{pool}"].get_width() == pytest.approx(100 * e["mean"])
            assert list(arts[f"ci:{variant}:{pool}"].get_xdata()) == pytest.approx(
                [100 * e["ci_low"], 100 * e["ci_high"]])
    # one more finance clerk and less work: lower finance utilisation
    assert ut["finance"]["mean"] < ub["finance"]["mean"]


# -- sweep --------------------------------------------------------------------------------------
def _sweep_dict(points):
    return {"scenario": "s", "objectives": ["cycle_time_hours", "cost_per_case_with_staff"],
            "currency": "EUR", "points": [
                {"point": i + 1, "params": {"staff.Clerk": i + 1}, "staff": i + 1,
                 "pareto": eff,
                 "kpis": {"cycle_time_hours": {"mean": x, "ci_low": x - 1, "ci_high": x + 1},
                          "cost_per_case_with_staff": {"mean": y, "ci_low": y, "ci_high": y}}}
                for i, (x, y, eff) in enumerate(points)]}


def test_sweep_highlights_exactly_the_efficient_points():
    pts = [(10, 5, True), (8, 6, True), (9, 7, False), (6, 9, True), (7, 9, False)]
    fig = sweep_pareto(_sweep_dict(pts))
    arts = by_gid(fig)
    allp = arts["points:all"].get_offsets()
    eff = arts["points:pareto"].get_offsets()
    assert sorted(map(tuple, allp.tolist())) == sorted((x, y) for x, y, _ in pts)
    assert sorted(map(tuple, eff.tolist())) == sorted((x, y) for x, y, e in pts if e)
    fx = arts["frontier"].get_xdata()
    assert list(fx) == sorted(x for x, _, e in pts if e)


def test_sweep_of_a_real_sweep(run, tmp_path):
    import bpr
    from bpr.analysis.sweep import pareto_mask

    result, _ = run
    sw = bpr.sweep(result.scenario, ["staff.finance=2..4", "automate.Check claim=0.2,1"],
                   cases=60, replications=2, seed=1)
    arts = by_gid(sweep_pareto(sw, path=tmp_path / "sweep.svg"))
    objectives = sw.objectives
    values = np.array([[p.kpis[k].mean for k in objectives] for p in sw.points])
    expected = {(p.kpis["cycle_time_hours"].mean, p.kpis[objectives[1]].mean)
                for p, ok in zip(sw.points, pareto_mask(values), strict=True) if ok}
    drawn = {tuple(r) for r in arts["points:pareto"].get_offsets().tolist()}
    assert len(drawn) == len(expected) >= 1
    assert np.allclose(sorted(drawn), sorted(expected), rtol=1e-12)
    assert {tuple(r) for r in arts["points:pareto"].get_offsets().tolist()} == {
        (p.kpis["cycle_time_hours"].mean, p.kpis[objectives[1]].mean) for p in sw.pareto_points}
    assert len(arts["points:all"].get_offsets()) == 6
    assert (tmp_path / "sweep.svg").read_text().lstrip().startswith("<?xml")


# -- fidelity -------------------------------------------------------------------------------
def test_fidelity_panel_draws_real_and_simulated():
    rng = np.random.default_rng(0)
    real, sim = rng.gamma(2, 3, 80), rng.gamma(2, 3.5, 240)
    report = {"metrics": {"cycle_time_h": {"label": "cycle-time distribution distance",
                                           "unit": "h", "mean": 1.25, "std": 0.5}}}
    arts = by_gid(fidelity_panel(real, sim, report=report))
    assert np.allclose(arts["ecdf:real"].get_xdata(), np.sort(real))
    assert np.allclose(arts["ecdf:simulated"].get_xdata(), np.sort(sim))
    assert arts["median:real"].get_xdata()[0] == pytest.approx(np.median(real))
    assert "cycle-time distribution distance: 1.25 ± 0.5 h" in arts["metrics"].get_text()
    # from the report alone when it carries the cycle times
    report["cycle_times_hours"] = {"real": real.tolist(), "simulated": sim.tolist()}
    arts = by_gid(fidelity_panel(report=report))
    assert np.allclose(arts["ecdf:simulated"].get_xdata(), np.sort(sim))
    with pytest.raises(ValueError, match="real and simulated"):
        fidelity_panel(report={"metrics": {}})


def test_fidelity_panel_from_event_logs(event_logs):
    import bpr
    from bpr.analysis.discrepancies import profile_log

    log = bpr.read_log(event_logs / "running-example.xes")
    arts = by_gid(fidelity_panel(log, log))
    expected = np.sort(profile_log(log, use_enabled=False).cycle_times_h)
    assert np.allclose(arts["ecdf:real"].get_xdata(), expected)
    assert len(expected) == log.n_cases


# -- process map heat -----------------------------------------------------------------------
def test_process_map_waiting_heat_uses_the_given_waits(run):
    result, _ = run
    waits = {"Check claim": 8.0, "Approve claim": 0.0}
    fig = draw_process_map(result.base_model, waiting_hours=waits, waiting_max_hours=8.0)
    from matplotlib import colormaps
    from matplotlib.patches import FancyBboxPatch

    boxes = [p for p in fig.axes[0].patches if isinstance(p, FancyBboxPatch)]
    colours = {tuple(np.round(p.get_facecolor(), 4)) for p in boxes}
    cmap = colormaps["YlOrRd"]
    assert tuple(np.round(cmap(1.0), 4)) in colours  # 8 h of 8: the top of the scale
    assert tuple(np.round(cmap(0.0), 4)) in colours
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "wait 8.0 h" in texts


# -- files --------------------------------------------------------------------------------------
def test_png_and_svg_files(run, tmp_path):
    result, _ = run
    png, svg = tmp_path / "w.png", tmp_path / "w.svg"
    fig = savings_waterfall(result, path=png)
    assert isinstance(fig, Figure)
    savings_waterfall(result, path=svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    text = svg.read_text()
    assert "<svg" in text and "whiskers: 95% confidence intervals" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.png", "w.svg"]  # no temp files
    with pytest.raises(BprError, match="use .png or .svg"):
        pool_utilisation(result, path=tmp_path / "p.jpg")
    assert not (tmp_path / "p.jpg").exists()
