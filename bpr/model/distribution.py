"""Probability distributions of durations and delays, keyed by named parameters (seconds).

A :class:`Distribution` is what a model file writes as ``{kind: gamma, mean: 600, sd: 200}``.
Every kind is parameterised by what a person can read: mean and standard deviation in seconds,
not shape/scale. Optional ``min`` and ``max`` bound any kind: samples outside are clipped.

Kinds and their parameters (all in seconds):

=============  ==============================================================
fixed          value
exponential    mean
gamma          mean, sd
lognormal      mean, sd
normal         mean, sd (truncated: clipped at min, which defaults to 0)
uniform        min, max
triangular     min, mode, max
empirical      quantiles: equally spaced quantiles q0..q100 (inverse-CDF
               sampling with linear interpolation, i.e. an equal-mass histogram)
=============  ==============================================================
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpr.errors import ModelError

_REQUIRED: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "exponential": ("mean",),
    "gamma": ("mean", "sd"),
    "lognormal": ("mean", "sd"),
    "normal": ("mean", "sd"),
    "uniform": ("min", "max"),
    "triangular": ("min", "mode", "max"),
    "empirical": ("quantiles",),
}
KINDS: tuple[str, ...] = tuple(_REQUIRED)
_BOUNDS = ("min", "max")

_UNIT_SECONDS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0,
                 "d": 86400.0, "day": 86400.0, "days": 86400.0, "w": 604800.0}
_DURATION_RE = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*([a-z]*)\s*$")


def parse_seconds(value: Any, where: str = "value") -> float:
    """A number of seconds from a number or a string with a unit: ``90``, ``"15m"``, ``"2h"``."""
    if isinstance(value, bool):
        raise ModelError(f"{where}: expected a number of seconds, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ModelError(f"{where}: expected a finite number of seconds, got {value!r}")
        return float(value)
    if isinstance(value, str):
        m = _DURATION_RE.match(value.lower())
        if m and (m.group(2) in _UNIT_SECONDS or m.group(2) == ""):
            return float(m.group(1)) * _UNIT_SECONDS.get(m.group(2), 1.0)
    raise ModelError(f"{where}: expected seconds or a duration such as '90s', '15m', '2h', '1d', "
                     f"got {value!r}")


@dataclass(frozen=True, eq=True)
class Distribution:
    """A distribution of a non-negative time in seconds; ``params`` are named (see module doc)."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in _REQUIRED:
            raise ModelError(f"unknown distribution kind {self.kind!r}; use one of "
                             f"{', '.join(KINDS)}")
        allowed = set(_REQUIRED[self.kind]) | set(_BOUNDS)
        unknown = set(self.params) - allowed
        if unknown:
            raise ModelError(f"{self.kind} distribution: unknown parameter "
                             f"{sorted(unknown)[0]!r}; it takes {', '.join(sorted(allowed))}")
        missing = [k for k in _REQUIRED[self.kind] if k not in self.params]
        if missing:
            raise ModelError(f"{self.kind} distribution: missing parameter {missing[0]!r}")
        p = self.params
        if self.kind == "empirical":
            q = p["quantiles"]
            if not isinstance(q, list | tuple) or len(q) < 2:
                raise ModelError("empirical distribution: quantiles must be a list of at least "
                                 "2 numbers")
            qs = tuple(float(x) for x in q)
            if any(b < a for a, b in zip(qs, qs[1:], strict=False)) or qs[0] < 0:
                raise ModelError("empirical distribution: quantiles must be non-negative and "
                                 "non-decreasing")
            object.__setattr__(self, "params", {**p, "quantiles": qs})
        for k, v in p.items():
            if k == "quantiles":
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ModelError(f"{self.kind} distribution: {k} must be a finite number of "
                                 f"seconds, got {v!r}")
            if v < 0 and k != "mode":
                raise ModelError(f"{self.kind} distribution: {k} must not be negative, got {v}")
        if self.kind in ("gamma", "lognormal") and (p["mean"] <= 0):
            raise ModelError(f"{self.kind} distribution: mean must be positive, got {p['mean']}")
        if self.kind in ("uniform", "triangular") and p["max"] < p["min"]:
            raise ModelError(f"{self.kind} distribution: max ({p['max']}) is below min "
                             f"({p['min']})")
        if self.kind == "triangular" and not p["min"] <= p["mode"] <= p["max"]:
            raise ModelError("triangular distribution: mode must lie between min and max")
        if "min" in p and "max" in p and p["max"] < p["min"]:
            raise ModelError(f"{self.kind} distribution: max ({p['max']}) is below min "
                             f"({p['min']})")

    # -- construction helpers -------------------------------------------------------------
    @classmethod
    def fixed(cls, value: float) -> Distribution:
        return cls("fixed", {"value": float(value)})

    @classmethod
    def exponential(cls, mean: float) -> Distribution:
        return cls("exponential", {"mean": float(mean)})

    # -- properties --------------------------------------------------------------------------
    def mean(self) -> float:
        """The mean in seconds, ignoring clipping by ``min``/``max`` (exact for unbounded kinds)."""
        p = self.params
        k = self.kind
        if k == "fixed":
            m = p["value"]
        elif k in ("exponential", "gamma", "lognormal", "normal"):
            m = p["mean"]
        elif k == "uniform":
            m = (p["min"] + p["max"]) / 2
        elif k == "triangular":
            m = (p["min"] + p["mode"] + p["max"]) / 3
        else:
            q = np.asarray(p["quantiles"])
            m = float(np.mean((q[1:] + q[:-1]) / 2))
        return float(m)

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every time multiplied by ``factor`` (e.g. 0.1 for 10x faster)."""
        if factor < 0:
            raise ModelError(f"duration factor must not be negative, got {factor}")
        new: dict[str, Any] = {}
        for k, v in self.params.items():
            new[k] = tuple(x * factor for x in v) if k == "quantiles" else v * factor
        if self.kind in ("gamma", "lognormal") and factor == 0:
            return Distribution.fixed(0.0)
        return Distribution(self.kind, new)

    # -- sampling ----------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` samples in seconds (non-negative) with the given generator."""
        p = self.params
        k = self.kind
        if k == "fixed":
            x = np.full(size, p["value"], dtype=float)
        elif k == "exponential":
            x = rng.exponential(p["mean"], size) if p["mean"] > 0 else np.zeros(size)
        elif k == "gamma":
            mean, sd = p["mean"], p["sd"]
            if sd <= 0:
                x = np.full(size, mean, dtype=float)
            else:
                shape = (mean / sd) ** 2
                x = rng.gamma(shape, sd * sd / mean, size)
        elif k == "lognormal":
            mean, sd = p["mean"], p["sd"]
            if sd <= 0:
                x = np.full(size, mean, dtype=float)
            else:
                sigma2 = math.log1p((sd / mean) ** 2)
                mu = math.log(mean) - sigma2 / 2
                x = rng.lognormal(mu, math.sqrt(sigma2), size)
        elif k == "normal":
            x = rng.normal(p["mean"], p["sd"], size)
        elif k == "uniform":
            x = rng.uniform(p["min"], p["max"], size)
        elif k == "triangular":
            lo, mode, hi = p["min"], p["mode"], p["max"]
            x = np.full(size, lo, dtype=float) if hi <= lo else rng.triangular(lo, mode, hi, size)
        else:
            q = np.asarray(p["quantiles"], dtype=float)
            u = rng.random(size) * (len(q) - 1)
            i = np.minimum(u.astype(int), len(q) - 2)
            x = q[i] + (u - i) * (q[i + 1] - q[i])
        lo = p.get("min", 0.0)
        hi = p.get("max", math.inf)
        return np.clip(x, max(lo, 0.0), hi)

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """``{kind: ..., <params>}`` with plain floats, in a stable key order."""
        out: dict[str, Any] = {"kind": self.kind}
        for k in _REQUIRED[self.kind] + _BOUNDS:
            if k in self.params:
                v = self.params[k]
                out[k] = [_num(x) for x in v] if k == "quantiles" else _num(v)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "distribution") -> Distribution:
        """Parse ``{kind: ..., ...}``; times may be numbers of seconds or strings like ``'15m'``."""
        if isinstance(data, int | float | str) and not isinstance(data, bool):
            return cls.fixed(parse_seconds(data, where))
        if not isinstance(data, Mapping):
            raise ModelError(f"{where}: expected a mapping like {{kind: gamma, mean: 600, sd: 200}}"
                             f", got {data!r}")
        if "kind" not in data:
            raise ModelError(f"{where}: missing 'kind' (one of {', '.join(KINDS)})")
        params: dict[str, Any] = {}
        for k, v in data.items():
            if k == "kind":
                continue
            if k == "quantiles":
                if not isinstance(v, list):
                    raise ModelError(f"{where}.quantiles: expected a list of seconds")
                params[k] = [parse_seconds(x, f"{where}.quantiles") for x in v]
            else:
                params[k] = parse_seconds(v, f"{where}.{k}") if k != "mode" or isinstance(
                    v, str) else float(v)
        try:
            return cls(str(data["kind"]), params)
        except ModelError as err:
            raise ModelError(f"{where}: {err.detail}") from None

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.to_dict().items() if k != "kind")
        return f"{self.kind}({inner})"


def _num(v: float) -> float | int:
    """Whole numbers as integers (readable files); other floats exactly (exact round trip)."""
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f
