"""Change hooks instead of special cases: the volume factor, the sweep field and point, the
fields whose written sign matters; and the named plan of what-if variants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from scenario_helpers import DATA, small_model

from bpr.analysis.sweep import parse_grid, point_changes
from bpr.analysis.variants import plan_variants
from bpr.analysis.whatif import whatif
from bpr.scenario import REGISTRY, Change, Scenario, apply_steps, parse_change
from bpr.scenario.parse import read_scenario


def scenario(*entries: tuple[str, dict]) -> Scenario:
    return Scenario("s", str(DATA / "small.yaml"),
                    tuple(parse_change(k, v) for k, v in entries))


def test_volume_factor_is_asked_of_each_change():
    assert parse_change("staff", {"pool": "Clerk", "count": 3}).volume_factor == 1.0
    assert parse_change("demand", {"factor": 1.25}).volume_factor == 1.25
    sc = scenario(("demand", {"factor": 1.25}), ("staff", {"pool": "Clerk", "count": 3}),
                  ("demand", {"factor": 2}))
    assert sc.volume_factor == 2.5


def test_cost_sweeps_the_rate_of_what_it_targets():
    model = small_model()
    cost = REGISTRY["cost"]
    assert cost.sweep_field("Clerk", model) == "hourly_rate"
    assert cost.sweep_field("Check income", model) == "fixed_cost"
    assert REGISTRY["staff"].sweep_field("Clerk", model) == "count"
    # the grid value replaces the change's one rate (a pool change cannot carry a fixed cost)
    old = parse_change("cost", {"pool": "Clerk", "hourly_rate": 30})
    assert cost.for_sweep(old, "Clerk", "hourly_rate", 45) == parse_change(
        "cost", {"pool": "Clerk", "hourly_rate": 45})
    assert cost.for_sweep(None, "Check income", "fixed_cost", 2) == parse_change(
        "cost", {"activity": "Check income", "fixed_cost": 2})


def test_sweep_points_go_through_the_hooks():
    model = small_model()
    sc = scenario(("cost", {"pool": "Clerk", "hourly_rate": 30}),
                  ("automate", {"activity": "Check income", "duration": "0.5x"}))
    axes = [parse_grid("cost.Clerk=40"), parse_grid("cost.Approve=1.5"),
            parse_grid("automate.Check income=0.2"), parse_grid("staff.Manager=+1")]
    changes = point_changes(sc, axes, [a.values[0] for a in axes], model)
    assert changes == [
        parse_change("cost", {"pool": "Clerk", "hourly_rate": 40}),
        parse_change("automate", {"activity": "Check income", "duration": "0.2x"}),
        parse_change("cost", {"activity": "Approve", "fixed_cost": 1.5}),
        parse_change("staff", {"pool": "Manager", "count": "+1"}),
    ]
    assert [a.label for a in axes] == ["cost.Clerk", "cost.Approve", "automate.Check income",
                                       "staff.Manager"]


@dataclass(frozen=True)
class Tally(Change):
    """A test-only change type with a signed field, to show the parser asks the type."""

    pool: str
    delta: Any

    kind = "tally"
    keys = ("pool", "delta")
    required = ("pool", "delta")
    target_key = "pool"
    signed_fields = ("delta",)

    @classmethod
    def from_dict(cls, data: Any) -> Tally:
        return cls(data["pool"], data["delta"])

    def to_dict(self) -> dict[str, Any]:
        return {"pool": self.pool, "delta": self.delta}


def test_the_parser_keeps_the_written_sign_of_signed_fields(tmp_path, monkeypatch):
    monkeypatch.setitem(REGISTRY, "tally", Tally)
    path = tmp_path / "s.yaml"
    path.write_text(f"name: t\nbase: {DATA / 'small.yaml'}\nchanges:\n"
                    f"  - tally: {{pool: Clerk, delta: +2}}\n  - tally: {{pool: Clerk, delta: 2}}\n"
                    f"  - staff: {{pool: Clerk, count: +1}}\n", encoding="utf-8")
    changes = read_scenario(path).changes
    assert [c.to_dict()["delta"] for c in changes[:2]] == ["+2", 2]
    assert changes[2].to_dict() == {"pool": "Clerk", "count": "+1"}  # staff declares it too


@pytest.mark.parametrize("n,attribution,distinct", [(0, True, 1), (1, True, 2), (3, True, 6),
                                                    (3, False, 2)])
def test_the_plan_names_each_variant_and_simulates_each_once(n, attribution, distinct):
    model = small_model()
    entries = [("staff", {"pool": "Clerk", "count": 3}),
               ("automate", {"activity": "Check income", "duration": "0.5x"}),
               ("staff", {"pool": "Manager", "count": 2})][:n]
    sc = scenario(*entries)
    steps = apply_steps(model, sc)
    plan = plan_variants(model, sc, steps, attribution)
    assert plan["base"].changes == () and plan["base"].model is model
    assert plan["scenario"].changes == tuple(range(n))
    assert len({v.changes for v in plan.values()}) == distinct
    if attribution and n:
        for i in range(n):
            assert plan[f"alone {i + 1}"].changes == (i,)
            assert plan[f"steps 1-{i + 1}"].model is steps[i]
        assert plan[f"steps 1-{n}"].changes == plan["scenario"].changes


def test_a_scenario_without_changes_is_simulated_once_and_changes_nothing():
    r = whatif(scenario(), base=small_model(), cases=40, replications=2, seed=3)
    assert r.settings["variants_simulated"] == 1
    assert r.per_year["labour_hours_freed_per_year"].mean == 0.0
    assert r.attribution == [] and r.interaction is None
