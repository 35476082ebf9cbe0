"""The temporal hold-out split of the business process simulation literature.

Events are ordered by end time; the last ``test_fraction`` of them form the test log and the rest
the training log. A case cut by the boundary (with events on both sides) is dropped from both
parts, so every case in either part is complete. This is the split of the AgentSimulator and
Simod evaluations (``round(n_events * (1 - test_fraction))`` events before the boundary).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bpr.errors import LogError
from bpr.io.eventlog import CASE, END, START, EventLog
from bpr.io.logs import LogSource, read_log


def split_log(log: LogSource, test_fraction: float = 0.2) -> tuple[EventLog, EventLog]:
    """Split ``log`` in time into ``(train, test)``; the cases cut by the boundary are dropped.

    ``log``: an EventLog, a log file, a DataFrame or a pm4py EventLog (see ``read_log``).
    ``test_fraction`` is the share of *events* (ordered by end time, ties by start time, then by
    row order) that fall after the boundary, in (0, 1). Both parts keep the log's columns, row
    order, path and timezone.
    """
    log = read_log(log)
    if not isinstance(test_fraction, int | float) or not 0.0 < float(test_fraction) < 1.0:
        raise LogError(f"test fraction must be between 0 and 1 (exclusive), got {test_fraction!r};"
                       f" use e.g. 0.2 for the last 20% of events", path=log.path)
    df = log.df
    n_events = len(df)
    n_train = int(np.round(n_events * (1.0 - float(test_fraction))))
    if n_events < 2 or n_train <= 0 or n_train >= n_events:
        raise LogError(f"cannot split {n_events} events with a test fraction of {test_fraction}: "
                       f"one part would be empty; use a larger log or another fraction",
                       path=log.path)
    # Stable order by end time, then start time, then position in the log.
    order = np.lexsort((np.arange(n_events), df[START].to_numpy(), df[END].to_numpy()))
    in_train = np.zeros(n_events, dtype=bool)
    in_train[order[:n_train]] = True
    cases = df[CASE].to_numpy()
    train_cases = pd.unique(cases[in_train])
    test_cases = pd.unique(cases[~in_train])
    cut = np.intersect1d(train_cases.astype(object), test_cases.astype(object))
    keep = ~pd.Series(cases).isin(cut).to_numpy()
    train_df = df[in_train & keep].reset_index(drop=True)
    test_df = df[~in_train & keep].reset_index(drop=True)
    if train_df.empty or test_df.empty:
        raise LogError(f"splitting at {test_fraction:.0%} leaves an empty "
                       f"{'training' if train_df.empty else 'test'} log (every case is cut by the "
                       f"boundary); the log is too short or its cases too long for a temporal "
                       f"split",
                       path=log.path)
    return _like(log, train_df, "train"), _like(log, test_df, "test")


def _like(log: EventLog, df: pd.DataFrame, part: str) -> EventLog:
    return EventLog(df=df, path=f"{log.path} ({part} part)", timezone=log.timezone,
                    start_times_estimated=log.start_times_estimated,
                    warnings=list(log.warnings))
