"""Numbers in a model are numbers: finite, within documented limits, named in every error.

Every number a model holds passes :func:`number`, which refuses booleans, NaN, infinity and
integers too large for a float (``10**400``) with a one-line :class:`~bpr.errors.ModelError`
naming the field and the limit, instead of letting an ``OverflowError``, a numpy warning or an
overflowed timestamp surface later. The limits (documented in ``processes/README.md``):

* :data:`MAX_SECONDS` -- any time parameter: 100 years (3.156e9 s);
* :data:`MAX_AMOUNT` -- an hourly rate or a fixed cost: 1e12 (currency);
* :data:`MAX_POOL_COUNT` -- staff in one pool: 100,000;
* :data:`MAX_NUMBER` -- any other number (counts and figures in ``observed``): 1e15.
"""

from __future__ import annotations

import math
from typing import Any

from bpr.errors import ModelError

MAX_SECONDS = 100 * 365.25 * 86400.0  # 3.15576e9 s: 100 years
MAX_AMOUNT = 1e12
MAX_POOL_COUNT = 100_000
MAX_NUMBER = 1e15

_LIMIT_NAMES = {MAX_SECONDS: "3.156e9 s (100 years)", MAX_AMOUNT: "1e12",
                MAX_POOL_COUNT: "100,000", MAX_NUMBER: "1e15"}


def number(value: Any, what: str, *, minimum: float | None = None,
           maximum: float = MAX_NUMBER, integer: bool = False,
           positive: bool = False) -> Any:
    """``value`` as a float (an int with ``integer``), or a :class:`ModelError` naming ``what``.

    Refused: non-numbers (booleans and strings included), NaN, infinity, values above
    ``maximum`` (the limit is named), below ``minimum``, zero or less with ``positive``, and
    fractions with ``integer``.
    """
    def fail(rest: str) -> ModelError:
        return ModelError(f"{what} {rest}" if what else rest)

    noun = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise fail(f"must be {noun}, got {_show(value)}")
    if isinstance(value, int):
        if abs(value) > maximum:  # exact for huge integers (no OverflowError)
            raise fail(f"must be at most {_limit(maximum)}, got {_show(value)}")
        x = float(value)
    else:
        x = float(value)
        if not math.isfinite(x):
            raise fail(f"must be a finite number, got {value!r}")
        if abs(x) > maximum:
            raise fail(f"must be at most {_limit(maximum)}, got {value!r}")
        if integer and not x.is_integer():
            raise fail(f"must be a whole number, got {value!r}")
    if minimum is not None and x < minimum:
        raise fail(f"must be at least {minimum:g}, got {x:g}")
    if positive and x <= 0:
        raise fail(f"must be positive, got {x:g}")
    return int(value) if integer else x


def _limit(maximum: float) -> str:
    return _LIMIT_NAMES.get(maximum, f"{maximum:g}")


def _show(value: Any) -> str:
    """A short rendering of a bad value (a 400-digit integer is not printed in full)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**20:
        # from the bit length: str() refuses integers of more than 4,300 digits
        digits = int((abs(value).bit_length() - 1) * math.log10(2)) + 1
        return f"an integer of about {digits} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
