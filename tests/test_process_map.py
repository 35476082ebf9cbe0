"""The process map: shapes, labels, observed figures, atomic PNG/SVG output."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bpr.charts.process_map import draw_process_map
from bpr.errors import BprError
from bpr.model import Observed
from bpr.model.files import load_model

EXAMPLE = Path(__file__).resolve().parents[1] / "processes" / "expense_claim.yaml"


def texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_labels_probabilities_and_gateway_marks():
    m = load_model(EXAMPLE)
    fig = draw_process_map(m)
    labels = texts(fig)
    assert "0.84" in labels and "0.16" in labels and "0.3" in labels and "0.7" in labels
    assert labels.count("×") == 4 and labels.count("+") == 2
    assert "Check claim" in labels
    assert any("Ask for" in t for t in labels)  # wrapped long names


def test_observed_frequencies_and_waiting_colours():
    m = load_model(EXAMPLE)
    obs = Observed(log="x", cases=100, events=700, first_event="a", last_event="b",
                   cases_per_year=1000.0,
                   activity_count={"Check claim": 120, "Pay claim": 100},
                   activity_waiting_seconds={"Check claim": 7200.0, "Pay claim": 60.0})
    fig = draw_process_map(replace(m, observed=obs))
    labels = texts(fig)
    assert "n=120  wait 2.0 h" in labels and "n=100  wait 1 min" in labels
    assert any("mean waiting" in (ax.get_ylabel() or "") for ax in fig.axes)  # colour bar
    main = fig.axes[0]
    colours = {p.get_facecolor()[:3] for p in main.patches if hasattr(p, "get_boxstyle")}
    assert len(colours) >= 3  # hot, cool and uncoloured tasks
    fig2 = draw_process_map(replace(m, observed=obs), waiting=False)
    assert len(fig2.axes) == 1


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
