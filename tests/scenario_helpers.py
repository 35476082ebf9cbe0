"""Test helpers for scenario tests: the small example model and random sound models."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bpr.model import Activity, Distribution, Flow, Gateway, Pool, ProcessModel
from bpr.model.files import load_model

DATA = Path(__file__).resolve().parent / "data" / "scenario"


def small_model() -> ProcessModel:
    """tests/data/scenario/small.yaml: a loan process with a rework loop and two pools."""
    return load_model(DATA / "small.yaml")


class _Builder:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.acts: dict[str, Activity] = {}
        self.gws: dict[str, Gateway] = {}
        self.flows: list[Flow] = []

    def task(self) -> tuple[str, str]:
        name = f"T{len(self.acts) + 1}"
        pool = ["P1", "P2", None][int(self.rng.integers(3))]
        mean = float(self.rng.integers(60, 600))
        self.acts[name] = Activity(name, Distribution("gamma", {"mean": mean, "sd": mean / 3}),
                                   pool, float(self.rng.integers(0, 3)))
        return name, name

    def gateway(self, kind: str) -> str:
        name = f"{kind}{len(self.gws) + 1}"
        self.gws[name] = Gateway(name, kind)
        return name

    def block(self, depth: int) -> tuple[str, str]:
        """A block with one entry and one exit node; returns (entry, exit)."""
        r = int(self.rng.integers(5)) if depth > 0 else 0
        if r == 0:
            return self.task()
        if r == 1:  # sequence
            a, b = self.block(depth - 1), self.block(depth - 1)
            self.flows.append(Flow(a[1], b[0]))
            return a[0], b[1]
        if r in (2, 3):  # xor or and block with 2-3 branches
            kind = "xor" if r == 2 else "and"
            split, join = self.gateway(kind), self.gateway(kind)
            n = int(self.rng.integers(2, 4))
            probs = self.rng.dirichlet(np.ones(n)) * 0.9 + 0.1 / n
            probs = probs / probs.sum()
            for i in range(n):
                entry, exit_ = self.block(depth - 1)
                p = float(probs[i]) if kind == "xor" else None
                if kind == "xor" and i == n - 1:
                    p = 1.0 - sum(float(x) for x in probs[:-1])
                self.flows += [Flow(split, entry, p), Flow(exit_, join)]
            return split, join
        # loop: join -> body -> split -> (back to join | out)
        join, split = self.gateway("xor"), self.gateway("xor")
        entry, exit_ = self.block(depth - 1)
        back = float(self.rng.uniform(0.05, 0.4))
        after = self.task()
        self.flows += [Flow(join, entry), Flow(exit_, split), Flow(split, join, back),
                       Flow(split, after[0], 1.0 - back)]
        return join, after[1]


def random_model(seed: int, depth: int = 3) -> ProcessModel:
    """A random sound block-structured model (sequences, xor and and blocks, loops)."""
    b = _Builder(np.random.default_rng(seed))
    entry, exit_ = b.block(depth)
    flows = [Flow("start", entry), *b.flows, Flow(exit_, "end")]
    return ProcessModel(name=f"random {seed}", activities=b.acts, flows=tuple(flows),
                        pools={"P1": Pool("P1", 2, hourly_rate=30.0), "P2": Pool("P2", 1)},
                        gateways=b.gws)
