"""``bpr mine``: discover a simulation-ready process model from an event log."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click

from bpr.cli.options import echo_json, json_option, quiet_option, warn
from bpr.discovery.options import ALGORITHMS


@click.command()
@click.argument("log", type=click.Path(dir_okay=False))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Model file to write, e.g. processes/NAME.yaml (.yaml or .json).")
@click.option("--png", "png", type=click.Path(dir_okay=False), default=None,
              help="Also draw the process map (frequencies, waiting) to this .png/.svg file.")
@click.option("--algorithm", default="inductive", show_default=True,
              help=f"Control-flow discovery: {', '.join(ALGORITHMS)}.")
@click.option("--noise", "noise", type=float, default=0.2, show_default=True,
              help="Noise threshold 0..1: paths rarer than this share are left out "
                   "(0 keeps every path).")
@click.option("--costs", "costs", type=click.Path(dir_okay=False), default=None,
              help="Costs YAML: {currency: USD, pools: {P: {hourly_rate: 25}}, "
                   "activities: {A: {fixed_cost: 1.5}}}.")
@click.option("--case", default=None, help="Column holding the case id.")
@click.option("--activity", default=None, help="Column holding the activity name.")
@click.option("--start", default=None, help="Column holding the start time.")
@click.option("--end", default=None, help="Column holding the end (completion) time.")
@click.option("--resource", default=None, help="Column holding the resource.")
@click.option("--role", default=None, help="Column holding the resource's role.")
@click.option("--strict", is_flag=True,
              help="Reject the log instead of dropping rows with end before start.")
@json_option
@quiet_option
def mine(log: str, output: str, png: str | None, algorithm: str, noise: float,
         costs: str | None, case: str | None, activity: str | None, start: str | None,
         end: str | None, resource: str | None, role: str | None, strict: bool,
         as_json: bool, quiet: bool) -> None:
    """Mine LOG into a process model (control flow, durations, pools, calendars, arrivals).

    Writes the model to --output (nothing is written on error) and prints a summary: cases,
    variants, cycle times, where cases wait, rework loops and pool utilisation.
    """
    from bpr.discovery import MiningOptions, discover, summarize
    from bpr.errors import BprError
    from bpr.io.logs import read_log
    from bpr.model.schema import file_kind
    from bpr.progress import Progress

    if file_kind(output) not in ("yaml", "json"):
        raise BprError("the mined model is written as .yaml (or .json); choose such a name",
                       path=output)
    opts = MiningOptions(algorithm=algorithm, noise_threshold=noise)
    with Progress("Reading", quiet=quiet) as bar:
        event_log = read_log(log, case=case, activity=activity, start=start, end=end,
                             resource=resource, role=role, strict=strict,
                             progress=bar.update)
    with Progress("Mining", quiet=quiet) as bar:
        found = discover(event_log, opts, costs=costs, name=Path(output).stem,
                         progress=bar.update)
    written: list[Path] = []
    try:
        if png is not None:
            _draw(found.model, png)
            written.append(Path(png))
        found.model.save(output)
    except BaseException:
        for p in written:
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    summary = summarize(found, output=output)
    if quiet:
        return
    for w in summary.warnings:
        warn(w)
    if as_json:
        echo_json(summary.to_dict())
    else:
        click.echo(summary.format_text())
        if png is not None:
            click.echo(f"Process map drawn to {png}")


def _draw(model, png: str) -> None:
    from bpr.errors import BprError

    try:
        from bpr.charts.process_map import draw_process_map
    except ModuleNotFoundError as err:  # the charts module is not installed in this build
        raise BprError(f"--png needs the process map module ({err.name}); run without --png",
                       path=png) from None
    import matplotlib.pyplot as plt

    fig = draw_process_map(model, png)
    plt.close(fig)
