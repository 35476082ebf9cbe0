"""Keep pm4py's console noise (warnings, log records, progress bars) out of bpr's output.

Only pm4py is silenced, and only while bpr calls it: :func:`silenced` switches off pm4py's own
progress-bar flag (``pm4py.util.constants.SHOW_PROGRESS_BAR``), ignores warnings raised from
pm4py's modules, and drops log records that pm4py's code writes (to the ``pm4py`` loggers or
through the root logger), then puts every one of them back as it was. Nothing else is touched:
no environment variable (``TQDM_DISABLE``), no swapped ``sys.stdout``/``sys.stderr``, so the
caller's own prints, warnings and progress bars (a notebook's tqdm bars) keep working during and
after a bpr call. Scopes nest, and threads that use them together restore the state once the
last one leaves.

``import_pm4py()`` imports pm4py inside such a scope; use it (and :func:`silenced` around pm4py
calls) instead of ``import pm4py`` everywhere in bpr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
from collections.abc import Iterator
from types import ModuleType
from typing import Any

_PM4PY: ModuleType | None = None
_LOCK = threading.RLock()
_DEPTH = 0
_SAVED: dict[str, Any] = {}


class _FromPm4py(logging.Filter):
    """Drops records written by pm4py's code (pm4py logs through the root logger too)."""

    def __init__(self) -> None:
        super().__init__()
        self.folder = ""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("pm4py") or
                    (self.folder and record.pathname.startswith(self.folder)))


_FILTER = _FromPm4py()


def _pm4py_folder() -> str:
    import importlib.util

    spec = importlib.util.find_spec("pm4py")
    if spec is None or spec.origin is None:
        return ""
    return os.path.dirname(spec.origin) + os.sep


def _enter() -> None:
    global _DEPTH
    with _LOCK:
        _DEPTH += 1
        if _DEPTH > 1:
            return
        if not _FILTER.folder:
            _FILTER.folder = _pm4py_folder()
        logging.getLogger().addFilter(_FILTER)
        pm4py_logger = logging.getLogger("pm4py")
        _SAVED["level"] = pm4py_logger.level
        pm4py_logger.setLevel(logging.CRITICAL + 1)
        warnings.filterwarnings("ignore", module=r"pm4py(\.|$)")
        _SAVED["warning_filter"] = warnings.filters[0]
        try:
            from pm4py.util import constants  # imports pm4py, inside the filters above
        except ImportError:
            return
        _SAVED["progress"] = constants.SHOW_PROGRESS_BAR
        constants.SHOW_PROGRESS_BAR = False


def _leave() -> None:
    global _DEPTH
    with _LOCK:
        _DEPTH -= 1
        if _DEPTH > 0:
            return
        logging.getLogger().removeFilter(_FILTER)
        logging.getLogger("pm4py").setLevel(_SAVED.pop("level", logging.NOTSET))
        entry = _SAVED.pop("warning_filter", None)
        with contextlib.suppress(ValueError):
            warnings.filters.remove(entry)  # type: ignore[attr-defined]
            mutated = getattr(warnings, "_filters_mutated", None)
            if mutated is not None:
                mutated()  # invalidate the cache of warnings already seen
        if "progress" in _SAVED:
            from pm4py.util import constants

            constants.SHOW_PROGRESS_BAR = _SAVED.pop("progress")


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Run pm4py calls with pm4py's warnings, log records and progress bars switched off."""
    _enter()
    try:
        yield
    finally:
        _leave()


def import_pm4py() -> ModuleType:
    """Return the pm4py module, imported once, without its warnings or log output."""
    global _PM4PY
    if _PM4PY is None:
        with silenced():
            import pm4py

        _PM4PY = pm4py
    return _PM4PY
