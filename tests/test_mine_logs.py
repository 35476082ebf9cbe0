"""Mining every bundled real log: the model is sound, saves and loads back identical."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpr.discovery import MiningOptions, discover, summarize
from bpr.io.logs import read_log
from bpr.model import check
from bpr.model.files import load_model

LOGS = sorted(p.name for p in (Path(__file__).resolve().parents[1] / "event_logs").iterdir()
              if p.name.endswith((".csv.gz", ".xes", ".xes.gz")))


def test_all_log_kinds_are_covered():
    assert any(n.endswith(".xes.gz") for n in LOGS) and any(n.endswith(".xes") for n in LOGS)
    assert any(n.endswith(".csv.gz") for n in LOGS) and len(LOGS) >= 8


@pytest.mark.parametrize("name", LOGS)
def test_mine_every_log(name, event_logs, tmp_path):
    log = read_log(event_logs / name)
    d = discover(log, MiningOptions(extraneous_delays=True))
    m = check(d.model)
    assert m.timezone == log.timezone
    assert m.observed.cases == log.n_cases and m.observed.events == log.n_events
    assert m.observed.start_times_estimated == log.start_times_estimated
    # activity names are the log's
    assert set(m.activities) <= set(log.df["activity"].astype(str))
    for path in (tmp_path / "m.yaml", tmp_path / "m.json"):
        m.save(path)
        assert load_model(path) == m
    s = summarize(d)
    assert s.cases == log.n_cases and s.variants >= 1
    assert all(p.utilisation >= 0 for p in s.pools)


def test_loanapp_costs_from_columns(event_logs):
    m = discover(read_log(event_logs / "LoanApp_simplified_train.csv.gz")).model
    rates = {p.name: p.hourly_rate for p in m.pools.values()}
    assert rates["Clerk"] is not None and rates["Clerk"] > 0
    # no cost data in another log: hours only, never invented money
    p = discover(read_log(event_logs / "PurchasingExample.csv.gz")).model
    assert all(pool.hourly_rate is None for pool in p.pools.values())
    assert all(a.fixed_cost == 0 for a in p.activities.values())
    assert p.currency is None


def test_loanapp_pools_come_from_roles(event_logs):
    log = read_log(event_logs / "LoanApp_simplified_train.csv.gz")
    d = discover(log)
    assert d.pools.method == "roles"
    roles = set(log.df["role"].dropna().astype(str))
    assert set(d.model.pools) <= roles
    for p in d.model.pools.values():
        members = set(log.df.loc[log.df["role"] == p.name, "resource"].astype(str))
        assert p.count == len(members) == len(p.members)


def test_noise_zero_fits_every_case(event_logs):
    log = read_log(event_logs / "PurchasingExample.csv.gz")
    d = discover(log, MiningOptions(noise_threshold=0.0, sequence_min_share=1.1))
    assert d.replay.fitting_cases == d.replay.cases == log.n_cases
    assert not d.dropped_activities
    # parallel blocks run in one order by 90% of their cases become sequences: a few cases
    # stop fitting (each pair of branches ran the other way in at most 10% of the cases)
    seq = discover(log, MiningOptions(noise_threshold=0.0))
    assert 0.9 * log.n_cases <= seq.replay.fitting_cases < log.n_cases
    d2 = discover(log, MiningOptions(algorithm="inductive-df"))
    check(d2.model)
