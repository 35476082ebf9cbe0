"""The :class:`Scenario` (a named list of changes on a base model) and the pure application of
changes to a model, each step checked for soundness."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bpr.errors import ModelError, ScenarioError
from bpr.model.check import check
from bpr.model.process import ProcessModel
from bpr.scenario.base import Change, ChangeProblem


@dataclass(frozen=True)
class ChangeSource:
    """Where a change was written: file, line of the change, and line of each of its fields."""

    path: str | None = None
    line: int | None = None
    field_lines: Mapping[str, int] = field(default_factory=dict)

    def line_of(self, key: str | None) -> int | None:
        return self.field_lines.get(key, self.line) if key else self.line


@dataclass(frozen=True)
class Scenario:
    """A what-if scenario: ``changes`` applied in order to the model in file ``base``.

    ``annual_cases`` (cases per year) and ``fte_hours_per_year`` (productive hours of one
    full-time person per year) override the analysis defaults when set.
    """

    name: str
    base: str
    changes: tuple[Change, ...]
    description: str = ""
    annual_cases: float | None = None
    fte_hours_per_year: float | None = None
    path: str | None = None
    sources: tuple[ChangeSource, ...] = field(default=(), compare=False, repr=False)
    base_model: ProcessModel | None = field(default=None, compare=False, repr=False)

    def source(self, index: int) -> ChangeSource:
        return self.sources[index] if index < len(self.sources) else ChangeSource(self.path)

    def with_changes(self, changes: Iterable[Change],
                     sources: Iterable[ChangeSource] | None = None) -> Scenario:
        """A copy with other changes (sources default to none: errors then name the index)."""
        return replace(self, changes=tuple(changes),
                       sources=tuple(sources) if sources is not None else ())

    def load_base(self) -> ProcessModel:
        """The base model: ``base_model`` if set, else the file ``base`` (resolved as in
        :func:`bpr.scenario.parse.resolve_base`), checked."""
        if self.base_model is not None:
            return self.base_model
        from bpr.model.files import load_model
        from bpr.scenario.parse import resolve_base

        try:
            path = resolve_base(self.base, self.path)
        except ScenarioError as err:
            raise ScenarioError(err.detail, path=self.path, line=None) from None
        return load_model(path)

    def to_dict(self) -> dict[str, Any]:
        """The scenario in its file format (plain data)."""
        out: dict[str, Any] = {"name": self.name, "base": self.base}
        if self.description:
            out["description"] = self.description
        if self.annual_cases is not None:
            out["annual_cases"] = self.annual_cases
        if self.fte_hours_per_year is not None:
            out["fte_hours_per_year"] = self.fte_hours_per_year
        out["changes"] = [c.to_entry() for c in self.changes]
        return out

    @property
    def volume_factor(self) -> float:
        """How the scenario scales the yearly case volume (the product of demand factors)."""
        f = 1.0
        for c in self.changes:
            f *= c.volume_factor
        return f


def _label(index: int, change: Change) -> str:
    return f"change {index + 1} ({change.kind})"


def apply_change(model: ProcessModel, change: Change, index: int = 0,
                 source: ChangeSource | None = None) -> ProcessModel:
    """Apply one change and check the result; errors name the change, its file, line, field."""
    source = source or ChangeSource()
    try:
        new = change.apply(model)
    except ChangeProblem as err:
        where = f", field {err.field!r}" if err.field else ""
        raise ScenarioError(f"{_label(index, change)}{where}: {err.message}",
                            path=source.path, line=source.line_of(err.field)) from None
    except ModelError as err:
        raise ScenarioError(f"{_label(index, change)}: {err.detail}", path=source.path,
                            line=source.line) from None
    try:
        check(new)
    except ModelError as err:
        raise ScenarioError(f"{_label(index, change)} breaks the model: {err.detail}; fix or "
                            f"drop this change", path=source.path, line=source.line) from None
    return new


def apply_steps(model: ProcessModel, changes: Sequence[Change] | Scenario) -> list[ProcessModel]:
    """The cumulative models: after change 1, after changes 1+2, ... (each checked)."""
    scenario = changes if isinstance(changes, Scenario) else None
    seq: tuple[Change, ...] = (changes.changes if isinstance(changes, Scenario)
                               else tuple(changes))
    out: list[ProcessModel] = []
    for i, change in enumerate(seq):
        src = scenario.source(i) if scenario is not None else None
        model = apply_change(model, change, i, src)
        out.append(model)
    return out


def apply_scenario(model: ProcessModel, scenario: Scenario | Sequence[Change]) -> ProcessModel:
    """The to-be model: the changes applied in order to ``model`` (which is not modified).

    Raises :class:`~bpr.errors.ScenarioError` naming the first change that fails or leaves an
    unsound model (file, line, change number and type, field, did-you-mean)."""
    steps = apply_steps(model, scenario)
    return steps[-1] if steps else model


