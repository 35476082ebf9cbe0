"""The variants a what-if or a sweep simulates: the named plan of a what-if (base, scenario, each
change alone, the cumulative steps) and the run of several models with common random numbers
(the same seed and replication numbers for every model)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bpr.model.process import ProcessModel
from bpr.scenario import Scenario, apply_steps
from bpr.sim.results import ReplicationStats
from bpr.sim.settings import RunSettings, resolve


@dataclass(frozen=True)
class VariantTask:
    """One replication of one variant (picklable; run by :func:`run_variant_task`)."""

    variant: int
    task: Any  # bpr.sim.ReplicationTask
    keep_cycle_times: bool


def run_variant_task(item: VariantTask) -> ReplicationStats:
    """Run one replication; drop the per-case cycle times unless they are kept (less to send)."""
    from bpr.sim import run_replication

    stats = run_replication(item.task)
    if not item.keep_cycle_times:
        import numpy as np

        stats.cycle_times_hours = np.zeros(0)
    return stats


def simulate_variants(models: Sequence[ProcessModel], settings: RunSettings | None = None, *,
                      keep_cycle_times: Sequence[bool] | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      **values: Any) -> list[list[ReplicationStats]]:
    """Simulate every model for the same replications with the same seed (common random
    numbers); returns, per model, its replications in order. ``settings`` (and keyword values
    replacing its fields, as in :func:`bpr.sim.simulate`): the cases are resolved against the
    first model. All (model, replication) pairs are spread over the executor together."""
    from bpr.sim import ReplicationTask
    from bpr.sim.clock import make_clock
    from bpr.sim.compiled import compile_model

    run = resolve(settings, **values)
    run.refuse(["days"], "variants are compared over a number of cases; give cases")
    first = models[0]
    cases = run.cases_for(first)
    default_start = first.observed.first_event if first.observed is not None else None
    clock = make_clock(run.start, first.timezone, default_start)
    keep = list(keep_cycle_times) if keep_cycle_times is not None else [True] * len(models)
    for m in models:
        compile_model(m)  # model errors now, before any work
    items = [VariantTask(v, ReplicationTask(model=m, seed=run.seed, replication=r, cases=cases,
                                            horizon_seconds=None,
                                            warmup_cases=run.warmup_cases, clock=clock),
                         keep[v])
             for v, m in enumerate(models) for r in range(run.replications_to_run)]
    from bpr.sim.parallel import map_ordered

    flat = map_ordered(run_variant_task, items, workers=run.workers, scheduler=run.scheduler,
                       progress=progress)
    out: list[list[ReplicationStats]] = [[] for _ in models]
    for item, stats in zip(items, flat, strict=True):
        out[item.variant].append(stats)
    return out


@dataclass(frozen=True)
class Variant:
    """One model a what-if simulates: the base model with ``changes`` (indices into the
    scenario's changes, in order) applied."""

    changes: tuple[int, ...]
    model: ProcessModel


def plan_variants(model: ProcessModel, scenario: Scenario, steps: Sequence[ProcessModel],
                  attribution: bool) -> dict[str, Variant]:
    """The variants of a what-if by name: ``base``, ``scenario`` and, with ``attribution``,
    ``alone i`` (change i by itself on the base) and ``steps 1-i`` (changes 1..i), i = 1..n.
    ``steps`` are the cumulative models (:func:`bpr.scenario.apply_steps`). Names with the
    same changes are the same variant (``steps 1-n`` is the scenario, ``alone 1`` is
    ``steps 1-1``), simulated once."""
    n = len(scenario.changes)
    plan = {"base": Variant((), model),
            "scenario": Variant(tuple(range(n)), steps[-1] if steps else model)}
    if attribution:
        for i, change in enumerate(scenario.changes):
            alone = steps[0] if i == 0 else apply_steps(
                model, scenario.with_changes([change], [scenario.source(i)]))[0]
            plan[f"alone {i + 1}"] = Variant((i,), alone)
            plan[f"steps 1-{i + 1}"] = Variant(tuple(range(i + 1)), steps[i])
    return plan
