"""Prosimos/Simod duration distributions (pix-framework ``DurationDistribution``) in bpr terms.

Prosimos 2.x reads ``{"distribution_name": ..., "distribution_params": [{"value": ...}, ...]}``
with pix-framework's ``DurationDistribution.from_dict``; all values are seconds:

=========  ===========================  ==============================================
name       params                       sampled as (scipy.stats)
=========  ===========================  ==============================================
fix        [value]                      value
expon      [mean, min, max]             expon(loc=min, scale=mean - min)  (scale=mean
                                        if mean < min)
norm       [mean, std, min, max]        norm(loc=mean, scale=std)
uniform    [min, max]                   uniform(loc=min, scale=max - min)
lognorm    [mean, variance, min, max]   lognorm(s=sigma, scale=exp(mu)) with
                                        phi = sqrt(var + mean^2), mu = ln(mean^2 / phi),
                                        sigma = sqrt(ln(phi^2 / mean^2))
gamma      [mean, variance, min, max]   gamma(a=mean^2 / var, scale=var / mean)
=========  ===========================  ==============================================

Samples below 0, below min or above max are **rejected and redrawn** (a truncated
distribution), not clipped. :class:`Component` reproduces that exactly (CDF, quantiles, mean);
:func:`to_bpr` turns one component, or an equal-weight mixture of several (one per resource), into
a bpr :class:`~bpr.model.distribution.Distribution`: a named kind when that is exact to within
0.1% probability mass, otherwise an ``empirical`` quantile table of the exact truncated mixture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from bpr.errors import ModelError
from bpr.model.distribution import Distribution

NAMED_TOLERANCE = 1e-3  # max probability mass changed by clipping instead of rejection
_ARITY = {"fix": 1, "expon": 3, "norm": 4, "uniform": 2, "lognorm": 4, "gamma": 4}


@dataclass(frozen=True)
class Component:
    """One Prosimos distribution: ``name`` and parameters as Prosimos reads them (seconds)."""

    name: str
    mean: float = 0.0
    var: float = 0.0
    std: float = 0.0
    lo: float = 0.0  # effective lower bound: max(0, min)
    hi: float = math.inf
    loc: float = 0.0  # the raw ``min`` parameter: shift of expon, start of uniform

    # -- scipy objects -----------------------------------------------------------------------
    @cached_property
    def _base(self) -> Any:
        return self._make_base()

    def base(self) -> Any:
        """The untruncated scipy.stats frozen distribution (None for ``fix``)."""
        return self._base

    def _make_base(self) -> Any:
        import scipy.stats as st

        if self.name == "expon":
            loc = self.loc
            scale = self.mean - loc if self.mean - loc >= 0 else self.mean
            return st.expon(loc=loc, scale=max(scale, 1e-12))
        if self.name == "norm":
            return st.norm(loc=self.mean, scale=max(self.std, 1e-12))
        if self.name == "uniform":
            return st.uniform(loc=self.loc, scale=max(self.hi - self.loc, 0.0))
        if self.name == "lognorm":
            m2 = self.mean ** 2
            phi = math.sqrt(self.var + m2)
            mu = math.log(m2 / phi)
            sigma = math.sqrt(math.log(phi ** 2 / m2))
            return st.lognorm(max(sigma, 1e-12), loc=0, scale=math.exp(mu))
        if self.name == "gamma":
            return st.gamma(self.mean ** 2 / self.var, loc=0, scale=self.var / self.mean)
        return None

    def window_mass(self) -> float:
        """Probability the untruncated distribution lands in [lo, hi] (1 for ``fix``)."""
        b = self.base()
        if b is None:
            return 1.0
        return float(b.cdf(self.hi) - b.cdf(self.lo))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        """CDF of the truncated (rejection-sampled) distribution."""
        b = self.base()
        if b is None:
            return (np.asarray(x) >= self.mean).astype(float)
        a, c = b.cdf(self.lo), b.cdf(self.hi)
        if c - a <= 0:
            return (np.asarray(x) >= self.fallback()).astype(float)
        return np.clip((b.cdf(x) - a) / (c - a), 0.0, 1.0)

    def fallback(self) -> float:
        """pix-framework's value when nothing can be drawn within the bounds."""
        v = self.mean if self.mean >= 0 else None
        if v is None or v < self.lo or v > self.hi:
            v = self.lo + (self.hi - self.lo) / 2 if math.isfinite(self.hi) else self.lo
        return max(v, 0.0)

    def true_mean(self) -> float:
        """Mean of the truncated distribution, seconds."""
        b = self.base()
        if b is None:
            return self.mean
        if self.window_mass() <= 0:
            return self.fallback()
        return float(b.expect(lambda x: x, lb=self.lo, ub=self.hi, conditional=True))

    def support(self) -> tuple[float, float]:
        b = self.base()
        if b is None:
            return self.mean, self.mean
        lo = max(self.lo, float(b.ppf(0.0)) if np.isfinite(b.ppf(0.0)) else self.lo)
        hi = self.hi if math.isfinite(self.hi) else float(b.ppf(1 - 1e-6))
        return lo, max(hi, lo)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw like Prosimos (inverse CDF within the window; equivalent to rejection)."""
        b = self.base()
        if b is None:
            return np.full(size, self.mean)
        a, c = b.cdf(self.lo), b.cdf(self.hi)
        if c - a <= 0:
            return np.full(size, self.fallback())
        return np.clip(b.ppf(rng.uniform(a, c, size)), self.lo, self.hi)


def parse_component(d: Any, where: str) -> Component:
    """A :class:`Component` from a Prosimos ``{distribution_name, distribution_params}`` dict."""
    if not isinstance(d, Mapping) or "distribution_name" not in d:
        raise ModelError(f"{where}: expected {{distribution_name, distribution_params}}")
    name = str(d["distribution_name"]).lower()
    aliases = {"fixed": "fix", "exponential": "expon", "normal": "norm", "lognormal": "lognorm",
               "log_normal": "lognorm"}
    name = aliases.get(name, name)
    if name not in _ARITY:
        raise ModelError(f"{where}: distribution {name!r} is not supported; Prosimos models use "
                         f"{', '.join(_ARITY)}")
    raw = d.get("distribution_params") or []
    try:
        vals = [float(p["value"] if isinstance(p, Mapping) else p) for p in raw]
    except (TypeError, ValueError, KeyError):
        raise ModelError(f"{where}: distribution_params must be a list of {{value: number}}"
                         ) from None
    need = _ARITY[name]
    if name == "fix" and not vals or name != "fix" and len(vals) < need - 2:
        raise ModelError(f"{where}: {name} needs {need} parameters, got {len(vals)}")
    if name == "fix":
        return Component("fix", mean=vals[0], lo=vals[0], hi=vals[0])
    if name == "uniform":
        a, b = vals[0], vals[1]
        return Component("uniform", lo=max(a, 0.0), hi=b, loc=a)
    if name == "expon":
        mean = vals[0]
        mn = vals[1] if len(vals) > 1 else 0.0
        mx = vals[2] if len(vals) > 2 else math.inf
        return Component("expon", mean=mean, lo=max(mn, 0.0), hi=mx, loc=mn)
    mean, second = vals[0], vals[1]
    mn = vals[2] if len(vals) > 2 else 0.0
    mx = vals[3] if len(vals) > 3 else math.inf
    if name == "norm":
        return Component("norm", mean=mean, std=second, var=second ** 2, lo=max(mn, 0.0), hi=mx)
    if mean <= 0 or second <= 0:
        return Component("fix", mean=max(mean, 0.0), lo=max(mean, 0.0), hi=max(mean, 0.0))
    return Component(name, mean=mean, var=second, std=math.sqrt(second), lo=max(mn, 0.0), hi=mx)


def _named(c: Component) -> Distribution | None:
    """A named bpr distribution equal to ``c`` within NAMED_TOLERANCE, or None."""
    if c.name == "fix":
        return Distribution.fixed(c.mean)
    if c.name == "uniform":
        return Distribution("uniform", {"min": c.lo, "max": c.hi})
    if 1 - c.window_mass() > NAMED_TOLERANCE:
        return None
    bounds: dict[str, float] = {}
    if c.lo > 0:
        bounds["min"] = c.lo
    if math.isfinite(c.hi):
        bounds["max"] = c.hi
    if c.name == "expon":
        if c.loc > 0:
            return None  # a shifted exponential has no named bpr kind
        return Distribution("exponential", {"mean": c.mean, **bounds})
    if c.name == "norm":
        return Distribution("normal", {"mean": c.mean, "sd": c.std, **bounds})
    kind = "lognormal" if c.name == "lognorm" else "gamma"
    return Distribution(kind, {"mean": c.mean, "sd": c.std, **bounds})


def mixture_quantiles(comps: Sequence[Component], n: int) -> np.ndarray:
    """``n + 1`` equally spaced quantiles (0..1) of an equal-weight mixture of ``comps``."""
    lo = min(c.support()[0] for c in comps)
    hi = max(c.support()[1] for c in comps)
    p = np.linspace(0.0, 1.0, n + 1)[1:-1]
    a = np.full(p.shape, lo)
    b = np.full(p.shape, hi)
    for _ in range(80):  # bisection on the mixture CDF
        mid = (a + b) / 2
        f = np.mean([c.cdf(mid) for c in comps], axis=0)
        below = f < p
        a = np.where(below, mid, a)
        b = np.where(below, b, mid)
    return np.concatenate([[lo], b, [hi]])


def to_bpr(comps: Sequence[Component], *, max_segments: int = 800,
           mean_tolerance: float = 0.005) -> Distribution:
    """One bpr distribution for ``comps`` (an equal-weight mixture when there are several)."""
    if not comps:
        raise ValueError("no components")
    first = comps[0]
    if all(c == first for c in comps):
        named = _named(first)
        if named is not None:
            return named
        comps = [first]
    exact = float(np.mean([c.true_mean() for c in comps]))
    n = 100
    while True:
        q = mixture_quantiles(comps, n)
        if q[-1] - q[0] < 1e-9:
            return Distribution.fixed(float(q[0]))
        approx = float(np.mean((q[1:] + q[:-1]) / 2))
        if abs(approx - exact) <= mean_tolerance * max(exact, 1e-9) or n >= max_segments:
            break
        n *= 2
    q = np.maximum.accumulate(np.round(q, 3))
    return Distribution("empirical", {"quantiles": tuple(float(x) for x in q)})
