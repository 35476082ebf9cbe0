"""Progress bars for long work: drawn on a terminal (stderr), silent when piped or ``quiet``.

Library code takes an optional ``progress`` callable ``(done, total) -> None``; the CLI passes
:meth:`Progress.update` of a bar. Notebooks pass nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

ProgressFn = Callable[[int, int], None]


def fill(fraction: float, width: int = 30) -> str:
    """``[####------]``-style filling for ``fraction`` in [0, 1] (without the brackets)."""
    n = int(min(1.0, max(0.0, fraction)) * width)
    return "#" * n + "-" * (width - n)


class Progress:
    """A one-line text progress bar on ``stream`` (stderr), throttled to 10 redraws a second."""

    def __init__(self, label: str, *, quiet: bool = False, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.label = label
        self.enabled = not quiet and hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last = 0.0
        self._t0 = time.monotonic()
        self._drawn = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write("\r" + self.text(done, total, now - self._t0))
        self.stream.flush()
        self._drawn = True

    def text(self, done: int, total: int, elapsed: float) -> str:
        """The line drawn for ``done`` of ``total`` after ``elapsed`` seconds (override to
        change it)."""
        frac = min(1.0, done / total) if total else 1.0
        return f"{self.label} [{fill(frac)}] {done}/{total} {elapsed:5.1f}s"

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * 79 + "\r")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
