"""One run-settings validator: None means the default, 0 is honoured or refused (never replaced),
errors name the field (the CLI names the option), and every entry point shares the defaults."""

from __future__ import annotations

from dataclasses import replace

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from scenario_helpers import DATA, small_model

from bpr.cli import main
from bpr.model import Observed
from bpr.sim.settings import (
    DEFAULT_CASES,
    DEFAULT_REPLICATIONS,
    DEFAULT_SEED,
    FTE_HOURS_PER_YEAR,
    RunSettings,
    SettingsError,
    resolve,
)

runner = CliRunner()
POSITIVE_WHOLE = ("cases", "replications", "workers")
POSITIVE_NUMBER = ("days", "annual_cases", "fte_hours_per_year")


def test_none_means_the_default():
    s = RunSettings.of(cases=None, replications=None, seed=None, warmup_cases=None,
                       workers=None, fte_hours_per_year=None)
    assert s == RunSettings()
    assert (s.seed, s.warmup_cases, s.workers, s.replications_to_run) == (
        DEFAULT_SEED, 0, 1, DEFAULT_REPLICATIONS)
    assert RunSettings(seed=None).seed == DEFAULT_SEED  # also when built directly
    assert s.fte_hours() == FTE_HOURS_PER_YEAR
    assert s.fte_hours(1600.0) == 1600.0
    assert s.updated(fte_hours_per_year=1500).fte_hours(1600.0) == 1500.0


@pytest.mark.parametrize("name", POSITIVE_WHOLE + POSITIVE_NUMBER)
def test_zero_is_refused_naming_the_field(name):
    with pytest.raises(SettingsError) as err:
        RunSettings.of(**{name: 0})
    assert err.value.field == name and str(err.value).startswith(name)
    assert "got 0" in str(err.value)


def test_zero_is_honoured_where_it_means_something():
    s = RunSettings.of(seed=0, warmup_cases=0, cases=10)
    assert (s.seed, s.warmup_cases) == (0, 0)


@pytest.mark.parametrize("name,value,needle", [
    ("cases", 2.5, "whole number"), ("cases", True, "whole number"), ("replications", -1,
                                                                       "at least 1"),
    ("seed", -1, "at least 0"), ("workers", "2", "whole number"),
    ("fte_hours_per_year", 9000, "at most 8,784"), ("annual_cases", float("inf"), "positive"),
    ("days", float("nan"), "positive"), ("start", "", "non-empty"),
])
def test_bad_values_are_refused(name, value, needle):
    with pytest.raises(SettingsError, match=needle) as err:
        RunSettings.of(**{name: value})
    assert err.value.field == name


def test_whole_floats_are_whole_numbers():
    s = RunSettings.of(cases=500.0, replications=3.0)
    assert (s.cases, s.replications) == (500, 3) and isinstance(s.cases, int)


def test_combinations_are_checked():
    with pytest.raises(SettingsError, match="days cannot be combined with cases"):
        RunSettings.of(cases=5, days=1)
    with pytest.raises(SettingsError, match=r"warmup_cases \(10\) must be fewer"):
        RunSettings.of(cases=10, warmup_cases=10)
    # a number of cases replaces a horizon in days (and back), as a command line would
    assert RunSettings.of(days=3).updated(cases=7) == RunSettings.of(cases=7)
    assert RunSettings.of(cases=7).updated(days=3) == RunSettings.of(days=3)
    with pytest.raises(SettingsError, match="warmup"):
        RunSettings.of(warmup_cases=50).updated(cases=20)


def test_unknown_settings_are_refused_with_a_hint():
    with pytest.raises(SettingsError, match="did you mean 'replications'"):
        RunSettings.of(replication=3)


def test_resolve_lets_keywords_override_a_settings_object():
    base = RunSettings.of(cases=100, seed=3)
    assert resolve(base, seed=None) is base
    assert resolve(base, seed=4) == RunSettings.of(cases=100, seed=4)
    assert resolve(None, cases=5) == RunSettings.of(cases=5)


def test_cases_for_a_model():
    model = small_model()
    assert RunSettings().cases_for(model) == DEFAULT_CASES
    assert RunSettings.of(cases=30).cases_for(model) == 30
    assert RunSettings.of(days=2).cases_for(model) is None
    observed = replace(model, observed=Observed("log.csv", 40, 400, "2024-01-01", "2024-02-01",
                                                480.0))
    assert RunSettings().cases_for(observed) == 40
    with pytest.raises(SettingsError, match=r"warmup_cases \(40\) must be fewer than the cases "
                                            r"simulated \(40\)"):
        RunSettings.of(warmup_cases=40).cases_for(observed)


def test_settings_a_command_does_not_use_are_refused():
    RunSettings.of(seed=3).refuse(["cases", "days"], "not here")
    with pytest.raises(SettingsError, match="cases cannot be set here: not here"):
        RunSettings.of(cases=3).refuse(["cases", "days"], "not here")


@hyp_settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(POSITIVE_WHOLE + ("seed", "warmup_cases")),
       value=st.integers(-5, 10**6))
def test_a_value_is_kept_exactly_or_refused(name, value):
    """The invariant behind "0 is honoured or refused, never replaced"."""
    try:
        s = RunSettings.of(**{name: value})
    except SettingsError as err:
        assert err.field == name
        return
    assert getattr(s, name) == value


# -- every entry point uses them ------------------------------------------------------------------
def test_simulate_defaults_to_ten_replications_like_everything_else():
    from bpr.sim import simulate

    result = simulate(small_model(), cases=3)
    assert len(result.replications) == DEFAULT_REPLICATIONS
    assert result.settings["replications"] == DEFAULT_REPLICATIONS
    same = simulate(small_model(), settings=RunSettings.of(cases=3, replications=10))
    assert same.to_dict() == result.to_dict()


def test_whatif_refuses_zero_annual_cases_and_fte_hours():
    from bpr.analysis.whatif import whatif
    from bpr.scenario import Scenario

    sc = Scenario("s", str(DATA / "small.yaml"), ())
    for key in ("annual_cases", "fte_hours_per_year"):
        with pytest.raises(SettingsError, match=key):
            whatif(sc, base=small_model(), cases=20, replications=2, **{key: 0})


def test_validate_and_calibrate_refuse_cases_they_do_not_use(event_logs):
    from bpr.analysis.calibrate import calibrate
    from bpr.analysis.fidelity import validate
    from bpr.io.logs import read_log

    log = read_log(event_logs / "LoanApp_simplified_test.csv.gz")
    with pytest.raises(SettingsError, match="cases cannot be set here"):
        validate(small_model(), log, settings=RunSettings.of(cases=5))
    with pytest.raises(SettingsError, match="warmup_cases cannot be set here"):
        calibrate(log, settings=RunSettings.of(warmup_cases=5))


@pytest.mark.parametrize("args,needle", [
    (["--annual-cases", "0"], "--annual-cases must be a positive number, got 0"),
    (["--fte-hours", "0"], "--fte-hours must be a positive number, got 0"),
    (["--fte-hours", "10000"], "--fte-hours must be at most 8,784 hours a year"),
    (["--replications", "0"], "--replications must be at least 1"),
    (["--seed", "-3"], "--seed must be at least 0"),
    (["--cases", "0"], "--cases must be at least 1"),
    (["--workers", "0"], "--workers must be at least 1"),
    (["--warmup", "-1"], "--warmup must be at least 0"),
    (["--warmup", "30", "--cases", "30"], "--warmup (30) must be fewer"),
])
def test_cli_errors_name_the_option(args, needle, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nbase: {DATA / 'small.yaml'}\nchanges: []\n")
    out = tmp_path / "o"
    for command in ("whatif", "sweep"):
        grid = ["--grid", "staff.Clerk=1,2"] if command == "sweep" else []
        r = runner.invoke(main, [command, str(path), *grid, "-o", str(out), *args])
        assert r.exit_code == 2, r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and needle in lines[0], lines
        assert not out.exists()


def test_cli_warmup_against_the_default_cases_names_the_option(tmp_path):
    r = runner.invoke(main, ["simulate", str(DATA / "small.yaml"), "-o", str(tmp_path / "o"),
                             "--warmup", str(DEFAULT_CASES)])
    assert r.exit_code == 2
    assert r.output.strip() == (f"Error: --warmup ({DEFAULT_CASES}) must be fewer than the "
                                f"cases simulated ({DEFAULT_CASES})")


def test_cli_help_states_the_defaults():
    for command in ("simulate", "whatif", "sweep", "validate"):
        text = runner.invoke(main, [command, "--help"]).output
        assert f"[default: {DEFAULT_REPLICATIONS}]" in text, command
        assert "-r, --replications" in text
    assert "--fte-hours" in runner.invoke(main, ["whatif", "--help"]).output
    assert "-w, --workers" in runner.invoke(main, ["mine", "--help"]).output
