"""Reading back what a what-if wrote into its output folder (OUTDIR): the folder checks and
``cycle_times.csv``, with one-line errors naming the file and the fix. The result objects use
these in their ``read`` methods (:meth:`bpr.analysis.whatif.WhatIfResult.read`)."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bpr.errors import BprError

#: variant name -> replication number -> cycle times in hours (in case order)
CycleTimes = dict[str, dict[int, np.ndarray]]


def check_outdir(outdir: str | os.PathLike[str], required: Sequence[str], command: str) -> Path:
    """``outdir`` as a Path when it is a folder holding every file in ``required``; a one-line
    BprError otherwise (``command`` is what writes such a folder, e.g. ``bpr whatif``)."""
    out = Path(outdir)
    if not out.exists():
        raise BprError(f"no such folder; give the folder written by {command} -o OUTDIR",
                       path=str(out))
    if not out.is_dir():
        raise BprError(f"not a folder; give the folder written by {command} -o OUTDIR",
                       path=str(out))
    missing = [f for f in required if not (out / f).is_file()]
    if missing:
        raise BprError(f"not a {command} output ({', '.join(missing)} missing); run "
                       f"{command} ... -o {out} first", path=str(out))
    return out


def read_cycle_times(path: str | os.PathLike[str]) -> CycleTimes:
    """``cycle_times.csv`` (variant, replication, case, cycle_time_hours) by variant and
    replication."""
    values: dict[str, dict[int, list[float]]] = {}
    p = Path(path)
    try:
        with p.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None or not {"variant", "cycle_time_hours"} <= set(
                    reader.fieldnames):
                raise BprError("expected the columns variant and cycle_time_hours; re-run "
                               "bpr whatif", path=str(p))
            for n, row in enumerate(reader, start=2):
                try:
                    rep = int(row.get("replication") or 0)
                    value = float(row["cycle_time_hours"])
                except (TypeError, ValueError):
                    raise BprError(f"cycle_time_hours or replication is not a number: "
                                   f"{row.get('cycle_time_hours')!r}; re-run bpr whatif",
                                   path=str(p), line=n) from None
                values.setdefault(row["variant"], {}).setdefault(rep, []).append(value)
    except OSError as err:
        raise BprError(f"cannot read it ({err.__class__.__name__})", path=str(p)) from None
    return {v: {r: np.asarray(x, dtype=float) for r, x in reps.items()}
            for v, reps in values.items()}


def cycle_times_csv(variants: dict[str, Sequence[tuple[int, np.ndarray]]]) -> str:
    """The text of ``cycle_times.csv``: variant -> [(replication, hours), ...]."""
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["variant", "replication", "case", "cycle_time_hours"])
    for variant, reps in variants.items():
        for rep, hours in reps:
            for i, v in enumerate(hours):
                w.writerow([variant, rep, i, repr(float(v))])
    return buf.getvalue()
