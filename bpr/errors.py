"""The exceptions bpr raises for problems a user can fix.

Every error carries one line that names the file (and line or field where known), what is wrong
and how to fix it. The CLI prints that line and exits with code 2; no traceback reaches the user.
"""

from __future__ import annotations


class BprError(Exception):
    """A problem with the user's input that the user can fix; ``str(err)`` is one line."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        self.detail = message
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + " ".join(message.split()))


class LogError(BprError):
    """An event log that cannot be read or is not usable."""


class ModelError(BprError):
    """A process model file or object that is malformed or unsound."""


class ScenarioError(BprError):
    """A what-if scenario that is malformed or breaks its base model."""


class SimulationError(BprError):
    """Simulation settings that cannot be run (e.g. a non-positive number of cases)."""


class BprWarning(UserWarning):
    """Something bpr approximated or defaulted; the message (one line) says what. The CLI prints
    each as ``Warning: ...`` on stderr (none with ``--quiet``), never as a Python warning."""
