"""Fit a duration distribution to a sample of seconds: the closest candidate by Wasserstein.

Every kind in the registry (:data:`bpr.model.kinds.KINDS`) proposes candidates for the sample
(:meth:`~bpr.model.kinds.Kind.fit`): by moments (fixed at the mean, exponential, gamma, weibull,
normal clipped at 0 as bpr samples it), the range (uniform, triangular with the mode that gives
the mean), lognormal twice (moments and maximum likelihood on ``log x``), and the equally spaced
quantiles of the empirical table (q0, q5, ..., q100 by default). Candidates are rounded to
:data:`DECIMALS` decimals of a second (readable files); one the model refuses after rounding is
dropped.

The distance is the 1-Wasserstein (earth mover's) distance between the sample and the candidate,
computed on the sorted sample against the candidate's quantiles at the plotting positions
``(i + 0.5) / n`` — deterministic (no random draws) and equal to
``scipy.stats.wasserstein_distance`` between the sample and those quantiles. Samples larger than
``max_samples`` are thinned evenly by rank first. Because a non-parametric table (empirical)
always wins on its own sample, it is chosen only if ``penalty`` times its distance still beats
the best parametric fit and that fit is not already within ``tolerance`` standard deviations of
the sample.

With ``preserve_mean`` the chosen distribution is finally rescaled (same shape, every time
multiplied by one factor) so that its mean equals the sample mean: the 21-point empirical fit,
the maximum-likelihood lognormal and the uniform fit can otherwise miss the mean by several per
cent, and the mean is what sets workloads and arrival rates (a 5% rate error moves the last of
1,000 arrivals by days).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bpr.errors import ModelError
from bpr.model.distribution import Distribution
from bpr.model.kinds import KINDS, FitSample

DECIMALS = 2


@dataclass(frozen=True)
class Fit:
    """The chosen distribution, its Wasserstein distance to the sample (seconds), and the
    distances of every candidate tried (kind -> seconds)."""

    distribution: Distribution
    distance_seconds: float
    candidates: dict[str, float]


def _r(x: float) -> float:
    return round(float(x), DECIMALS)


def _thin(x: np.ndarray, max_samples: int) -> np.ndarray:
    x = np.sort(x)
    if x.size > max_samples:
        idx = np.linspace(0, x.size - 1, max_samples).round().astype(int)
        x = x[idx]
    return x


def _candidates(x: np.ndarray, families: Sequence[str], n_quantiles: int) -> list[Distribution]:
    """Every family's candidates for the sorted sample ``x`` (registry order), rounded."""
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if x.size > 1 else 0.0
    sample = FitSample(x=x, mean=mean, sd=sd, n_quantiles=n_quantiles)
    wanted = set(families)
    out: list[Distribution] = []
    for name, kind in KINDS.items():
        if name not in wanted:
            continue
        for params in kind.fit(sample):
            try:
                out.append(Distribution(name, _rounded(params, _np_round)))
            except ModelError:
                continue  # e.g. a mean that rounds to 0 for a kind that needs a positive one
    return out or [Distribution.fixed(_r(mean))]


def _rounded(params: Mapping[str, Any],
             vector: Callable[[Sequence[float]], tuple[float, ...]] | None = None
             ) -> dict[str, Any]:
    """Every time rounded to :data:`DECIMALS` (lists element-wise, by ``vector`` if given)."""
    def one(v: Any) -> Any:
        if isinstance(v, tuple | list):
            return vector(v) if vector is not None else tuple(_r(x) for x in v)
        return _r(v)
    return {k: one(v) for k, v in params.items()}


def _np_round(v: Sequence[float]) -> tuple[float, ...]:
    return tuple(float(x) for x in np.round(np.asarray(v, dtype=float), DECIMALS))


def fit_duration(sample: np.ndarray, *, families: Sequence[str] = tuple(KINDS),
                 penalty: float = 2.0, n_quantiles: int = 21,
                 max_samples: int = 5000, tolerance: float = 0.05,
                 preserve_mean: bool = False) -> Fit:
    """The best-fitting distribution for ``sample`` (seconds; NaN and negatives dropped)."""
    x = np.asarray(sample, dtype=float)
    x = x[np.isfinite(x)]
    x = np.clip(x, 0.0, None)
    if x.size == 0:
        return Fit(Distribution.fixed(0.0), 0.0, {})
    fit = _fit(x, families, penalty, n_quantiles, max_samples, tolerance)
    if preserve_mean:
        return Fit(_with_mean(fit.distribution, float(x.mean())), fit.distance_seconds,
                   fit.candidates)
    return fit


def _with_mean(d: Distribution, mean: float) -> Distribution:
    """``d`` rescaled to the given mean (seconds); unchanged when already within 0.1%."""
    m = d.mean()
    if m <= 0 or mean <= 0 or abs(mean / m - 1.0) < 1e-3:
        return d
    s = d.scaled(mean / m)
    try:
        return Distribution(s.kind, _rounded(s.params))
    except ModelError:
        return s


def _fit(x: np.ndarray, families: Sequence[str], penalty: float, n_quantiles: int,
         max_samples: int, tolerance: float) -> Fit:
    x = _thin(x, max_samples)
    if x.size == 1 or x[-1] == x[0]:
        d = Distribution.fixed(_r(x[0]))
        return Fit(d, 0.0, {"fixed": 0.0})
    p = (np.arange(x.size) + 0.5) / x.size
    scored: list[tuple[float, Distribution]] = []
    for d in _candidates(x, families, n_quantiles):
        dist = float(np.mean(np.abs(x - d.ppf(p))))
        scored.append((dist, d))
    names: dict[str, float] = {}
    for dist, d in scored:
        key = d.kind
        names[key] = min(dist, names.get(key, math.inf))
    parametric = [s for s in scored if s[1].family.parametric]
    empirical = [s for s in scored if not s[1].family.parametric]
    best = min(parametric, key=lambda s: s[0]) if parametric else None
    good_enough = best is not None and best[0] <= tolerance * float(x.std())
    if empirical and (best is None or (empirical[0][0] * penalty < best[0]
                                       and not good_enough)):
        best = empirical[0]
    assert best is not None
    return Fit(best[1], round(best[0], 4), {k: round(v, 4) for k, v in names.items()})
