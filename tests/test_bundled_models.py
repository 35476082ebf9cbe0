"""The mined models shipped in processes/ are what `bpr mine` makes from the bundled logs today
(so the scenarios, notebooks and demo run on honest, reproducible as-is models)."""

from __future__ import annotations

from pathlib import Path

import pytest

import bpr
from bpr.model.files import load_model

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("model_file", "log_file", "costs"),
    [
        ("loan_application.yaml", "LoanApp_simplified_train.csv.gz", "costs/LoanApp_rates.yaml"),
        ("purchasing.yaml", "PurchasingExample.csv.gz", None),
    ],
)
def test_bundled_mined_model_is_reproducible(model_file, log_file, costs):
    shipped = load_model(ROOT / "processes" / model_file)
    log = bpr.read_log(ROOT / "event_logs" / log_file)
    fresh = bpr.mine(log, costs=None if costs is None else ROOT / "event_logs" / costs,
                     name=shipped.name)
    # the source path is recorded as given on the command line; compare everything else
    assert fresh.observed is not None and shipped.observed is not None
    assert Path(fresh.observed.log).name == Path(shipped.observed.log).name
    from dataclasses import replace

    fresh = replace(fresh, observed=replace(fresh.observed, log=shipped.observed.log))
    assert fresh == shipped, (
        f"processes/{model_file} is out of date; regenerate it with: bpr mine "
        f"event_logs/{log_file}" + (f" --costs event_logs/{costs}" if costs else "")
        + f" -o processes/{model_file}")
