"""Every distribution kind, one class each, in one registry (:data:`KINDS`).

As Ciw keeps sampling, mean and variance on one class per distribution, a kind here holds
everything bpr does with it: its required parameters (every parameter is a **time in seconds**,
named as a person reads it: ``mean``, ``sd``, ``min``, ...), the checks its parameters must pass,
its mean and variance, sampling, the quantile function (vectorised), scaling, and how discovery
fits it to a sample. :class:`bpr.model.Distribution` is the value object files and users see; it
delegates to its kind here. Discovery's candidate families, calibration's family list, the
variance of merged activities and the documented table in ``processes/README.md`` all follow
this registry (a test checks the table).

Adding a kind is one class here, decorated with :func:`register`, plus its tests
(``tests/test_distributions.py`` asks every kind for a hypothesis strategy). A class that leaves
a method unimplemented is refused when it is registered, naming what is missing.

Shared rules the kinds can rely on (checked by ``Distribution`` before :meth:`Kind.validate`):
every required parameter is present, every value is a finite time in ``[0, MAX_SECONDS]`` (list
parameters: a list of such times no longer than the kind's limit). Sampling and quantiles are
clipped to the optional ``min``/``max`` bounds (and to ``[0, MAX_SECONDS]``) by
``Distribution``, not here; :meth:`Kind.mean` and :meth:`Kind.variance` ignore that clipping.
"""

from __future__ import annotations

import inspect
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, TypeVar

import numpy as np

from bpr.errors import ModelError

Params = Mapping[str, Any]
MAX_QUANTILES = 10_001  # longest quantile table (10,000 equal-mass segments)
MAX_CV = 1e6  # sd / mean of a gamma or lognormal: at most this (beyond, the numbers break)
WEIBULL_MAX_CV = 1000.0  # sd / mean of a Weibull: at most this (shape about 0.093)


@dataclass(frozen=True)
class FitSample:
    """What a kind fits to: ``x`` sorted, finite, non-negative seconds with at least two
    distinct values; ``mean`` and ``sd`` (ddof 1) of ``x``; ``n_quantiles`` for table kinds."""

    x: np.ndarray
    mean: float
    sd: float
    n_quantiles: int = 21


class Kind(ABC):
    """One kind of distribution of a non-negative time in seconds. Subclasses set :attr:`name`
    and :attr:`params` and implement every abstract method; they are stateless (parameters are
    passed in as the mapping ``p``)."""

    #: the ``kind:`` written in files
    name: ClassVar[str]
    #: required parameters in file order; every one is a time in seconds
    params: ClassVar[tuple[str, ...]]
    #: what the parameters mean, for people (the docs table says the same)
    doc: ClassVar[str] = ""
    #: parameters that are lists of seconds, with their longest allowed length
    list_params: ClassVar[Mapping[str, int]] = {}
    #: False for tables fitted to the sample itself (discovery penalises them, calibration
    #: keeps them out of its "parametric families" alternative)
    parametric: ClassVar[bool] = True
    #: calibration also tries discovery with this family alone
    searched_alone: ClassVar[bool] = False

    @abstractmethod
    def validate(self, p: Params) -> None:
        """Raise :class:`ModelError` (message without the kind's name) for parameters this kind
        cannot use; the shared checks (present, finite, in range) are already done."""

    @abstractmethod
    def mean(self, p: Params) -> float:
        """The mean in seconds (ignoring clipping at ``min``/``max``)."""

    @abstractmethod
    def variance(self, p: Params) -> float:
        """The variance in seconds squared (ignoring clipping at ``min``/``max``)."""

    @abstractmethod
    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws in seconds (before clipping)."""

    @abstractmethod
    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        """The quantile function at probabilities ``q`` (an array in [0, 1]; before clipping)."""

    @abstractmethod
    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        """Candidate parameters for sample ``s`` (none if the kind cannot describe it).
        Discovery rounds them, drops those ``Distribution`` refuses and keeps the closest."""

    def scaled(self, p: Params, factor: float) -> dict[str, Any]:
        """The parameters with every time multiplied by ``factor`` (> 0): the same shape."""
        return {k: (tuple(x * factor for x in v) if k in self.list_params else v * factor)
                for k, v in p.items()}


KINDS: dict[str, Kind] = {}
K = TypeVar("K", bound=type[Kind])


def register(cls: K) -> K:
    """Add ``cls`` to :data:`KINDS`; a kind missing a method or a setting is refused here."""
    label = f"distribution kind {getattr(cls, 'name', '?')!r} ({cls.__name__})"
    missing = sorted(getattr(cls, "__abstractmethods__", ())) if inspect.isabstract(cls) else []
    if missing:
        raise TypeError(f"{label} is incomplete: implement {', '.join(missing)}")
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.isidentifier() or name != name.lower():
        raise TypeError(f"{label}: set 'name' to the lower-case word files write as kind")
    if name in KINDS:
        raise TypeError(f"{label}: the kind {name!r} is already registered")
    params = getattr(cls, "params", None)
    if not isinstance(params, tuple) or not params or not all(
            isinstance(k, str) and k.isidentifier() for k in params):
        raise TypeError(f"{label}: set 'params' to the tuple of its required parameter names")
    if not set(cls.list_params) <= set(params):
        raise TypeError(f"{label}: list_params must name required parameters")
    if not cls.doc:
        raise TypeError(f"{label}: set 'doc' to what its parameters mean")
    KINDS[name] = cls()
    return cls


def _positive_mean(p: Params, max_cv: float = MAX_CV) -> None:
    if p["mean"] <= 0:
        raise ModelError(f"mean must be positive, got {p['mean']:g}")
    if p["sd"] > max_cv * p["mean"]:
        raise ModelError(f"sd may be at most {max_cv:,.0f} times the mean, got sd / mean = "
                         f"{p['sd'] / p['mean']:.4g}; use empirical (quantiles) for such a spread")


def _norm_ppf(q: np.ndarray) -> np.ndarray:
    from scipy import stats

    return np.asarray(stats.norm.ppf(q), dtype=float)


# -- the kinds, in the order of the documented table -------------------------------------------
@register
class Fixed(Kind):
    name = "fixed"
    params = ("value",)
    doc = "always the same time"

    def validate(self, p: Params) -> None:
        return None  # the shared checks suffice

    def mean(self, p: Params) -> float:
        return float(p["value"])

    def variance(self, p: Params) -> float:
        return 0.0

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, p["value"], dtype=float)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        return np.full(np.shape(q), float(p["value"]))

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        return [{"value": s.mean}]


@register
class Exponential(Kind):
    name = "exponential"
    params = ("mean",)
    doc = "memoryless times with this mean"
    searched_alone = True

    def validate(self, p: Params) -> None:
        return None  # the shared checks suffice

    def mean(self, p: Params) -> float:
        return float(p["mean"])

    def variance(self, p: Params) -> float:
        return float(p["mean"]) ** 2

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(p["mean"], n) if p["mean"] > 0 else np.zeros(n)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        q = np.asarray(q, dtype=float)
        return -float(p["mean"]) * np.log1p(-q) if p["mean"] > 0 else np.zeros(q.shape)

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        return [{"mean": s.mean}]


def _degenerate(p: Params) -> bool:
    """A mean/sd kind with an sd too small to matter (below 1e-9 of the mean) is fixed."""
    return p["sd"] <= 1e-9 * p["mean"]


@register
class Gamma(Kind):
    name = "gamma"
    params = ("mean", "sd")
    doc = f"mean and standard deviation of the times (sd at most {MAX_CV:,.0f} times the mean)"
    searched_alone = True

    def validate(self, p: Params) -> None:
        _positive_mean(p)

    def _shape_scale(self, p: Params) -> tuple[float, float]:
        mean, sd = p["mean"], p["sd"]
        # sd * sd / mean as always, unless sd * sd would underflow (sd below 1e-150 s)
        return (mean / sd) ** 2, (sd * sd / mean if sd > 1e-150 else sd * (sd / mean))

    def mean(self, p: Params) -> float:
        return float(p["mean"])

    def variance(self, p: Params) -> float:
        return float(p["sd"]) ** 2

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        if _degenerate(p):
            return np.full(n, p["mean"], dtype=float)
        shape, scale = self._shape_scale(p)
        return rng.gamma(shape, scale, n)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        from scipy import stats

        if _degenerate(p):
            return np.full(np.shape(q), float(p["mean"]))
        shape, scale = self._shape_scale(p)
        return np.asarray(stats.gamma.ppf(q, shape, scale=scale), dtype=float)

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        return [{"mean": s.mean, "sd": s.sd}]


@register
class Lognormal(Kind):
    name = "lognormal"
    params = ("mean", "sd")
    doc = ("mean and standard deviation of the times themselves, not of their logarithm (sd "
           f"at most {MAX_CV:,.0f} times the mean)")
    searched_alone = True

    def validate(self, p: Params) -> None:
        _positive_mean(p)

    @staticmethod
    def _mu_sigma(p: Params) -> tuple[float, float]:
        s2 = math.log1p((p["sd"] / p["mean"]) ** 2)
        return math.log(p["mean"]) - s2 / 2, math.sqrt(s2)

    def mean(self, p: Params) -> float:
        return float(p["mean"])

    def variance(self, p: Params) -> float:
        return float(p["sd"]) ** 2

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        if _degenerate(p):
            return np.full(n, p["mean"], dtype=float)
        mu, sigma = self._mu_sigma(p)
        return rng.lognormal(mu, sigma, n)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        if _degenerate(p):
            return np.full(np.shape(q), float(p["mean"]))
        mu, sigma = self._mu_sigma(p)
        return np.exp(mu + sigma * _norm_ppf(q))

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        """By moments, and by maximum likelihood on ``log x`` (the positive part)."""
        out: list[dict[str, Any]] = [{"mean": s.mean, "sd": s.sd}]
        pos = s.x[s.x > 0]
        if pos.size > 1:
            logs = np.log(pos)
            mu, sigma = float(logs.mean()), float(logs.std())
            if 0 < sigma < 20 and math.isfinite(mu):
                m = math.exp(mu + sigma * sigma / 2)
                sd = m * math.sqrt(math.expm1(sigma * sigma))
                if math.isfinite(sd):
                    out.append({"mean": m, "sd": sd})
        return out


@lru_cache(maxsize=4096)
def weibull_shape(cv: float) -> float:
    """The Weibull shape ``k`` whose coefficient of variation (sd / mean) is ``cv`` (> 0).

    Solves ``lgamma(1 + 2/k) - 2 lgamma(1 + 1/k) = log(1 + cv^2)`` (the left side falls
    monotonically in ``k``) by bisection on ``log k`` in [0.05, 1e6]; for ``cv`` below 1e-5
    (``k`` above 128,000, where the difference of log-gammas loses digits) uses the asymptote
    ``k = pi / (sqrt(6) cv)``, whose relative error there is below 1e-5.
    """
    if cv < 1e-5:
        return math.pi / (math.sqrt(6.0) * cv)
    target = math.log1p(cv * cv)
    lo, hi = math.log(0.05), math.log(1e6)
    for _ in range(100):
        mid = (lo + hi) / 2
        k = math.exp(mid)
        g = math.lgamma(1 + 2 / k) - 2 * math.lgamma(1 + 1 / k)
        if g > target:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-15:
            break
    return math.exp((lo + hi) / 2)


@register
class Weibull(Kind):
    name = "weibull"
    params = ("mean", "sd")
    doc = (f"mean and standard deviation of the times (the shape is solved from sd / mean, "
           f"which may be at most {WEIBULL_MAX_CV:g})")
    searched_alone = True

    def validate(self, p: Params) -> None:
        _positive_mean(p, WEIBULL_MAX_CV)

    @staticmethod
    def _shape_scale(p: Params) -> tuple[float, float]:
        k = weibull_shape(p["sd"] / p["mean"])
        return k, p["mean"] / math.gamma(1 + 1 / k)

    def mean(self, p: Params) -> float:
        return float(p["mean"])

    def variance(self, p: Params) -> float:
        return float(p["sd"]) ** 2

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        if _degenerate(p):
            return np.full(n, p["mean"], dtype=float)
        k, scale = self._shape_scale(p)
        return scale * rng.weibull(k, n)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        if _degenerate(p):
            return np.full(np.shape(q), float(p["mean"]))
        k, scale = self._shape_scale(p)
        return scale * (-np.log1p(-np.asarray(q, dtype=float))) ** (1 / k)

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        return [{"mean": s.mean, "sd": s.sd}]


@register
class Normal(Kind):
    name = "normal"
    params = ("mean", "sd")
    doc = "mean and standard deviation; negative draws are clipped to min (default 0)"

    def validate(self, p: Params) -> None:
        return None  # the shared checks suffice

    def mean(self, p: Params) -> float:
        return float(p["mean"])

    def variance(self, p: Params) -> float:
        return float(p["sd"]) ** 2

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(p["mean"], p["sd"], n)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        if p["sd"] == 0:
            return np.full(np.shape(q), float(p["mean"]))
        return float(p["mean"]) + float(p["sd"]) * _norm_ppf(q)

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        return [{"mean": s.mean, "sd": s.sd}]


def _ordered(p: Params) -> None:
    if p["max"] < p["min"]:
        raise ModelError(f"max ({p['max']:g}) is below min ({p['min']:g})")


@register
class Uniform(Kind):
    name = "uniform"
    params = ("min", "max")
    doc = "every time between min and max equally likely"

    def validate(self, p: Params) -> None:
        _ordered(p)

    def mean(self, p: Params) -> float:
        return (p["min"] + p["max"]) / 2

    def variance(self, p: Params) -> float:
        return (p["max"] - p["min"]) ** 2 / 12.0

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(p["min"], p["max"], n)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        return float(p["min"]) + np.asarray(q, dtype=float) * (float(p["max"]) - float(p["min"]))

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        return [{"min": float(s.x[0]), "max": float(s.x[-1])}]


@register
class Triangular(Kind):
    name = "triangular"
    params = ("min", "mode", "max")
    doc = "between min and max, most likely at mode"

    def validate(self, p: Params) -> None:
        _ordered(p)
        if not p["min"] <= p["mode"] <= p["max"]:
            raise ModelError(f"mode ({p['mode']:g}) must lie between min ({p['min']:g}) and max "
                             f"({p['max']:g})")

    def mean(self, p: Params) -> float:
        return (p["min"] + p["mode"] + p["max"]) / 3

    def variance(self, p: Params) -> float:
        a, c, b = p["min"], p["mode"], p["max"]
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        lo, mode, hi = p["min"], p["mode"], p["max"]
        return np.full(n, lo, dtype=float) if hi <= lo else rng.triangular(lo, mode, hi, n)

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        a, c, b = float(p["min"]), float(p["mode"]), float(p["max"])
        q = np.asarray(q, dtype=float)
        if b <= a:
            return np.full(q.shape, a)
        fc = (c - a) / (b - a)
        left = a + np.sqrt(q * (b - a) * (c - a))
        right = b - np.sqrt((1 - q) * (b - a) * (b - c))
        return np.where(q < fc, left, right)

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        """The sample's range, with the mode that gives the sample mean (kept in the range)."""
        a, b = float(s.x[0]), float(s.x[-1])
        return [{"min": a, "mode": min(max(3 * s.mean - a - b, a), b), "max": b}]


@register
class Empirical(Kind):
    name = "empirical"
    params = ("quantiles",)
    doc = ("equally spaced quantiles from the minimum (q0) to the maximum (q100); sampled by "
           "inverse CDF with linear interpolation (an equal-mass histogram)")
    list_params = {"quantiles": MAX_QUANTILES}
    parametric = False
    searched_alone = True

    def validate(self, p: Params) -> None:
        q = p["quantiles"]
        if len(q) < 2:
            raise ModelError("quantiles must be a list of at least 2 times")
        if any(b < a for a, b in zip(q, q[1:], strict=False)):
            raise ModelError("quantiles must be non-decreasing")

    def mean(self, p: Params) -> float:
        q = np.asarray(p["quantiles"], dtype=float)
        return float(np.mean((q[1:] + q[:-1]) / 2))

    def variance(self, p: Params) -> float:
        q = np.asarray(p["quantiles"], dtype=float)  # equal-mass uniform segments
        lo, hi = q[:-1], q[1:]
        second = float(np.mean((lo * lo + lo * hi + hi * hi) / 3.0))
        return max(0.0, second - self.mean(p) ** 2)

    def sample(self, p: Params, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.ppf(p, rng.random(n))

    def ppf(self, p: Params, q: np.ndarray) -> np.ndarray:
        qs = np.asarray(p["quantiles"], dtype=float)
        u = np.asarray(q, dtype=float) * (len(qs) - 1)
        i = np.minimum(u.astype(int), len(qs) - 2)
        return qs[i] + (u - i) * (qs[i + 1] - qs[i])

    def fit(self, s: FitSample) -> list[dict[str, Any]]:
        qs = np.quantile(s.x, np.linspace(0.0, 1.0, max(2, s.n_quantiles)))
        return [{"quantiles": tuple(float(v) for v in np.maximum.accumulate(qs))}]


def kind_of(name: str) -> Kind:
    """The registered kind called ``name`` (a :class:`ModelError` with a suggestion if none)."""
    kind = KINDS.get(name)
    if kind is None:
        import difflib

        close = difflib.get_close_matches(str(name), list(KINDS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ModelError(f"unknown distribution kind {name!r}{hint} (use one of "
                         f"{', '.join(KINDS)})")
    return kind
