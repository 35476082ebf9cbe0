"""Turn lifecycle events into activity instances, and estimate missing start times.

**Pairing.** Logs that record ``start`` and ``complete`` as separate events (XES
``lifecycle:transition``, or a CSV lifecycle column) are paired per case and activity in time
order, first in, first out: each ``complete`` closes the oldest open ``start`` of the same
activity in the same case. A ``complete`` with no open ``start`` becomes an instance whose start
is estimated (below); a ``start`` never completed is dropped. Other transitions (``schedule``,
``assign``, ``suspend``...) are ignored. All of it is vectorised: with ``B`` the running count
of starts minus completes in a group, the completes that find no open start are exactly those
where the running minimum of ``B`` reaches a new low, and the m-th matched complete closes the
m-th start (queue order).

**Estimating starts.** For an instance that has only a completion time, the start is the later
of (a) when it became enabled, taken as the end of the previous activity instance of its case
(the instance's own end for a case's first instance, so that one gets zero duration), and
(b) when its resource became free, the end of that resource's previous instance in the whole
log. This is the simple form of the estimation used in the BPS literature (Martin, Depaire &
Caris; Simod's start-time estimator, which also uses a concurrency oracle to pick the enabling
activity). Estimated durations include any wait for other work, so they are upper bounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

START_WORDS = frozenset({"start"})
COMPLETE_WORDS = frozenset({"complete", "completed", "end", "finish", "finished", "done",
                            "unknown", ""})
# The other transitions of the XES standard lifecycle model (IEEE 1849-2016, lifecycle extension).
OTHER_TRANSITIONS = frozenset({
    "schedule", "assign", "reassign", "suspend", "resume", "autoskip", "manualskip",
    "abort_activity", "ate_abort", "withdraw", "abort_case", "pi_abort"})
TRANSITIONS = START_WORDS | COMPLETE_WORDS | OTHER_TRANSITIONS

# --lifecycle: what to do with a lifecycle column.
MODES: dict[str, str] = {
    "auto": "pair start/complete events when there are starts, else keep the completions;"
            " refuse values that are not lifecycle transitions",
    "pair": "pair start/complete events into activity instances",
    "ignore": "every row is one event; the lifecycle column is not used",
    "fold": "the value becomes part of the activity name ('Review (In Progress)')",
}


@dataclass(frozen=True)
class Pairing:
    """Result of :func:`pair_lifecycle`: instances (``start_time`` NaT where unmatched)."""

    instances: pd.DataFrame
    unmatched_starts: int
    unmatched_completes: int
    ignored: dict[str, int]


def pair_lifecycle(events: pd.DataFrame, time: str = "time") -> Pairing:
    """Pair ``start``/``complete`` events into instances.

    ``events`` has ``case_id``, ``activity``, ``lifecycle`` (text), ``row`` (input position),
    the timestamp column ``time`` and any other attributes (taken from the complete event, or
    the start event where the complete event has none). The result has ``start_time`` and
    ``end_time`` instead of ``time`` and ``lifecycle``; ``row`` is the complete event's row.
    """
    word = events["lifecycle"].fillna("").astype(str).str.strip().str.lower()
    is_start = word.isin(START_WORDS).to_numpy()
    is_complete = word.isin(COMPLETE_WORDS).to_numpy()
    other = ~(is_start | is_complete)
    ignored = word[other].value_counts().to_dict() if other.any() else {}
    ev = events.loc[~other].drop(columns=["lifecycle"]).copy()
    ev["_start"] = is_start[~other]
    ev = ev.sort_values(["case_id", "activity", time, "_start", "row"],
                        ascending=[True, True, True, False, True], kind="mergesort")
    group = ev.groupby(["case_id", "activity"], sort=False, observed=True).ngroup().to_numpy()
    ev["_g"] = group
    delta = np.where(ev["_start"].to_numpy(), 1, -1)
    balance = pd.Series(delta, index=ev.index).groupby(group).cumsum()
    low = balance.groupby(group).cummin().clip(upper=0).abs()
    low_before = low.groupby(group).shift(1, fill_value=0)
    is_comp = ~ev["_start"]
    unmatched_c = is_comp & (low > low_before)
    matched = ev[is_comp & ~unmatched_c].copy()
    starts = ev[ev["_start"]].copy()
    matched["_k"] = matched.groupby("_g").cumcount().to_numpy()
    starts["_k"] = starts.groupby("_g").cumcount().to_numpy()
    attrs = [c for c in ev.columns if c not in ("case_id", "activity", time, "row", "_start",
                                                 "_g")]
    s_cols = starts[["_g", "_k", time] + attrs].rename(
        columns={time: "start_time", **{a: f"_s_{a}" for a in attrs if a != "_k"}})
    paired = matched.merge(s_cols, on=["_g", "_k"], how="left", validate="one_to_one")
    for a in attrs:
        if a == "_k":
            continue
        paired[a] = paired[a].where(paired[a].notna(), paired[f"_s_{a}"])
    paired = paired.drop(columns=[f"_s_{a}" for a in attrs if a != "_k"])
    lone = ev[unmatched_c].copy()
    lone["start_time"] = pd.Series(pd.NaT, index=lone.index, dtype="datetime64[ns, UTC]")
    out = pd.concat([paired, lone], ignore_index=True)
    out = out.rename(columns={time: "end_time"}).drop(columns=["_start", "_g", "_k"])
    n_unmatched_starts = int(len(starts) - len(matched))
    return Pairing(out, n_unmatched_starts, int(unmatched_c.sum()),
                   {str(k): int(v) for k, v in ignored.items()})


def estimate_starts(df: pd.DataFrame) -> pd.Series:
    """Estimated start times (UTC) for every row of ``df`` (see the module doc for the rule).

    ``df`` has ``case_id``, ``end_time``, ``row`` and optionally ``resource``; the result is
    aligned with ``df``'s index and is never later than ``end_time``.
    """
    order = np.lexsort((df["row"].to_numpy(), df["end_time"].to_numpy(dtype="int64")))
    d = df.iloc[order]
    end = d["end_time"]
    enabled = end.groupby(d["case_id"].to_numpy(), sort=False).shift(1)
    enabled = enabled.where(enabled.notna(), end)
    est = enabled
    if "resource" in d.columns:
        free = end.groupby(d["resource"].to_numpy(), sort=False, dropna=True).shift(1)
        later = free.notna() & (free > est)
        est = est.where(~later, free)
    return est.reindex(df.index)


def _fmt(n: int) -> str:
    return f"{n:,}"


def _values(words: pd.Series, limit: int = 4) -> str:
    counts = words.value_counts()
    shown = ", ".join(f"{k!r} ({_fmt(int(v))})" for k, v in counts.head(limit).items())
    return shown + (f" and {len(counts) - limit:,} more" if len(counts) > limit else "")


def apply_lifecycle(df: pd.DataFrame, mode: str, *, column: str, shown: str
                    ) -> tuple[pd.DataFrame, list[str]]:
    """Turn a log frame with a ``lifecycle`` column into activity instances (see :data:`MODES`).

    ``df`` has ``case_id``, ``activity``, ``end_time`` (the event time), ``row``, maybe
    ``start_time``, and ``lifecycle``. Returns the frame without ``lifecycle`` and the notes
    (one line each) about what was dropped or changed.
    """
    from bpr.errors import LogError

    if mode not in MODES:
        from bpr.text import did_you_mean

        raise LogError(f"--lifecycle {mode!r} is unknown; fix: use one of {', '.join(MODES)}"
                       f"{did_you_mean(mode, list(MODES))}", path=shown)
    lc = df["lifecycle"]
    if mode == "ignore":
        return df.drop(columns=["lifecycle"]), []
    if mode == "fold":
        text = lc.astype(object).where(lc.isna(), lc.astype(str).str.strip())
        act = df["activity"].where(text.isna() | (text == ""),
                                   df["activity"].astype(str) + " (" + text.astype(str) + ")")
        return df.assign(activity=act).drop(columns=["lifecycle"]), [
            f"Folded the lifecycle column {column!r} into the activity names"
            " ('activity (value)'); every row is one event"]
    word = lc.fillna("").astype(str).str.strip().str.lower()
    unknown = ~word.isin(TRANSITIONS)
    if mode == "auto" and unknown.any():
        raise LogError(f"column {column!r} holds values that are not lifecycle transitions:"
                       f" {_values(lc[unknown.to_numpy()].astype(str).str.strip())}; fix:"
                       " --lifecycle fold to make each value part of the activity name, or"
                       " --lifecycle ignore to read every row as one event", path=shown)
    has_start = bool(word.isin(START_WORDS).any())
    notes: list[str] = []
    if mode == "pair" or (has_start and "start_time" not in df):
        if "start_time" in df:
            raise LogError("--lifecycle pair pairs start and complete events of one timestamp"
                           " column, but the log also has a start-time column; fix: leave out"
                           " --lifecycle pair (the start column is used)", path=shown)
        if not has_start:
            raise LogError(f"--lifecycle pair: column {column!r} has no 'start' events"
                           f" (values: {_values(lc.astype(str))}); fix: --lifecycle ignore or"
                           " --lifecycle fold", path=shown)
        p = pair_lifecycle(df.rename(columns={"end_time": "time"}))
        if p.unmatched_starts:
            notes.append(f"Dropped {_fmt(p.unmatched_starts)} lifecycle 'start' events that"
                         " were never completed (no matching 'complete' of the same activity"
                         " in the same case)")
        if p.ignored:
            what = ", ".join(f"{k!r} ({_fmt(v)})" for k, v in sorted(p.ignored.items()))
            notes.append(f"Ignored lifecycle transitions other than start/complete: {what}")
        return p.instances, notes
    keep = word.isin(COMPLETE_WORDS)
    if not keep.any():
        raise LogError(f"column {column!r} has no completion events (values:"
                       f" {_values(lc.astype(str))}); fix: --lifecycle ignore to read every"
                       " row as one event, or --lifecycle fold", path=shown)
    if not keep.all():
        notes.append("Ignored lifecycle transitions other than complete:"
                     f" {_values(word[~keep.to_numpy()], limit=10)}")
        df = df.loc[keep.to_numpy()]
    return df.drop(columns=["lifecycle"]), notes
