"""``bpr whatif SCENARIO -o OUTDIR`` and ``bpr sweep SCENARIO --grid ... -o OUTDIR``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from bpr.cli.options import echo_json, json_option, quiet_option, run_options

if TYPE_CHECKING:
    from bpr.sim.settings import RunSettings

#: The run settings whatif and sweep take (in help order).
RUN_FIELDS = ("cases", "replications", "seed", "warmup_cases", "start", "workers", "scheduler",
              "annual_cases", "fte_hours_per_year")


def _run_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by whatif and sweep: the run settings, --json and --quiet."""
    return run_options(*RUN_FIELDS)(json_option(quiet_option(fn)))


def _emit(result: Any, outdir: str | None, as_json: bool, quiet: bool, what: str) -> None:
    """Print JSON or the table (the files are written by the command, inside its
    ``maybe_folder`` block)."""
    if as_json:
        echo_json(result.to_dict())
    elif not quiet:
        click.echo(result.table(), nl=False)
        if outdir is not None:
            click.echo(f"wrote {what} in {outdir}")


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outdir", default=None, type=click.Path(file_okay=False),
              help="Folder for savings.json, base/scenario KPIs, cycle_times.csv, scenario.yaml "
                   "and the base and to-be models.")
@click.option("--base", "base_path", default=None, type=click.Path(dir_okay=False),
              help="Use this as-is model instead of the scenario's 'base' (e.g. one just "
                   "mined).")
@click.option("--no-attribution", is_flag=True,
              help="Skip simulating each change alone and cumulatively (faster).")
@_run_options
def whatif(scenario: str, outdir: str | None, base_path: str | None, no_attribution: bool,
           settings: RunSettings, as_json: bool, quiet: bool) -> None:
    """Simulate the base model and the SCENARIO (a scenarios/*.yaml file) with common random
    numbers and estimate the savings with 95% confidence intervals: per case (cycle, waiting,
    labour hours, cost), per year (labour hours and FTE freed, cost saved, money to reallocate),
    per pool and per change."""
    from bpr.analysis.whatif import whatif as run
    from bpr.cli.kinds import expect
    from bpr.cli.output import maybe_folder, refuse_silent_run
    from bpr.progress import Progress
    from bpr.scenario import load_scenario

    refuse_silent_run(quiet, as_json, outdir)
    expect(scenario, "scenario")
    if base_path is not None:
        expect(base_path, "model", role="--base")
    base = None
    if base_path is not None:
        from dataclasses import replace

        from bpr.model.files import load_model
        from bpr.scenario import apply_scenario

        base = load_model(base_path)
        sc = replace(load_scenario(scenario, validate=False), base_model=base)
        apply_scenario(base, sc)  # unknown names and breaking changes: reported now
    else:
        sc = load_scenario(scenario)
    with maybe_folder(outdir, "whatif") as tmp:
        with Progress("simulating", quiet=quiet or as_json) as bar:
            result = run(sc, base=base, settings=settings, attribution=not no_attribution,
                         progress=bar.update)
        if tmp is not None:
            result.write(tmp)
    _emit(result, outdir, as_json, quiet, "savings.json and the files beside it")


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--grid", "grid", multiple=True, required=True,
              help="An axis CHANGE.TARGET=VALUES, e.g. 'staff.Clerk=1..6' or "
                   "'automate.Check credit history=0.1,0.5'; repeat for a cartesian grid.")
@click.option("-o", "--output", "outdir", default=None, type=click.Path(file_okay=False),
              help="Folder for sweep.csv and sweep.json.")
@_run_options
def sweep(scenario: str, grid: tuple[str, ...], outdir: str | None, settings: RunSettings,
          as_json: bool, quiet: bool) -> None:
    """Simulate the cartesian grid of change parameters on top of SCENARIO: KPIs and costs
    per point with 95% confidence intervals, and the Pareto-efficient points (cycle time vs
    cost). Grid syntax: CHANGE.TARGET[:FIELD]=VALUES with VALUES a comma list or a..b."""
    from bpr.analysis.sweep import parse_grid
    from bpr.analysis.sweep import sweep as run
    from bpr.cli.kinds import expect
    from bpr.cli.output import maybe_folder, refuse_silent_run
    from bpr.progress import Progress
    from bpr.scenario import load_scenario

    refuse_silent_run(quiet, as_json, outdir)
    axes = [parse_grid(g) for g in grid]
    expect(scenario, "scenario")
    sc = load_scenario(scenario)
    with maybe_folder(outdir, "sweep") as tmp:
        with Progress("sweeping", quiet=quiet or as_json) as bar:
            result = run(sc, axes, settings=settings, progress=bar.update)
        if tmp is not None:
            result.write(tmp)
    _emit(result, outdir, as_json, quiet, "sweep.csv and sweep.json")
