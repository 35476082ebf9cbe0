"""The import direction is one way: errors → io → model → discovery, scenario → sim → analysis →
charts → report → cli. A module may import only from its own layer or layers before it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "bpr"
LAYERS = ["errors", "text", "progress", "io", "model", "discovery", "scenario", "sim", "analysis",
          "charts", "report", "cli"]
RANK = {name: i for i, name in enumerate(LAYERS)}
RANK["scenario"] = RANK["discovery"]  # discovery and scenarios are siblings
RANK["progress"] = RANK["errors"]
RANK["text"] = RANK["errors"]


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "bpr" or len(parts) < 2:
        return None
    return parts[1]


def _modules() -> list[Path]:
    return sorted(p for p in PKG.rglob("*.py"))


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_imports_point_backwards(path: Path):
    rel = path.relative_to(PKG)
    own = rel.parts[0].removesuffix(".py")
    if own == "__init__":
        return  # the package facade re-exports lazily
    own_rank = RANK.get(own)
    assert own_rank is not None, f"{rel}: new top-level module {own!r}: add it to LAYERS"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            layer = _layer(name)
            if layer is None or layer == own:
                continue
            assert layer in RANK, f"{rel} imports unknown layer {name}"
            assert RANK[layer] <= own_rank, f"{rel} imports {name}: {layer} comes after {own}"


def test_help_does_not_import_pm4py():
    import subprocess
    import sys

    code = ("import sys; from bpr.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'pm4py' not in sys.modules, 'bpr --help imported pm4py'\n"
            "assert 'matplotlib' not in sys.modules, 'bpr --help imported matplotlib'\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
