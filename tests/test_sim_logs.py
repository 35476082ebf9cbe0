"""Simulated logs that third-party tools read right: one file per replication, each on its own
time axis, so pm4py sees the model's arrival rate (not replications x the rate); the folder is
replaced as a whole."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bpr.errors import SimulationError
from bpr.model.schema import loads
from bpr.sim import simulate

# Poisson arrivals around the clock, every 20 minutes on average; one quick activity.
MODEL = """\
name: Arrivals
arrivals: {interarrival: {kind: exponential, mean: 20m}}
pools:
  Desk: {count: 50}
activities:
  Serve: {pool: Desk, duration: 1m}
flow:
  - start -> Serve -> end
"""


def arrivals_seen_by_pm4py(path: Path) -> np.ndarray:
    from bpr.io.quiet import import_pm4py, silenced

    pm4py = import_pm4py()
    with silenced():
        df = pm4py.format_dataframe(pd.read_csv(path), case_id="case:concept:name",
                                    activity_key="concept:name",
                                    timestamp_key="time:timestamp",
                                    start_timestamp_key="start_timestamp")
    first = df.groupby("case:concept:name")["start_timestamp"].min().sort_values()
    return np.diff((first - first.iloc[0]).dt.total_seconds().to_numpy())


def test_each_replication_file_has_the_model_rate(tmp_path: Path) -> None:
    simulate(loads(MODEL), cases=600, replications=3, seed=5, log_path=tmp_path / "logs")
    files = sorted((tmp_path / "logs").iterdir())
    assert [f.name for f in files] == [f"replication-{r}.csv" for r in range(3)]
    for f in files:
        gaps = arrivals_seen_by_pm4py(f)
        # 599 gaps of mean 1,200 s: the sample mean has a standard error of ~49 s
        assert abs(gaps.mean() - 1200) < 200, (f.name, gaps.mean())
    # all on one time axis (what a single file of every replication gave) would show 3x the rate
    together = pd.concat(pd.read_csv(f) for f in files)
    together.to_csv(tmp_path / "all.csv", index=False)
    assert arrivals_seen_by_pm4py(tmp_path / "all.csv").mean() < 500


def test_the_folder_is_replaced_whole_and_stale_parts_go(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    model = loads(MODEL)
    target = tmp_path / "logs"
    simulate(model, cases=20, replications=12, seed=1, log_path=target)
    assert sorted(p.name for p in target.iterdir())[:3] == [
        "replication-00.csv", "replication-01.csv", "replication-02.csv"]
    # a killed run leaves its temporary folder; the process is gone, so the next run removes it
    stale = tmp_path / ".logs.tmp-999999999-abc"
    stale.mkdir()
    (stale / "replication-0.csv").write_text("half")
    simulate(model, cases=20, replications=2, seed=1, log_path=target, log_format="parquet")
    assert sorted(p.name for p in target.iterdir()) == ["replication-0.parquet",
                                                         "replication-1.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs"]
    # a run that fails while writing (here: more rows than a small Excel worksheet limit)
    # leaves the previous folder as it was
    from bpr.errors import LogError
    from bpr.io import xlsx

    monkeypatch.setattr(xlsx, "MAX_ROWS", 30)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    with pytest.raises(LogError, match="at most 29 rows"):
        simulate(model, cases=40, replications=2, seed=1, log_path=target, log_format="xlsx")
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs"]


def test_log_path_must_be_a_folder(tmp_path: Path) -> None:
    with pytest.raises(SimulationError, match="names the folder for the replications' logs"):
        simulate(loads(MODEL), cases=5, log_path=tmp_path / "log.csv")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(SimulationError, match="this is a file"):
        simulate(loads(MODEL), cases=5, log_path=tmp_path / "afile")
    assert os.listdir(tmp_path) == ["afile"]
