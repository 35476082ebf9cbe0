"""XES event logs in and out: a streaming reader and a vectorised writer, both safe.

**Reading** streams the file through lxml's ``iterparse`` (gzip-compressed or not) and keeps
only the values: each ``<trace>`` is read when it ends and then removed from the tree (with
everything before it), so memory holds the columns (as compact Arrow strings, built every
:data:`CHUNK_EVENTS` events) and one trace's XML, never the whole tree. The result is the
flat table pm4py's reader gives: one row per ``<event>`` inside a ``<trace>``, a column per
top-level event attribute key, and the trace attributes as ``case:<key>`` columns, every value
as the text of the file (dates are parsed later, with the other formats' timestamps). Before
parsing, any ``<!DOCTYPE>`` (the only place entities can be declared: external entities,
"billion laughs" bombs) is refused, and lxml runs without DTDs, entity resolution or network
access. Malformed or truncated XML becomes a one-line :class:`LogError` with the line number
lxml reports.

**Writing** follows the IEEE 1849-2016 XES schema (``xes.version="2.0"``, a decimal as the
schema requires; elements in no namespace, as the schema declares them): one ``<trace>`` per
case, one ``<event>`` per activity instance with ``concept:name``, ``org:resource``,
``org:role``, ``lifecycle:transition`` (``complete``), ``time:timestamp`` (the end),
``start_timestamp`` and ``enabled_timestamp`` (pm4py's interval-log keys) and the costs as
``<float>``. Characters XML 1.0 cannot hold (control characters) become U+FFFD.
"""

from __future__ import annotations

import contextlib
import gzip
import re
import zlib
from pathlib import Path
from typing import IO, BinaryIO, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bpr.errors import LogError
from bpr.io import eventlog as E
from bpr.io.formats import Head, LogFormat, LogWriter, Pick, RawLog, binary_sink, register

CHUNK_EVENTS = 65536
_PROLOG_SKIP = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_XML_START = re.compile(r"\s*(<\?xml|<!--|<!DOCTYPE|<[A-Za-z_])", re.S)


def check_prolog(head: str, shown: str) -> None:
    """Refuse DTDs (entity declarations) and XML whose root element is not an XES ``<log>``."""
    pos = 0
    while True:
        m = _PROLOG_SKIP.match(head, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
    rest = head[pos:]
    if rest[:9].upper() == "<!DOCTYPE" or rest.startswith("<!ENTITY"):
        raise LogError("the XML declares a DOCTYPE/entities, which bpr refuses to read (they can"
                       " fetch external files or expand to gigabytes); fix: delete the"
                       " <!DOCTYPE ...> block from the file", path=shown)
    root = _ROOT.match(rest)
    if root is None:
        raise LogError("not an XES event log: no XML root element found near the start of the"
                       " file; fix: give a valid .xes file", path=shown)
    name = root.group(1).rsplit(":", 1)[-1]
    if name != "log":
        hint = "; a BPMN model is not an event log" if name == "definitions" else ""
        raise LogError(f"not an XES event log: the XML root element is <{root.group(1)}>, not"
                       f" <log>{hint}; fix: give an XES event log", path=shown)


def _open(path: Path, gzipped: bool) -> BinaryIO:
    return cast(BinaryIO, gzip.open(path, "rb")) if gzipped else open(path, "rb")


class _Chunk:
    """The events of some whole traces: one dict of attribute texts per event, and the trace
    attributes with the number of events of each trace."""

    __slots__ = ("events", "traces")

    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []
        self.traces: list[tuple[dict[str, str], int]] = []

    def columns(self) -> dict[str, pa.Array]:
        out: dict[str, pa.Array] = {}
        events = pa.array(self.events)  # a struct array: one field per key, null where absent
        for field, values in zip(events.type, events.flatten(), strict=True):
            out[field.name] = values.cast(pa.string())
        if self.traces:
            counts = np.array([n for _, n in self.traces], dtype=np.int64)
            owner = pa.array(np.repeat(np.arange(len(self.traces)), counts))
            traces = pa.array([a for a, _ in self.traces])
            if pa.types.is_struct(traces.type):
                for field, values in zip(traces.type, traces.flatten(), strict=True):
                    name = "case:" + field.name
                    if name not in out:
                        out[name] = values.cast(pa.string()).take(owner)
        return out


def read_xes_table(path: Path, shown: str, *, gzipped: bool, head: str) -> pa.Table:
    """Read an XES file into a flat table of text columns (see the module doc).

    Columns are named as pm4py names them (event keys; trace keys with a ``case:`` prefix).
    Memory holds the columns and one trace's XML at a time.
    """
    check_prolog(head, shown)
    from lxml import etree

    chunks: list[dict[str, pa.Array]] = []
    sizes: list[int] = []
    chunk = _Chunk()
    event_tag = ""
    try:
        with _open(path, gzipped) as fh:
            context = etree.iterparse(fh, events=("end",), tag="{*}trace",
                                      resolve_entities=False, no_network=True, load_dtd=False,
                                      huge_tree=False, remove_comments=True, remove_pis=True)
            for _, trace in context:
                if not event_tag:
                    event_tag = trace.tag[:-5] + "event"  # "{namespace}event" or "event"
                attrs: dict[str, str] = {}
                n = 0
                for child in trace:
                    if child.tag == event_tag:
                        record = {a.get("key"): a.get("value") for a in child}
                        if None in record or None in record.values():
                            record = {k: v for k, v in record.items()  # lists, bad attributes
                                      if k is not None and v is not None}
                        chunk.events.append(record)
                        n += 1
                    elif (k := child.get("key")) is not None and (
                            v := child.get("value")) is not None:
                        attrs[k] = v
                if n:
                    chunk.traces.append((attrs, n))
                trace.clear()
                # the trace, and anything before it in <log> (header, events outside traces,
                # which pm4py skips too), is no longer needed
                while trace.getprevious() is not None:
                    del trace.getparent()[0]
                if len(chunk.events) >= CHUNK_EVENTS:
                    chunks.append(chunk.columns())
                    sizes.append(len(chunk.events))
                    chunk = _Chunk()
            if chunk.events:
                chunks.append(chunk.columns())
                sizes.append(len(chunk.events))
    except etree.XMLSyntaxError as err:
        line = getattr(err, "lineno", None)
        msg = re.sub(r",? line \d+, column \d+$", "", str(getattr(err, "msg", err)))
        raise LogError(f"malformed or truncated XML ({msg}); fix: export the log again or"
                       " repair the XML", path=shown, line=line) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise LogError(f"corrupt or truncated gzip file ({err}); fix: compress the log again",
                       path=shown) from None
    names: dict[str, None] = {}
    for cols in chunks:
        names.update(dict.fromkeys(cols))
    return pa.table({name: pa.chunked_array(
        [cols[name] if name in cols else pa.nulls(size, pa.string())
         for cols, size in zip(chunks, sizes, strict=True)], pa.string())
        for name in names})


@register
class Xes(LogFormat):
    name = "xes"
    suffixes = (".xes",)
    gzip = True
    xes_names = True
    description = "XES (IEEE 1849-2016), also gzip-compressed"

    def sniff(self, head: Head) -> bool:
        return head.text is not None and bool(_XML_START.match(head.text)) \
            and head.text.lstrip().startswith("<")

    def read(self, path: Path, shown: str, head: Head, pick: Pick) -> RawLog:
        table = read_xes_table(path, shown, gzipped=head.gzipped, head=head.text or "")
        if table.num_rows == 0:
            raise LogError("the XES log has no events; fix: export a log with events",
                           path=shown)
        cmap = pick(table.column_names)
        table = table.select(sorted({c for _, c in cmap.items()}))
        return RawLog(table, cmap, lambda i: f"event {i + 1}")

    def writer(self, path: Path, *, tz: str, gzipped: bool = False) -> LogWriter:
        return XesWriter(path, tz=tz, gzipped=gzipped)


# ---------------------------------------------------------------- writing

XES_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<log xes.version="2.0">\n'
    '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
    '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
    '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n'
    '<extension name="Lifecycle" prefix="lifecycle" '
    'uri="http://www.xes-standard.org/lifecycle.xesext"/>\n'
    '<classifier name="Activity" keys="concept:name"/>\n')
XES_TAIL = "</log>\n"
_INVALID_XML = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{fffe}\x{ffff}]"  # RE2 syntax
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\t", "&#9;"),
            ("\n", "&#10;"), ("\r", "&#13;"))


def _escape(arr: pa.Array) -> pa.Array:
    """XML attribute text: markup characters escaped, characters XML cannot hold replaced."""
    arr = pc.cast(arr, pa.string())
    arr = pc.replace_substring_regex(arr, _INVALID_XML, "\ufffd")
    for old, new in _ESCAPES:
        arr = pc.replace_substring(arr, old, new)
    return arr


def _attr(tag: str, key: str, values: pa.Array) -> pa.Array:
    """``<tag key="key" value="..."/>`` per row; empty text where the value is missing."""
    out = pc.binary_join_element_wise(f'<{tag} key="{key}" value="', values, '"/>', "")
    return pc.fill_null(out, "")


def _write_strings(fh: IO[bytes], text: pa.Array | pa.ChunkedArray) -> None:
    """Write the concatenated values of a string array (without nulls), without copying."""
    chunks = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    for arr in chunks:
        if len(arr) == 0:
            continue
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32, count=len(arr) + 1,
                                offset=arr.offset * 4)
        fh.write(memoryview(arr.buffers()[2])[int(offsets[0]):int(offsets[-1])])


class XesWriter(LogWriter):
    """Streams traces into an XES file (see the module doc); cases must be contiguous."""

    def __init__(self, path: Path, *, tz: str, gzipped: bool = False):
        super().__init__(path, tz=tz, gzipped=gzipped)
        self._stack = contextlib.ExitStack()
        self._fh: IO[bytes] | None = None
        self._case: str | None = None

    def write(self, table: pa.Table) -> None:
        from bpr.io.times import iso_text

        if self._fh is None:
            self._fh = self._stack.enter_context(binary_sink(self.path, self.gzipped))
            self._fh.write(XES_HEAD.encode("utf-8"))
        n = table.num_rows
        if n == 0:
            return
        self.rows += n
        cols = table.column_names
        parts: list[pa.Array] = [_attr("string", "concept:name",
                                       _escape(table.column(E.ACTIVITY)))]
        for col, key in ((E.RESOURCE, "org:resource"), (E.ROLE, "org:role")):
            if col in cols:
                parts.append(_attr("string", key, _escape(table.column(col))))
        parts.append(pa.array(['<string key="lifecycle:transition" value="complete"/>'] * n))
        for col, key in ((E.END, "time:timestamp"), (E.START, "start_timestamp"),
                         (E.ENABLED, "enabled_timestamp")):
            if col in cols:
                parts.append(_attr("date", key, iso_text(table.column(col), self.tz)))
        for col in E.COSTS:
            if col in cols:
                values = pc.cast(table.column(col), pa.float64())
                finite = pc.if_else(pc.is_finite(values), values, None)
                parts.append(_attr("float", col, pc.cast(finite, pa.string())))
        events = pc.binary_join_element_wise("<event>", *parts, "</event>\n", "")
        case = pc.cast(table.column(E.CASE), pa.string())
        if isinstance(case, pa.ChunkedArray):
            case = case.combine_chunks()
        previous = pa.concat_arrays([pa.array([self._case], pa.string()), case[:-1]])
        first = pc.fill_null(pc.not_equal(case, previous), True)
        closes = np.ones(n, dtype=bool)
        closes[0] = self._case is not None  # the very first trace closes none
        opening = pc.binary_join_element_wise(
            pc.if_else(pa.array(closes), "</trace>\n", ""),
            '<trace><string key="concept:name" value="', _escape(case), '"/>\n', "")
        text = pc.binary_join_element_wise(pc.if_else(first, opening, ""), events, "")
        _write_strings(self._fh, text)
        self._case = case[-1].as_py()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.write((("</trace>\n" if self._case is not None else "") + XES_TAIL)
                           .encode("utf-8"))
        self._stack.close()
        self._fh = None
