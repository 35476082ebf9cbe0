"""The KPI and savings-figure registry: it describes exactly what the engine measures and what a
what-if reports, a derived KPI is computed per replication by its hook (checked by hand on a
deterministic queue), and a new KPI is one registry entry."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bpr.model import Activity, Arrivals, Distribution, Flow, Pool, ProcessModel
from bpr.sim import simulate
from bpr.sim.kpis import (
    ACTIVITY,
    FIGURES,
    KPIS,
    NET_GROUP,
    PER_CASE_GROUP,
    PER_YEAR_GROUP,
    POINT_GROUP,
    POOL,
    SCALAR,
    Kpi,
    figures_of,
    kpis_of,
    with_derived,
)
from bpr.sim.results import Estimate, ReplicationStats

HOUR = 3600.0


def fixed_queue(interarrival_h: float, service_h: float, servers: int = 1) -> ProcessModel:
    """One task, fixed inter-arrival and service times: every wait can be worked out by hand."""
    return ProcessModel(
        name="fixed queue",
        activities={"Serve": Activity("Serve", Distribution.fixed(service_h * HOUR),
                                      pool="Desk")},
        flows=(Flow("start", "Serve"), Flow("Serve", "end")),
        pools={"Desk": Pool("Desk", servers)},
        arrivals=Arrivals(Distribution.fixed(interarrival_h * HOUR)),
    )


@pytest.fixture(scope="module")
def one_run():
    return simulate(fixed_queue(1.0, 2.0), cases=5, replications=2, seed=1)


def test_registry_describes_exactly_what_the_engine_measures(one_run):
    rep = one_run.replications[0]
    measured = {k for k in kpis_of(SCALAR) if KPIS[k].derive is None}
    assert set(rep.kpis) == measured
    grouped = {f.name for f in dataclasses.fields(ReplicationStats)
               if f.name.startswith(("activity_", "pool_"))}
    assert set(kpis_of(ACTIVITY)) | set(kpis_of(POOL)) == grouped
    assert set(one_run.kpis()) == set(KPIS)


def test_every_figure_is_what_a_whatif_reports_and_compares_a_registered_kpi():
    from bpr.analysis.savings import NET_PER_YEAR, PER_CASE, PER_YEAR

    assert figures_of(PER_CASE_GROUP) == PER_CASE
    assert (*PER_YEAR, *NET_PER_YEAR) == figures_of(PER_YEAR_GROUP, NET_GROUP)
    for key in PER_CASE:
        assert FIGURES[key].kpi in KPIS and KPIS[FIGURES[key].kpi].group == SCALAR
        assert FIGURES[key].sign == "scenario - base" and FIGURES[key].good == -1
    for key in PER_YEAR:
        assert FIGURES[key].sign == "base - scenario" and FIGURES[key].good == 1
    assert set(figures_of(POINT_GROUP)) == {"labour_hours_per_year", "cost_per_case_with_staff"}


def test_labels_are_plain_words_with_units():
    for entry in [*KPIS.values(), *FIGURES.values()]:
        assert entry.label and "_" not in entry.label, entry
    assert len({k.label for k in KPIS.values()}) == len(KPIS)
    assert FIGURES["cost"].heading("GBP") == "cost (GBP)"
    assert FIGURES["cost"].heading(None) == "cost"  # no currency known: no unit shown
    assert FIGURES["labour_hours_freed_per_year"].title() == "labour hours freed per year (h)"
    assert FIGURES["fte_freed"].title() == "FTE freed"  # the unit is in the words
    assert KPIS["pool_utilisation"].heading() == "utilisation (%)"
    assert KPIS["pool_utilisation"].shown(0.25) == 25.0


def test_waiting_share_by_hand_on_a_fixed_queue(one_run):
    # arrivals every hour, 2 h of service, one server: case i waits i hours (i = 0..4), so the
    # mean wait is 2 h, the mean work 2 h and half the time in the activity is spent waiting
    for rep in one_run.replications:
        assert rep.kpis["waiting_time_hours_mean"] == pytest.approx(2.0)
        assert rep.kpis["processing_time_hours_mean"] == pytest.approx(2.0)
        assert rep.values()["waiting_share"] == pytest.approx(0.5)
    est = one_run.kpis()["waiting_share"]
    assert est.mean == pytest.approx(0.5) and est.n == 2
    # without a queue nobody waits
    idle = simulate(fixed_queue(3.0, 2.0), cases=5, replications=1, seed=1)
    assert idle.kpis()["waiting_share"].mean == 0.0


def test_a_derived_kpi_is_estimated_from_its_per_replication_values():
    # the share is a ratio per replication, then a t-interval over replications (not the ratio
    # of the mean wait and the mean time)
    model = ProcessModel(
        name="random queue",
        activities={"Serve": Activity("Serve", Distribution.exponential(0.8 * HOUR), "Desk")},
        flows=(Flow("start", "Serve"), Flow("Serve", "end")),
        pools={"Desk": Pool("Desk", 1)},
        arrivals=Arrivals(Distribution.exponential(1.0 * HOUR)))
    result = simulate(model, cases=80, replications=4, seed=2)
    shares = []
    for r in result.replications:
        w, p = r.kpis["waiting_time_hours_mean"], r.kpis["processing_time_hours_mean"]
        shares.append(w / (w + p))
    assert len(set(shares)) == 4  # the replications differ, so the test has teeth
    expected = Estimate.from_samples(shares)
    got = result.kpis()["waiting_share"]
    assert (got.mean, got.ci_low, got.ci_high) == pytest.approx(
        (expected.mean, expected.ci_low, expected.ci_high))
    assert result.to_dict()["kpis"]["waiting_share"] == got.to_dict()
    assert 0.0 <= got.mean <= 1.0


def test_with_derived_leaves_undefined_values_undefined():
    assert with_derived({"waiting_time_hours_mean": None,
                         "processing_time_hours_mean": 1.0})["waiting_share"] is None
    assert with_derived({"waiting_time_hours_mean": 0.0,
                         "processing_time_hours_mean": 0.0})["waiting_share"] is None


def test_a_new_kpi_is_one_registry_entry(one_run, monkeypatch):
    def labour_share(v):
        lab, ct = v.get("labour_hours_per_case"), v.get("cycle_time_hours_mean")
        return None if not lab or not ct else lab / ct

    monkeypatch.setitem(KPIS, "labour_share", Kpi("labour_share", "share of the cycle time "
                                                  "worked", "share", lower_is_better=None,
                                                  derive=labour_share))
    kpis = one_run.kpis()
    assert "labour_share" in kpis and "labour_share" in one_run.to_dict()["kpis"]
    # the hook sees each replication's values: the KPI is the mean of the per-replication
    # ratios (mean labour 2 h over a mean cycle of 4 h in this queue)
    per_rep = [r.kpis["labour_hours_per_case"] / r.kpis["cycle_time_hours_mean"]
               for r in one_run.replications]
    assert kpis["labour_share"].mean == pytest.approx(np.mean(per_rep)) == pytest.approx(0.5)
    from bpr.charts.style import label

    assert label("labour_share") == "share of the cycle time worked (%)"
