"""Calibrated discovery: choose the discovery options whose model best reproduces held-out data.

:func:`calibrate` splits the training log again in time (the split of
:func:`bpr.analysis.split.split_log`: the last ``validation_fraction`` of events form the
*validation* part, the rest the *fit* part), mines the fit part with several
:class:`~bpr.discovery.options.MiningOptions`, simulates each candidate model against the
validation part as :func:`bpr.analysis.fidelity.validate` does (as many cases as the validation
part holds, arriving from its first case start, ``replications`` times with the same seeds for
every candidate), keeps the options with the lowest combined distance, and mines the WHOLE
training log with them. The choices and scores are recorded in ``ProcessModel.calibration``.

Score
    For each of the five distances of :mod:`bpr.analysis.distances` (mean over the
    replications), ``(candidate + floor) / (default + floor)``, where *default* is the candidate
    calibration starts from and *floor* is a small per-metric constant (:data:`SCORE_FLOOR`:
    0.01 for the n-gram distance, 0.05 h circadian, 0.1 h for the others, about a tenth of the
    distances' 1-hour resolution) so that a distance the default already gets (almost) right
    cannot blow up the ratio; the score is the mean of the five ratios. The default scores 1 by
    definition; lower is better; no unit dominates.

Search (:func:`search_plan`)
    Coordinate descent from the default over the dimensions of :data:`SEARCH_SPACE`, in that
    order (the ones that matter most first): all alternatives of a dimension are tried on top of
    the current best options, and the best of them is adopted if it lowers the score by more than
    ``MIN_GAIN`` (1%, about the replication noise). Passes repeat until one changes nothing (at
    most ``MAX_PASSES``). Options already scored are not run again. The order never depends on
    the budget or the number of workers: the budget only cuts the sequence short, so a larger
    budget can only find an equal or better model for the same seed.

Budget
    The default is always evaluated first (so there is an answer). Before each further candidate
    (or batch of ``workers`` candidates), calibration checks that the slowest candidate so far
    and the final refit still fit in what is left of ``budget_seconds``; otherwise it stops.

Guarantee
    The chosen candidate's validation score is never above the default's (the default is a
    candidate and a move is only adopted when it lowers the score).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from bpr.analysis.calibrate_space import (
    SEARCH_SPACE,
    Dimension,
    changed_options,
    options_from_dict,
    options_to_dict,
    search_plan,
)
from bpr.analysis.distances import METRICS, LogDistances, PreparedLog, log_distances, prepare
from bpr.analysis.split import split_log
from bpr.discovery import Discovery, MiningOptions, discover
from bpr.errors import BprError, LogError
from bpr.io.eventlog import START, EventLog
from bpr.model.process import ProcessModel
from bpr.progress import ProgressFn
from bpr.sim.settings import RunSettings, resolve

__all__ = ["SCORE_FLOOR", "SEARCH_SPACE", "CalibrationResult", "Candidate", "Dimension",
           "calibrate", "combined_score", "options_from_dict", "options_to_dict", "search_plan"]

#: Added to both sides of each ratio of the score (see the module doc); units of the metric.
SCORE_FLOOR: dict[str, float] = {"ngram": 0.01, "absolute_event_h": 0.1,
                                 "circadian_event_h": 0.05, "relative_event_h": 0.1,
                                 "cycle_time_h": 0.1}
MIN_GAIN = 0.01  # a move must lower the score by more than 1% of the current score
MAX_PASSES = 3
REFIT_MARGIN = 1.5  # the refit on the whole training log is budgeted as 1.5 x fit-part discovery
POOL_START_S = 5.0  # starting worker processes (imports), seconds: not done when budget is short

METHOD = ("coordinate descent over discovery options from the default, each candidate mined on "
          "the fit part and simulated against the validation part of a temporal split of the "
          "training log")
SCORE_TEXT = ("mean over the five distances of (candidate + floor) / (default + floor); "
              "default = 1, lower is better")


@dataclass(frozen=True)
class Candidate:
    """One set of options tried: its validation distances (means over the replications)."""

    index: int  # order of evaluation, 0 = the default
    options: MiningOptions
    changed: dict[str, Any]  # the options that differ from the default, plain values
    dimension: str  # the search dimension that proposed it ("default" for the first)
    distances: LogDistances | None  # None when discovery or simulation failed
    score: float  # combined score (see the module doc); inf when it failed
    seconds: float  # wall-clock time to mine and simulate it
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "dimension": self.dimension, "changed": dict(self.changed),
                "score": _num(self.score), "seconds": round(self.seconds, 3),
                "distances": (None if self.distances is None else
                              {k: _num(v) for k, v in self.distances.to_dict().items()}),
                "error": self.error}


@dataclass
class CalibrationResult:
    """The outcome of :func:`calibrate`."""

    model: ProcessModel  # refitted on the whole training log, ``calibration`` filled
    discovery: Discovery  # the refit's discovery (model included) for summaries
    chosen: Candidate
    default: Candidate
    candidates: list[Candidate]
    budget_seconds: float
    elapsed_seconds: float
    stopped_by_budget: bool
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def improvement(self) -> float:
        """Relative drop of the validation score, default -> chosen (0 = none)."""
        return 1.0 - self.chosen.score / self.default.score if self.default.score else 0.0

    def summary_lines(self) -> list[str]:
        """What was tried, what was chosen and how the scores compare, as plain text."""
        s = self.settings
        stop = " (stopped by the budget)" if self.stopped_by_budget else ""
        lines = [
            f"Calibration: {len(self.candidates)} option set"
            f"{'s' if len(self.candidates) != 1 else ''} tried in {self.elapsed_seconds:.1f} s "
            f"(budget {self.budget_seconds:g} s){stop}; each mined on {s['fit_cases']:,} cases "
            f"and simulated {s['replications']}x against the {s['validation_cases']:,} "
            f"held-out cases.",
        ]
        if len(self.candidates) == 1:
            lines.append("Chosen: the default options (the budget left no time for another "
                         "candidate; give a larger --budget).")
        elif self.chosen is self.default or not self.chosen.changed:
            lines.append(f"Chosen: the default options (no candidate scored more than "
                         f"{MIN_GAIN:.0%} better).")
        else:
            lines.append("Chosen: " + ", ".join(f"{k} = {_show(v)}"
                                                for k, v in self.chosen.changed.items()))
        lines.append(f"Validation score {self.chosen.score:.3f} vs {self.default.score:.3f} for "
                     f"the default options ({self.improvement:.0%} lower; the mean ratio of the "
                     f"five distances to the default's).")
        rows = [("distance", "default", "chosen")]
        assert self.default.distances is not None and self.chosen.distances is not None
        for m in METRICS:
            digits = 3 if not m.unit else 2
            unit = f" ({m.unit})" if m.unit else ""
            rows.append((m.label + unit, f"{getattr(self.default.distances, m.key):.{digits}f}",
                         f"{getattr(self.chosen.distances, m.key):.{digits}f}"))
        w = [max(len(r[i]) for r in rows) for i in range(3)]
        lines.extend(f"  {a:<{w[0]}}  {b:>{w[1]}}  {c:>{w[2]}}" for a, b, c in rows)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen.to_dict(), "default": self.default.to_dict(),
                "candidates": [c.to_dict() for c in self.candidates],
                "budget_s": self.budget_seconds, "elapsed_s": round(self.elapsed_seconds, 3),
                "stopped_by_budget": self.stopped_by_budget, "settings": dict(self.settings)}


def _num(x: float) -> float | None:
    """A float for plain data (inf/nan, which YAML and JSON handle badly, become None)."""
    return round(float(x), 6) if math.isfinite(x) else None


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


# -- scoring ----------------------------------------------------------------------------------

def combined_score(distances: LogDistances, reference: LogDistances) -> float:
    """Mean over the five distances of ``(distance + floor) / (reference + floor)`` (floors:
    :data:`SCORE_FLOOR`); ``reference`` itself scores exactly 1; lower is better."""
    ratios = []
    for m in METRICS:
        floor = SCORE_FLOOR[m.key]
        ratios.append((float(getattr(distances, m.key)) + floor)
                      / (float(getattr(reference, m.key)) + floor))
    return float(np.mean(ratios))


@dataclass(frozen=True)
class _Shared:
    """What every candidate is scored against (sent once to each worker process)."""

    fit: EventLog
    validation: PreparedLog
    cases: int
    start: datetime
    replications: int
    seed: int
    name: str


@dataclass(frozen=True)
class _Outcome:
    distances: LogDistances | None
    seconds: float  # mine and simulate
    error: str | None
    discover_seconds: float = 0.0  # mine only


def _score(shared: _Shared, options: MiningOptions) -> _Outcome:
    """Mine the fit part with ``options`` and measure it against the validation part."""
    from bpr.sim import simulate_log

    t0 = time.perf_counter()
    mined_s = 0.0
    try:
        model = discover(shared.fit, options, name=shared.name).model
        mined_s = time.perf_counter() - t0
        runs = []
        for r in range(shared.replications):
            sim = simulate_log(model, cases=shared.cases, start=shared.start, seed=shared.seed,
                               replication=r)
            if sim.df is None or len(sim.df) == 0:
                raise BprError("the candidate model produced no events")
            runs.append(log_distances(shared.validation, sim.df))
    except BprError as err:
        return _Outcome(None, time.perf_counter() - t0, str(err), mined_s)
    mean = LogDistances(**{m.key: float(np.mean([getattr(d, m.key) for d in runs]))
                           for m in METRICS})
    return _Outcome(mean, time.perf_counter() - t0, None, mined_s)


_WORKER: dict[str, _Shared] = {}  # in a worker process: the shared data, set once


def _init_worker(shared: _Shared) -> None:
    from bpr.io.quiet import import_pm4py

    _WORKER["shared"] = shared
    import_pm4py()  # silence pm4py's start-up in the worker too


def _score_in_worker(options: MiningOptions) -> _Outcome:
    return _score(_WORKER["shared"], options)


class _Search:
    """The bookkeeping of one calibration run: candidates, cache, clock, budget, workers."""

    def __init__(self, shared: _Shared, base: MiningOptions, budget_s: float, workers: int,
                 t0: float, progress: ProgressFn | None):
        self.shared = shared
        self.base = base
        self.budget_s = budget_s
        self.workers = workers
        self.t0 = t0
        self.progress = progress
        self.candidates: list[Candidate] = []
        self.cache: dict[MiningOptions, Candidate] = {}
        self.reference: LogDistances | None = None
        self.slowest_s = 0.0  # the slowest candidate so far (mine + simulate), seconds
        self.refit_s = 0.0  # the refit on the whole log, estimated, seconds
        self.slowest_mine_s = 0.0  # the slowest discovery on the fit part so far, seconds
        self.stopped = False
        self.planned = 1
        self.pool: Any = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def fits(self, extra_s: float = 0.0) -> bool:
        """Whether one more round of candidates (and ``extra_s``) and the refit fit."""
        return self.elapsed() + extra_s + self.slowest_s + self.refit_s <= self.budget_s

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def _pool(self) -> Any:
        if self.pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker, initargs=(self.shared,))
        return self.pool

    def run(self, proposals: Sequence[tuple[str, MiningOptions]]) -> list[Candidate]:
        """Score ``proposals`` (cached ones are not run again) while the budget allows."""
        out: list[Candidate] = []
        todo = [(d, o) for d, o in proposals if o not in self.cache]
        out.extend(self.cache[o] for _, o in proposals if o in self.cache)
        self.planned = len(self.candidates) + len(todo)
        self._report()
        i = 0
        while i < len(todo):
            if self.candidates and not self.fits():
                self.stopped = True
                break
            parallel = (self.workers > 1 and len(todo) - i > 1 and bool(self.candidates)
                        and (self.pool is not None or self.fits(POOL_START_S)))
            batch = todo[i:i + (self.workers if parallel else 1)]
            if parallel:
                outcomes = list(self._pool().map(_score_in_worker, [o for _, o in batch]))
            else:
                outcomes = [_score(self.shared, o) for _, o in batch]
            for (dim, opts), res in zip(batch, outcomes, strict=True):
                out.append(self._record(dim, opts, res))
                self.slowest_s = max(self.slowest_s, res.seconds)
                self.slowest_mine_s = max(self.slowest_mine_s, res.discover_seconds)
            i += len(batch)
            self._report()
        return out

    def _record(self, dim: str, opts: MiningOptions, res: _Outcome) -> Candidate:
        if self.reference is None and res.distances is not None:
            self.reference = res.distances
        score = (combined_score(res.distances, self.reference)
                 if res.distances is not None and self.reference is not None else math.inf)
        cand = Candidate(index=len(self.candidates), options=opts,
                         changed=changed_options(opts, self.base), dimension=dim,
                         distances=res.distances, score=score, seconds=res.seconds,
                         error=res.error)
        self.candidates.append(cand)
        self.cache[opts] = cand
        return cand

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(len(self.candidates), max(self.planned, len(self.candidates)))


def calibrate(log: EventLog, *, budget_seconds: float = 120.0, validation_fraction: float = 0.2,
              settings: RunSettings | None = None, replications: int | None = None,
              seed: int | None = None, workers: int | None = None,
              candidates: Iterable[MiningOptions] | None = None,
              options: MiningOptions | None = None,
              costs: str | os.PathLike[str] | Any = None, name: str | None = None,
              progress: ProgressFn | None = None) -> CalibrationResult:
    """Choose discovery options on a held-out part of ``log`` and mine ``log`` with them.

    ``options``: the default candidate the search starts from and scores against (default:
    ``MiningOptions()``). ``candidates``: try exactly these options (after the default, in the
    given order) instead of the coordinate-descent search. ``budget_seconds``: wall-clock limit
    for the whole call (split, search and refit; see the module doc). ``settings``
    (:class:`~bpr.sim.settings.RunSettings`; the keyword values that are not None replace its
    fields) gives ``replications``, ``seed`` and ``workers``; ``replications``:
    simulated validation logs per candidate (replication ``r`` uses seed ``(seed, r)`` for every
    candidate: common random numbers; 10 rather than 5 made the choice on P2P stable across
    seeds). ``workers`` > 1 scores that many candidates at once in worker processes (the result
    does not depend on it; on small logs starting the workers costs more than it saves).
    ``costs`` and ``name`` are passed to the final discovery. ``progress(tried, planned)`` is
    called as candidates finish.
    """
    t0 = time.perf_counter()
    run = resolve(settings, replications=replications, seed=seed, workers=workers)
    run.refuse(("cases", "days", "warmup_cases", "start", "scheduler"),
               "calibration simulates the held-out part's cases, from its first start")
    replications, seed, workers = run.replications_to_run, run.seed, run.workers
    _check_args(budget_seconds, validation_fraction)
    base = options or MiningOptions()
    if log.n_events == 0:
        raise LogError("the log has no events; nothing to calibrate", path=log.path)
    try:
        fit, validation = split_log(log, validation_fraction)
    except LogError as err:
        raise LogError(f"cannot hold out a validation part for calibration ({err.detail}); "
                       f"mine without --calibrate", path=log.path) from None
    start = pd.Timestamp(validation.df[START].min()).tz_convert("UTC").to_pydatetime()
    prepared = prepare(validation)
    model_name = name or "calibration candidate"

    _warm_up()
    shared = _Shared(fit, prepared, validation.n_cases, start, replications, seed, model_name)
    search = _Search(shared, base, float(budget_seconds), workers, t0, progress)
    try:
        best = _search(search, candidates, log)
    finally:
        search.close()
    found = discover(log, best.options, costs=costs, name=name)
    default = search.candidates[0]
    elapsed = time.perf_counter() - t0
    record_settings = {"validation_fraction": validation_fraction, "replications": replications,
                "seed": seed, "workers": workers, "fit_cases": fit.n_cases,
                "fit_events": fit.n_events, "validation_cases": validation.n_cases,
                "validation_events": validation.n_events,
                "search": "listed" if candidates is not None else "coordinate descent"}
    record = _record(best, default, search, budget_seconds, elapsed, record_settings)
    model = dataclasses.replace(found.model, calibration=record)
    found.model = model
    return CalibrationResult(model=model, discovery=found, chosen=best, default=default,
                             candidates=list(search.candidates),
                             budget_seconds=float(budget_seconds), elapsed_seconds=elapsed,
                             stopped_by_budget=search.stopped, settings=record_settings)


def _search(search: _Search, candidates: Iterable[MiningOptions] | None,
            log: EventLog) -> Candidate:
    """Score the default, then the listed candidates or the coordinate descent; the best."""
    (default,) = search.run([("default", search.base)])
    if default.distances is None:
        raise BprError(f"calibration: the default discovery options fail on the fit part of the "
                       f"log ({default.error}); mine without --calibrate", path=log.path)
    # Budget the refit on the whole log as the default's discovery on the fit part, scaled by
    # the number of events, with a margin.
    search.refit_s = (REFIT_MARGIN * search.slowest_mine_s * log.n_events
                      / max(search.shared.fit.n_events, 1))
    if candidates is None:
        return _coordinate_descent(search, default)
    best = default
    for cand in search.run([("listed", c) for c in candidates]):
        if cand.score < best.score:
            best = cand
    return best


def _coordinate_descent(search: _Search, default: Candidate) -> Candidate:
    best = default
    for _ in range(MAX_PASSES):
        moved = False
        for dim in SEARCH_SPACE:
            proposals = search_plan(best.options, (dim,))
            if not proposals:
                continue
            tried = search.run(proposals)
            if search.stopped and not tried:
                return best
            top = min(tried, key=lambda c: (c.score, c.index), default=None)
            if top is not None and top.score < best.score * (1.0 - MIN_GAIN):
                best = top
                moved = True
            if search.stopped:
                return best
        if not moved:
            break
    return best


def _record(best: Candidate, default: Candidate, search: _Search, budget_s: float,
            elapsed_s: float, settings: Mapping[str, Any]) -> dict[str, Any]:
    """``ProcessModel.calibration``: plain data a model file can hold and load back."""
    def scores(c: Candidate) -> dict[str, Any]:
        assert c.distances is not None
        return {"score": _num(c.score),
                **{k: _num(v) for k, v in c.distances.to_dict().items()}}

    return {
        "method": METHOD,
        "score": SCORE_TEXT,
        "options": options_to_dict(best.options),
        "changed": dict(best.changed),
        "scores": {"default": scores(default), "chosen": scores(best)},
        "validation": {k: settings[k] for k in ("validation_fraction", "fit_cases",
                                                 "validation_cases", "replications", "seed")},
        "budget_s": float(budget_s),
        "elapsed_s": round(elapsed_s, 2),
        "candidates_tried": len(search.candidates),
        "stopped_by_budget": search.stopped,
    }


def _warm_up() -> None:
    """Import what every candidate needs once, so that the first candidate's time (which sets
    the budget's estimate of the others) is not inflated by one-off imports."""
    import scipy.stats  # noqa: F401  (distribution fitting)

    import bpr.sim  # noqa: F401
    from bpr.io.quiet import import_pm4py

    import_pm4py()


def _check_args(budget_seconds: float, validation_fraction: float) -> None:
    if not isinstance(budget_seconds, int | float) or not budget_seconds >= 0:
        raise BprError(f"calibration budget must be a number of seconds >= 0, got "
                       f"{budget_seconds!r}; use e.g. --budget 120s")
    if not isinstance(validation_fraction, int | float) or not 0 < validation_fraction < 1:
        raise BprError(f"validation fraction must be between 0 and 1 (exclusive), got "
                       f"{validation_fraction!r}; use e.g. 0.2")
