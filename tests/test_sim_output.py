"""``bpr simulate`` outputs: reproducibility, formats pm4py reads back, common random numbers,
horizon and clock settings, and bad input (one-line errors, exit code 2, nothing written)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from bpr.cli import main
from bpr.model import Activity, Distribution
from bpr.model.process import Observed
from bpr.model.schema import loads
from bpr.sim import simulate, simulate_log

MODEL = """\
name: Mini loan
timezone: "+02:00"
arrivals: {interarrival: {kind: exponential, mean: 20m}, calendar: office}
calendars:
  office: {mon-fri: "08:00-12:00, 13:00-17:00"}
pools:
  Clerk: {count: 2, calendar: office, hourly_rate: 30, members: [Ann, Bob]}
  Officer: {count: 1, calendar: office, hourly_rate: 50}
activities:
  Check: {pool: Clerk, duration: {kind: gamma, mean: 15m, sd: 5m}}
  Fix: {pool: Clerk, duration: 10m, delay: {kind: exponential, mean: 2h}}
  Credit: {pool: Clerk, duration: {kind: lognormal, mean: 12m, sd: 6m}}
  AML: {duration: 5m, fixed_cost: 0.5}
  Decide: {pool: Officer, duration: {kind: exponential, mean: 8m}}
  Offer: {pool: Officer, duration: 5m}
  Reject: {pool: Clerk, duration: 3m}
gateways: {checked: xor, redo: xor, fork: and, join: and, outcome: xor, done: xor}
flow:
  - start -> redo -> Check -> checked
  - {from: checked, to: Fix, probability: 0.2}
  - {from: checked, to: fork, probability: 0.8}
  - Fix -> redo
  - fork -> Credit -> join
  - fork -> AML -> join
  - join -> Decide -> outcome
  - {from: outcome, to: Offer, probability: 0.6}
  - {from: outcome, to: Reject, probability: 0.4}
  - Offer -> done
  - Reject -> done
  - done -> end
"""


@pytest.fixture()
def model_file(tmp_path: Path) -> Path:
    p = tmp_path / "mini.yaml"
    p.write_text(MODEL, encoding="utf-8")
    return p


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_same_seed_same_bytes_and_workers_do_not_matter(model_file, tmp_path):
    outs = []
    for name, workers in (("a", "1"), ("b", "1"), ("c", "2")):
        out = tmp_path / name
        r = run_cli("simulate", str(model_file), "-o", str(out), "--cases", "300",
                    "--replications", "3", "--seed", "7", "--workers", workers, "--quiet")
        assert r.exit_code == 0, r.output
        outs.append(out)
    logs = [f"simulated_logs/replication-{r}.csv" for r in range(3)]
    for f in ("kpis.json", *logs):
        first = (outs[0] / f).read_bytes()
        assert first == (outs[1] / f).read_bytes()
        assert first == (outs[2] / f).read_bytes()
    assert sorted(p.name for p in outs[0].iterdir()) == [".bpr-output.json", "kpis.json",
                                                          "simulated_logs"]
    assert sorted(p.name for p in (outs[0] / "simulated_logs").iterdir()) == [
        "replication-0.csv", "replication-1.csv", "replication-2.csv"]
    other = tmp_path / "d"
    run_cli("simulate", str(model_file), "-o", str(other), "--cases", "300",
            "--replications", "3", "--seed", "8", "--quiet")
    assert (other / "kpis.json").read_bytes() != (outs[0] / "kpis.json").read_bytes()


def test_kpis_json_shape_and_units(model_file, tmp_path):
    r = run_cli("simulate", str(model_file), "-o", str(tmp_path / "o"), "--cases", "200",
                "--replications", "3", "--json", "--quiet")
    assert r.exit_code == 0
    data = json.loads(r.output)
    assert data == json.loads((tmp_path / "o" / "kpis.json").read_text())
    s = data["settings"]
    assert (s["seed"], s["replications"], s["cases"], s["model"]) == (42, 3, 200, "Mini loan")
    assert s["start"] == "2024-01-01T00:00:00+02:00"
    k = data["kpis"]
    for key in ("cycle_time_hours_mean", "cycle_time_hours_median", "cycle_time_hours_p90",
                "waiting_time_hours_mean", "processing_time_hours_mean",
                "throughput_cases_per_day", "wip_cases_mean", "cost_per_case",
                "labour_hours_total", "labour_hours_per_case"):
        e = k[key]
        assert set(e) == {"mean", "ci_low", "ci_high"}
        assert e["ci_low"] <= e["mean"] <= e["ci_high"]
    assert set(k["pool_utilisation"]) == {"Clerk", "Officer"}
    assert 0 < k["pool_utilisation"]["Clerk"]["mean"] < 1
    assert set(k["activity_waiting_hours"]) >= {"Check", "Decide"}


def test_log_is_read_back_by_pm4py_in_every_format(model_file, tmp_path):
    from bpr.io.eventlog import WRITE_NAMES
    from bpr.io.quiet import import_pm4py, silenced

    pm4py = import_pm4py()
    frames = {}
    for fmt in ("csv", "xes", "parquet"):
        out = tmp_path / fmt
        r = run_cli("simulate", str(model_file), "-o", str(out), "--cases", "40",
                    "--replications", "2", "--log-format", fmt, "--quiet")
        assert r.exit_code == 0, r.output
        parts = []
        for rep in (0, 1):
            path = out / "simulated_logs" / f"replication-{rep}.{fmt}"
            with silenced():
                if fmt == "csv":
                    df = pm4py.format_dataframe(pd.read_csv(path), case_id="case:concept:name",
                                                activity_key="concept:name",
                                                timestamp_key="time:timestamp",
                                                start_timestamp_key="start_timestamp")
                elif fmt == "xes":
                    df = pm4py.read_xes(str(path))
                else:
                    df = pd.read_parquet(path)
                dfg, _, _ = pm4py.discover_dfg(df)
            assert dfg, fmt
            assert df["case:concept:name"].nunique() == 40
            assert set(df["case:concept:name"].str.split("-").str[0]) == {str(rep)}
            parts.append(df)
        frames[fmt] = pd.concat(parts, ignore_index=True)
    csv, xes, pq = frames["csv"], frames["xes"], frames["parquet"]
    assert len(csv) == len(xes) == len(pq)
    # one column set for every format, the same as write_log's
    assert list(pd.read_csv(tmp_path / "csv" / "simulated_logs" / "replication-0.csv").columns
                ) == list(WRITE_NAMES.values())
    assert list(pq.columns) == list(WRITE_NAMES.values())
    assert (pd.to_datetime(csv["time:timestamp"]) >= pd.to_datetime(csv["start_timestamp"])).all()
    assert (pd.to_datetime(csv["enabled_timestamp"]) <= pd.to_datetime(csv["start_timestamp"])
            ).all()
    assert set(csv["org:resource"].dropna()) <= {"Ann", "Bob", "Officer-1"}
    assert (tmp_path / "csv" / "simulated_logs" / "replication-0.csv").read_text(
        ).splitlines()[1].count("+02:00") == 3
    # the three formats hold the same instants
    t_csv = pd.to_datetime(csv["time:timestamp"], utc=True).sort_values().to_numpy()
    t_pq = pd.to_datetime(pq["time:timestamp"], utc=True).sort_values().to_numpy()
    t_xes = pd.to_datetime(xes["time:timestamp"], utc=True).sort_values().to_numpy()
    assert (t_csv == t_pq).all() and (t_csv == t_xes).all()


def test_simulate_log_matches_the_written_log(model_file, tmp_path):
    from bpr.io.logs import read_log
    from bpr.model.files import load_model

    model = load_model(model_file)
    log = simulate_log(model, cases=50, seed=9)
    simulate(model, cases=50, seed=9, log_path=tmp_path / "logs", replications=1)
    csv = pd.read_csv(tmp_path / "logs" / "replication-0.csv")
    assert list(log.df.case_id) == list(csv["case:concept:name"])
    assert list(log.df.activity) == list(csv["concept:name"])
    assert (log.df.end_time == pd.to_datetime(csv["time:timestamp"], utc=True)).all()
    assert str(log.df.start_time.dt.tz) == "UTC"
    assert (log.df.enabled_time <= log.df.start_time).all()
    assert log.n_cases == 50
    assert log.df.fixed_cost.to_numpy() == pytest.approx(csv["fixed_cost"].to_numpy())
    assert log.df.resource_cost.to_numpy() == pytest.approx(csv["resource_cost"].to_numpy())
    back = read_log(tmp_path / "logs" / "replication-0.csv")
    key = ["case_id", "activity", "start_time"]  # read_log sorts cases by first appearance
    a = back.df.sort_values(key).reset_index(drop=True)
    b = log.df.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert back.timezone == log.timezone == "+02:00"


def test_common_random_numbers_only_the_changed_activity_differs(model_file):
    from bpr.model.files import load_model

    base = load_model(model_file)
    slower = base.with_activity(replace(base.activities["Credit"],
                                        duration=Distribution.fixed(3600.0)))
    a = simulate_log(base, cases=400, seed=3).df
    b = simulate_log(slower, cases=400, seed=3).df
    first = lambda df: df[df.activity == "Check"].groupby("case_id").enabled_time.min()  # noqa: E731
    assert (first(a) == first(b)).all()  # arrival times identical
    def path(df: pd.DataFrame) -> pd.Series:
        return df.groupby("case_id").activity.agg(lambda s: tuple(sorted(s)))
    assert (path(a) == path(b)).all()  # choices at every gateway identical, per case
    def work(df: pd.DataFrame, act: str) -> pd.Series:
        d = df[df.activity == act]
        return d.groupby("case_id").resource_cost.agg(lambda c: tuple(c.round(9)))
    # working time (hence cost) of an unchanged staffed activity is identical per case
    assert (work(a, "Decide") == work(b, "Decide")).all()
    assert (work(a, "Check") == work(b, "Check")).all()  # also inside the rework loop
    assert not (work(a, "Credit") == work(b, "Credit")).all()
    assert not a.end_time.equals(b.end_time)


def test_days_horizon_start_and_timezone(model_file):
    from bpr.model.files import load_model

    model = load_model(model_file)
    res = simulate(model, days=14, seed=1, start="2024-03-04", replications=1)
    arrived = res.replications[0].cases_arrived
    # about 3 arrivals per open hour x 8 h x 10 weekdays
    assert 200 < arrived < 290
    assert res.settings["start"] == "2024-03-04T00:00:00+02:00"
    log = simulate_log(replace(model, observed=Observed(
        log="x", cases=10, events=10, first_event="2024-05-06T09:30:00+02:00",
        last_event="2024-05-07T00:00:00+02:00", cases_per_year=0.0)), cases=5, seed=1)
    first = log.df.start_time.min()
    assert first == pd.Timestamp("2024-05-06T07:30:00Z")  # 09:30 at +02:00, office open
    # nothing starts outside office hours (local +02:00)
    local = log.df.start_time.dt.tz_convert("+02:00")
    assert ((local.dt.hour >= 8) & (local.dt.hour < 17)).all()


def test_warmup_cases_are_left_out():
    m = loads(MODEL)
    res = simulate(m, cases=300, warmup_cases=100, seed=1, replications=1)
    assert res.replications[0].cases_completed == 200
    assert len(res.replications[0].cycle_times_hours) == 200


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.yaml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize("edit,args,needle", [
    (("Offer -> done", "Offer -> nowhere"), (), "nowhere"),
    (("probability: 0.4}", "probability: 0.5}"), (), "outcome"),
    (("kind: lognormal", "kind: cauchy"), (), "cauchy"),
    (("Officer: {count: 1,", "Officer: {count: 0,"), (), "Officer"),
    (('office: {mon-fri: "08:00-12:00, 13:00-17:00"}', "office: {}"), (), "office"),
    (None, ("--cases", "0"), "--cases"),
    (None, ("--days", "-1"), "--days"),
    (None, ("--replications", "0"), "--replications"),
    (None, ("--warmup", "50", "--cases", "10"), "warmup"),
])
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, edit, args, needle):
    text = MODEL if edit is None else MODEL.replace(*edit)
    assert edit is None or text != MODEL
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["simulate", str(path), "-o", str(out), "--quiet", *args])
    assert r.exit_code == 2, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), r.output
    assert needle in lines[0]
    assert "Traceback" not in r.output
    assert not out.exists()


def test_library_rejects_bad_settings():
    from bpr.errors import SimulationError

    m = loads(MODEL)
    for kwargs in ({"cases": 0}, {"days": 0}, {"replications": 0}, {"cases": 5, "days": 1},
                   {"log_format": "docx"}, {"start": "yesterday"}):
        with pytest.raises(SimulationError):
            simulate(m, **kwargs)
    from bpr.errors import ModelError

    with pytest.raises(ModelError, match="Mars/Olympus"):  # the model refuses it when built
        replace(m, timezone="Mars/Olympus")


def test_unpaired_parallel_join_is_rejected():
    from bpr.errors import ModelError

    text = MODEL.replace("join: and", "join: and, j2: and").replace(
        "  - done -> end", "  - done -> j2\n  - j2 -> end")
    m = loads(text)
    m = m.with_activity(Activity("Side", Distribution.fixed(1.0)))
    with pytest.raises(ModelError):
        simulate(m, cases=5)
