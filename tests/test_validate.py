"""Fidelity reports: discrepancies found where they are, named in plain words, and validate()
measuring a simulated model against a held-out log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from bpr.analysis.discrepancies import find_discrepancies, pool_profiles, profile_log
from bpr.io.eventlog import EventLog

T0 = datetime(2024, 1, 1, 8, tzinfo=UTC)


def csv_log(path) -> EventLog:
    df = pd.read_csv(path)
    df["case_id"] = df["case_id"].astype(str)
    for col in ("start_time", "end_time", "enabled_time"):
        if col in df.columns:
            df[col] = pd.to_datetime(df[col], utc=True, format="mixed")
    return EventLog(df=df, path=str(path))


def two_step_log(n: int = 40, *, gap_h: float = 2.0, wait_b_h: float = 1.0, dur_a_h: float = 0.5,
                 dur_b_h: float = 1.0, with_c: int = 0) -> pd.DataFrame:
    """Cases a -> b (and c for the first ``with_c`` cases), arriving every ``gap_h`` hours."""
    rows = []
    for i in range(n):
        t = T0 + timedelta(hours=gap_h * i)
        a_end = t + timedelta(hours=dur_a_h)
        b_start = a_end + timedelta(hours=wait_b_h)
        b_end = b_start + timedelta(hours=dur_b_h)
        rows += [(f"c{i}", "a", t, a_end), (f"c{i}", "b", b_start, b_end)]
        if i < with_c:
            rows.append((f"c{i}", "c", b_end, b_end + timedelta(hours=0.5)))
    return pd.DataFrame(rows, columns=["case_id", "activity", "start_time", "end_time"])


def messages(real: pd.DataFrame, sim: pd.DataFrame) -> list[str]:
    return [d.message for d in find_discrepancies(profile_log(real), profile_log(sim))]


def test_no_discrepancy_against_itself(event_logs):
    log = csv_log(event_logs / "PurchasingExample.csv.gz")
    assert find_discrepancies(profile_log(log), profile_log(log)) == []
    loan = csv_log(event_logs / "LoanApp_simplified_test.csv.gz")
    assert profile_log(loan).waiting_from_enabled
    assert find_discrepancies(profile_log(loan), pool_profiles([profile_log(loan)] * 3)) == []


def test_waiting_underestimated_is_named():
    real = two_step_log(wait_b_h=2.1)
    sim = two_step_log(wait_b_h=0.4)
    found = find_discrepancies(profile_log(real), profile_log(sim))
    kinds = {(d.kind, d.activity) for d in found}
    assert ("waiting", "b") in kinds and ("cycle_time", None) in kinds
    waiting = next(d for d in found if d.kind == "waiting")
    assert waiting.real == pytest.approx(2.1) and waiting.simulated == pytest.approx(0.4)
    assert "waiting (estimated) before 'b' underestimated: 24 min vs 2.1 h real" in waiting.message
    cycle = next(d for d in found if d.kind == "cycle_time")
    # real 0.5 + 2.1 + 1 = 3.6 h, simulated 1.9 h: 47% too short
    assert cycle.message == "cycle times 47% too short (median 1.9 h vs 3.6 h real)"
    assert not any(d.kind == "processing" for d in found)


def test_processing_and_frequency_and_missing():
    real = two_step_log(dur_b_h=2.0, with_c=20)
    sim = two_step_log(dur_b_h=1.0, with_c=0)
    found = {(d.kind, d.activity): d for d in
             find_discrepancies(profile_log(real), profile_log(sim))}
    assert found[("processing", "b")].message == (
        "duration of 'b' underestimated: 1.0 h vs 2.0 h real")
    assert found[("missing", "c")].real == pytest.approx(0.5)
    sim_more = two_step_log(with_c=36)
    real_less = two_step_log(with_c=20)
    found = {(d.kind, d.activity): d for d in
             find_discrepancies(profile_log(real_less), profile_log(sim_more))}
    assert found[("frequency", "c")].message == (
        "'c' happens more often: 0.90 vs 0.50 times per case real")
    extra = find_discrepancies(profile_log(two_step_log()), profile_log(real_less))
    assert any(d.kind == "extra" and d.activity == "c" for d in extra)


def test_arrival_rate():
    real = two_step_log(gap_h=2.0)
    sim = two_step_log(gap_h=1.0)
    found = {d.kind: d for d in find_discrepancies(profile_log(real), profile_log(sim))}
    assert found["arrivals"].real == pytest.approx(12.0)
    assert found["arrivals"].simulated == pytest.approx(24.0)
    assert found["arrivals"].message == "cases arrive 100% too often (24 vs 12 cases per day real)"
    assert "cycle_time" not in found  # same cases, only closer together


def test_ranking_by_hours_per_case():
    real = two_step_log(wait_b_h=5.0, dur_b_h=1.0)
    sim = two_step_log(wait_b_h=4.0, dur_b_h=0.5)
    found = find_discrepancies(profile_log(real), profile_log(sim))
    weights = [d.weight_h for d in found]
    assert weights == sorted(weights, reverse=True)
    assert found[0].kind == "cycle_time"  # 1.5 h per case beats 1 h waiting and 0.5 h duration


def test_pooling_keeps_means():
    one = profile_log(two_step_log(wait_b_h=1.0))
    other = profile_log(two_step_log(wait_b_h=3.0))
    pooled = pool_profiles([one, other])
    assert pooled.n_cases == 80
    assert pooled.mean_waiting_h("b") == pytest.approx(2.0)
    assert np.median(pooled.cycle_times_h) == pytest.approx(np.median(
        np.concatenate([one.cycle_times_h, other.cycle_times_h])))
