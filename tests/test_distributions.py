"""The distribution registry: every kind implements everything, is documented, and keeps its
promises (sample moments match mean()/variance(), ppf is the quantile function of sampling,
scaling scales, files round-trip); Weibull checked against closed forms and scipy."""

from __future__ import annotations

import json
import math
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpr.errors import ModelError
from bpr.model import Distribution
from bpr.model.kinds import KINDS, MAX_CV, WEIBULL_MAX_CV, FitSample, Kind, register, weibull_shape
from bpr.model.numbers import MAX_SECONDS

ROOT = Path(__file__).resolve().parents[1]
N = 40_000  # draws per moment check
PROPS = settings(max_examples=25, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.too_slow])

means = st.floats(1e-2, 1e6)


def _mean_sd(kind: str, cv: tuple[float, float]) -> st.SearchStrategy[Distribution]:
    return st.builds(lambda m, c: Distribution(kind, {"mean": m, "sd": m * c}), means,
                     st.floats(*cv))


def _quantiles() -> st.SearchStrategy[Distribution]:
    return st.lists(st.floats(0, 1e6), min_size=2, max_size=40).map(
        lambda xs: Distribution("empirical", {"quantiles": sorted(xs)}))


#: A strategy per kind, with parameters where clipping at 0 is negligible and tails are light
#: enough for a moment check on N draws. A new kind must add one here (test below).
STRATEGIES: dict[str, st.SearchStrategy[Distribution]] = {
    "fixed": st.builds(lambda v: Distribution("fixed", {"value": v}), st.floats(0, 1e6)),
    "exponential": st.builds(lambda m: Distribution("exponential", {"mean": m}), means),
    "gamma": _mean_sd("gamma", (0.0, 2.0)),
    "lognormal": _mean_sd("lognormal", (0.0, 1.0)),
    "weibull": _mean_sd("weibull", (0.0, 1.5)),
    "normal": _mean_sd("normal", (0.0, 0.15)),
    "uniform": st.builds(lambda a, w: Distribution("uniform", {"min": a, "max": a + w}),
                         st.floats(0, 1e6), st.floats(0, 1e6)),
    "triangular": st.builds(
        lambda a, w, f: Distribution("triangular", {"min": a, "mode": a + f * w, "max": a + w}),
        st.floats(0, 1e6), st.floats(0, 1e6), st.floats(0, 1)),
    "empirical": _quantiles(),
}
any_distribution = st.one_of(*STRATEGIES.values())


# -- the registry is complete and documented ----------------------------------------------------
def test_every_kind_has_a_property_strategy():
    assert set(STRATEGIES) == set(KINDS), "add a hypothesis strategy for each new kind"


@pytest.mark.parametrize("name", list(KINDS))
def test_every_kind_implements_everything(name):
    kind = KINDS[name]
    assert kind.name == name and kind.params and kind.doc
    for method in ("validate", "mean", "variance", "sample", "ppf", "scaled", "fit"):
        impl = getattr(type(kind), method)
        assert not getattr(impl, "__isabstractmethod__", False), f"{name}.{method}"


def _documented_table() -> dict[str, str]:
    text = (ROOT / "processes" / "README.md").read_text(encoding="utf-8")
    section = text.split("### Distributions", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| (.+) \|$", section, flags=re.M)
    return dict(rows)


def test_every_kind_appears_in_the_documented_table():
    table = _documented_table()
    assert set(table) == set(KINDS), "processes/README.md's distribution table and the registry"
    for name, kind in KINDS.items():
        for p in kind.params:
            assert f"`{p}`" in table[name], f"README: {name} does not name its parameter {p!r}"


def test_a_partial_kind_is_refused_when_registered():
    class Half(Kind):
        name = "half"
        params = ("mean",)
        doc = "half done"

        def mean(self, p):
            return p["mean"]

    with pytest.raises(TypeError, match=r"'half' \(Half\) is incomplete: implement fit, ppf, "
                                        r"sample, validate, variance"):
        register(Half)
    assert "half" not in KINDS

    class Nameless(Half):
        name = "Two Words"

        def validate(self, p): ...
        def variance(self, p): return 0.0
        def sample(self, p, rng, n): return np.zeros(n)
        def ppf(self, p, q): return np.zeros(np.shape(q))
        def fit(self, s): return []

    with pytest.raises(TypeError, match="lower-case word"):
        register(Nameless)
    with pytest.raises(TypeError, match="already registered"):
        register(type("Again", (Nameless,), {"name": "gamma"}))


def test_a_new_kind_is_one_class_and_fitting_uses_it():
    from bpr.discovery.durations import fit_duration

    class Halved(Kind):  # a toy kind: half the time of an exponential
        name = "halved"
        params = ("mean",)
        doc = "exponential with this mean"

        def validate(self, p): return None
        def mean(self, p): return p["mean"]
        def variance(self, p): return p["mean"] ** 2
        def sample(self, p, rng, n): return rng.exponential(p["mean"], n)
        def ppf(self, p, q): return -p["mean"] * np.log1p(-q)
        def fit(self, s: FitSample): return [{"mean": s.mean}]

    register(Halved)
    try:
        d = Distribution.from_dict({"kind": "halved", "mean": "2m"})
        assert d.mean() == 120 and d.to_dict() == {"kind": "halved", "mean": 120}
        x = np.random.default_rng(1).exponential(60.0, 500)
        assert fit_duration(x, families=("halved",)).distribution.kind == "halved"
    finally:
        del KINDS["halved"]


@pytest.mark.slow
def test_discovery_and_calibration_follow_the_registry():
    from bpr.analysis.calibrate_space import SEARCH_SPACE
    from bpr.discovery.durations import fit_duration
    from bpr.discovery.options import DURATION_FAMILIES

    assert tuple(KINDS) == DURATION_FAMILIES
    x = np.random.default_rng(2).gamma(2.0, 100.0, 2000)
    tried = fit_duration(x).candidates
    assert set(tried) == set(KINDS)  # every kind proposed a candidate for this sample
    dim = next(d for d in SEARCH_SPACE if d.name == "duration families")
    families = [alt["duration_families"] for alt in dim.alternatives]
    assert families[0] == tuple(n for n, k in KINDS.items() if k.parametric)
    assert ("weibull",) in families and ("empirical",) in families


def test_merge_variance_is_the_kinds_variance():
    from bpr.scenario.structure import sum_distribution, variance

    a = Distribution("weibull", {"mean": 300, "sd": 200})
    b = Distribution("triangular", {"min": 0, "mode": 60, "max": 120})
    assert variance(a) == pytest.approx(200.0 ** 2)
    assert variance(b) == pytest.approx(b.variance())
    s = sum_distribution([a, b])
    assert s.mean() == pytest.approx(360.0)
    assert math.sqrt(s.variance()) == pytest.approx(math.sqrt(200.0 ** 2 + b.variance()))


# -- properties of every kind ----------------------------------------------------------------
def _scale(d: Distribution) -> float:
    return max(1.0, d.mean(), math.sqrt(d.variance()))


@PROPS
@given(any_distribution)
def test_sample_moments_match_mean_and_variance(d):
    x = d.sample(np.random.default_rng(7), N)
    sd = math.sqrt(d.variance())
    assert abs(x.mean() - d.mean()) <= 6 * sd / math.sqrt(N) + 1e-9 * _scale(d)
    s2 = x.var(ddof=1)
    m4 = float(np.mean((x - x.mean()) ** 4))
    se = math.sqrt(max(m4 - s2 * s2, 0.0) / N)
    assert abs(s2 - d.variance()) <= 6 * se + 0.02 * d.variance() + 1e-9 * _scale(d) ** 2


@PROPS
@given(any_distribution)
def test_ppf_is_the_quantile_function_of_sampling(d):
    x = d.sample(np.random.default_rng(11), N)
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        v = float(d.ppf([q])[0])
        tol = 6 * math.sqrt(q * (1 - q) / N)
        assert np.mean(x < v) - tol <= q <= np.mean(x <= v) + tol, (q, v)


@PROPS
@given(any_distribution)
def test_ppf_is_monotone_and_within_the_bounds(d):
    q = np.linspace(0.0, 1.0, 401)
    y = d.ppf(q)
    assert y.shape == q.shape and np.all(np.isfinite(y))
    assert np.all(np.diff(y) >= -1e-9 * _scale(d))
    assert y[0] >= 0 and y[-1] <= MAX_SECONDS


@PROPS
@given(any_distribution, st.floats(0.01, 100.0))
def test_scaled_scales_mean_and_sd(d, f):
    s = d.scaled(f)
    assert s.kind == d.kind
    assert s.mean() == pytest.approx(f * d.mean(), rel=1e-9, abs=1e-9)
    assert math.sqrt(s.variance()) == pytest.approx(f * math.sqrt(d.variance()), rel=1e-6,
                                                    abs=1e-6)
    assert d.scaled(0) == Distribution.fixed(0)


@PROPS
@given(any_distribution)
def test_to_dict_from_dict_round_trip(d):
    data = json.loads(json.dumps(d.to_dict()))
    back = Distribution.from_dict(data)
    assert back == d and hash(back) == hash(d)
    assert data["kind"] == d.kind and list(data)[1:len(d.family.params) + 1] == list(
        d.family.params)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(list(KINDS)), st.floats(0, MAX_SECONDS), st.floats(0, 1e7),
       st.floats(0, 1))
def test_extreme_parameters_give_clean_numbers_or_a_clear_error(kind, a, b, c):
    """No numpy warning, NaN or overflow for any parameters the model accepts."""
    params: dict[str, Any] = {
        "fixed": {"value": a}, "exponential": {"mean": a},
        "uniform": {"min": a * c, "max": a}, "triangular": {"min": 0, "mode": a * c, "max": a},
        "empirical": {"quantiles": [a * c, a]},
    }.get(kind, {"mean": a, "sd": min(a * b, MAX_SECONDS)})
    try:
        d = Distribution(kind, params)
    except ModelError as err:
        assert "\n" not in str(err)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = d.sample(np.random.default_rng(0), 500)
        y = d.ppf(np.linspace(0, 1, 50))
        m, v = d.mean(), d.variance()
    assert np.all(np.isfinite(x)) and np.all((x >= 0) & (x <= MAX_SECONDS))
    assert np.all(np.isfinite(y)) and math.isfinite(m) and math.isfinite(v)


def test_draws_are_capped_at_the_time_limit():
    d = Distribution("lognormal", {"mean": 1e9, "sd": 3e9})
    x = d.sample(np.random.default_rng(0), 100_000)
    assert x.max() == MAX_SECONDS
    assert float(Distribution.exponential(60).ppf([1.0])[0]) == MAX_SECONDS


def test_spread_limits_are_named():
    with pytest.raises(ModelError, match=f"gamma distribution: sd may be at most {MAX_CV:,.0f} "
                                         f"times the mean"):
        Distribution("gamma", {"mean": 1e-3, "sd": 1e4})
    with pytest.raises(ModelError, match=f"weibull distribution: sd may be at most "
                                         f"{WEIBULL_MAX_CV:,.0f} times the mean"):
        Distribution("weibull", {"mean": 1, "sd": 5000})


# -- Weibull ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cv", "shape"), [
    (1.0, 1.0),  # the exponential
    (math.sqrt(4 / math.pi - 1), 2.0),  # Rayleigh: Gamma(2)/Gamma(1.5)^2 - 1 = 4/pi - 1
    (math.sqrt(5.0), 0.5),  # Gamma(5)/Gamma(3)^2 - 1 = 24/4 - 1
    (math.sqrt(math.gamma(1 + 2 / 10) / math.gamma(1 + 1 / 10) ** 2 - 1), 10.0),
])
def test_weibull_shape_is_solved_from_the_coefficient_of_variation(cv, shape):
    assert weibull_shape(cv) == pytest.approx(shape, rel=1e-9)


@pytest.mark.parametrize("cv", [1e-3, 0.3, 1.0, 3.0, 100.0, WEIBULL_MAX_CV])
def test_weibull_agrees_with_scipy(cv):
    from scipy import stats

    d = Distribution("weibull", {"mean": 600.0, "sd": 600.0 * cv})
    k = weibull_shape(cv)
    ref = stats.weibull_min(k, scale=600.0 / math.gamma(1 + 1 / k))
    assert ref.mean() == pytest.approx(600.0, rel=1e-9)
    assert ref.std() == pytest.approx(600.0 * cv, rel=1e-6)
    q = np.array([0.001, 0.1, 0.5, 0.9, 0.999])
    assert d.ppf(q) == pytest.approx(np.minimum(ref.ppf(q), MAX_SECONDS), rel=1e-9)


def test_weibull_samples_are_recovered_by_discovery():
    from bpr.discovery.durations import fit_duration

    x = 500.0 * np.random.default_rng(5).weibull(1.7, 5000)
    fit = fit_duration(x)
    assert fit.distribution.kind == "weibull"
    d = fit.distribution
    assert d.mean() == pytest.approx(x.mean(), rel=1e-3)
    assert weibull_shape(d.params["sd"] / d.params["mean"]) == pytest.approx(1.7, rel=0.05)


def test_weibull_reads_and_writes_like_any_kind():
    d = Distribution.from_dict({"kind": "weibull", "mean": "10m", "sd": "5m"})
    assert d.to_dict() == {"kind": "weibull", "mean": 600, "sd": 300}
    assert str(d) == "weibull(mean=600, sd=300)"
    with pytest.raises(ModelError, match="weibull distribution: mean must be positive"):
        Distribution("weibull", {"mean": 0, "sd": 0})


@PROPS
@given(_quantiles())
def test_empirical_ppf_passes_through_its_quantiles(d):
    qs = np.asarray(d.params["quantiles"])
    assert d.ppf(np.linspace(0.0, 1.0, len(qs))) == pytest.approx(qs, rel=1e-12, abs=1e-9)


def test_triangular_ppf_closed_form():
    d = Distribution("triangular", {"min": 0, "mode": 25, "max": 100})
    # F(25) = 0.25; F(x) = x^2 / 2500 below the mode; 1 - (100 - x)^2 / 7500 above
    assert d.ppf([0.0, 0.04, 0.25, 1 - 2500 / 7500, 1.0]) == pytest.approx(
        [0.0, 10.0, 25.0, 50.0, 100.0])
