"""Headcount changes: simulated costs count busy time only, so the net figures must charge a
full FTE of pay for every member a scenario adds (and credit every member it removes)."""

from __future__ import annotations

import pytest
from scenario_helpers import small_model

from bpr.analysis.savings import Economics, headcount_change
from bpr.analysis.whatif import whatif
from bpr.scenario import Scenario, Staff

FTE = 1720.0


def _scenario(*changes) -> Scenario:
    return Scenario(name="staffing", base="small.yaml", changes=tuple(changes))


def test_headcount_change_counts_added_removed_and_new_pools():
    base = small_model()
    tobe = Staff("Clerk", "add", 2).apply(Staff("Manager", "add", -1).apply(base))
    assert headcount_change(base.pools, tobe.pools) == {"Clerk": 2, "Manager": -1}
    assert headcount_change(base.pools, base.pools) == {}


@pytest.mark.parametrize("added", [1, -1])
def test_net_figures_charge_the_pay_of_added_staff(added):
    base = small_model()
    r = whatif(_scenario(Staff("Clerk", "add", added)), base=base, cases=300,
               replications=3, seed=3, fte_hours_per_year=FTE, annual_cases=10_000)
    py = r.per_year
    assert py["headcount_added_fte"].mean == added
    # net FTE = FTE freed (busy hours) - staff added, replication by replication
    assert py["net_fte_freed"].mean == pytest.approx(py["fte_freed"].mean - added)
    pay = added * FTE * base.pools["Clerk"].hourly_rate
    assert py["net_money_to_reallocate_per_year"].mean == pytest.approx(
        py["reallocatable_money_per_year"].mean - pay)
    assert py["net_money_to_reallocate_per_year"].ci_low == pytest.approx(
        py["reallocatable_money_per_year"].ci_low - pay)
    # the waterfall can draw the net figures by change
    assert r.attribution[0].step["net_fte_freed"].mean == pytest.approx(
        py["net_fte_freed"].mean)
    assert any("changes headcount" in n for n in r.notes)
    assert "net FTE freed" in r.table()


def test_no_headcount_change_means_net_equals_gross():
    r = whatif(_scenario(), base=small_model(), cases=200, replications=2, seed=1)
    py = r.per_year
    assert py["headcount_added_fte"].mean == 0
    assert py["net_fte_freed"].mean == py["fte_freed"].mean
    assert "net FTE freed" not in r.table()


def test_economics_default_is_documented_fte_year():
    assert Economics(annual_cases=1).fte_hours_per_year == FTE
