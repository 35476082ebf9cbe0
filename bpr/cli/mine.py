"""``bpr mine``: discover a simulation-ready process model from an event log."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import click

from bpr.cli.options import (
    echo_json,
    json_option,
    log_reading_options,
    quiet_option,
    run_options,
    warn,
)
from bpr.discovery.options import ALGORITHMS, MiningOptions
from bpr.progress import Progress, fill

if TYPE_CHECKING:
    from bpr.sim.settings import RunSettings

_UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|min|m|sec|s|)")


@click.command()
@click.argument("log", type=click.Path(dir_okay=False))
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="Model file to write, e.g. processes/NAME.yaml (.yaml or .json).")
@click.option("--png", "png", type=click.Path(dir_okay=False), default=None,
              help="Also draw the process map (frequencies, waiting) to this .png/.svg file.")
@click.option("--algorithm", default="inductive", show_default=True,
              help=f"Control-flow discovery: {', '.join(ALGORITHMS)}.")
@click.option("--noise", "noise", type=float, default=MiningOptions.noise_threshold,
              show_default=True,
              help="Noise threshold 0..1: paths rarer than this share are left out "
                   "(0 keeps every path).")
@click.option("--costs", "costs", type=click.Path(dir_okay=False), default=None,
              help="Costs YAML: {currency: USD, pools: {P: {hourly_rate: 25}}, "
                   "activities: {A: {fixed_cost: 1.5}}}.")
@log_reading_options
@click.option("--calibrate", is_flag=True,
              help="Choose the discovery options that best reproduce a held-out part of the "
                   "log (the latest 20% of events), then mine the whole log with them.")
@click.option("--budget", default=None, metavar="TIME",
              help="Time limit for --calibrate, e.g. 120s, 5m, 1h  [default: 120s].")
@run_options("seed", "workers",
             help={"workers": "With --calibrate: candidates scored in parallel processes (same "
                              "result) [default: 1]."})
@json_option
@quiet_option
def mine(log: str, output: str, png: str | None, algorithm: str, noise: float,
         costs: str | None, reading: dict[str, Any], calibrate: bool, budget: str | None,
         settings: RunSettings, as_json: bool, quiet: bool) -> None:
    """Mine LOG into a process model (control flow, durations, pools, calendars, arrivals).

    Writes the model to --output (nothing is written on error) and prints a summary: cases,
    variants, cycle times, where cases wait, rework loops and pool utilisation. With
    --calibrate, also the options chosen and their scores on the held-out part (recorded in the
    model file under ``calibration``).
    """
    from bpr.cli.kinds import expect
    from bpr.cli.output import output_files
    from bpr.discovery import discover, summarize
    from bpr.errors import BprError
    from bpr.io.logs import read_log
    from bpr.model.schema import file_kind
    from bpr.progress import Progress

    if file_kind(output) not in ("yaml", "json"):
        raise BprError("the mined model is written as .yaml (or .json); choose such a name",
                       path=output)
    if budget is not None and not calibrate:
        raise BprError("--budget limits --calibrate; add --calibrate or leave out --budget")
    budget_s = parse_budget(budget) if budget is not None else 120.0
    opts = MiningOptions(algorithm=algorithm, noise_threshold=noise)
    expect(log, "log")
    if costs is not None:
        expect(costs, "costs", role="--costs")
    calibration = None
    with output_files(output, png) as (model_tmp, png_tmp):
        with Progress("Reading", quiet=quiet) as bar:
            event_log = read_log(log, **reading, progress=bar.update)
        if calibrate:
            from bpr.analysis.calibrate import calibrate as run_calibration

            with CalibrationBar(budget_s, quiet=quiet) as cbar:
                calibration = run_calibration(event_log, budget_seconds=budget_s,
                                              settings=settings, options=opts, costs=costs,
                                              name=Path(output).stem, progress=cbar.update)
            found = calibration.discovery
        else:
            with Progress("Mining", quiet=quiet) as bar:
                found = discover(event_log, opts, costs=costs, name=Path(output).stem,
                                 progress=bar.update)
        if png_tmp is not None:
            _draw(found.model, str(png_tmp))
        found.model.save(str(model_tmp))
    summary = summarize(found, output=output)
    if quiet:
        return
    for w in summary.warnings:
        warn(w)
    if as_json:
        data = summary.to_dict()
        if calibration is not None:
            data["calibration"] = calibration.to_dict()
        echo_json(data)
    else:
        if calibration is not None:
            click.echo("\n".join(calibration.summary_lines()))
            click.echo()
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


def parse_budget(text: str) -> float:
    """Seconds from a duration such as ``120s``, ``5m``, ``1h``, ``1m30s`` or ``90`` (seconds)."""
    from bpr.errors import BprError

    raw = str(text).strip().lower()
    pos, total, parts = 0, 0.0, 0
    while pos < len(raw):
        m = _PART.match(raw, pos)
        if m is None or m.end() == pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        parts += 1
        pos = m.end()
        while pos < len(raw) and raw[pos] == " ":
            pos += 1
    if not raw or pos != len(raw) or parts == 0:
        raise BprError(f"--budget must be a duration such as 120s, 5m or 1h, got {text!r}")
    if total <= 0:
        raise BprError(f"--budget must be longer than 0 seconds, got {text!r}; use e.g. 120s")
    return total


class CalibrationBar(Progress):
    """``Calibrating [####------] 12 candidates tried, 97 s left`` on a TTY (stderr): the bar
    fills with the time budget, not with candidates (their number is not known in advance)."""

    def __init__(self, budget_s: float, *, quiet: bool = False, stream: TextIO | None = None):
        super().__init__("Calibrating", quiet=quiet, stream=stream)
        self.budget_s = budget_s

    def update(self, done: int, total: int) -> None:
        self._last = 0.0  # every finished candidate is worth a redraw
        super().update(done, total)

    def text(self, done: int, total: int, elapsed: float) -> str:
        frac = elapsed / self.budget_s if self.budget_s > 0 else 1.0
        left = max(0.0, self.budget_s - elapsed)
        return (f"{self.label} [{fill(frac, 24)}] {done} candidate{'s' if done != 1 else ''} "
                f"tried, {left:4.0f} s left ")
