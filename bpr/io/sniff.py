"""Tell what kind of file an event log is from its first bytes, not from its name.

A file named ``.csv`` that holds an image, or a ``.xes`` that is gzip-compressed, is recognised
for what it is (each format of :mod:`bpr.io.formats` sniffs the head); anything that is not a
log gets a one-line :class:`LogError`.
"""

from __future__ import annotations

import gzip
import stat
import zlib
from pathlib import Path

from bpr.errors import LogError
from bpr.io.formats import Head, LogFormat, sniff_format, suffix_list

HEAD_BYTES = 64 * 1024

# Magic numbers of common files that are not event logs.
_NOT_LOGS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive, not an Excel workbook"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (save it as .xlsx or CSV)"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


def check_file(path: Path, shown: str) -> None:
    """Raise :class:`LogError` if ``path`` is missing, not a regular file, unreadable or empty.

    Named pipes, devices and sockets are refused before they are opened (opening a pipe that
    has no writer would wait for ever).
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        raise LogError(f"no such file; fix: check the path (the log must be a {suffix_list()}"
                       " file)", path=shown) from None
    except OSError as err:
        raise LogError(f"cannot open the file ({err.strerror}); fix: check the path and its"
                       " permissions", path=shown) from None
    if stat.S_ISDIR(info.st_mode):
        raise LogError("is a folder, not an event log file; fix: give the path of a log file"
                       f" inside it ({suffix_list()})", path=shown)
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe" if stat.S_ISFIFO(info.st_mode) else
                "a socket" if stat.S_ISSOCK(info.st_mode) else "a device")
        raise LogError(f"is {kind}, not a regular file; fix: save the event log to a file and"
                       " give its path", path=shown)
    try:
        with open(path, "rb"):
            pass
    except OSError as err:
        raise LogError(f"cannot open the file ({err.strerror}); fix: check its permissions",
                       path=shown) from None
    if info.st_size == 0:
        raise LogError("the file is empty (0 bytes); fix: export the event log again",
                       path=shown)


def _head(path: Path, shown: str) -> tuple[bytes, bool]:
    with open(path, "rb") as fh:
        raw = fh.read(HEAD_BYTES)
    if raw[:2] != b"\x1f\x8b":
        return raw, False
    try:
        with gzip.open(path, "rb") as gz:
            inner = gz.read(HEAD_BYTES)
    except (OSError, EOFError, zlib.error) as err:
        raise LogError(f"corrupt or truncated gzip file ({err}); fix: compress the log again",
                       path=shown) from None
    if not inner:
        raise LogError("the gzip file is empty; fix: export the event log again", path=shown)
    return inner, True


def _decode(raw: bytes) -> tuple[str, str] | None:
    """Decode the head of a text file; ``None`` if it does not look like text."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="ignore"), "utf-16"
    if b"\x00" in raw:
        return None
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        if err.start >= len(raw) - 4:  # a multi-byte character cut by the read limit
            return raw[: err.start].decode("utf-8"), "utf-8"
    text = raw.decode("latin-1")
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if printable >= 0.98 * len(text):
        return text, "latin-1"
    return None


def sniff(path: Path, shown: str) -> tuple[LogFormat, Head]:
    """Recognise the file's format; raise :class:`LogError` if it is not an event log."""
    check_file(path, shown)
    raw, gzipped = _head(path, shown)
    if raw.startswith(b"PAR1") and gzipped:
        raise LogError("a gzip-compressed Parquet file; fix: decompress it (Parquet is "
                       "compressed inside already)", path=shown)
    decoded = _decode(raw)
    text, encoding = (None, "utf-8") if decoded is None else decoded
    if text is not None:
        text = text.lstrip("\ufeff")
    head = Head(raw, gzipped, text, encoding, path)
    if text is not None and not text.strip():
        raise LogError("the file holds only blank space; fix: export the event log again",
                       path=shown)
    fmt = sniff_format(head)
    if fmt is not None and not fmt.fallback:
        return fmt, head
    for magic, what in _NOT_LOGS:  # before the fallback: text that is really something else
        if raw.startswith(magic):
            raise LogError(f"not an event log: the file is {what}; fix: give a CSV, XES, "
                           "Parquet or Excel event log", path=shown)
    if fmt is not None:
        return fmt, head
    raise LogError("not an event log: the file holds binary data, not CSV, XES, Parquet or"
                   " Excel; fix: give a CSV, XES, Parquet or Excel event log", path=shown)
