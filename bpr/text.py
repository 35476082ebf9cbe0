"""Small text helpers shared by every layer: did-you-mean hints, numbers for people, and
values made JSON-ready. No domain logic lives here."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any


def did_you_mean(name: object, choices: Iterable[object]) -> str:
    """``"; did you mean 'X'?"`` for the closest of ``choices`` to ``name``, or ``""``."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


def fmt_number(value: float | None, digits: int = 3) -> str:
    """A number with thousands separators and about ``digits`` significant digits
    (``1,234`` / ``12.3`` / ``0.123``); ``-`` for None."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return f"{value:g}"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a < 1e-9:
        return "0"
    decimals = max(0, digits - 1 - int(math.floor(math.log10(a))))
    return f"{value:,.{min(decimals, 4)}f}"


def json_ready(value: Any) -> Any:
    """``value`` with tuples as lists, mapping keys as strings and numpy scalars as Python ones."""
    if isinstance(value, tuple | list):
        return [json_ready(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy":
        return item()
    return value
