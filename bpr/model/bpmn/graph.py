"""The control flow read from a BPMN file (:class:`BpmnGraph`), shared by the reader, the
sidecar merge and the Prosimos import."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpr.errors import BprWarning


class ModelWarning(BprWarning):
    """Something in a model file was approximated or defaulted; the message says what."""


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """``NAME.bpmn`` -> ``NAME.sim.yaml`` (the simulation parameters kept beside a diagram)."""
    p = Path(path)
    return p.with_name(p.stem + ".sim.yaml")


def clean_name(text: str | None) -> str:
    """Whitespace collapsed to single spaces; ``->`` (bpr's flow arrow) replaced by ``→``."""
    return " ".join((text or "").split()).replace("->", "→")


@dataclass
class Boundary:
    """An interrupting boundary event, read as an exclusive branch after its task.

    ``split`` is the xor gateway inserted after ``task``; ``event`` the node the exception path
    starts from; ``timeout`` the timer's duration in seconds (timer events only).
    """

    event: str
    task: str
    split: str
    timeout: float | None = None


@dataclass
class BpmnGraph:
    """The control flow read from a BPMN file, keyed by bpr node names."""

    path: str
    kinds: dict[str, str] = field(default_factory=dict)  # name -> task/xor/and/or/start/...
    ids: dict[str, str] = field(default_factory=dict)  # name -> BPMN id (or made-up id)
    lines: dict[str, int | None] = field(default_factory=dict)
    timer_seconds: dict[str, float] = field(default_factory=dict)
    flows: list[tuple[str, str]] = field(default_factory=list)
    flow_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    process_name: str = ""
    lanes: dict[str, str | None] = field(default_factory=dict)  # task -> lane name (None: unnamed)
    boundaries: list[Boundary] = field(default_factory=list)


def rename_node(g: BpmnGraph, old: str, new: str) -> None:
    """Rename node ``old`` to ``new`` everywhere in ``g``."""
    if new in g.kinds:
        raise ValueError(f"name {new!r} is taken")
    tables: list[dict[str, Any]] = [g.kinds, g.ids, g.lines, g.timer_seconds, g.lanes]
    for table in tables:
        if old in table:
            table[new] = table.pop(old)

    def r(x: str) -> str:
        return new if x == old else x

    g.flows = [(r(s), r(t)) for s, t in g.flows]
    g.flow_ids = {(r(s), r(t)): fid for (s, t), fid in g.flow_ids.items()}
    for b in g.boundaries:
        b.event, b.task, b.split = r(b.event), r(b.task), r(b.split)
