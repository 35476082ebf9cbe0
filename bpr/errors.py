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


class OutputError(BprError):
    """An output that cannot be written (read-only, disk full, no permission, bad path, ...)."""


class InputError(BprError):
    """An input file that cannot be read (missing, no permission, a folder, ...)."""


class ClusterError(SimulationError):
    """The Dask cluster cannot run the work (unreachable, no workers, lost, too slow)."""


# errno name -> what the user can do about it (names, so platforms without one are fine).
_FIXES: dict[str, tuple[str, str]] = {
    "ENOSPC": ("no space left on the device", "free some space or write elsewhere"),
    "EDQUOT": ("disk quota exceeded", "free some space or write elsewhere"),
    "EFBIG": ("file too large for this file system", "write elsewhere"),
    "EROFS": ("read-only file system", "choose a writable location"),
    "EACCES": ("permission denied", "choose a location you may write to, or fix its "
               "permissions"),
    "EPERM": ("operation not permitted", "choose another location, or fix its permissions"),
    "ENAMETOOLONG": ("file name too long", "choose a shorter name"),
    "ENOTDIR": ("a part of the path is a file, not a folder", "choose another path"),
    "EISDIR": ("is a folder where a file is expected", "give a file name"),
    "EEXIST": ("already exists", "choose another name or remove it"),
    "ENOTEMPTY": ("folder not empty", "choose a new or empty folder"),
    "ENOENT": ("no such file or folder", "check the path"),
    "ELOOP": ("too many levels of symbolic links", "check the links in the path"),
    "EMFILE": ("too many open files", "raise the limit (ulimit -n) or use fewer workers"),
    "ENFILE": ("too many open files on the system", "close other programs or retry"),
    "EXDEV": ("cannot move across file systems", "write on the same file system"),
    "EBUSY": ("device or resource busy", "choose another location"),
    "ETXTBSY": ("file busy", "close the program using it"),
    "EIO": ("input/output error", "check the disk or write elsewhere"),
    "ENXIO": ("no such device", "give a regular file"),
    "EINVAL": ("invalid file name or argument", "choose a plain file name"),
}
#: errnos that mean "the write failed" even when the OS names no file.
WRITE_ERRNOS = frozenset(("ENOSPC", "EDQUOT", "EFBIG", "EROFS", "EIO"))


def errno_name(err: OSError) -> str | None:
    """``"ENOSPC"`` etc. for an OSError (None when it has no errno)."""
    import errno

    return errno.errorcode.get(err.errno) if err.errno is not None else None


def os_error(err: OSError, path: str | None = None, *, writing: bool = False) -> BprError:
    """The one-line :class:`BprError` for an OS failure: the path (the file the OS names, else
    ``path``), what went wrong and the fix. ``writing``: it happened while writing an output
    (an :class:`OutputError`; else an :class:`InputError` or a plain :class:`BprError`)."""
    name = errno_name(err)
    what, fix = _FIXES.get(name or "", (None, None))
    if what is None:
        what = (err.strerror or str(err) or type(err).__name__).rstrip(".")
        what = what[0].lower() + what[1:] if what else what
        fix = "check the path" if not writing else "check the location or write elsewhere"
    where = err.filename if err.filename is not None else path
    if err.filename2 is not None and name in ("EEXIST", "ENOTEMPTY", "EXDEV"):
        where = err.filename2
    cls = OutputError if writing else (InputError if name in ("ENOENT", "EISDIR") else BprError)
    message = f"{what}; {fix}"
    if writing and where is not None:
        message = f"cannot write: {message}"
    return cls(message, path=None if where is None else str(where))
