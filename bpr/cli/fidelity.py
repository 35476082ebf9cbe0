"""``bpr split`` and ``bpr validate``: the hold-out split and the fidelity check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bpr.cli.options import echo_json, json_option, log_reading_options, quiet_option, run_options

if TYPE_CHECKING:
    from bpr.sim.settings import RunSettings


@click.command()
@click.argument("log", type=click.Path(dir_okay=False))
@click.option("--test", "test_fraction", type=float, default=0.2, show_default=True,
              help="Share of events (the latest, by end time) that form the test log.")
@click.option("--output", "-o", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for train.csv and test.csv.")
@log_reading_options
@quiet_option
def split(log: str, test_fraction: float, out_dir: str, reading: dict[str, Any],
          quiet: bool) -> None:
    """Split LOG in time into DIR/train.csv and DIR/test.csv.

    The last --test share of events (ordered by end time) forms the test log; cases cut by the
    boundary are dropped from both parts, as in the simulation literature's evaluations.
    """
    from bpr.analysis.split import split_log
    from bpr.cli.kinds import expect
    from bpr.cli.output import output_folder
    from bpr.io.logs import read_log, write_log

    expect(log, "log")
    out = Path(out_dir)
    with output_folder(out_dir, command="split") as tmp:
        full = read_log(log, **reading)
        train, test = split_log(full, test_fraction)
        write_log(train, tmp / "train.csv")
        write_log(test, tmp / "test.csv")
    if quiet:
        return
    dropped = full.n_cases - train.n_cases - test.n_cases
    dropped_events = full.n_events - train.n_events - test.n_events
    click.echo(f"train: {train.n_cases:,} cases, {train.n_events:,} events -> {out / 'train.csv'}")
    click.echo(f"test:  {test.n_cases:,} cases, {test.n_events:,} events -> {out / 'test.csv'}")
    click.echo(f"dropped: {dropped:,} cases ({dropped_events:,} events) cut by the boundary")


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False))
@click.argument("test_log", type=click.Path(dir_okay=False))
@run_options("replications", "seed", "workers",
             help={"replications": "Number of simulated logs compared with the test log "
                                   "[default: 10]."})
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Also write the result as JSON to this file (e.g. WHATIF_OUT/fidelity.json, "
                   "which bpr report picks up).")
@log_reading_options
@json_option
@quiet_option
def validate(model_path: str, test_log: str, settings: RunSettings, output: str | None,
             reading: dict[str, Any], as_json: bool, quiet: bool) -> None:
    """Simulate MODEL as many cases as TEST_LOG has and measure how close it comes.

    Prints the literature's five distances (mean and std over the replications) and a
    plain-language verdict with the largest discrepancies.
    """
    import json

    from bpr.analysis.fidelity import validate as run_validate
    from bpr.cli.kinds import expect
    from bpr.cli.output import output_files
    from bpr.io.atomic import write_text
    from bpr.io.logs import read_log
    from bpr.model.files import load_model
    from bpr.progress import Progress

    expect(model_path, "model")
    expect(test_log, "log", role="TEST_LOG")
    model = load_model(model_path)
    log = read_log(test_log, **reading)
    with output_files(output) as (tmp,):
        with Progress("validating", quiet=quiet or as_json) as bar:
            report = run_validate(model, log, settings=settings, progress=bar.update)
        if tmp is not None:
            write_text(tmp, json.dumps(report.to_dict(), indent=2, default=str) + "\n")
    if as_json:
        echo_json(report.to_dict())
        return
    click.echo(format_report(report))


def format_report(report) -> str:
    """The table of distances and the verdict, as plain text."""
    rows = [("metric", "mean", "std", "unit")]
    for m in report.metrics.values():
        digits = 3 if not m.unit else 2
        rows.append((m.label, f"{m.mean:.{digits}f}", f"{m.std:.{digits}f}", m.unit or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, r in enumerate(rows):
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]}")
        if i == 0:
            lines.append("-" * (sum(widths) + 6 + 2))
    s = report.settings
    lines.append("")
    lines.append(f"{s['replications']} replications of {s['cases']:,} cases from {s['start']} "
                 f"(seed {s['seed']}), {s['elapsed_s']:.1f} s")
    lines.append("")
    lines.extend(report.verdict)
    return "\n".join(lines)
