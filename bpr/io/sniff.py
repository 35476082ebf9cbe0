"""Tell what kind of file an event log is from its first bytes, not from its name.

A file named ``.csv`` that holds an image, or a ``.xes`` that is gzip-compressed, is recognised
for what it is; anything that is not a CSV, XES or Parquet log gets a one-line :class:`LogError`.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from bpr.errors import LogError

HEAD_BYTES = 64 * 1024

# Magic numbers of common files that are not event logs.
_NOT_LOGS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (e.g. an Excel .xlsx file; export it as CSV)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (export it as CSV)"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x7fELF", "a program"),
    (b"SQLite format 3\x00", "an SQLite database"),
)


@dataclass(frozen=True)
class Sniffed:
    """What a log file is: ``kind`` is ``csv``, ``xes`` or ``parquet``."""

    kind: str
    gzipped: bool
    encoding: str = "utf-8"
    head: str = ""  # the first decoded characters (text formats only)


def check_file(path: Path, shown: str) -> None:
    """Raise :class:`LogError` if ``path`` is missing, a folder, unreadable or empty."""
    if not path.exists():
        raise LogError("no such file; fix: check the path (the log must be a .csv, .csv.gz, "
                       ".xes, .xes.gz or .parquet file)", path=shown)
    if path.is_dir():
        raise LogError("is a folder, not an event log file; fix: give the path of a .csv, "
                       ".xes or .parquet file inside it", path=shown)
    try:
        size = path.stat().st_size
        with open(path, "rb"):
            pass
    except OSError as err:
        raise LogError(f"cannot open the file ({err.strerror}); fix: check its permissions",
                       path=shown) from None
    if size == 0:
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


_XML_START = re.compile(r"\s*(<\?xml|<!--|<!DOCTYPE|<[A-Za-z_])", re.S)


def sniff(path: Path, shown: str) -> Sniffed:
    """Recognise the file's format; raise :class:`LogError` if it is not an event log."""
    check_file(path, shown)
    raw, gzipped = _head(path, shown)
    if raw.startswith(b"PAR1"):
        if gzipped:
            raise LogError("a gzip-compressed Parquet file; fix: decompress it (Parquet is "
                           "compressed inside already)", path=shown)
        return Sniffed("parquet", False)
    for magic, what in _NOT_LOGS:
        if raw.startswith(magic):
            raise LogError(f"not an event log: the file is {what}; fix: give a CSV, XES or "
                           "Parquet event log", path=shown)
    decoded = _decode(raw)
    if decoded is None:
        raise LogError("not an event log: the file holds binary data, not CSV, XES or "
                       "Parquet; fix: give a CSV, XES or Parquet event log", path=shown)
    text, encoding = decoded
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise LogError("the file holds only blank space; fix: export the event log again",
                       path=shown)
    if _XML_START.match(text) and text.lstrip().startswith("<"):
        return Sniffed("xes", gzipped, encoding, text)
    return Sniffed("csv", gzipped, encoding, text)
