"""Probability distributions of durations and delays, keyed by named parameters (seconds).

A :class:`Distribution` is what a model file writes as ``{kind: gamma, mean: 600, sd: 200}``.
Every kind is parameterised by what a person can read: mean and standard deviation in seconds,
not shape/scale. Optional ``min`` and ``max`` bound any kind: samples outside are clipped (and
every draw is capped at :data:`~bpr.model.numbers.MAX_SECONDS`, 100 years).

The kinds and their parameters live in one registry, :data:`bpr.model.kinds.KINDS` (one class per
kind); ``Distribution`` is the value object (equality, hashing, ``to_dict``/``from_dict``) and
delegates everything else to its kind. ``processes/README.md`` documents the table of kinds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpr.errors import ModelError
from bpr.model.frozen import FrozenMap
from bpr.model.kinds import KINDS, Kind, kind_of
from bpr.model.numbers import MAX_SECONDS, number

_BOUNDS = ("min", "max")

_UNIT_SECONDS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "hr": 3600.0,
                 "d": 86400.0, "day": 86400.0, "days": 86400.0, "w": 604800.0}
_DURATION_RE = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*([a-z]*)\s*$")


def parse_seconds(value: Any, where: str = "value") -> float:
    """A number of seconds from a number or a string with a unit: ``90``, ``"15m"``, ``"2h"``.

    NaN, infinity and magnitudes above :data:`~bpr.model.numbers.MAX_SECONDS` (100 years) are
    refused, naming ``where``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(number(value, where, maximum=MAX_SECONDS))
    if isinstance(value, str) and len(value) <= 100:
        m = _DURATION_RE.match(value.lower())
        if m and (m.group(2) in _UNIT_SECONDS or m.group(2) == ""):
            seconds = float(m.group(1)) * _UNIT_SECONDS.get(m.group(2), 1.0)
            if not math.isfinite(seconds) or abs(seconds) > MAX_SECONDS:
                raise ModelError(f"{where}: {value.strip()!r} is longer than the limit of "
                                 f"3.156e9 s (100 years)")
            return seconds
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    raise ModelError(f"{where}: expected seconds or a duration such as '90s', '15m', '2h', '1d', "
                     f"got {shown}")


def _checked_params(kind: Kind, params: Mapping[str, Any]) -> FrozenMap[str, Any]:
    """The shared checks: known, present, finite times in [0, MAX_SECONDS]; floats and tuples."""
    if not isinstance(params, Mapping):
        raise ModelError(f"parameters must be a mapping of names to seconds, got "
                         f"{type(params).__name__}")
    allowed = (*kind.params, *(b for b in _BOUNDS if b not in kind.params))
    for k in params:
        if k not in allowed:
            raise ModelError(f"unknown parameter {k!r}; it takes {', '.join(allowed)}")
    missing = [k for k in kind.params if k not in params]
    if missing:
        raise ModelError(f"missing parameter {missing[0]!r} (it takes {', '.join(allowed)})")
    out: dict[str, Any] = {}
    for k in allowed:
        if k not in params:
            continue
        v = params[k]
        if k in kind.list_params:
            if isinstance(v, np.ndarray):
                v = v.tolist()
            if not isinstance(v, list | tuple):
                raise ModelError(f"{k} must be a list of seconds, got {type(v).__name__}")
            limit = kind.list_params[k]
            if len(v) > limit:
                raise ModelError(f"{k}: {len(v):,} values is more than the limit of {limit:,}; "
                                 f"use fewer (e.g. 101 for percentiles)")
            out[k] = tuple(number(x, f"{k}", minimum=0, maximum=MAX_SECONDS) for x in v)
        else:
            out[k] = number(_plain(v), k, minimum=0, maximum=MAX_SECONDS)
    if "min" in out and "max" in out and out["max"] < out["min"]:
        raise ModelError(f"max ({out['max']:g}) is below min ({out['min']:g})")
    return FrozenMap(out)


def _plain(v: Any) -> Any:
    """numpy scalars as Python numbers (anything else unchanged)."""
    item = getattr(v, "item", None)
    return item() if item is not None and type(v).__module__ == "numpy" else v


@dataclass(frozen=True)
class Distribution:
    """A distribution of a non-negative time in seconds; ``params`` are named seconds (see
    :mod:`bpr.model.kinds` and ``processes/README.md``). Immutable and hashable."""

    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        impl = kind_of(self.kind)
        try:
            params = _checked_params(impl, self.params)
            impl.validate(params)
        except ModelError as err:
            raise ModelError(f"{self.kind} distribution: {err.detail}") from None
        object.__setattr__(self, "params", params)

    @property
    def family(self) -> Kind:
        """This distribution's kind (the class that samples, fits and describes it)."""
        return KINDS[self.kind]

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
        return float(self.family.mean(self.params))

    def variance(self) -> float:
        """The variance in seconds squared, ignoring clipping by ``min``/``max``."""
        return float(self.family.variance(self.params))

    def scaled(self, factor: float) -> Distribution:
        """The same shape with every time multiplied by ``factor`` (e.g. 0.1 for 10x faster);
        ``factor`` 0 gives ``fixed 0``."""
        f = number(factor, "duration factor", minimum=0)
        if f == 0:
            return Distribution.fixed(0.0)
        return Distribution(self.kind, self.family.scaled(self.params, f))

    # -- sampling ----------------------------------------------------------------------------
    def _clip(self, x: np.ndarray) -> np.ndarray:
        p = self.params
        return np.clip(x, max(p.get("min", 0.0), 0.0), min(p.get("max", math.inf), MAX_SECONDS))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` samples in seconds (non-negative) with the given generator."""
        return self._clip(self.family.sample(self.params, rng, size))

    def ppf(self, q: Any) -> np.ndarray:
        """The quantile function at probabilities ``q`` (array-like in [0, 1]), clipped like
        sampling, so ``ppf(rng.random(n))`` and ``sample(rng, n)`` have the same distribution."""
        qs = np.asarray(q, dtype=float)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            x = self.family.ppf(self.params, qs)
        return self._clip(np.asarray(x, dtype=float))

    # -- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """``{kind: ..., <params>}`` with plain floats, in a stable key order."""
        out: dict[str, Any] = {"kind": self.kind}
        for k in (*self.family.params, *_BOUNDS):
            if k in self.params and k not in out:
                v = self.params[k]
                out[k] = [_num(x) for x in v] if k in self.family.list_params else _num(v)
        return out

    @classmethod
    def from_dict(cls, data: Any, where: str = "distribution") -> Distribution:
        """Parse ``{kind: ..., ...}``; times may be numbers of seconds or strings like ``'15m'``.
        Errors name ``where`` and the parameter (``where`` "" leaves the prefix to the caller)."""
        prefix = f"{where}: " if where else ""

        def sub(k: str) -> str:
            return f"{where}.{k}" if where else k

        if isinstance(data, int | float | str) and not isinstance(data, bool):
            return cls.fixed(parse_seconds(data, where or "value"))
        if not isinstance(data, Mapping):
            raise ModelError(f"{prefix}expected a mapping like {{kind: gamma, mean: 600, sd: 200}}"
                             f", got {type(data).__name__}")
        if "kind" not in data:
            raise ModelError(f"{prefix}missing 'kind' (one of {', '.join(KINDS)})")
        try:
            impl = kind_of(data["kind"] if isinstance(data["kind"], str) else repr(data["kind"]))
        except ModelError as err:
            raise ModelError(prefix + err.detail) from None
        params: dict[str, Any] = {}
        for k, v in data.items():
            if k == "kind":
                continue
            if k in impl.list_params:
                if not isinstance(v, list | tuple):
                    raise ModelError(f"{sub(k)}: expected a list of seconds, got "
                                     f"{type(v).__name__}")
                limit = impl.list_params[k]
                if len(v) > limit:
                    raise ModelError(f"{sub(k)}: {len(v):,} values is more than the limit of "
                                     f"{limit:,}; use fewer (e.g. 101 for percentiles)")
                params[k] = [parse_seconds(x, sub(k)) for x in v]
            else:
                params[k] = parse_seconds(v, sub(str(k)))
        try:
            return cls(impl.name, params)
        except ModelError as err:
            raise ModelError(prefix + err.detail) from None

    def __str__(self) -> str:
        inner = ", ".join(f"{k}={v}" for k, v in self.to_dict().items() if k != "kind")
        return f"{self.kind}({inner})"


def _num(v: float) -> float | int:
    """Whole numbers as integers (readable files); other floats exactly (exact round trip)."""
    f = float(v)
    return int(f) if f.is_integer() and abs(f) < 1e15 else f
