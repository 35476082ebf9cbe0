"""Every notebook runs top to bottom (nbclient, the venv's ipykernel, cwd notebooks/), shows its
charts, and is committed without outputs and in sync with notebooks/build.py."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
NAMES = ["01_as_is", "02_what_if", "03_findings"]
#: charts (image/png outputs) each notebook must show at least
MIN_IMAGES = {"01_as_is": 3, "02_what_if": 1, "03_findings": 6}


def test_every_notebook_is_tested():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_committed_without_outputs(name):
    data = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    text = (NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8")
    assert "output_type" not in text
    for cell in data["cells"]:
        if cell["cell_type"] == "code":
            assert cell["execution_count"] is None and cell["outputs"] == []


def test_notebooks_match_their_builder(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("nb_build", NOTEBOOKS / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HERE", tmp_path)
    for name, cells in (("01_as_is", module.AS_IS), ("02_what_if", module.WHAT_IF),
                        ("03_findings", module.FINDINGS)):
        module.write(name, cells)
        assert (tmp_path / f"{name}.ipynb").read_text(encoding="utf-8") == (
            NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"), (
            f"{name}.ipynb differs from notebooks/build.py: run python notebooks/build.py")


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs(name):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(nb, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    try:
        client.execute()
    except CellExecutionError as err:  # the failing cell and its traceback
        pytest.fail(f"{name}.ipynb: a cell failed:\n{err}")
    images = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", out
            if out["output_type"] == "stream" and out["name"] == "stderr":
                text = out["text"]
                assert "Traceback" not in text and "Warning" not in text, text
            images += "image/png" in out.get("data", {})
    assert images >= MIN_IMAGES[name], f"{name}: {images} charts shown"
