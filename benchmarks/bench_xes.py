"""XES reading speed and memory: bpr's streaming reader against pm4py's, in the same run.

A real log (``event_logs/02_teleclaims.xes.gz``: lifecycle start/complete events, 5 attributes
each, trace attributes) is scaled up by re-timing copies of its cases (:mod:`benchmarks.scale`)
to at least 250,000 and 2,500,000 events and written as plain XES with the original attributes.
Each reader then runs in a fresh process, which reports the seconds spent reading (imports
excluded), events per second, and its peak resident memory above what it held before reading.

Readers: ``bpr xes`` is :func:`bpr.io.xes.read_xes_table` (the flat table); ``bpr read_log`` is
the whole of :func:`bpr.read_log` (also pairing lifecycle events, parsing timestamps, estimating
starts); ``pm4py`` is ``pm4py.read_xes`` with its default importer (the baseline).

Run: ``python -m benchmarks.bench_xes`` (``--quick``: 250k events only).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

from benchmarks.scale import scale_frame, work_dir

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "event_logs" / "02_teleclaims.xes.gz"
SIZES = (250_000, 2_500_000)

_CHILD = r"""
import resource, sys, time
from pathlib import Path

reader, path = sys.argv[1], Path(sys.argv[2])
if reader == "pm4py":
    from bpr.io.quiet import import_pm4py, silenced
    pm4py = import_pm4py()
    def run():
        with silenced():
            return len(pm4py.read_xes(str(path)))
elif reader == "bpr xes":
    from bpr.io.xes import read_xes_table
    head = path.open(encoding="utf-8").read(65536)
    def run():
        return read_xes_table(path, str(path), gzipped=False, head=head).num_rows
else:
    import bpr
    def run():
        log = bpr.read_log(path)
        return log.n_events

def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize()

before = rss()
t0, c0 = time.perf_counter(), time.process_time()
rows = run()
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(rows, seconds, cpu, max(peak - before, 0), peak)
"""


def scaled_xes(target_events: int) -> tuple[Path, int]:
    """The source log scaled to at least ``target_events`` XES events, written once and kept."""
    from bpr.io.xes import read_xes_table

    path = work_dir() / f"teleclaims_{target_events // 1000}k.xes"
    raw = read_xes_table(SOURCE, str(SOURCE), gzipped=True, head="<log>").to_pandas()
    copies = max(1, math.ceil(target_events / len(raw)))
    if path.exists():
        return path, copies * len(raw)
    raw["time:timestamp"] = pd.to_datetime(raw["time:timestamp"], utc=True, format="ISO8601")
    df = scale_frame(raw, copies, case="case:concept:name", times=("time:timestamp",),
                     timezone="+01:00")
    df["time:timestamp"] = df["time:timestamp"].map(lambda t: t.isoformat(timespec="milliseconds"))
    event_keys = [c for c in raw.columns if not c.startswith("case:")]
    trace_keys = [c for c in raw.columns if c.startswith("case:") and c != "case:concept:name"]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n<log xes.version="2.0">\n')
        records = df.to_dict("records")
        current = None
        for r in records:
            if r["case:concept:name"] != current:
                if current is not None:
                    fh.write("</trace>\n")
                current = r["case:concept:name"]
                fh.write(f'<trace><string key="concept:name" value={quoteattr(current)}/>')
                for k in trace_keys:
                    if isinstance(r[k], str):
                        fh.write(f'<string key="{k[5:]}" value={quoteattr(r[k])}/>')
                fh.write("\n")
            parts = []
            for k in event_keys:
                v = r[k]
                if isinstance(v, str):
                    tag = "date" if k == "time:timestamp" else "string"
                    parts.append(f'<{tag} key="{k}" value={quoteattr(v)}/>')
            fh.write("<event>" + "".join(parts) + "</event>\n")
        fh.write("</trace>\n</log>\n")
    tmp.replace(path)
    return path, len(df)


def measure(reader: str, path: Path) -> tuple[int, float, float, int, int]:
    out = subprocess.run([sys.executable, "-c", _CHILD, reader, str(path)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    rows, seconds, cpu, grown, peak = out.stdout.split()[-5:]
    return int(rows), float(seconds), float(cpu), int(grown), int(peak)


def main(argv: list[str]) -> None:
    sizes = SIZES[:1] if "--quick" in argv else SIZES
    print("events/s: XES events per second of wall-clock time (and per CPU second, which a busy"
          " machine disturbs less); memory: peak resident memory added by the reading")
    print(f"{'events':>10}  {'reader':<13} {'rows':>10} {'seconds':>8} {'events/s':>10}"
          f" {'per CPU s':>10} {'memory MB':>10} {'B/event':>8}  vs pm4py")
    for size in sizes:
        path, events = scaled_xes(size)
        results = {reader: measure(reader, path)
                   for reader in ("pm4py", "bpr xes", "bpr read_log")}
        base_rate = events / results["pm4py"][1]
        base_mem = results["pm4py"][3]
        for reader, (rows, seconds, cpu, grown, _peak) in results.items():
            rate = events / seconds
            ratio = ("baseline" if reader == "pm4py" else
                     f"{rate / base_rate:4.1f}x faster, {grown / max(base_mem, 1):5.1%} memory")
            print(f"{events:>10,}  {reader:<13} {rows:>10,} {seconds:>8.2f} {rate:>10,.0f}"
                  f" {events / cpu:>10,.0f} {grown / 1e6:>10,.0f} {grown / events:>8,.0f}"
                  f"  {ratio}", flush=True)
        print(f"{'':>10}  (file: {path.stat().st_size / 1e6:,.0f} MB of XML,"
              f" {path.stat().st_size / events:,.0f} B/event)")


if __name__ == "__main__":
    main(sys.argv[1:])
