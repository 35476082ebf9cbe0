"""Calibrated discovery: the choice is never worse than the default on the validation part, it
finds a known truth (extraneous delays the default leaves out), the record in the model file
reproduces the model, the budget holds, and ``bpr mine --calibrate`` works end to end."""

from __future__ import annotations

import dataclasses
import json
import time

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.analysis.calibrate import (
    SEARCH_SPACE,
    calibrate,
    combined_score,
    options_from_dict,
    options_to_dict,
    search_plan,
)
from bpr.analysis.distances import METRICS, LogDistances
from bpr.cli import main
from bpr.cli.mine import parse_budget
from bpr.discovery import MiningOptions, discover
from bpr.errors import BprError, LogError
from bpr.model.files import load_model

try:
    runner = CliRunner(mix_stderr=False)
except TypeError:  # click >= 8.2 keeps stderr apart already
    runner = CliRunner()

START = "2024-03-04T08:00:00+00:00"

#: Two clerks, two steps; before "Check" every case waits 4 h for something outside the process
#: (a customer's reply): waiting no resource or calendar explains, i.e. an extraneous delay.
DELAYED = """\
bpr_model: 1
name: Delayed
arrivals: {interarrival: {kind: exponential, mean: 1800}}
pools:
  Clerk: {count: 2}
activities:
  Receive: {pool: Clerk, duration: {kind: gamma, mean: 600, sd: 200}}
  Check: {pool: Clerk, duration: {kind: gamma, mean: 900, sd: 300},
          delay: {kind: gamma, mean: 14400, sd: 3600}}
  Decide: {pool: Clerk, duration: {kind: gamma, mean: 300, sd: 100}}
events: {start: start, end: end}
flow:
  - start -> Receive -> Check -> Decide -> end
"""


@pytest.fixture(scope="module")
def delayed_log():
    from bpr.model import loads
    from bpr.sim import simulate_log

    return simulate_log(loads(DELAYED, path="delayed.yaml"), cases=300, start=START, seed=5)


@pytest.fixture(scope="module")
def loan(event_logs):
    """The first 400 cases of the LoanApp training log (a real log, small enough to be quick)."""
    from bpr.io.eventlog import CASE
    from bpr.io.logs import read_log

    log = read_log(event_logs / "LoanApp_simplified_train.csv.gz")
    keep = log.df[CASE].isin(log.df[CASE].drop_duplicates().iloc[:400])
    return dataclasses.replace(log, df=log.df[keep].reset_index(drop=True))


@pytest.fixture(scope="module")
def loan_search(loan):
    """A full coordinate-descent calibration of the small LoanApp log."""
    return calibrate(loan, budget_seconds=300, replications=3)


# -- scoring ---------------------------------------------------------------------------------

distances = st.builds(LogDistances, *[st.floats(0, 1e4, allow_nan=False) for _ in METRICS])


@given(distances, distances, st.floats(1.01, 10))
def test_score_is_one_for_the_reference_and_grows_with_every_distance(ref, other, factor):
    assert combined_score(ref, ref) == pytest.approx(1.0)
    worse = LogDistances(**{k: v * factor + 0.01 for k, v in other.to_dict().items()})
    assert combined_score(worse, ref) > combined_score(other, ref)
    zero = LogDistances(0, 0, 0, 0, 0)
    assert combined_score(zero, ref) <= 1.0


def test_no_unit_dominates():
    ref = LogDistances(0.4, 1000.0, 1.0, 800.0, 700.0)
    # Halving the n-gram distance counts as much as halving the absolute distance in hours.
    a = combined_score(dataclasses.replace(ref, ngram=0.2), ref)
    b = combined_score(dataclasses.replace(ref, absolute_event_h=500.0), ref)
    assert a == pytest.approx(b, rel=0.01) and a < 1.0  # up to the small floors


# -- the guarantee ---------------------------------------------------------------------------

def test_search_never_ends_worse_than_the_default(loan_search):
    res = loan_search
    assert res.candidates[0] is res.default and res.default.changed == {}
    assert res.default.score == pytest.approx(1.0)
    assert res.chosen.score <= res.default.score
    finite = [c.score for c in res.candidates if np.isfinite(c.score)]
    # Coordinate descent keeps the best it has seen up to the acceptance margin.
    assert res.chosen.score <= min(finite) / (1 - 0.01) + 1e-12
    assert len(res.candidates) > 15 and not res.stopped_by_budget
    assert len({c.options for c in res.candidates}) == len(res.candidates)  # none run twice
    # The recorded distances are the chosen candidate's, which is no worse overall.
    cal = res.model.calibration
    assert cal["scores"]["chosen"]["score"] <= cal["scores"]["default"]["score"] == 1.0
    assert cal["candidates_tried"] == len(res.candidates)


def test_only_worse_candidates_keep_the_default(loan):
    from bpr.discovery import mine

    bad = [MiningOptions(duration_families=("fixed",), arrival_calendar=False),
           MiningOptions(noise_threshold=1.0, pool_calendars=False)]
    res = calibrate(loan, candidates=bad, replications=2, budget_seconds=300)
    assert [c.dimension for c in res.candidates] == ["default", "listed", "listed"]
    assert all(c.score > 1.0 for c in res.candidates[1:]), [c.score for c in res.candidates]
    assert res.chosen is res.default
    assert res.model.calibration["changed"] == {}
    assert dataclasses.replace(res.model, calibration=None) == mine(loan, name=None)


def test_finds_the_extraneous_delay_the_default_leaves_out(delayed_log):
    res = calibrate(delayed_log, replications=3, budget_seconds=300)
    assert res.chosen.options.extraneous_delays
    # The 4-hour wait is back: cycle times on the validation part are now close.
    assert res.default.distances.cycle_time_h > 2.5
    assert res.chosen.distances.cycle_time_h < 1.0
    assert res.chosen.score < 0.7
    check = res.model.activities["Check"]
    assert check.delay is not None and 3.0 < check.delay.mean() / 3600 < 5.0


# -- the record in the model file ------------------------------------------------------------

def test_recorded_choices_load_back_and_reproduce_the_model(loan_search, loan, tmp_path):
    res = loan_search
    path = tmp_path / "loan.yaml"
    res.model.save(path)
    loaded = load_model(path)
    assert loaded == res.model
    cal = loaded.calibration
    opts = options_from_dict(cal["options"])
    assert opts == res.chosen.options
    assert options_from_dict(cal["changed"]) == res.chosen.options
    again = discover(loan, opts).model
    assert again == dataclasses.replace(res.model, calibration=None)
    for key in ("method", "score", "validation", "budget_s", "elapsed_s", "stopped_by_budget"):
        assert key in cal
    assert set(cal["scores"]["default"]) == {"score", *(m.key for m in METRICS)}


def test_options_round_trip_and_bad_names():
    opts = MiningOptions(noise_threshold=0.1, duration_families=("gamma", "empirical"),
                         extraneous_delays=True)
    data = json.loads(json.dumps(options_to_dict(opts)))
    assert options_from_dict(data) == opts
    with pytest.raises(BprError, match="did you mean 'noise_threshold'"):
        options_from_dict({"noise_treshold": 0.1})
    with pytest.raises(BprError, match="mapping"):
        options_from_dict(["noise_threshold"])  # type: ignore[arg-type]


def test_search_plan_is_fixed_and_skips_unknown_fields():
    plan = search_plan(MiningOptions())
    assert plan == search_plan(MiningOptions())
    assert all(o != MiningOptions() for _, o in plan)
    assert [d for d, _ in plan][0] == SEARCH_SPACE[0].name
    from bpr.analysis.calibrate import Dimension

    future = (Dimension("not yet", ({"no_such_option": 1},)),)
    assert search_plan(MiningOptions(), future) == []


# -- budget and determinism ------------------------------------------------------------------

def test_tiny_budget_returns_the_default_quickly(loan):
    from bpr.discovery import mine

    t0 = time.perf_counter()
    res = calibrate(loan, budget_seconds=0, replications=2)
    assert time.perf_counter() - t0 < 20
    assert len(res.candidates) == 1 and res.stopped_by_budget
    assert res.chosen is res.default
    assert dataclasses.replace(res.model, calibration=None) == mine(loan)
    assert res.model.calibration["stopped_by_budget"] is True


def test_budget_cuts_the_same_sequence_short(loan, loan_search):
    """The order does not depend on the budget: a short run tries a prefix of a long one."""
    short = calibrate(loan, budget_seconds=1.5, replications=3)
    assert short.stopped_by_budget and short.elapsed_seconds < 1.5 + 1.0
    assert 1 <= len(short.candidates) < len(loan_search.candidates)
    long_seq = [(c.options, c.score) for c in loan_search.candidates]
    assert [(c.options, c.score) for c in short.candidates] == long_seq[:len(short.candidates)]


def test_progress_reports_candidates(loan):
    seen = []
    calibrate(loan, candidates=[MiningOptions(noise_threshold=0.0)], replications=1,
              progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (2, 2)
    assert all(d <= t for d, t in seen)


def test_bad_arguments_and_logs_too_small(loan):
    with pytest.raises(BprError, match="budget"):
        calibrate(loan, budget_seconds=-1)
    with pytest.raises(BprError, match="replications"):
        calibrate(loan, replications=0)
    with pytest.raises(BprError, match="validation fraction"):
        calibrate(loan, validation_fraction=1.5)
    one_case = dataclasses.replace(loan, df=loan.df[loan.df["case_id"] == loan.df["case_id"][0]])
    with pytest.raises(LogError, match="calibrat"):
        calibrate(one_case)


# -- the fidelity report carries the cycle times ---------------------------------------------

def test_fidelity_report_carries_cycle_times(delayed_log):
    from bpr.analysis.discrepancies import profile_log
    from bpr.analysis.fidelity import validate

    model = discover(delayed_log).model
    report = validate(model, delayed_log, replications=2)
    ct = json.loads(json.dumps(report.to_dict()))["cycle_times_hours"]
    real = profile_log(delayed_log).cycle_times_h
    assert len(ct["real"]) == delayed_log.n_cases
    assert np.allclose(sorted(ct["real"]), np.sort(real), atol=1e-4)
    assert len(ct["simulated"]) == 2 * delayed_log.n_cases
    # The default model leaves out the 4-hour delay: simulated cycle times are shorter.
    assert np.median(ct["simulated"]) < np.median(ct["real"]) - 2.5


# -- the CLI ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, seconds", [("120s", 120), ("5m", 300), ("1h", 3600),
                                           ("1m30s", 90), ("90", 90), ("2.5 min", 150),
                                           ("10 sec", 10)])
def test_parse_budget(text, seconds):
    assert parse_budget(text) == pytest.approx(seconds)


def test_cli_mine_calibrate_end_to_end(delayed_log, tmp_path):
    from bpr.io.logs import write_log

    log_path = tmp_path / "delayed.csv"
    write_log(delayed_log, log_path)
    out = tmp_path / "m.yaml"
    r = runner.invoke(main, ["mine", str(log_path), "-o", str(out), "--calibrate",
                             "--budget", "2m"], catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    assert "Calibration:" in r.stdout and "extraneous_delays = on" in r.stdout
    assert "cycle-time distribution distance" in r.stdout and "Model written to" in r.stdout
    cal = load_model(out).calibration
    assert cal["options"]["extraneous_delays"] is True and cal["budget_s"] == 120.0
    r = runner.invoke(main, ["mine", str(log_path), "-o", str(out), "--calibrate",
                             "--budget", "1m", "--json", "--seed", "3"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["calibration"]["chosen"]["changed"]["extraneous_delays"] is True
    assert data["calibration"]["settings"]["seed"] == 3


@pytest.mark.parametrize("args, message", [
    (["--calibrate", "--budget", "abc"], "--budget must be a duration"),
    (["--calibrate", "--budget", "5x"], "--budget must be a duration"),
    (["--calibrate", "--budget", "-5s"], "--budget must be a duration"),
    (["--calibrate", "--budget", "0s"], "longer than 0 seconds"),
    (["--budget", "60s"], "--budget limits --calibrate"),
    (["--calibrate", "--workers", "0"], "--workers must be at least 1"),
])
def test_cli_bad_budget(event_logs, tmp_path, args, message):
    out = tmp_path / "m.yaml"
    r = runner.invoke(main, ["mine", str(event_logs / "LoanApp_simplified_train.csv.gz"),
                             "-o", str(out), *args])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0]
    assert not out.exists()


@settings(max_examples=25, deadline=None)
@given(st.floats(0.1, 1e4, allow_nan=False), st.sampled_from(["s", "m", "h", "min", "sec", ""]))
def test_parse_budget_any_number(value, unit):
    text = f"{value:.3f}{unit}"
    scale = {"s": 1, "m": 60, "h": 3600, "min": 60, "sec": 1, "": 1}[unit]
    assert parse_budget(text) == pytest.approx(round(value, 3) * scale)


def test_workers_do_not_change_the_result(loan):
    listed = [MiningOptions(noise_threshold=0.0), MiningOptions(extraneous_delays=True),
              MiningOptions(pool_calendars=False)]
    one = calibrate(loan, candidates=listed, replications=1, workers=1)
    two = calibrate(loan, candidates=listed, replications=1, workers=2)
    assert [c.score for c in two.candidates] == [c.score for c in one.candidates], (
        [c.error for c in two.candidates], [c.error for c in one.candidates])
    assert two.chosen.options == one.chosen.options
    assert (dataclasses.replace(two.model, calibration=None)
            == dataclasses.replace(one.model, calibration=None))
    assert two.model.calibration["scores"] == one.model.calibration["scores"]


def test_progress_bar_shows_candidates_and_time_left():
    import io

    from bpr.cli.mine import CalibrationBar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    out = Tty()
    with CalibrationBar(120.0, stream=out) as bar:
        bar.update(1, 1)
        bar.update(7, 12)
    text = out.getvalue()
    assert "Calibrating [" in text and "7 candidates tried" in text and " s left" in text
    left = float(text.split("7 candidates tried,")[1].split("s left")[0])
    assert 110 <= left <= 120
    quiet = Tty()
    with CalibrationBar(120.0, stream=quiet, quiet=True) as bar:
        bar.update(3, 5)
    assert quiet.getvalue() == ""


def test_delay_settings_are_searched_only_with_delays_on():
    without = {d for d, _ in search_plan(MiningOptions(extraneous_delays=False))}
    with_delays = {d for d, _ in search_plan(MiningOptions(extraneous_delays=True))}
    assert "delay threshold" not in without and "delay threshold" in with_delays
