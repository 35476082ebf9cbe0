"""Numbers in a model are numbers, time zones are time zones, and the model is immutable.

Every hostile value in a model file is refused in one line naming file:line and the field (no
OverflowError, numpy warning or traceback); the same values are refused when the model parts
are built in Python; models are read-only, hashable consistently with ``==`` and picklable.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from bpr.cli import main
from bpr.errors import ModelError
from bpr.model import Activity, Calendar, Distribution, Flow, Observed, Pool
from bpr.model.calendar import check_timezone
from bpr.model.files import load_model
from bpr.model.schema import dumps, loads

ROOT = Path(__file__).resolve().parents[1]
BIG = "9" * 400
OBSERVED = ("observed: {log: x.csv, cases: 10, events: 40, first_event: '2024-01-01', "
            "last_event: '2024-02-01', cases_per_year: 120")


def model_text(activity: str = "{pool: p, duration: 5m}", pool: str = "{count: 1}",
               extra: str = "") -> str:
    return (f"name: x\npools:\n  p: {pool}\nactivities:\n  A: {activity}\n"
            f"gateways: {{g: xor}}\nflow:\n  - start -> A -> g\n"
            f"  - {{from: g, to: end, probability: 0.5}}\n"
            f"  - {{from: g, to: end2, probability: 0.5}}\n"
            f"events: {{start: start, end: end, end2: end}}\n{extra}")


# (what, model text, the line the error must name, the field and words it must name)
HOSTILE = [
    ("NaN probability", model_text().replace("probability: 0.5}\n  - {from: g, to: end2",
                                             "probability: .nan}\n  - {from: g, to: end2"),
     9, r"flow\.probability: must be a finite number, got nan"),
    ("infinite probability", model_text().replace("probability: 0.5}", "probability: .inf}", 1),
     9, r"flow\.probability: must be a finite number"),
    ("400-digit probability", model_text().replace("probability: 0.5}", f"probability: {BIG}}}",
                                                   1),
     9, r"flow\.probability: must be at most 1, got an integer of about 400 digits"),
    ("NaN hourly rate", model_text(pool="{count: 1, hourly_rate: .nan}"), 3,
     r"pools\.p\.hourly_rate: must be a finite number, got nan"),
    ("infinite hourly rate", model_text(pool="{count: 1, hourly_rate: -.inf}"), 3,
     r"pools\.p\.hourly_rate: must be a finite number"),
    ("400-digit hourly rate", model_text(pool=f"{{count: 1, hourly_rate: {BIG}}}"), 3,
     r"pools\.p\.hourly_rate: must be at most 1e12, got an integer of about 400 digits"),
    ("NaN fixed cost", model_text("{pool: p, duration: 5m, fixed_cost: .nan}"), 5,
     r"activities\.A\.fixed_cost: must be a finite number"),
    ("400-digit fixed cost", model_text(f"{{pool: p, duration: 5m, fixed_cost: {BIG}}}"), 5,
     r"activities\.A\.fixed_cost: must be at most 1e12"),
    ("400-digit count", model_text(pool=f"{{count: {BIG}}}"), 3,
     r"pools\.p\.count: must be at most 100,000, got an integer of about 400 digits"),
    ("a billion staff", model_text(pool="{count: 1000000000}"), 3,
     r"pools\.p\.count: must be at most 100,000"),
    ("fractional count", model_text(pool="{count: 1.5}"), 3,
     r"pools\.p\.count: must be a whole number"),
    ("NaN duration", model_text("{pool: p, duration: .nan}"), 5,
     r"activities\.A\.duration: value must be a finite number"),
    ("400-digit duration", model_text(f"{{pool: p, duration: {BIG}}}"), 5,
     r"activities\.A\.duration: value must be at most 3\.156e9 s \(100 years\)"),
    ("NaN mean", model_text("{pool: p, duration: {kind: gamma, mean: .nan, sd: 1}}"), 5,
     r"activities\.A\.duration: mean must be a finite number"),
    ("infinite sd", model_text("{pool: p, duration: {kind: normal, mean: 5, sd: .inf}}"), 5,
     r"activities\.A\.duration: sd must be a finite number"),
    ("lognormal sd 1e200", model_text(
        "{pool: p, duration: {kind: lognormal, mean: 60, sd: 1.0e+200}}"), 5,
     r"activities\.A\.duration: sd must be at most 3\.156e9 s \(100 years\), got 1e\+200"),
    ("duration 1e15 s", model_text("{pool: p, duration: 1.0e+15}"), 5,
     r"activities\.A\.duration: value must be at most 3\.156e9 s \(100 years\)"),
    ("duration 1e300 s", model_text("{pool: p, duration: {kind: exponential, mean: 1.0e+300}}"),
     5, r"activities\.A\.duration: mean must be at most 3\.156e9 s"),
    ("duration '1e300d'", model_text("{pool: p, duration: '1e300d'}"), 5,
     r"activities\.A\.duration: value: '1e300d' is longer than the limit of 3\.156e9 s"),
    ("duration '1e400'", model_text("{pool: p, duration: '1e400'}"), 5,
     r"activities\.A\.duration: value: '1e400' is longer than the limit"),
    ("triangular mode [1]", model_text(
        "{pool: p, duration: {kind: triangular, min: 0, mode: [1], max: 3}}"), 5,
     r"activities\.A\.duration: mode: expected seconds or a duration such as '90s'.*got \[1\]"),
    ("10,002 quantiles", model_text(
        "{pool: p, duration: {kind: empirical, quantiles: [" + ", ".join(["1"] * 10_002)
        + "]}}"), 5,
     r"activities\.A\.duration: quantiles: 10,002 values is more than the limit of 10,001"),
    ("quantiles not a list", model_text("{pool: p, duration: {kind: empirical, quantiles: 5}}"),
     5, r"activities\.A\.duration: quantiles: expected a list of seconds, got int"),
    ("NaN in a delay", model_text("{pool: p, duration: 5m, delay: {kind: uniform, min: 0, "
                                  "max: .nan}}"), 5,
     r"activities\.A\.delay: max must be a finite number"),
    ("NaN interarrival", model_text(extra="arrivals: {interarrival: .nan}\n"), 12,
     r"arrivals\.interarrival: value must be a finite number"),
    ("observed cases as text", model_text(extra=OBSERVED.replace("cases: 10", "cases: ten")
                                          + "}\n"), 12,
     r"observed\.cases: must be a whole number, got 'ten'"),
    ("observed rate NaN", model_text(extra=OBSERVED.replace("120", ".nan") + "}\n"), 12,
     r"observed\.cases_per_year: must be a finite number, got nan"),
    ("observed counts not a mapping", model_text(extra=OBSERVED + ", activity_count: 5}\n"), 12,
     r"observed\.activity_count: expected a mapping of names to counts, got int"),
    ("observed count negative", model_text(extra=OBSERVED + ", flow_count: {a -> b: -1}}\n"),
     12, r"observed\.flow_count: \['a -> b'\] must be at least 0"),
    ("observed flag as text", model_text(extra=OBSERVED + ", start_times_estimated: maybe}\n"),
     12, r"observed\.start_times_estimated: expected true or false, got 'maybe'"),
    ("observed incomplete", model_text(extra="observed: {log: x.csv}\n"), 12,
     r"observed: incomplete observed section: missing 'cases'"),
    ("calibration NaN", model_text(extra="calibration: {scores: {chosen: [1, .nan]}}\n"), 12,
     r"calibration: scores\.chosen\[1\] must be a finite number"),
    ("time zone Mars/Olympus", model_text(extra="timezone: Mars/Olympus\n"), 12,
     r"timezone: 'Mars/Olympus' is not a known time zone; use an IANA name"),
    ("time zone with a NUL byte", model_text(extra='timezone: "Europe/Am\\0sterdam"\n'), 12,
     r"timezone: 'Europe/Am\\x00sterdam' is not a known time zone"),
    ("time zone path", model_text(extra="timezone: ../../../../etc/passwd\n"), 12,
     r"timezone: '\.\./\.\./\.\./\.\./etc/passwd' is not a known time zone"),
    ("time zone +25:00", model_text(extra="timezone: '+25:00'\n"), 12,
     r"timezone: '\+25:00' is not a UTC offset; offsets lie within ±14:00"),
    ("time zone a number", model_text(extra="timezone: 2\n"), 12,
     r"timezone: expected a time zone name"),
]


@pytest.mark.parametrize(("what", "text", "line", "pattern"), HOSTILE,
                         ids=[h[0] for h in HOSTILE])
def test_hostile_numbers_are_one_line_errors_naming_line_and_field(what, text, line, pattern):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning or overflow on the way
        with pytest.raises(ModelError) as info:
            loads(text, "m.yaml")
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"m.yaml:{line}: "), message
    assert re.search(pattern, message), message


@pytest.mark.parametrize(("what", "text", "line", "pattern"), HOSTILE[::6],
                         ids=[h[0] for h in HOSTILE[::6]])
def test_bpr_check_says_one_line_and_exits_2(tmp_path, what, text, line, pattern):
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    r = CliRunner().invoke(main, ["check", str(path)])
    assert r.exit_code == 2, r.output
    out = r.output.strip()
    assert "\n" not in out and "Traceback" not in out
    assert f"m.yaml:{line}: " in out and re.search(pattern, out), out


def test_the_base_text_is_a_sound_model():
    from bpr.model import check

    check(loads(model_text(extra="timezone: Europe/Amsterdam\n" + OBSERVED + "}\n")))


@pytest.mark.parametrize("name", ["UTC", "Z", "GMT", "+02:00", "-0530", "UTC+2", "+14:00",
                                  "-12:00", "Europe/Amsterdam", "America/Argentina/Buenos_Aires",
                                  "Etc/GMT+5"])
def test_valid_time_zones_pass(name):
    assert check_timezone(name) == name


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe/Am\0sterdam", "../../../../etc/passwd",
                                  "/etc/passwd", "+25:00", "+14:01", "-15:00", "+02:75", "",
                                  "zone.tab", "Europe", "x" * 1000])
def test_invalid_time_zones_are_refused(name):
    with pytest.raises(ModelError) as info:
        check_timezone(name)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


# -- the same rules for parts built in Python ---------------------------------------------------
@pytest.mark.parametrize(("build", "pattern"), [
    (lambda: Pool("p", 10**400), r"pool 'p': count must be at most 100,000"),
    (lambda: Pool("p", 2, hourly_rate=float("nan")), r"pool 'p': hourly_rate must be a finite"),
    (lambda: Pool("p", 2, members=[1]), r"pool 'p': members must be a list of names"),
    (lambda: Activity("A", Distribution.fixed(1), fixed_cost=float("inf")),
     r"activity 'A': fixed_cost must be a finite number"),
    (lambda: Flow("a", "b", float("nan")), r"flow 'a' -> 'b': probability must be a finite"),
    (lambda: Flow("a", "b", 1.5), r"probability must be at most 1"),
    (lambda: Distribution("gamma", {"mean": 10**400, "sd": 1}), r"gamma distribution: mean must"
                                                                r" be at most 3\.156e9 s"),
    (lambda: Distribution("empirical", {"quantiles": list(range(1_000_000))}),
     r"quantiles: 1,000,000 values is more than the limit of 10,001"),
    (lambda: Distribution("triangular", {"min": 0, "mode": [1], "max": 3}),
     r"triangular distribution: mode must be a number, got \[1\]"),
    (lambda: Observed("x", 1, 1, "a", "b", float("nan")), r"cases_per_year must be a finite"),
    (lambda: Calendar(((0, float("nan")),)), r"not a pair of seconds of the week"),
    (lambda: dataclasses.replace(loads(model_text()), timezone="Mars/Olympus"),
     r"timezone: 'Mars/Olympus' is not a known time zone"),
    (lambda: dataclasses.replace(loads(model_text()), calibration={"x": float("inf")}),
     r"calibration: x must be a finite number"),
])
def test_python_objects_refuse_the_same_values(build, pattern):
    with pytest.raises(ModelError, match=pattern):
        build()


# -- immutable, hashable, picklable -------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped():
    return load_model(ROOT / "processes" / "expense_claim.yaml")


def test_model_parts_cannot_be_changed(shipped):
    with pytest.raises(TypeError):
        shipped.activities["X"] = shipped.activities["Check claim"]  # type: ignore[index]
    with pytest.raises(TypeError):
        shipped.pools["finance"] = Pool("finance", 9)  # type: ignore[index]
    with pytest.raises(TypeError):
        shipped.activities["Check claim"].duration.params["mean"] = 1  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        shipped.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        shipped.flows.append(Flow("a", "b"))  # type: ignore[attr-defined]
    import networkx as nx

    with pytest.raises(nx.NetworkXError, match="Frozen graph"):
        shipped.graph.add_node("X")


def test_hash_agrees_with_equality(shipped):
    again = load_model(ROOT / "processes" / "expense_claim.yaml")
    assert again == shipped and hash(again) == hash(shipped)
    other = shipped.with_pool(Pool("finance", 4, calendar="office", hourly_rate=38))
    assert other != shipped and hash(other) != hash(shipped)
    assert {shipped: 1}[again] == 1
    # equal whatever the mapping type the parts were given as
    rebuilt = dataclasses.replace(shipped, activities=dict(shipped.activities))
    assert rebuilt == shipped and hash(rebuilt) == hash(shipped)
    assert shipped.activities == dict(shipped.activities)


def test_functional_updates_rebuild_the_graph(shipped):
    g = shipped.graph
    new = shipped.with_activity(Activity("Extra", Distribution.fixed(60)))
    assert "Extra" in new.graph and "Extra" not in g and "Extra" not in shipped.graph
    moved = dataclasses.replace(shipped, flows=shipped.flows[:-1])
    assert moved.graph.number_of_edges() == g.number_of_edges() - 1


def test_models_pickle_and_round_trip(shipped):
    assert shipped.graph.number_of_nodes() > 0  # built and cached; the cache is not pickled
    data = pickle.dumps(shipped)
    back = pickle.loads(data)
    assert back == shipped and hash(back) == hash(shipped)
    assert back.graph.number_of_nodes() == shipped.graph.number_of_nodes()
    assert loads(dumps(back)) == shipped
    assert b"networkx" not in data


def test_calibration_is_frozen_deeply():
    m = loads(model_text(extra="calibration: {options: {duration_families: [gamma]}}\n"))
    assert m.calibration is not None
    assert m.calibration == {"options": {"duration_families": ("gamma",)}}
    with pytest.raises(TypeError):
        m.calibration["options"]["x"] = 1  # type: ignore[index]
    hash(m)
    assert loads(dumps(m)) == m


def test_exponent_numbers_are_numbers():
    """YAML 1.1 reads 1e-5 (no dot) as text; the model reads it as the number it is."""
    text = model_text().replace("probability: 0.5}", "probability: 1e-5}", 1).replace(
        "probability: 0.5}", "probability: 0.99999}", 1)
    m = loads(text)
    assert sorted(f.probability for f in m.flows if f.probability) == [1e-5, 0.99999]
    with pytest.raises(ModelError, match=r"pools\.p\.hourly_rate: must be at most 1e12"):
        loads(model_text(pool="{count: 1, hourly_rate: 1e13}"))
