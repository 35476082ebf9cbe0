"""Atomic outputs: a run either completes or leaves the previous output byte-identical.

Three tools, from small to whole:

- :func:`atomic_path`, :func:`atomic_open`, :func:`write_text`: one file, written to a temporary
  name in its folder and renamed over the target (what library ``write()`` functions use).
- :func:`output_files`: the files of one command (a model and its sidecar, a map): written into a
  private temporary folder beside them, each renamed into place only when all are written.
- :func:`output_folder`: a whole output folder (``-o OUTDIR``): the command writes into a
  temporary sibling folder, which replaces ``OUTDIR`` in one atomic exchange when everything is
  written. Files in ``OUTDIR`` that bpr did not write there (a report, a fidelity.json, notes)
  are carried over; files of the previous run are not (no mix of two runs).

The last two hold a lock beside the target, so a second run writing the same output at the same
time fails at once; they remove what killed runs left behind (temporary folders, legacy
``.simulated_log.csv.parts-*`` folders); on failure (an error, Ctrl-C, a full disk) they remove
their temporary files and the folders they created, and every OS failure becomes one
:class:`~bpr.errors.OutputError` line naming the final path (never a temporary one).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from bpr.errors import WRITE_ERRNOS, BprError, OutputError, errno_name, os_error

#: The file inside a bpr output folder that lists what the run wrote (and marks it as bpr's).
MARKER = ".bpr-output.json"
# Names a killed run may leave: ours (.bpr-tmp-*, .bpr-old-*), atomic_path's (.NAME.*.tmp, or
# .bpr-*.tmp), and the simulator's legacy part folders (.NAME.parts-*).
_STALE = re.compile(r"^\.(bpr-.*|.+\.parts-.+|.+\.\w{6,}\.tmp)$")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tag(name: str) -> str:
    """A short, fixed-length name for the temporary files of ``name`` (so that a name near
    the file-system limit still has valid temporary names)."""
    digest = hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:12]
    short = re.sub(r"[^\w.-]", "_", name[:24])
    return f"{short}-{digest}"


# -- single files (library writes) ------------------------------------------------------------

@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".bpr-{_tag(target.name)}-", suffix=".tmp",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO]:
    """Open a temporary file for writing; it replaces ``target`` only if the block succeeds."""
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
    with atomic_path(target) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh


def write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``target`` atomically (UTF-8)."""
    with atomic_open(target) as fh:
        fh.write(text)


# -- shared by output_files and output_folder --------------------------------------------------

def _fail(err: OSError, path: Path) -> OutputError:
    """The error of a failed operation on our own files (lock, temporary folder, rename):
    named after the output ``path``, not the internal file."""
    err.filename = err.filename2 = None
    out = os_error(err, str(path), writing=True)
    assert isinstance(out, OutputError)
    return out


def _check_target(target: Path, *, folder: bool) -> None:
    """Refuse, before any work, a target that can never be written."""
    name = target.name
    if not name or name in (".", ".."):
        raise OutputError("not a file or folder name; give a path such as out/result",
                          path=str(target))
    limit = 255
    with contextlib.suppress(OSError, ValueError, AttributeError):
        existing = next(p for p in (target.parent, *target.parent.parents) if p.exists())
        limit = os.pathconf(existing, "PC_NAME_MAX")
    for part in target.parts:
        if len(os.fsencode(part)) > limit:
            raise OutputError(f"cannot write: the name {part[:40]!r}... is longer than the file "
                              f"system allows ({limit} bytes); choose a shorter name",
                              path=str(target))
    try:
        is_file, is_dir = target.is_file(), target.is_dir()
        special = os.path.lexists(target) and not (is_file or is_dir or target.is_symlink())
    except OSError as err:
        raise _fail(err, target) from None
    if special:  # replacing a device or a pipe with a file would be a nasty surprise
        raise OutputError("is not a regular file (a device, pipe or socket); give a file name",
                          path=str(target))
    if folder and is_file:
        raise OutputError("is a file, but the output is a folder; give a folder name",
                          path=str(target))
    if not folder and is_dir:
        raise OutputError("is a folder, but the output is a file; give a file name",
                          path=str(target))


def _make_parents(folder: Path, target: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; return those created (deepest first)."""
    created: list[Path] = []
    p = folder
    while not p.exists():
        created.append(p)
        if p.parent == p:
            break
        p = p.parent
    if p.exists() and not p.is_dir() and not created:
        raise OutputError("a part of the path is a file, not a folder; choose another path",
                          path=str(target))
    for d in reversed(created):
        try:
            d.mkdir()
        except FileExistsError:
            if not d.is_dir():
                _remove_dirs(created)
                what = ("is a symbolic link that leads nowhere (or in a loop)"
                        if d.is_symlink() else "is a file, not a folder")
                raise OutputError(f"{d.name} {what}; choose another path",
                                  path=str(target)) from None
        except OSError as err:
            _remove_dirs(created)
            raise _fail(err, target) from None
    return created


def _remove_dirs(created: list[Path]) -> None:
    """Remove folders this run created, deepest first, if they are (still) empty."""
    for d in created:
        with contextlib.suppress(OSError):
            d.rmdir()


@contextlib.contextmanager
def _lock(folder: Path, name: str, target: Path) -> Iterator[None]:
    """Hold an exclusive lock on output ``name`` in ``folder`` (a second holder fails at once)."""
    import fcntl

    lock_path = folder / f".bpr-lock-{_tag(name)}"
    while True:
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666 & ~_umask())
        except OSError as err:
            raise _fail(err, target) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            os.close(fd)
            if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputError("another bpr run is writing this output right now; wait for "
                                  "it to finish or choose another output", path=str(target)) \
                    from None
            raise _fail(err, target) from None
        # the holder before us may have removed the file after we opened it: lock the live one
        try:
            same = os.fstat(fd).st_ino == os.stat(lock_path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock_path)
        os.close(fd)


def _rmtree(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _remove_stale(folder: Path, name: str, target: Path) -> None:
    """Remove the temporary files and folders killed runs left for ``name`` in ``folder``
    (we hold the lock, so no live run owns them); restore a folder a killed run had moved
    aside just before its final rename."""
    tag = _tag(name)
    olds: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        n = entry.name
        if n.startswith(f".bpr-old-{tag}-"):
            olds.append(Path(entry.path))
        elif n.startswith(f".bpr-tmp-{tag}-") or \
                n.startswith((f".bpr-{tag}-", f".{name}.")) and n.endswith(".tmp") or \
                n.startswith(f".{name}.parts-"):
            _rmtree(Path(entry.path))
    for old in sorted(olds):
        if os.path.lexists(target):
            _rmtree(old)  # the swap had finished: this is the replaced folder
            continue
        with contextlib.suppress(OSError):  # if it cannot go back, keep it: the only copy
            os.rename(old, target)


def _rewrite_paths(err: BaseException, tmp: Path, final: Path) -> None:
    """Make an error about a file in ``tmp`` (the temporary folder, or the absolute final
    path) name the same file under ``final`` (the final path, or the path as given)."""
    t, f = str(tmp), str(final)
    if t == f:
        return
    if isinstance(err, OSError):
        for attr in ("filename", "filename2"):
            v = getattr(err, attr)
            if isinstance(v, str) and v.startswith(t):
                setattr(err, attr, f + v[len(t):])
    if isinstance(err, BprError):
        if err.path is not None and err.path.startswith(t):
            err.path = f + err.path[len(t):]
        err.args = tuple(a.replace(t, f) if isinstance(a, str) else a for a in err.args)


def _translate(err: BaseException, tmp: Path, final: Path, target: Path) -> BaseException:
    """The error to raise for ``err`` raised while writing ``target`` in ``tmp``."""
    _rewrite_paths(err, tmp, final)
    if isinstance(err, OSError) and (err.filename is None and errno_name(err) in WRITE_ERRNOS
                                     or isinstance(err.filename, str)
                                     and err.filename.startswith(str(final))):
        return os_error(err, str(target), writing=True)
    return err


# -- the files of one command ------------------------------------------------------------------

@contextlib.contextmanager
def output_file(target: str | os.PathLike[str]) -> Iterator[Path]:
    """:func:`output_files` for one file: yield its temporary path."""
    with output_files(target) as (tmp,):
        assert tmp is not None
        yield tmp


@contextlib.contextmanager
def output_files(*targets: str | os.PathLike[str] | None) -> Iterator[list[Path | None]]:
    """Yield one temporary path per target (same file name, in a private folder beside it).

    Write the outputs there (a writer may add files beside them, e.g. a BPMN sidecar); when the
    block succeeds every file in the private folder is renamed into the target's folder (the
    extra files first, the targets last, in the order given). On failure nothing is written and
    folders this call created are removed. ``None`` targets are skipped (and yielded as None).
    """
    paths = [None if t is None else Path(os.path.abspath(t)) for t in targets]
    real = [p for p in paths if p is not None]
    if len({p for p in real}) != len(real):
        raise OutputError("the same file is given twice as an output; give different names",
                          path=str(real[0]))
    created: list[Path] = []
    tmps: dict[Path, Path] = {}
    try:
        with contextlib.ExitStack() as stack:  # the locks, released before the clean-up
            for p in real:
                _check_target(p, folder=False)
            for p in real:
                created += _make_parents(p.parent, p)
                stack.enter_context(_lock(p.parent, p.name, p))
                _remove_stale(p.parent, p.name, p)
            for p in real:
                if p.parent not in tmps:
                    tmp = p.parent / f".bpr-tmp-{_tag(p.name)}-{secrets.token_hex(4)}"
                    try:
                        tmp.mkdir()
                    except OSError as err:
                        raise _fail(err, p) from None
                    tmps[p.parent] = tmp
            try:
                yield [None if p is None else tmps[p.parent] / p.name for p in paths]
                for folder, tmp in tmps.items():
                    mine = [p for p in real if p.parent == folder]
                    extra = sorted(set(os.listdir(tmp)) - {p.name for p in mine})
                    for n in extra + [p.name for p in mine]:
                        if not (tmp / n).exists():
                            raise OutputError("was not written (a bug in bpr: please report "
                                              "it)", path=str(folder / n))
                        try:
                            os.replace(tmp / n, folder / n)
                        except OSError as err:
                            raise _fail(err, folder / n) from None
            except BaseException as err:
                for folder, tmp in tmps.items():
                    first = next(p for p in real if p.parent == folder)
                    new = _translate(err, tmp, folder, first)
                    if new is not err:
                        raise new from None
                raise
            finally:
                for tmp in tmps.values():
                    _rmtree(tmp)
    except BaseException as err:
        _remove_dirs(created)
        for given, absolute in zip(targets, paths, strict=True):
            if given is not None and absolute is not None:
                _rewrite_paths(err, absolute, Path(given))
        raise


# -- a whole folder ----------------------------------------------------------------------------

def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in(tmp: Path, target: Path) -> None:
    """Put the finished folder ``tmp`` at ``target``; the previous ``target`` (if any) is gone
    afterwards. A kill at any moment leaves ``target`` old or new (the two-rename fallback is
    repaired by the next run: see :func:`_remove_stale`)."""
    if not os.path.lexists(target):
        os.rename(tmp, target)
        return
    if _exchange(tmp, target):
        _rmtree(tmp)  # now the old folder
        return
    old = target.parent / f".bpr-old-{_tag(target.name)}-{secrets.token_hex(4)}"
    os.rename(target, old)
    os.rename(tmp, target)
    _rmtree(old)


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _carry_list(target: Path, written: set[str]) -> list[str]:
    """Entries of the existing ``target`` to keep in the new folder: those the previous bpr
    run did not write and the new run does not write. Refuses to replace a non-empty folder
    bpr did not make if it holds sub-folders (it is someone's folder, not an output)."""
    if not target.is_dir():
        return []
    marker = _read_marker(target)
    previous = set(marker.get("files", [])) if marker is not None else set()
    keep = []
    for entry in os.scandir(target):
        n = entry.name
        if n == MARKER or _STALE.match(n) or n in written or n in previous:
            continue
        if marker is None and entry.is_dir(follow_symlinks=False):
            raise OutputError(f"is a folder bpr did not write (it holds the folder {n!r}); "
                              f"give a new or empty folder", path=str(target))
        keep.append(n)
    return keep


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def _carry_over(target: Path, tmp: Path, names: list[str]) -> None:
    for n in names:
        src, dst = target / n, tmp / n
        if src.is_dir() and not src.is_symlink():
            shutil.copytree(src, dst, symlinks=True, copy_function=_link_or_copy)
        else:
            _link_or_copy(str(src), str(dst))


def _written(tmp: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())


@contextlib.contextmanager
def output_folder(target: str | os.PathLike[str], *, command: str = "bpr") -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; when the block succeeds it becomes
    ``target`` in one atomic step (the previous ``target`` goes, except for the files bpr did
    not write, which are kept). On failure ``target`` is untouched and nothing is left behind.

    ``command`` is recorded, with the list of files written, in ``target/.bpr-output.json``.
    """
    final = Path(os.path.abspath(target))
    created: list[Path] = []
    try:
        _check_target(final, folder=True)
        if final.is_symlink():
            final = final.resolve()  # write where a symbolic link points, keep the link
        with contextlib.suppress(OSError):
            here = Path.cwd().resolve()
            if final == here or final in here.parents:
                raise OutputError("is the current folder (or contains it) and would be "
                                  "replaced; give a sub-folder such as -o out",
                                  path=str(target))
        parent = final.parent
        created = _make_parents(parent, final)
        with _lock(parent, final.name, final):
            _remove_stale(parent, final.name, final)
            _carry_list(final, set())  # refuse someone's folder before doing any work
            tmp = parent / f".bpr-tmp-{_tag(final.name)}-{secrets.token_hex(4)}"
            try:
                tmp.mkdir()
            except OSError as err:
                raise _fail(err, final) from None
            try:
                yield tmp
                files = _written(tmp)
                top = {f.split(os.sep)[0] for f in files} | {p.name for p in tmp.iterdir()}
                (tmp / MARKER).write_text(json.dumps({
                    "written_by": "bpr", "command": command, "files": sorted(top)},
                    indent=2) + "\n", encoding="utf-8")
                _carry_over(final, tmp, _carry_list(final, top))
                _swap_in(tmp, final)
            except BaseException as err:
                _rmtree(tmp)
                new = _translate(err, tmp, final, final)
                if new is not err:
                    raise new from None
                raise
    except BaseException as err:
        _remove_dirs(created)
        _rewrite_paths(err, final, Path(target))  # name the output as the user wrote it
        raise
