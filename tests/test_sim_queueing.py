"""The engine against queueing theory: M/M/1, M/M/c (Erlang C), a tandem Jackson network,
Little's law, and the confidence intervals themselves."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpr.model import Activity, Arrivals, Distribution, Flow, Gateway, Pool, ProcessModel
from bpr.sim import simulate
from bpr.sim.results import Estimate

HOUR = 3600.0


def erlang_c_wait_hours(lam: float, mean_service_h: float, c: int) -> float:
    """Mean time in queue (hours) of an M/M/c queue: Erlang C / (c mu - lambda)."""
    mu = 1 / mean_service_h
    a = lam / mu
    rho = a / c
    assert rho < 1
    s = sum(a ** k / math.factorial(k) for k in range(c))
    top = a ** c / math.factorial(c) / (1 - rho)
    p_wait = top / (s + top)
    return p_wait / (c * mu - lam)


def station_model(stations: list[tuple[str, float, int]], interarrival_h: float) -> ProcessModel:
    """Tasks in series, each with its own pool of ``c`` servers and exponential service."""
    names = [s[0] for s in stations]
    chain = ["start", *names, "end"]
    return ProcessModel(
        name="queue",
        activities={n: Activity(n, Distribution.exponential(m * HOUR), pool=f"P{n}")
                    for n, m, _ in stations},
        flows=tuple(Flow(a, b) for a, b in zip(chain, chain[1:], strict=False)),
        pools={f"P{n}": Pool(f"P{n}", c) for n, _, c in stations},
        arrivals=Arrivals(Distribution.exponential(interarrival_h * HOUR)),
    )


def test_erlang_c_formula_reduces_to_mm1():
    # M/M/1: Wq = rho / (mu - lambda)
    assert erlang_c_wait_hours(1.0, 0.7, 1) == pytest.approx(0.7 / (1 / 0.7 - 1))


@pytest.mark.parametrize("mean_service_h,c", [(0.7, 1), (2.4, 3)])
def test_mm1_and_mmc_mean_wait_within_ci_of_erlang_c(mean_service_h, c):
    model = station_model([("Serve", mean_service_h, c)], interarrival_h=1.0)
    result = simulate(model, cases=6000, warmup_cases=600, replications=10, seed=11)
    est = result.kpis()["activity_waiting_hours"]["Serve"]
    theory = erlang_c_wait_hours(1.0, mean_service_h, c)
    assert est.ci_low <= theory <= est.ci_high, (theory, est)
    # the interval is informative, not a blanket: narrower than +-25% of the value
    assert est.ci_high - est.ci_low < 0.5 * theory


def test_tandem_jackson_network_each_station_is_an_independent_mmc():
    stations = [("First", 0.6, 1), ("Second", 1.6, 2)]
    model = station_model(stations, interarrival_h=1.0)
    result = simulate(model, cases=6000, warmup_cases=600, replications=10, seed=5)
    kpis = result.kpis()
    total_theory = 0.0
    for name, mean_h, c in stations:
        theory = erlang_c_wait_hours(1.0, mean_h, c)
        est = kpis["activity_waiting_hours"][name]
        assert est.ci_low <= theory <= est.ci_high, (name, theory, est)
        total_theory += theory + mean_h
    ct = kpis["cycle_time_hours_mean"]
    assert ct.ci_low <= total_theory <= ct.ci_high, (total_theory, ct)


def test_overloaded_queue_is_not_mistaken_for_theory():
    """A queue with a wrong service rate is detected (the test above can fail)."""
    model = station_model([("Serve", 0.8, 1)], interarrival_h=1.0)
    result = simulate(model, cases=6000, warmup_cases=600, replications=10, seed=11)
    est = result.kpis()["activity_waiting_hours"]["Serve"]
    wrong = erlang_c_wait_hours(1.0, 0.7, 1)
    assert not est.ci_low <= wrong <= est.ci_high


def test_littles_law_wip_equals_throughput_times_cycle_time():
    model = station_model([("A", 0.5, 1), ("B", 1.5, 2)], interarrival_h=1.0)
    result = simulate(model, cases=20000, warmup_cases=1000, replications=1, seed=2)
    k = result.replications[0].kpis
    lam_per_h = k["throughput_cases_per_day"] / 24
    assert k["wip_cases_mean"] == pytest.approx(lam_per_h * k["cycle_time_hours_mean"], rel=0.03)
    # and the throughput equals the arrival rate (1 per hour)
    assert lam_per_h == pytest.approx(1.0, rel=0.03)


def test_utilisation_matches_offered_load():
    model = station_model([("A", 2.4, 3)], interarrival_h=1.0)
    result = simulate(model, cases=20000, warmup_cases=1000, seed=4, replications=1)
    assert result.replications[0].pool_utilisation["PA"] == pytest.approx(0.8, rel=0.03)
    # labour hours are the working time of staffed tasks: about 2.4 h per case
    assert result.replications[0].kpis["labour_hours_per_case"] == pytest.approx(2.4, rel=0.03)


def test_estimate_student_t_interval():
    from scipy import stats

    xs = [1.0, 2.0, 4.0, 7.0]
    est = Estimate.from_samples(xs)
    lo, hi = stats.t.interval(0.95, len(xs) - 1, loc=np.mean(xs), scale=stats.sem(xs))
    assert (est.mean, est.ci_low, est.ci_high, est.n) == pytest.approx((3.5, lo, hi, 4))
    one = Estimate.from_samples([2.5])  # one value: no interval (not a zero-width one)
    assert (one.mean, one.ci_low, one.ci_high, one.n) == (2.5, None, None, 1)
    assert not one.significant and not one.has_interval
    assert one.to_dict() == {"mean": 2.5, "ci_low": None, "ci_high": None}
    assert Estimate.from_samples([1.0, None, float("nan"), 3.0]).n == 2
    with pytest.raises(ValueError):
        Estimate.from_samples([None])
    assert est.to_dict() == {"mean": est.mean, "ci_low": est.ci_low, "ci_high": est.ci_high}


# -- people, availability and priorities against closed forms -----------------------------------
def test_pool_of_faster_people_is_an_mmc_with_the_faster_rate():
    """Three people at speed 1.5 on durations of mean 3.6 h: an M/M/3 with mean service 2.4 h."""
    from bpr.model import Person

    names = ("Ann", "Bob", "Cem")
    model = ProcessModel(
        name="people", activities={"Serve": Activity("Serve", Distribution.exponential(
            3.6 * HOUR), pool="P")},
        flows=(Flow("start", "Serve"), Flow("Serve", "end")),
        pools={"P": Pool("P", 3, members=names)},
        people={n: Person(n, speed=1.5) for n in names},
        arrivals=Arrivals(Distribution.exponential(HOUR)))
    result = simulate(model, cases=6000, warmup_cases=600, replications=10, seed=11)
    est = result.kpis()["activity_waiting_hours"]["Serve"]
    theory = erlang_c_wait_hours(1.0, 2.4, 3)
    assert est.ci_low <= theory <= est.ci_high, (theory, est)
    assert est.ci_high - est.ci_low < 0.5 * theory
    # labour hours are the faster working time
    assert result.kpis()["labour_hours_per_case"].mean == pytest.approx(2.4, rel=0.03)


def test_availability_scales_the_capacity():
    """One person in on 80% of days (24/7 otherwise): utilisation of the hours they are in is
    the offered load / 0.8, and a day out is a whole day."""
    from bpr.model import Person

    model = ProcessModel(
        name="absent", activities={"Serve": Activity("Serve", Distribution.exponential(
            0.25 * HOUR), pool="P")},
        flows=(Flow("start", "Serve"), Flow("Serve", "end")),
        pools={"P": Pool("P", 1, members=("Ann",))},
        people={"Ann": Person("Ann", availability=(0.8,) * 7)},
        arrivals=Arrivals(Distribution.exponential(HOUR)))
    result = simulate(model, cases=20000, seed=4)
    assert result.replications[0].pool_utilisation["P"] == pytest.approx(0.25 / 0.8, rel=0.04)


def test_two_priority_classes_match_cobhams_formula():
    """M/M/1 with non-preemptive priorities (30% of cases at priority 1): the mean wait of
    class k is W0 / ((1 - sigma_{k-1}) (1 - sigma_k)), W0 = lambda E[S^2] / 2 (Cobham 1954)."""
    s, lam, share = 0.7, 1.0, 0.3
    model = ProcessModel(
        name="classes",
        activities={"Urgent": Activity("Urgent", Distribution.exponential(s * HOUR), pool="P",
                                       priority=1),
                    "Normal": Activity("Normal", Distribution.exponential(s * HOUR), pool="P")},
        flows=(Flow("start", "which"), Flow("which", "Urgent", share),
               Flow("which", "Normal", 1 - share), Flow("Urgent", "merge"),
               Flow("Normal", "merge"), Flow("merge", "end")),
        gateways={"which": Gateway("which", "xor"), "merge": Gateway("merge", "xor")},
        pools={"P": Pool("P", 1, dispatch="priority")},
        arrivals=Arrivals(Distribution.exponential(HOUR / lam)))
    result = simulate(model, cases=6000, warmup_cases=600, replications=10, seed=3)
    waits = result.kpis()["activity_waiting_hours"]
    w0 = lam * 2 * s * s / 2
    rho_urgent, rho = lam * share * s, lam * s
    theory = {"Urgent": w0 / (1 - rho_urgent), "Normal": w0 / ((1 - rho_urgent) * (1 - rho))}
    for name, value in theory.items():
        est = waits[name]
        assert est.ci_low <= value <= est.ci_high, (name, value, est)
    # and FIFO would be far off for the urgent class
    assert not waits["Urgent"].ci_low <= erlang_c_wait_hours(lam, s, 1) <= waits["Urgent"].ci_high
