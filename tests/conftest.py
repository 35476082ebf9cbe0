"""Shared fixtures: paths to the bundled example data and the shared reference models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EVENT_LOGS = ROOT / "event_logs"
SHARED = ROOT.parent / "shared"
PROSIMOS_MODELS = SHARED / "prosimos_models" if (SHARED / "prosimos_models").is_dir() else (
    ROOT / "tests" / "data" / "prosimos_models")

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def event_logs() -> Path:
    """The bundled real event logs (see event_logs/README.md)."""
    return EVENT_LOGS


@pytest.fixture(scope="session")
def prosimos_models() -> Path:
    """Models discovered by Simod from the shared logs (Prosimos format)."""
    return PROSIMOS_MODELS
