"""The event-log file formats bpr reads and writes: one class per format, one registry.

Each format is a :class:`LogFormat` subclass registered with :func:`register`. It knows its
``name`` (``csv``), its file ``suffixes`` (``.csv``, with ``.csv.gz`` when ``gzip`` is true),
how to recognise a file from its first bytes (:meth:`LogFormat.sniff`), how to read the columns
:func:`bpr.io.logs.read_log` needs (:meth:`LogFormat.read`) and how to write a log chunk by
chunk (:meth:`LogFormat.writer`). ``read_log``, ``write_log`` and the simulator all go through
this registry, so adding a format is one new class in one module plus its tests.

**The written columns.** Every writer receives Arrow tables with the columns of
:mod:`bpr.io.eventlog` (``case_id``, ``activity``, ``resource``, ``role``, ``start_time``,
``end_time``, ``enabled_time``, ``fixed_cost``, ``resource_cost``; timestamps UTC) and writes
them under the XES-style names of :data:`bpr.io.eventlog.WRITE_NAMES`, timestamps shown in the
log's UTC offset. Rows of a case are contiguous (a case may continue in the next chunk).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, cast

import pandas as pd
import pyarrow as pa

from bpr.errors import LogError
from bpr.io.columns import ColumnMap

Pick = Callable[[list[str]], ColumnMap]


@dataclass(frozen=True)
class Head:
    """The first bytes of a file (decompressed when ``gzipped``) and, for text, their decoding."""

    raw: bytes
    gzipped: bool
    text: str | None = None  # None: not text
    encoding: str = "utf-8"
    path: Path | None = None


@dataclass
class RawLog:
    """What a format reader returns: the mapped source columns and how to name a row.

    ``table`` holds at least the columns of ``cmap`` (an Arrow table or a pandas DataFrame);
    ``offsets`` counts the UTC offsets (seconds) written in the timestamps, when the format
    knows them better than the generic count of the end-time column.
    """

    table: pa.Table | pd.DataFrame
    cmap: ColumnMap
    row_label: Callable[[int], str]
    offsets: Counter[int] | None = None


class LogWriter:
    """Writes a log chunk by chunk (see the module doc for the columns of each chunk).

    Use as a context manager or call :meth:`close`; ``close`` finishes the file (a footer, the
    header of an empty log). The file is complete only after ``close``.
    """

    def __init__(self, path: Path, *, tz: str, gzipped: bool = False):
        self.path = path
        self.tz = tz
        self.gzipped = gzipped
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> LogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LogFormat:
    """One event-log file format (subclass it and decorate the subclass with :func:`register`)."""

    name: ClassVar[str]
    suffixes: ClassVar[tuple[str, ...]]
    gzip: ClassVar[bool] = False  # a gzip-compressed variant exists (``.csv.gz``)
    fallback: ClassVar[bool] = False  # sniffed after every other format (CSV: any text)
    xes_names: ClassVar[bool] = False  # prefer XES attribute names when finding the columns
    description: ClassVar[str] = ""

    def sniff(self, head: Head) -> bool:
        """Whether a file starting with ``head`` is in this format."""
        raise NotImplementedError

    def read(self, path: Path, shown: str, head: Head, pick: Pick) -> RawLog:
        """Read the columns that ``pick(column_names)`` chooses; problems are a LogError."""
        raise NotImplementedError

    def writer(self, path: Path, *, tz: str, gzipped: bool = False) -> LogWriter:
        """A :class:`LogWriter` writing to ``path`` (timestamps shown in offset ``tz``)."""
        raise NotImplementedError

    def all_suffixes(self) -> tuple[str, ...]:
        return self.suffixes + (tuple(s + ".gz" for s in self.suffixes) if self.gzip else ())


# name -> format, in registration order (sniffing tries the fallback formats last)
FORMATS: dict[str, LogFormat] = {}
_LOADED: list[bool] = []


def register(cls: type[LogFormat]) -> type[LogFormat]:
    """Class decorator: add a format to :data:`FORMATS`."""
    FORMATS[cls.name] = cls()
    return cls


def _load() -> None:
    """Import the format modules (each registers its class)."""
    from bpr.io import csvlog, parquetlog, xes, xlsx  # noqa: F401


def formats() -> dict[str, LogFormat]:
    """Every registered format by name (the built-in ones are imported on first use)."""
    if not _LOADED:
        _load()
        _LOADED.append(True)
    return FORMATS


def format_names() -> list[str]:
    """Names accepted wherever a log format is chosen: ``csv``, ``csv.gz``, ``xes`` ..."""
    out: list[str] = []
    for name, fmt in formats().items():
        out.append(name)
        if fmt.gzip:
            out.append(name + ".gz")
    return out


def suffix_list() -> str:
    """``.csv, .csv.gz, ...`` for messages."""
    return ", ".join(s for f in formats().values() for s in f.all_suffixes())


def by_name(name: str, *, path: str | None = None) -> tuple[LogFormat, bool]:
    """The format and gzip flag of a name such as ``xes.gz``; LogError if unknown."""
    text = str(name).lower().strip().lstrip(".")
    gz = text.endswith(".gz")
    base = text.removesuffix(".gz")
    fmt = formats().get(base)
    if fmt is None or (gz and not fmt.gzip):
        from bpr.text import did_you_mean

        raise LogError(f"unknown log format {name!r}; fix: use one of "
                       f"{', '.join(format_names())}{did_you_mean(text, format_names())}",
                       path=path)
    return fmt, gz


def by_suffix(path: Path) -> tuple[LogFormat, bool]:
    """The format and gzip flag that a file name's ending calls for; LogError if none."""
    name = path.name.lower()
    best: tuple[int, LogFormat, bool] | None = None
    for fmt in formats().values():
        for s in fmt.all_suffixes():
            if name.endswith(s) and (best is None or len(s) > best[0]):
                best = (len(s), fmt, s.endswith(".gz") and fmt.gzip)
    if best is None:
        raise LogError(f"cannot tell the log format from the file name; fix: end it with one of"
                       f" {suffix_list()}", path=str(path))
    return best[1], best[2]


def log_stem(name: str) -> str:
    """``name`` without the longest log-file ending it has (``loan.csv.gz`` -> ``loan``)."""
    lower = name.lower()
    ends = [s for f in formats().values() for s in f.all_suffixes() if lower.endswith(s)]
    return name[:len(name) - max(map(len, ends))] if ends else name


def file_suffix(fmt: LogFormat, gzipped: bool) -> str:
    """The usual file ending of ``fmt`` (``.csv.gz`` when gzipped)."""
    return fmt.suffixes[0] + (".gz" if gzipped else "")


def sniff_format(head: Head) -> LogFormat | None:
    """The first registered format that recognises ``head`` (fallbacks last), or None."""
    every = list(formats().values())
    for fmt in [f for f in every if not f.fallback] + [f for f in every if f.fallback]:
        if fmt.sniff(head):
            return fmt
    return None


@contextlib.contextmanager
def binary_sink(path: Path, gzipped: bool) -> Iterator[BinaryIO]:
    """A binary file for writing; gzip without a timestamp, so the bytes are reproducible."""
    import gzip

    with open(path, "wb") as raw:
        if not gzipped:
            yield raw
            return
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=5,
                           mtime=0) as gz:
            yield cast(BinaryIO, gz)
