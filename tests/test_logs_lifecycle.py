"""Lifecycle pairing and start-time estimation, against hand-worked answers and a reference."""

from __future__ import annotations

from collections import defaultdict, deque
from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.io.lifecycle import estimate_starts, pair_lifecycle
from bpr.io.logs import read_log


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_estimated_starts_on_a_hand_made_completion_only_log(tmp_path: Path) -> None:
    # end order: c1A 10:00 (R1), c2A 10:20 (R1), c1B 10:30 (R2), c2B 10:50 (R1), c1C 11:00 (R1)
    path = tmp_path / "done.csv"
    path.write_text("case_id,activity,resource,end_time\n"
                    "c1,A,R1,2024-05-06T10:00:00\n"
                    "c1,B,R2,2024-05-06T10:30:00\n"
                    "c1,C,R1,2024-05-06T11:00:00\n"
                    "c2,A,R1,2024-05-06T10:20:00\n"
                    "c2,B,R1,2024-05-06T10:50:00\n")
    log = read_log(path)
    assert log.start_times_estimated
    assert log.warnings[0].startswith("Start times estimated for all 5 activity instances (the"
                                      " log has completion times only)")
    got = {(r.case_id, r.activity): (r.start_time, r.end_time) for r in log.df.itertuples()}
    assert got == {
        # first in its case: enabled at its own end
        ("c1", "A"): (ts("2024-05-06 10:00"), ts("2024-05-06 10:00")),
        # first in its case; R1 was free since 10:00, so still its own end
        ("c2", "A"): (ts("2024-05-06 10:20"), ts("2024-05-06 10:20")),
        # enabled when c1/A ended (10:00); R2 had no earlier work
        ("c1", "B"): (ts("2024-05-06 10:00"), ts("2024-05-06 10:30")),
        # enabled 10:20 (c2/A), R1 free at 10:20 (c2/A)
        ("c2", "B"): (ts("2024-05-06 10:20"), ts("2024-05-06 10:50")),
        # enabled 10:30 (c1/B), but R1 busy until 10:50 (c2/B)
        ("c1", "C"): (ts("2024-05-06 10:50"), ts("2024-05-06 11:00")),
    }


def test_csv_lifecycle_pairs_fifo(tmp_path: Path) -> None:
    path = tmp_path / "lc.csv"
    path.write_text("case,activity,resource,lifecycle,timestamp\n"
                    "1,A,r1,start,2024-01-01T09:00Z\n"
                    "1,A,r2,start,2024-01-01T09:10Z\n"
                    "1,A,,complete,2024-01-01T09:30Z\n"
                    "1,A,r2,complete,2024-01-01T09:40Z\n"
                    "1,B,r1,schedule,2024-01-01T09:45Z\n"
                    "1,B,r1,complete,2024-01-01T10:00Z\n"
                    "1,C,r3,start,2024-01-01T11:00Z\n"
                    "1,D,r4,complete,2024-01-01T08:00Z\n"
                    "1,D,r4,start,2024-01-01T08:30Z\n"
                    "1,D,r4,COMPLETE,2024-01-01T09:00Z\n")
    log = read_log(path)
    rows = [(r.activity, r.resource, r.start_time, r.end_time) for r in log.df.itertuples()]
    assert rows == [
        ("D", "r4", ts("2024-01-01 08:00"), ts("2024-01-01 08:00")),  # no start: estimated
        ("D", "r4", ts("2024-01-01 08:30"), ts("2024-01-01 09:00")),
        ("A", "r1", ts("2024-01-01 09:00"), ts("2024-01-01 09:30")),  # resource from start
        ("A", "r2", ts("2024-01-01 09:10"), ts("2024-01-01 09:40")),
        ("B", "r1", ts("2024-01-01 09:40"), ts("2024-01-01 10:00")),  # estimated: after A
    ]
    assert log.start_times_estimated
    assert "Dropped 1 lifecycle 'start' events that were never completed" in log.warnings[0]
    assert any(w == "Ignored lifecycle transitions other than start/complete: 'schedule' (1)"
               for w in log.warnings)
    assert any("2 of 5 activity instances" in w for w in log.warnings)


def reference_pairing(events: list[tuple[int, int, bool]]) -> tuple[set, int, int]:
    """Pair (group, time, is_start) events with a plain FIFO queue per group."""
    queues: dict[int, deque] = defaultdict(deque)
    pairs, lone = set(), 0
    for g, t, is_start in sorted(events, key=lambda e: (e[0], e[1], not e[2])):
        if is_start:
            queues[g].append(t)
        elif queues[g]:
            pairs.add((g, queues[g].popleft(), t))
        else:
            lone += 1
    return pairs, lone, sum(len(q) for q in queues.values())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 40), st.booleans()), min_size=1,
                max_size=60, unique_by=lambda e: (e[0], e[1])))
def test_pairing_matches_a_fifo_queue(events: list[tuple[int, int, bool]]) -> None:
    base = ts("2024-01-01")
    frame = pd.DataFrame({
        "case_id": [f"c{g % 2}" for g, _, _ in events],
        "activity": [f"a{g // 2}" for g, _, _ in events],
        "lifecycle": ["start" if s else "complete" for _, _, s in events],
        "time": [base + pd.Timedelta(minutes=t) for _, t, _ in events],
        "row": range(len(events)),
    })
    result = pair_lifecycle(frame)
    inst = result.instances
    paired = inst[inst["start_time"].notna()]
    got = {(int(c[1]) + 2 * int(a[1]), int((s - base) / pd.Timedelta(minutes=1)),
            int((e - base) / pd.Timedelta(minutes=1)))
           for c, a, s, e in zip(paired["case_id"], paired["activity"], paired["start_time"],
                                 paired["end_time"], strict=True)}
    pairs, lone, open_starts = reference_pairing(events)
    assert got == pairs
    assert result.unmatched_completes == lone == int(inst["start_time"].isna().sum())
    assert result.unmatched_starts == open_starts


def reference_estimate(rows: list[tuple[str, str | None, int]]) -> list[int]:
    """Start = max(previous end in the case or own end, previous end of the resource)."""
    order = sorted(range(len(rows)), key=lambda i: (rows[i][2], i))
    last_case: dict[str, int] = {}
    last_res: dict[str, int] = {}
    out = [0] * len(rows)
    for i in order:
        case, res, end = rows[i]
        start = last_case.get(case, end)
        if res is not None and res in last_res:
            start = max(start, last_res[res])
        out[i] = start
        last_case[case] = end
        if res is not None:
            last_res[res] = end
    return out


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["x", "y", None]),
                          st.integers(0, 30)), min_size=1, max_size=40))
def test_estimated_starts_match_the_rule(rows: list[tuple[str, str | None, int]]) -> None:
    base = ts("2024-01-01")
    frame = pd.DataFrame({"case_id": [c for c, _, _ in rows],
                          "resource": [r for _, r, _ in rows],
                          "end_time": [base + pd.Timedelta(minutes=m) for _, _, m in rows],
                          "row": range(len(rows))})
    est = estimate_starts(frame)
    got = [int((v - base) / pd.Timedelta(minutes=1)) for v in est]
    assert got == reference_estimate(rows)
    assert (est <= frame["end_time"]).all()
