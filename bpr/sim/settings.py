"""Run settings: how a simulation, what-if, sweep, validation or calibration is run, validated in
one place.

:class:`RunSettings` is the one dataclass that ``bpr.simulate``, ``bpr.whatif``, ``bpr.sweep``,
``bpr.validate``, ``bpr.calibrate`` and the CLI's options (:mod:`bpr.cli.options`) share.
``None`` means "the default"; a value is checked and then used as given — a 0 is honoured where
it means something (no warm-up, seed 0) and refused where it does not (0 cases, replications,
workers, annual cases or FTE hours), never silently replaced by a default. Errors are
:class:`SettingsError` lines that name the field (the CLI names its option instead).

Defaults: ``cases`` the model's observed case count, else :data:`DEFAULT_CASES`;
``replications`` :data:`DEFAULT_REPLICATIONS`; ``seed`` :data:`DEFAULT_SEED`; no warm-up; one
worker; ``annual_cases`` and ``fte_hours_per_year`` from the scenario file, else the base model's
observed volume and :data:`FTE_HOURS_PER_YEAR`.

A new setting is one field with its check in ``metadata`` (and, for the CLI, one entry in
:data:`bpr.cli.options.OPTIONS`). ``replications`` stays None until resolved
(:attr:`RunSettings.replications_to_run`), so "the user forced N" and "use the default" remain
distinguishable — room for a precision-driven default with a cap and a time budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bpr.errors import SimulationError

if TYPE_CHECKING:
    from bpr.model.process import ProcessModel

DEFAULT_CASES = 1000
DEFAULT_REPLICATIONS = 10
DEFAULT_SEED = 42
#: Productive hours of one full-time person per year (see :mod:`bpr.analysis.savings`).
FTE_HOURS_PER_YEAR = 1720.0
#: Hours in a leap year: no one works more in a year.
HOURS_PER_YEAR_MAX = 366 * 24


class SettingsError(SimulationError):
    """A run setting that cannot be used; ``field`` names it and ``problem`` says why."""

    def __init__(self, field_name: str, problem: str):
        self.field = field_name
        self.problem = problem
        super().__init__(f"{field_name} {problem}")


Check = Callable[[str, Any], Any]


def _whole(minimum: int) -> Check:
    def check(name: str, value: Any) -> int:
        ok = (not isinstance(value, bool) and isinstance(value, int | float)
              and math.isfinite(value) and int(value) == value and value >= minimum)
        if not ok:
            raise SettingsError(name, f"must be at least {minimum} (a whole number), got "
                                      f"{value!r}")
        return int(value)
    return check


def _positive(maximum: float | None = None, unit: str = "") -> Check:
    def check(name: str, value: Any) -> float:
        ok = (not isinstance(value, bool) and isinstance(value, int | float)
              and math.isfinite(value) and value > 0)
        if not ok:
            raise SettingsError(name, f"must be a positive number, got {value!r}")
        if maximum is not None and value > maximum:
            raise SettingsError(name, f"must be at most {maximum:,g}{unit}, got {value!r}")
        return float(value)
    return check


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SettingsError(name, f"must be a non-empty text, got {value!r}")
    return value.strip()


def _start(name: str, value: Any) -> datetime | str:
    if isinstance(value, datetime):
        return value
    return _text(name, value)  # parsed with the model's time zone by bpr.sim.clock


def _check(fn: Check) -> Any:
    return {"check": fn}


@dataclass(frozen=True)
class RunSettings:
    """How to run (every field optional; see the module doc for the defaults).

    ``cases``: arrivals per replication, or ``days``: arrivals during that many days (not
    both). ``warmup_cases``: first cases of each replication left out of the statistics.
    ``replications``: independent replications (variants of a what-if share their seeds).
    ``seed``: the random seed (>= 0). ``start``: date of simulation time 0 (naive: in the
    model's time zone). ``workers``: local processes; ``scheduler``: a Dask address.
    ``annual_cases``: cases per year; ``fte_hours_per_year``: productive hours of one
    full-time person per year (what-if and sweep only).
    """

    cases: int | None = field(default=None, metadata=_check(_whole(1)))
    days: float | None = field(default=None, metadata=_check(_positive()))
    warmup_cases: int = field(default=0, metadata=_check(_whole(0)))
    replications: int | None = field(default=None, metadata=_check(_whole(1)))
    seed: int = field(default=DEFAULT_SEED, metadata=_check(_whole(0)))
    start: datetime | str | None = field(default=None, metadata=_check(_start))
    workers: int = field(default=1, metadata=_check(_whole(1)))
    scheduler: str | None = field(default=None, metadata=_check(_text))
    annual_cases: float | None = field(default=None, metadata=_check(_positive()))
    fte_hours_per_year: float | None = field(
        default=None, metadata=_check(_positive(HOURS_PER_YEAR_MAX, " hours a year")))

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                object.__setattr__(self, f.name, f.default)  # None means the default
            else:
                object.__setattr__(self, f.name, f.metadata["check"](f.name, value))
        if self.cases is not None and self.days is not None:
            raise SettingsError("days", "cannot be combined with cases; give one of them")
        if self.cases is not None:
            self._check_warmup(self.cases)

    @classmethod
    def of(cls, **values: Any) -> RunSettings:
        """Settings from keyword values; None (or a left-out key) means the default."""
        return cls().updated(**values)

    def updated(self, **values: Any) -> RunSettings:
        """A copy with every value that is not None replaced (and checked)."""
        names = {f.name for f in fields(self)}
        unknown = sorted(set(values) - names)
        if unknown:
            from bpr.text import did_you_mean

            raise SettingsError(unknown[0], f"is not a run setting{did_you_mean(unknown[0], names)}"
                                            f" (settings: {', '.join(sorted(names))})")
        given = {k: v for k, v in values.items() if v is not None}
        if "cases" in given and "days" not in given:
            given["days"] = None  # a number of cases replaces a horizon in days
        if "days" in given and given["days"] is not None and "cases" not in given:
            given["cases"] = None
        return replace(self, **given) if given else self

    def _check_warmup(self, cases: int) -> None:
        if self.warmup_cases >= cases:
            raise SettingsError("warmup_cases", f"({self.warmup_cases}) must be fewer than the "
                                                f"cases simulated ({cases})")

    # -- resolution against a model -----------------------------------------------------------
    def cases_for(self, model: ProcessModel) -> int | None:
        """Arrivals per replication for ``model``: ``cases``, else None with ``days``, else the
        model's observed case count, else :data:`DEFAULT_CASES` (checked against the warm-up)."""
        if self.cases is not None or self.days is not None:
            return self.cases
        observed = model.observed
        cases = observed.cases if observed is not None and observed.cases > 0 else DEFAULT_CASES
        self._check_warmup(int(cases))
        return int(cases)

    @property
    def replications_to_run(self) -> int:
        """``replications``, else :data:`DEFAULT_REPLICATIONS`."""
        return self.replications if self.replications is not None else DEFAULT_REPLICATIONS

    def fte_hours(self, scenario_value: float | None = None) -> float:
        """``fte_hours_per_year``, else the scenario file's, else :data:`FTE_HOURS_PER_YEAR`."""
        for value in (self.fte_hours_per_year, scenario_value):
            if value is not None:
                return float(value)
        return FTE_HOURS_PER_YEAR

    def refuse(self, names: Iterable[str], why: str) -> None:
        """Raise :class:`SettingsError` for the first of ``names`` that is not its default:
        settings a command does not use are refused, not ignored."""
        defaults = RunSettings()
        for name in names:
            if getattr(self, name) != getattr(defaults, name):
                raise SettingsError(name, f"cannot be set here: {why}")


def resolve(settings: RunSettings | None, **values: Any) -> RunSettings:
    """``settings`` (default: all defaults) with the keyword values that are not None
    replacing its fields: how every API function combines ``settings=`` with its keywords."""
    return (settings if settings is not None else RunSettings()).updated(**values)
