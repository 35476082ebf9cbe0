"""Keep pm4py's console noise (licence banner, tqdm progress bars) out of bpr's output.

pm4py 2.7 prints an AGPL banner through ``warnings`` on import and shows tqdm bars while reading
XES and replaying. ``import_pm4py()`` imports it with the banner suppressed and tqdm disabled;
use it instead of ``import pm4py`` everywhere in bpr.
"""

from __future__ import annotations

import contextlib
import io
import os
import warnings
from types import ModuleType

_PM4PY: ModuleType | None = None


def import_pm4py() -> ModuleType:
    """Return the pm4py module, imported once, silently, with its progress bars switched off."""
    global _PM4PY
    if _PM4PY is None:
        os.environ.setdefault("TQDM_DISABLE", "1")
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
                contextlib.redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            import pm4py
            from pm4py.util import constants

        # Belt and braces: pm4py checks this flag before creating tqdm bars.
        with contextlib.suppress(AttributeError):
            constants.SHOW_PROGRESS_BAR = False
        _PM4PY = pm4py
    return _PM4PY


@contextlib.contextmanager
def silenced():
    """Run a pm4py call with its warnings, stdout and stderr chatter swallowed."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        yield
