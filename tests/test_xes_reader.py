"""bpr's streaming XES reader: the same table as pm4py's reader on every shared XES log, memory
that does not grow with the file, and hostile XML refused in one line."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bpr.errors import LogError
from bpr.io.xes import read_xes_table

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "event_logs"
XES_LOGS = [pytest.param(p, id=p.name, marks=[pytest.mark.slow] if p.stat().st_size > 300_000
                          else [])
            for p in sorted({p.name: p for p in [*(ROOT / "event_logs").glob("*.xes*"),
                                                 *SHARED.glob("*.xes*")]}.values())]


def table(path: Path) -> pd.DataFrame:
    gz = path.suffix == ".gz"
    if gz:
        with gzip.open(path) as fh:
            raw = fh.read(65536)
    else:
        raw = path.read_bytes()[:65536]
    head = raw.decode("utf-8", "ignore")
    return read_xes_table(path, str(path), gzipped=gz, head=head).to_pandas()


@pytest.mark.parametrize("path", XES_LOGS)
def test_equal_to_pm4py_reader(path: Path) -> None:
    from bpr.io.quiet import import_pm4py, silenced
    from bpr.io.times import to_utc

    pm4py = import_pm4py()
    with silenced():
        ref = pm4py.read_xes(str(path)).reset_index(drop=True)
    ours = table(path)
    assert len(ours) == len(ref) > 0
    assert set(ours.columns) == set(ref.columns)
    for col in ref.columns:
        theirs, mine = ref[col], ours[col]
        if isinstance(theirs.dtype, pd.DatetimeTZDtype):
            parsed = to_utc(mine, col, str(path), lambda i: f"event {i + 1}")
            assert (parsed.isna() == theirs.isna()).all(), col
            assert (parsed[theirs.notna()] == theirs[theirs.notna()]).all(), col
        else:
            def missing(v: object) -> bool:
                return v is None or (isinstance(v, float) and np.isnan(v))

            expect = theirs.map(lambda v: None if missing(v) else str(v))
            got = mine.map(lambda v: None if v is None else str(v))
            numeric = theirs.map(lambda v: isinstance(v, int | float) and
                                 not isinstance(v, bool) and not missing(v)).any()
            if numeric:  # pm4py converts <int>/<float>; the text must mean the same number
                assert np.allclose(pd.to_numeric(got).to_numpy(dtype=float),
                                   pd.to_numeric(expect).to_numpy(dtype=float),
                                   equal_nan=True), col
            else:
                assert got.tolist() == expect.tolist(), col


def _xes(path: Path, traces: int) -> Path:
    """A synthetic XES log of ``traces`` traces (5 events each, 4 attributes per event)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="2.0">\n')
        for t in range(traces):
            fh.write(f'<trace><string key="concept:name" value="case {t}"/>\n')
            for e in range(5):
                fh.write(f'<event><string key="concept:name" value="activity {e}"/>'
                         f'<string key="org:resource" value="person {t % 17}"/>'
                         '<string key="lifecycle:transition" value="complete"/>'
                         f'<date key="time:timestamp" value="2024-01-0{e + 1}T10:00:00.000'
                         '+01:00"/></event>\n')
            fh.write('</trace>\n')
        fh.write('</log>\n')
    return path


_PEAK = """
import resource, sys
from pathlib import Path
from bpr.io.xes import read_xes_table
path = Path(sys.argv[1])
t = read_xes_table(path, str(path), gzipped=False, head=path.read_text()[:2000])
assert t.num_rows > 0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


@pytest.mark.slow
def test_memory_does_not_grow_with_the_xml(tmp_path: Path) -> None:
    small = _xes(tmp_path / "small.xes", 10_000)
    large = _xes(tmp_path / "large.xes", 80_000)

    def peak(path: Path) -> int:
        out = subprocess.run([sys.executable, "-c", _PEAK, str(path)], capture_output=True,
                             text=True, check=True)
        return int(out.stdout.split()[-1])

    extra_file = large.stat().st_size - small.stat().st_size   # ~100 MB more XML
    extra_rss = peak(large) - peak(small)
    # a tree of the XML would need several times the file; the columns need a fraction of it
    assert extra_rss < 0.5 * extra_file, (extra_rss, extra_file)


def test_hostile_xml_is_refused_in_one_line(tmp_path: Path) -> None:
    from bpr.io.logs import read_log

    cases = {
        "dtd.xes": '<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY a "aaaa">]>\n<log/>',
        "comment_then_dtd.xes": '<!-- x -->\n<!DOCTYPE log SYSTEM "http://example.com/x">\n<log/>',
        "undeclared_entity.xes": ('<log><trace><string key="concept:name" value="&xxe;"/>'
                                  '</trace></log>'),
        "far_dtd.xes": "<!--" + "x" * 70_000 + "-->\n<!DOCTYPE log>\n<log/>",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(LogError) as info:
            read_log(path)
        message = str(info.value)
        assert "\n" not in message and message.startswith(str(path)), message
        assert "fix:" in message


def test_events_outside_traces_and_nested_attributes(tmp_path: Path) -> None:
    path = tmp_path / "odd.xes"
    path.write_text(
        '<log xmlns="http://www.xes-standard.org/">'
        '<event><string key="concept:name" value="stray"/></event>'
        '<trace><string key="concept:name" value="c1"/>'
        '<event><string key="concept:name" value="A"/>'
        '<list key="items"><values><string key="x" value="1"/></values></list>'
        '<string key="note" value="n"><string key="inner" value="i"/></string>'
        '<date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>'
        '<event><string key="concept:name" value="B"/>'
        '<date key="time:timestamp" value="2024-01-01T11:00:00Z"/></event>'
        '<string key="late" value="after events"/></trace></log>')
    t = table(path)
    assert t["concept:name"].tolist() == ["A", "B"]   # the stray event is skipped, as by pm4py
    assert t["note"].tolist() == ["n", None]          # nested attributes: the top value only
    assert "items" not in t.columns and "inner" not in t.columns
    assert t["case:concept:name"].tolist() == ["c1", "c1"]
    assert t["case:late"].tolist() == ["after events"] * 2
