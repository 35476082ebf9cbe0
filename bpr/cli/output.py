"""How commands write: every output through :mod:`bpr.io.atomic` (complete or absent, locked,
stale leftovers removed), and no run that would compute and show nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bpr.errors import BprError
from bpr.io.atomic import output_file, output_files, output_folder

__all__ = ["maybe_folder", "output_file", "output_files", "output_folder", "refuse_silent_run"]


def refuse_silent_run(quiet: bool, as_json: bool, output: str | None, *,
                      option: str = "-o OUTDIR") -> None:
    """``--quiet`` without an output and without ``--json`` would compute everything and
    show nothing: refuse it before any work."""
    if quiet and not as_json and output is None:
        raise BprError(f"--quiet without {option.split()[0]} would compute the results and "
                       f"show nothing; add {option} (or --json), or leave out --quiet")


@contextlib.contextmanager
def maybe_folder(outdir: str | None, command: str) -> Iterator[Path | None]:
    """:func:`~bpr.io.atomic.output_folder` for ``outdir``, or None when there is none."""
    if outdir is None:
        yield None
        return
    with output_folder(outdir, command=command) as tmp:
        yield tmp
