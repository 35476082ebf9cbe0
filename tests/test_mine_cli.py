"""``bpr mine``: output files, summary, JSON, costs files, bad input (exit 2, nothing written)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from bpr.cli import main
from bpr.model.files import load_model

try:
    runner = CliRunner(mix_stderr=False)
except TypeError:  # click >= 8.2 keeps stderr apart already
    runner = CliRunner()

LOAN = "LoanApp_simplified_train.csv.gz"


def run(*args: str):
    return runner.invoke(main, list(args), catch_exceptions=False)


def test_mine_writes_model_and_prints_summary(event_logs, tmp_path):
    out = tmp_path / "processes" / "loan.yaml"
    r = run("mine", str(event_logs / LOAN), "-o", str(out))
    assert r.exit_code == 0, r.stderr
    m = load_model(out)
    assert m.name == "loan"
    for word in ("1,000 cases", "variants", "cycle time: median", "Pools (roles)", "Clerk",
                 "utilisation", "Rework loops"):
        assert word in r.stdout
    assert r.stderr == ""


def test_mine_json_summary(event_logs, tmp_path):
    out = tmp_path / "p.yaml"
    r = run("mine", str(event_logs / "PurchasingExample.csv.gz"), "-o", str(out), "--json",
            "--noise", "0")
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["cases"] == 608 and data["events"] == 9119
    # noise 0 fits every case but for the few that ran a branch order the model made a sequence
    assert 0.95 <= data["fitting_cases_share"] < 1.0
    assert data["cycle_time_p90_hours"] >= data["cycle_time_median_hours"] > 0
    assert {"waiting", "rework", "pools", "start_times_estimated"} <= set(data)


def test_completion_only_log_says_start_times_estimated(event_logs, tmp_path):
    r = run("mine", str(event_logs / "running-example.xes"), "-o", str(tmp_path / "r.yaml"))
    assert r.exit_code == 0
    assert "start times estimated" in r.stdout
    assert "Warning:" in r.stderr


def test_costs_file_sets_rates_and_fixed_costs(event_logs, tmp_path):
    costs = tmp_path / "costs.yaml"
    costs.write_text("currency: EUR\npools:\n  Clerk: {hourly_rate: 30}\n"
                     "activities:\n  Check credit history: {fixed_cost: 2.5}\n")
    out = tmp_path / "m.yaml"
    r = run("mine", str(event_logs / LOAN), "-o", str(out), "--costs", str(costs), "-q")
    assert r.exit_code == 0 and r.stdout == ""
    m = load_model(out)
    assert m.currency == "EUR"
    assert m.pools["Clerk"].hourly_rate == 30
    assert m.activities["Check credit history"].fixed_cost == 2.5


@pytest.mark.parametrize("text,message", [
    ("pools:\n  Clerc: {hourly_rate: 30}\n", "did you mean 'Clerk'"),
    ("activities:\n  Check credit histry: {fixed_cost: 1}\n", "did you mean 'Check credit"),
    ("pools:\n  Clerk: {hourly_rate: -3}\n", "non-negative number"),
    ("pool:\n  Clerk: {hourly_rate: 3}\n", "did you mean 'pools'"),
    ("pools:\n  Clerk: {rate: 3}\n", "unknown setting 'rate'"),
])
def test_costs_file_errors(event_logs, tmp_path, text, message):
    costs = tmp_path / "costs.yaml"
    costs.write_text(text)
    out = tmp_path / "m.yaml"
    r = run("mine", str(event_logs / LOAN), "-o", str(out), "--costs", str(costs))
    assert r.exit_code == 2
    assert message in r.stderr and "costs.yaml" in r.stderr
    assert r.stderr.startswith("Error: ") and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [costs]


def test_bad_input_writes_nothing(tmp_path):
    out = tmp_path / "m.yaml"
    r = run("mine", str(tmp_path / "missing.csv"), "-o", str(out))
    assert r.exit_code == 2 and not out.exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    r = run("mine", str(bad), "-o", str(out))
    assert r.exit_code == 2 and not out.exists()
    r = run("mine", str(bad), "-o", str(tmp_path / "m.txt"))
    assert r.exit_code == 2


def test_unknown_algorithm(event_logs, tmp_path):
    r = run("mine", str(event_logs / LOAN), "-o", str(tmp_path / "m.yaml"), "--algorithm",
            "heuristic")
    assert r.exit_code == 2 and "choose from inductive" in r.stderr


def test_png_process_map(event_logs, tmp_path):
    png = tmp_path / "map.png"
    r = run("mine", str(event_logs / LOAN), "-o", str(tmp_path / "m.yaml"), "--png", str(png))
    assert r.exit_code == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
