"""The search space of calibrated discovery, and discovery options as plain data.

:data:`SEARCH_SPACE` lists the dimensions :func:`bpr.analysis.calibrate.calibrate` searches,
most influential first; :func:`search_plan` turns one coordinate step around a set of options
into candidates. :func:`options_to_dict` / :func:`options_from_dict` convert
:class:`~bpr.discovery.options.MiningOptions` to and from the plain data a model file's
``calibration.options`` holds (re-mining with them reproduces the calibrated model).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bpr.discovery import MiningOptions
from bpr.errors import BprError
from bpr.model.kinds import KINDS
from bpr.text import json_ready


@dataclass(frozen=True)
class Dimension:
    """One direction of the search: alternatives, each a set of option overrides."""

    name: str
    alternatives: tuple[Mapping[str, Any], ...]
    #: tried only when the current options have these values (e.g. delay settings need delays)
    requires: Mapping[str, Any] = dataclasses.field(default_factory=dict)


_DELAYS = {"extraneous_delays": True}
# From the distribution registry: every parametric family together, then each family marked
# ``searched_alone`` on its own (tables such as empirical first, then in registry order).
_PARAMETRIC = tuple(name for name, kind in KINDS.items() if kind.parametric)
_FAMILIES: tuple[Mapping[str, Any], ...] = (
    {"duration_families": _PARAMETRIC},
    *({"duration_families": (name,)} for name in sorted(
        (n for n, k in KINDS.items() if k.searched_alone), key=lambda n: KINDS[n].parametric)),
)

#: The search space, most influential dimensions first. A dimension whose fields MiningOptions
#: lacks is skipped (so the space can name options that arrive later).
SEARCH_SPACE: tuple[Dimension, ...] = (
    Dimension("extraneous delays", ({"extraneous_delays": True},)),
    Dimension("what explains waiting", ({"delay_resource_busy": False},
                                        {"delay_resource_busy": True}),
              requires=_DELAYS),
    Dimension("control flow", (
        {"algorithm": "inductive", "noise_threshold": 0.0},
        {"algorithm": "inductive", "noise_threshold": 0.1},
        {"algorithm": "inductive", "noise_threshold": 0.3},
        {"algorithm": "inductive-df", "noise_threshold": 0.0},
        {"algorithm": "inductive-df", "noise_threshold": 0.2},
    )),
    Dimension("parallel blocks run in one order", (
        {"sequence_min_share": 1.01},
        {"sequence_min_share": 0.8},
        {"sequence_min_share": 0.9},
    )),
    Dimension("arrival window", (
        {"arrival_window_share": 1.0},
        {"arrival_window_share": 0.5},
        {"arrival_window_share": 0.25},
    )),
    Dimension("delay window", ({"delay_window_share": 0.5}, {"delay_window_share": 1.0}),
              requires=_DELAYS),
    Dimension("branching window", ({"branching_window_share": 0.5},
                                   {"branching_window_share": 1.0})),
    Dimension("duration families", _FAMILIES),
    Dimension("mean-preserving fits", ({"preserve_mean": False}, {"preserve_mean": True})),
    Dimension("arrival calendar", ({"arrival_calendar": False},)),
    Dimension("pool calendars", ({"pool_calendars": False},)),
    Dimension("calendar granularity", (
        {"calendar_granularity_minutes": 30},
        {"calendar_granularity_minutes": 120},
    )),
    Dimension("calendar threshold", (
        {"calendar_min_share": 0.05},
        {"calendar_min_share": 0.2},
        {"calendar_min_share": 0.3},
    )),
    Dimension("calendar moments", ({"calendar_moments": "starts"},
                                   {"calendar_moments": "both"})),
    Dimension("calendar shift edges", ({"calendar_trim_edges": False},
                                       {"calendar_trim_edges": True})),
    Dimension("calendar gaps", (
        {"calendar_fill_gap_cells": 1},
        {"calendar_fill_gap_cells": 2},
    )),
    Dimension("unwatched calendar cells", ({"calendar_unobserved_open": False},)),
    Dimension("resource pools", (
        {"use_roles": False},
        {"pool_correlation": 0.5},
        {"pool_correlation": 0.9},
    )),
    Dimension("delay threshold", (
        {"delay_min_mean_seconds": 0.0},
        {"delay_min_mean_seconds": 600.0},
    ), requires=_DELAYS),
)


def options_to_dict(options: MiningOptions) -> dict[str, Any]:
    """Every field of ``options`` as plain YAML/JSON data (tuples become lists)."""
    return {f.name: json_ready(getattr(options, f.name)) for f in dataclasses.fields(options)}


def options_from_dict(data: Mapping[str, Any], *, base: MiningOptions | None = None,
                      path: str | None = None) -> MiningOptions:
    """:class:`MiningOptions` from plain data (e.g. a model file's ``calibration.options``);
    fields not given keep ``base``'s (default: the defaults). Unknown names raise BprError."""
    if not isinstance(data, Mapping):
        raise BprError(f"calibration options must be a mapping of option names to values, got "
                       f"{type(data).__name__}", path=path)
    base = base or MiningOptions()
    known = {f.name for f in dataclasses.fields(MiningOptions)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise BprError(f"unknown mining option {key!r} in calibration.options{hint}",
                           path=path)
        current = getattr(base, key)
        if isinstance(current, tuple) and isinstance(value, list | tuple):
            value = tuple(value)
        values[key] = value
    return dataclasses.replace(base, **values)



def changed_options(options: MiningOptions, base: MiningOptions) -> dict[str, Any]:
    return {f.name: json_ready(getattr(options, f.name)) for f in dataclasses.fields(options)
            if getattr(options, f.name) != getattr(base, f.name)}


def search_plan(options: MiningOptions,
                space: Sequence[Dimension] = SEARCH_SPACE) -> list[tuple[str, MiningOptions]]:
    """The candidates one coordinate step proposes around ``options``: ``(dimension name,
    options)`` in search order, leaving out alternatives equal to ``options``, dimensions naming
    fields MiningOptions does not have or whose ``requires`` ``options`` do not meet, and
    alternatives MiningOptions rejects."""
    known = {f.name for f in dataclasses.fields(MiningOptions)}
    plan: list[tuple[str, MiningOptions]] = []
    for dim in space:
        if any(getattr(options, k, None) != v for k, v in dim.requires.items()):
            continue
        for alt in dim.alternatives:
            if not set(alt) <= known:
                continue
            try:
                cand = dataclasses.replace(options, **dict(alt))
            except BprError:
                continue
            if cand != options:
                plan.append((dim.name, cand))
    return plan
