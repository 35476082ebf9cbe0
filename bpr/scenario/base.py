"""The base of every scenario change: the :class:`Change` protocol, its registry and the small
parsers and name lookups the change types share.

A change is a frozen dataclass with a pure ``apply(model) -> ProcessModel``. It is written in a
scenario file as a one-key mapping ``- KIND: {field: value, ...}``; :data:`REGISTRY` maps ``KIND``
to the class (no if/elif ladders). Problems raise :class:`ChangeProblem`, a
:class:`~bpr.errors.ScenarioError` that remembers which field was wrong so the scenario layer can
point at the file and line of that field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from bpr.errors import ModelError, ScenarioError
from bpr.model.distribution import Distribution
from bpr.model.process import Activity, Pool, ProcessModel
from bpr.text import did_you_mean


class ChangeProblem(ScenarioError):
    """A change that cannot be parsed or applied; ``field`` names the offending key (or None)."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message


@dataclass(frozen=True)
class Change:
    """One what-if change: a pure function ``ProcessModel -> ProcessModel``.

    Subclasses set ``kind`` (the key in scenario files), ``keys`` (the allowed fields),
    ``target_key`` (the field naming what is changed, used by sweeps: ``activity``, ``pool``,
    ``to``; None when there is no target), ``sweep_key`` (the field a sweep varies; None: not
    sweepable) and ``signed_fields`` (fields where a written ``+`` matters: YAML reads ``+1`` as
    the number 1, so the scenario parser passes such a value as its text). The other layers ask
    a change through its hooks — :attr:`volume_factor`, :meth:`sweep_field`,
    :meth:`for_sweep`, :meth:`sweep_value` — instead of testing its kind.
    """

    kind: ClassVar[str] = ""
    keys: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    target_key: ClassVar[str | None] = None
    sweep_key: ClassVar[str | None] = None
    signed_fields: ClassVar[tuple[str, ...]] = ()

    def apply(self, model: ProcessModel) -> ProcessModel:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """The fields as written in a scenario file (``from_dict(to_dict()) == self``)."""
        raise NotImplementedError

    def target(self) -> str | None:
        """What the change is about (an activity or pool name), for sweeps and labels."""
        return None if self.target_key is None else self.to_dict().get(self.target_key)

    def describe(self) -> str:
        """A short human label, e.g. ``staff Clerk +1``."""
        d = self.to_dict()
        parts = [str(v) for v in d.values() if not isinstance(v, Mapping | list)]
        return " ".join([self.kind, *parts])

    @property
    def volume_factor(self) -> float:
        """How the change scales the yearly case volume (1: not at all; a demand change 1.2)."""
        return 1.0

    @classmethod
    def sweep_value(cls, key: str, value: Any) -> Any:
        """How a sweep grid value is written into field ``key`` (identity by default)."""
        return value

    @classmethod
    def sweep_field(cls, target: str | None, model: ProcessModel) -> str | None:
        """The field a sweep varies when its grid axis names none (``sweep_key`` by default;
        a change whose field depends on what the target is overrides this)."""
        return cls.sweep_key

    @classmethod
    def for_sweep(cls, current: Change | None, target: str | None, key: str,
                  value: Any) -> Change:
        """This type's change at one grid point: ``current`` (the scenario's change of this
        type and target, or None to add one about ``target``) with field ``key`` = ``value``."""
        if current is not None:
            data = current.to_dict()
        else:
            data = {} if cls.target_key is None else {cls.target_key: target}
        return parse_change(cls.kind, {**data, key: cls.sweep_value(key, value)})

    def to_entry(self) -> dict[str, Any]:
        """The one-key mapping written in a scenario file's ``changes:`` list."""
        return {self.kind: self.to_dict()}


REGISTRY: dict[str, type[Change]] = {}
C = TypeVar("C", bound=type[Change])


def register(cls: C) -> C:
    """Class decorator: make a change type available under its ``kind``."""
    REGISTRY[cls.kind] = cls
    return cls


def parse_change(kind: str, data: Any) -> Change:
    """Build a change of type ``kind`` from its field mapping (checks keys and required fields)."""
    cls = REGISTRY.get(kind)
    if cls is None:
        raise ChangeProblem(None, f"unknown change type {kind!r}{did_you_mean(kind, REGISTRY)} "
                            f"(known: {', '.join(sorted(REGISTRY))})")
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ChangeProblem(None, f"expected a mapping of fields such as "
                            f"{{{', '.join(f'{k}: ...' for k in cls.required)}}}, got {data!r}")
    for key in data:
        if key not in cls.keys:
            raise ChangeProblem(str(key), f"unknown field{did_you_mean(key, cls.keys)} "
                                f"({kind} takes {', '.join(cls.keys)})")
    for key in cls.required:
        if key not in data:
            raise ChangeProblem(key, f"missing; {kind} needs {', '.join(cls.required)}")
    return cls.from_dict(data)


# -- field parsers (raise ChangeProblem naming the field) ------------------------------------------
_FACTOR_RE = re.compile(r"^\s*[x×]?\s*(\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+)\s*[x×]?\s*$")


def as_name(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ChangeProblem(key, f"expected a name, got {value!r}")
    return value.strip()


def as_number(value: Any, key: str, *, minimum: float | None = 0.0,
              positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ChangeProblem(key, f"expected a number, got {value!r}")
    if positive and value <= 0:
        raise ChangeProblem(key, f"must be greater than 0, got {value}")
    if minimum is not None and value < minimum:
        raise ChangeProblem(key, f"must be at least {minimum:g}, got {value}")
    return float(value)


def is_factor_text(value: Any) -> bool:
    """True for strings such as ``0.1x``, ``x1.5`` (a multiplying factor)."""
    return (isinstance(value, str) and any(c in value.lower() for c in "x×")
            and bool(_FACTOR_RE.match(value.lower())))


def parse_factor(value: Any, key: str, *, positive: bool = False) -> float:
    """A non-negative (or, with ``positive``, positive) factor from ``0.5``, ``"0.5x"``,
    ``"x0.5"``."""
    if isinstance(value, str):
        m = _FACTOR_RE.match(value.lower())
        if not m:
            raise ChangeProblem(key, f"expected a factor such as 0.5 or '0.5x', got {value!r}")
        value = float(m.group(1))
    return as_number(value, key, positive=positive)


def format_factor(factor: float) -> str:
    return f"{factor:g}x"


def parse_distribution(value: Any, key: str) -> Distribution:
    """A distribution from ``{kind: gamma, mean: 600, sd: 120}``, ``'15m'`` or seconds."""
    try:
        return Distribution.from_dict(value, key)
    except ModelError as err:
        raise ChangeProblem(key, err.detail.removeprefix(f"{key}: ")) from None


def duration_or_factor(value: Any, key: str) -> tuple[float | None, Distribution | None]:
    """``'0.1x'`` gives (0.1, None); a distribution or a duration gives (None, distribution)."""
    if is_factor_text(value):
        return parse_factor(value, key), None
    return None, parse_distribution(value, key)


# -- lookups with did-you-mean ------------------------------------------------------------------
def get_activity(model: ProcessModel, name: str, key: str = "activity") -> Activity:
    act = model.activities.get(name)
    if act is None:
        raise ChangeProblem(key, f"unknown activity {name!r}"
                            f"{did_you_mean(name, model.activities)}")
    return act


def get_pool(model: ProcessModel, name: str, key: str = "pool") -> Pool:
    pool = model.pools.get(name)
    if pool is None:
        known = ", ".join(model.pools) or "none"
        raise ChangeProblem(key, f"unknown pool {name!r}{did_you_mean(name, model.pools)} "
                            f"(pools: {known})")
    return pool


def get_node(model: ProcessModel, name: str, key: str) -> str:
    if name not in model.graph:
        raise ChangeProblem(key, f"unknown activity, gateway or event {name!r}"
                            f"{did_you_mean(name, model.node_names)}")
    return name


def map_activities(model: ProcessModel,
                   fn: Callable[[Activity], Activity]) -> Mapping[str, Activity]:
    """A new activity mapping with ``fn`` applied to each activity (order kept)."""
    return {n: fn(a) for n, a in model.activities.items()}
