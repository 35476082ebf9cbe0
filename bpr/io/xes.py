"""XES event logs in and out, safely.

Reading uses pm4py's iterparse importer fed by an lxml parser that never resolves entities and
never touches the network; before that, any ``<!DOCTYPE>`` (the only place entities can be
declared: external entities, "billion laughs" bombs) is refused outright. Malformed or truncated
XML becomes a one-line :class:`LogError` with the line number lxml reports.

Writing produces one ``<event>`` per activity instance with ``time:timestamp`` (the end),
``start_timestamp`` (the start, as pm4py's interval logs have it) and
``lifecycle:transition=complete``, so pm4py and bpr both read it back.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.sax.saxutils import quoteattr

import pandas as pd

from bpr.errors import LogError
from bpr.io.quiet import import_pm4py, silenced

_PROLOG_SKIP = re.compile(r"\s+|<\?.*?\?>|<!--.*?-->", re.S)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_DATE_TAG = re.compile(r"<date\b[^>]*>")
_KEY_TS = re.compile(r"""key\s*=\s*["']time:timestamp["']""")
_VALUE = re.compile(r"""value\s*=\s*["']([^"']*)["']""")
TZ_SAMPLE_BYTES = 4 * 1024 * 1024


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


def _open(path: Path, gzipped: bool) -> IO[bytes]:
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def timezone_sample(path: Path, gzipped: bool) -> list[str]:
    """The ``time:timestamp`` values among the first few MiB of the file (as written)."""
    with _open(path, gzipped) as fh:
        try:
            text = fh.read(TZ_SAMPLE_BYTES).decode("utf-8", errors="ignore")
        except (OSError, EOFError, zlib.error):
            return []
    out = []
    for tag in _DATE_TAG.findall(text):
        if _KEY_TS.search(tag):
            v = _VALUE.search(tag)
            if v:
                out.append(v.group(1))
    return out


def read_xes_frame(path: Path, shown: str, *, gzipped: bool, head: str) -> pd.DataFrame:
    """Read an XES file into pm4py's flat DataFrame (one row per XES event, XES column names)."""
    check_prolog(head, shown)
    from lxml import etree

    pm4py = import_pm4py()
    from pm4py.objects.log.importer.xes.variants import iterparse as xes_iterparse

    try:
        with _open(path, gzipped) as fh, silenced():
            context = etree.iterparse(fh, events=("start", "end"), resolve_entities=False,
                                      no_network=True, load_dtd=False, huge_tree=False)
            log = xes_iterparse.import_from_context(
                context, 0, parameters={"show_progress_bar": False})
            df = pm4py.convert_to_dataframe(log)
    except etree.XMLSyntaxError as err:
        line = getattr(err, "lineno", None)
        msg = re.sub(r",? line \d+, column \d+$", "", str(getattr(err, "msg", err)))
        raise LogError(f"malformed or truncated XML ({msg}); fix: export the log again or"
                       " repair the XML", path=shown, line=line) from None
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise LogError(f"corrupt or truncated gzip file ({err}); fix: compress the log again",
                       path=shown) from None
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as err:
        raise LogError(f"pm4py could not read this XES file ({type(err).__name__}: {err});"
                       " fix: check that it is a valid XES 1.0/2.0 log", path=shown) from None
    return df


def _attr(tag: str, key: str, value: str) -> str:
    return f"<{tag} key={quoteattr(key)} value={quoteattr(value)}/>"


def _iso(ts: pd.Series, tz: str) -> list[str | None]:
    """ISO 8601 text of tz-aware timestamps in the offset ``tz`` (``"UTC"`` or ``"+HH:MM"``)."""
    from bpr.io.times import iso_text

    return iso_text(ts, tz).to_pylist()


def _lines(df: pd.DataFrame, tz: str) -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield ('<log xes.version="1.0" xes.features="nested-attributes" '
           'xmlns="http://www.xes-standard.org/">')
    for name, prefix in (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"),
                         ("Lifecycle", "lifecycle")):
        yield (f'<extension name="{name}" prefix="{prefix}" '
               f'uri="http://www.xes-standard.org/{prefix}.xesext"/>')
    start = _iso(df["start_time"], tz)
    end = _iso(df["end_time"], tz)
    enabled = _iso(df["enabled_time"], tz) if "enabled_time" in df else None
    cases = df["case_id"].astype(str).tolist()
    acts = df["activity"].astype(str).tolist()
    res = df["resource"].tolist() if "resource" in df else [None] * len(df)
    roles = df["role"].tolist() if "role" in df else None
    costs = {c: df[c].tolist() for c in ("fixed_cost", "resource_cost") if c in df}
    current = None
    for i in range(len(df)):
        if cases[i] != current:
            if current is not None:
                yield "</trace>"
            current = cases[i]
            yield "<trace>" + _attr("string", "concept:name", current)
        parts = [_attr("string", "concept:name", acts[i])]
        if isinstance(res[i], str):
            parts.append(_attr("string", "org:resource", res[i]))
        if roles is not None and isinstance(roles[i], str):
            parts.append(_attr("string", "org:role", roles[i]))
        parts.append(_attr("string", "lifecycle:transition", "complete"))
        if start[i] is not None:
            parts.append(_attr("date", "start_timestamp", start[i]))
        if enabled is not None and enabled[i] is not None:
            parts.append(_attr("date", "enabled_timestamp", enabled[i]))
        parts.append(_attr("date", "time:timestamp", end[i]))
        for key, values in costs.items():
            if pd.notna(values[i]):
                parts.append(_attr("float", key, repr(float(values[i]))))
        yield "<event>" + "".join(parts) + "</event>"
    if current is not None:
        yield "</trace>"
    yield "</log>"


def write_xes(df: pd.DataFrame, tmp: Path, *, gzipped: bool, tz: str) -> None:
    """Write a log frame (EventLog columns, grouped by case) as XES to ``tmp``."""
    with (gzip.open(tmp, "wt", encoding="utf-8") if gzipped
          else open(tmp, "w", encoding="utf-8")) as fh:
        for line in _lines(df, tz):
            fh.write(line)
            fh.write("\n")
