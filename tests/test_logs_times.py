"""Timestamp parsing and the dominant UTC offset, as properties over generated logs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpr.io.logs import read_log, write_log
from bpr.io.times import format_offset, iso_text

OFFSETS = [0, 3600, 7200, -5 * 3600, 5 * 3600 + 1800]
instants = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1))


def render(t: dt.datetime, offset: int, style: int) -> str:
    """Write the UTC instant ``t`` in local time at ``offset`` seconds, in one of four styles."""
    local = (t + dt.timedelta(seconds=offset)).replace(tzinfo=None)
    text = local.isoformat(sep="T" if style % 2 else " ")
    if style == 0:
        return text + ("Z" if offset == 0 else format_offset(offset).replace(":", ""))
    if style == 3 and offset == 0:
        return text  # naive: taken as UTC
    return text + ("+00:00" if offset == 0 else format_offset(offset))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(instants, st.sampled_from(OFFSETS), st.integers(0, 3)), min_size=2,
                max_size=30), st.sampled_from(OFFSETS))
def test_any_iso_mix_parses_to_the_true_instant(tmp_path: Path, rows, main: int) -> None:
    # make ``main`` the clear majority offset
    rows = rows + [(t, main, s) for t, _, s in rows] * 2
    lines = ["case_id,activity,end_time"]
    for i, (t, off, style) in enumerate(rows):
        lines.append(f"c{i % 3},a{i % 2},{render(t, off, style)}")
    path = tmp_path / "t.csv"
    path.write_text("\n".join(lines) + "\n")
    log = read_log(path)
    truth = sorted(pd.Timestamp(t, tz="UTC") for t, _, _ in rows)
    assert sorted(log.df["end_time"]) == truth
    assert log.timezone == format_offset(main)


@pytest.mark.parametrize(("tz", "values", "expected"), [
    ("UTC", ["2024-01-01T00:00:00Z"], ["2024-01-01T00:00:00+00:00"]),
    ("+02:00", ["2024-01-01T00:00:00.25Z", None], ["2024-01-01T02:00:00.250+02:00", None]),
    ("-05:30", ["2024-01-01T00:00:00.000001Z"], ["2023-12-31T18:30:00.000001-05:30"]),
])
def test_iso_text_keeps_only_the_needed_precision(tz: str, values, expected) -> None:
    series = pd.Series(pd.to_datetime(values, utc=True))
    assert iso_text(series, tz).to_pylist() == expected


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(instants, st.integers(0, 10**6)), min_size=1, max_size=20),
       st.sampled_from(["UTC", "+02:00", "-05:00"]), st.sampled_from([".csv", ".xes",
                                                                      ".parquet"]))
def test_round_trip_keeps_every_instant(tmp_path: Path, rows, tz: str, ext: str) -> None:
    from bpr.io.eventlog import EventLog

    start = pd.Series([pd.Timestamp(t, tz="UTC") for t, _ in rows])
    end = start + pd.to_timedelta([us for _, us in rows], unit="us")
    df = pd.DataFrame({"case_id": [f"c{i}" for i in range(len(rows))],
                       "activity": ["A"] * len(rows), "start_time": start, "end_time": end,
                       "resource": ["r"] * len(rows)})
    df = df.astype({"start_time": "datetime64[ns, UTC]", "end_time": "datetime64[ns, UTC]"})
    path = tmp_path / f"r{ext}"
    write_log(EventLog(df, timezone=tz), path)
    back = read_log(path)
    assert back.df["start_time"].tolist() == df["start_time"].tolist()
    assert back.df["end_time"].tolist() == df["end_time"].tolist()
    assert back.timezone == tz
