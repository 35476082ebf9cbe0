"""Scale a real event log up by re-timing copies of its cases (for benchmarks).

Copy ``k`` of every case is shifted by ``k`` times the log's span rounded up to whole weeks, so
each copy keeps its weekday and time of day (calendars stay valid), arrivals keep their real
rate and pattern, and resources are never double-booked across copies. Case ids become
``<case>#<k>``. Scaled logs are written under ``benchmarks/.work/`` (ignored by git).
"""

from __future__ import annotations

import math
from datetime import tzinfo
from pathlib import Path

import numpy as np
import pandas as pd

WORK = Path(__file__).resolve().parent / ".work"
WEEK = pd.Timedelta(days=7)


def work_dir() -> Path:
    """``benchmarks/.work``, created with a ``.gitignore`` that keeps it out of git."""
    WORK.mkdir(parents=True, exist_ok=True)
    ignore = WORK / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    return WORK


def scale_frame(df: pd.DataFrame, copies: int, *, case: str = "case_id",
                times: tuple[str, ...] = ("start_time", "end_time"),
                timezone: tzinfo | str | None = None) -> pd.DataFrame:
    """``copies`` re-timed copies of the rows of ``df`` (see the module doc).

    ``times``: the timestamp columns to shift (parsed with pandas if they are text; columns
    missing from ``df`` are skipped). ``timezone``: write times in this zone (default UTC).
    """
    df = df.copy()
    cols = [c for c in times if c in df.columns]
    for c in cols:
        if not pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = pd.to_datetime(df[c], utc=True, format="mixed")
        if timezone is not None:  # write local times with the log's own UTC offset
            df[c] = df[c].dt.tz_convert(timezone)
    lo = min(df[c].min() for c in cols)
    hi = max(df[c].max() for c in cols)
    step = WEEK * max(1, math.ceil((hi - lo) / WEEK))
    n = len(df)
    idx = np.tile(np.arange(n), copies)
    k = np.repeat(np.arange(copies), n)
    out = df.iloc[idx].reset_index(drop=True)
    shift = pd.to_timedelta(k * step.value, unit="ns")
    for c in cols:
        out[c] = out[c] + shift
    out[case] = out[case].astype(str) + "#" + pd.Series(k).astype(str)
    return out


def scaled_csv(source: str | Path, target_events: int, *, name: str | None = None,
               case: str = "case_id", times: tuple[str, ...] = ("start_time", "end_time",
                                                              "enabled_time")) -> Path:
    """Write (once) a CSV of ``source`` scaled to about ``target_events`` rows; return its path."""
    from bpr.discovery.calendars import tzinfo_of
    from bpr.io.logs import read_log

    df = pd.read_csv(source)
    tz = tzinfo_of(read_log(source).timezone)
    copies = max(1, round(target_events / len(df)))
    stem = name or Path(source).name.split(".")[0]
    path = work_dir() / f"{stem}_x{copies}.csv"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        scale_frame(df, copies, case=case, times=times, timezone=tz).to_csv(tmp, index=False)
        tmp.replace(path)
    return path
