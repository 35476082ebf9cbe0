"""Fidelity reports: discrepancies found where they are, named in plain words, and validate()
measuring a simulated model against a held-out log."""

from __future__ import annotations

import json
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


# --- validate(): a model against logs simulated from itself and from a slower variant --------

SMALL = """\
bpr_model: 1
name: Small loan
arrivals: {interarrival: {kind: exponential, mean: 1200}}
pools:
  Clerk: {count: 2}
  Manager: {count: 1}
activities:
  Receive: {pool: Clerk, duration: {kind: gamma, mean: 300, sd: 100}}
  Check credit: {pool: Clerk, duration: {kind: exponential, mean: CREDIT}}
  Approve: {pool: Manager, duration: {kind: gamma, mean: 500, sd: 200}}
  Reject: {pool: Manager, duration: '2m'}
gateways:
  decide: xor
  done: xor
events: {start: start, end: end}
flow:
  - start -> Receive -> Check credit -> decide
  - {from: decide, to: Approve, probability: 0.7}
  - {from: decide, to: Reject, probability: 0.3}
  - Approve -> done
  - Reject -> done
  - done -> end
"""
START = "2024-03-04T08:00:00+00:00"


def small_model(credit_s: int = 600):
    from bpr.model import loads

    return loads(SMALL.replace("CREDIT", str(credit_s)), path="small.yaml")


@pytest.fixture(scope="module")
def model():
    return small_model()


@pytest.fixture(scope="module")
def own_log(model):
    from bpr.sim import simulate_log

    return simulate_log(model, cases=300, start=START, seed=999)


def test_validate_against_own_simulation(model, own_log):
    from bpr.analysis.fidelity import validate

    seen = []
    report = validate(model, own_log, replications=4, seed=1,
                      progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (4, 4)
    assert len(report.replications) == 4
    for key, summary in report.metrics.items():
        values = [getattr(d, key) for d in report.replications]
        assert summary.mean == pytest.approx(np.mean(values))
        assert summary.std == pytest.approx(np.std(values))  # ddof=0, as the literature
    assert report.metrics["ngram"].mean < 0.05
    assert report.metrics["cycle_time_h"].mean < 0.3
    assert report.metrics["relative_event_h"].mean < 0.3
    assert report.verdict[0].startswith("Close to the real process")
    assert report.settings["cases"] == own_log.n_cases == 300
    assert report.settings["start"] == "2024-03-04T08:00:00+00:00"
    # Same seed, same numbers.
    again = validate(model, own_log, replications=4, seed=1)
    assert again.replications == report.replications


def test_validate_against_slower_process(model):
    from bpr.analysis.fidelity import validate
    from bpr.sim import simulate_log

    # Credit checks three times as long: clerks queue, cases take about an hour, not 25 min.
    slow_log = simulate_log(small_model(credit_s=1800), cases=300, start=START, seed=7)
    report = validate(model, slow_log, replications=3, seed=1)
    assert report.metrics["cycle_time_h"].mean > 0.4
    assert report.metrics["ngram"].mean < 0.05  # same routing
    assert report.verdict[0].startswith("Far from the real process")
    first = report.discrepancies[0]
    assert first.kind == "cycle_time" and "too short" in first.message
    assert any(d.kind == "waiting" and d.activity == "Check credit"
               and "underestimated" in d.message for d in report.discrepancies)
    data = json.loads(json.dumps(report.to_dict()))
    assert set(data["metrics"]) == {"ngram", "absolute_event_h", "circadian_event_h",
                                    "relative_event_h", "cycle_time_h"}
    assert len(data["replications"]) == 3
    assert data["verdict"] == report.verdict


def test_validate_rejects_bad_settings(model, own_log):
    from bpr.analysis.fidelity import validate
    from bpr.errors import SimulationError

    with pytest.raises(SimulationError, match="replications"):
        validate(model, own_log, replications=0)


def test_cli_validate(tmp_path, model, own_log):
    from click.testing import CliRunner

    from bpr.cli import main
    from bpr.io.logs import write_log

    model_path = tmp_path / "small.yaml"
    model_path.write_text(SMALL.replace("CREDIT", "600"), encoding="utf-8")
    log_path = tmp_path / "test.csv"
    write_log(own_log, log_path)
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(model_path), str(log_path),
                                  "--replications", "2", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "cycle-time distribution distance" in result.output
    assert "Close to the real process" in result.output
    result = runner.invoke(main, ["validate", str(model_path), str(log_path),
                                  "--replications", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["settings"]["replications"] == 2 and data["settings"]["cases"] == 300
    bad = runner.invoke(main, ["validate", str(model_path), str(log_path),
                               "--replications", "0"])
    assert bad.exit_code == 2 and "replications" in bad.output
