"""Options and helpers shared by several commands.

The run settings (cases, replications, seed, warm-up, workers, ...) are one set of click
options, :data:`OPTIONS`, one per field of :class:`bpr.sim.settings.RunSettings`. A command
takes the ones it uses with ``@run_options("cases", "replications", ...)`` and receives a
checked ``settings: RunSettings``. Every option defaults to None (the library's default, shown
in the help), so a 0 on the command line is checked like any other value and never replaced;
errors name the option (``--annual-cases must be a positive number, got 0``).
"""

from __future__ import annotations

import functools
import json
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import click

from bpr.io.lifecycle import MODES as LIFECYCLE_MODES
from bpr.sim.settings import DEFAULT_CASES, DEFAULT_REPLICATIONS, DEFAULT_SEED, SettingsError


def _silence_warnings(ctx: click.Context, param: click.Parameter, quiet: bool) -> bool:
    if quiet:  # undone when the command ends (the CLI's warnings context)
        from bpr.errors import BprWarning

        warnings.simplefilter("ignore", BprWarning)
    return quiet


quiet_option = click.option("--quiet", "-q", is_flag=True, callback=_silence_warnings,
                            help="No progress bar, summary or warnings; errors only.")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the result as JSON on stdout (for scripts).")


@dataclass(frozen=True)
class RunOption:
    """The command-line option of one :class:`~bpr.sim.settings.RunSettings` field."""

    decls: tuple[str, ...]
    type: Any
    help: str

    @property
    def name(self) -> str:
        return self.decls[0]


OPTIONS: dict[str, RunOption] = {
    "cases": RunOption(("--cases",), int, f"Cases (arrivals) per replication [default: the "
                       f"(base) model's observed case count, else {DEFAULT_CASES:,}]."),
    "days": RunOption(("--days",), float, "Simulate arrivals for this many days instead of a "
                      "number of cases."),
    "warmup_cases": RunOption(("--warmup",), int, "First cases of each replication left out "
                              "of the statistics [default: 0]."),
    "start": RunOption(("--start",), str, "Start date, e.g. 2024-01-01T08:00 (model time zone) "
                       "[default: the first observed event, else 2024-01-01]."),
    "replications": RunOption(("--replications", "-r"), int, f"Independent replications, the "
                              f"same seeds for every variant (confidence intervals need at "
                              f"least 2) [default: {DEFAULT_REPLICATIONS}]."),
    "seed": RunOption(("--seed",), int, f"Random seed; the same seed gives the same numbers "
                      f"[default: {DEFAULT_SEED}]."),
    "workers": RunOption(("--workers", "-w"), int, "Local worker processes (the numbers do not "
                         "depend on them) [default: 1]."),
    "scheduler": RunOption(("--scheduler",), str, "Dask scheduler address tcp://HOST:PORT "
                           "[env BPR_SCHEDULER]."),
    "annual_cases": RunOption(("--annual-cases",), float, "Cases per year [default: "
                              "annual_cases in the scenario, else the base model's observed "
                              "cases per year]."),
    "fte_hours_per_year": RunOption(("--fte-hours",), float, "Productive hours of one full-time "
                                    "person per year [default: fte_hours_per_year in the "
                                    "scenario, else 1720]."),
}


def run_options(*fields: str, help: Mapping[str, str] | None = None  # noqa: A002
                ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the options of ``fields`` (keys of :data:`OPTIONS`, in help order) to a command,
    which then receives ``settings`` (a checked RunSettings) instead of one argument per
    option. ``help`` overrides an option's help text for this command. A
    :class:`~bpr.sim.settings.SettingsError` raised while the command runs names the option."""
    unknown = [f for f in fields if f not in OPTIONS]
    if unknown:
        raise ValueError(f"no run option for {unknown}")
    texts = dict(help or {})

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def command(**kwargs: Any) -> Any:
            from bpr.sim.settings import RunSettings

            values = {f: kwargs.pop(f) for f in fields}
            try:
                kwargs["settings"] = RunSettings.of(**values)
                return fn(**kwargs)
            except SettingsError as err:
                raise option_error(err, fields) from None

        for f in reversed(fields):
            opt = OPTIONS[f]
            command = click.option(*opt.decls, f, type=opt.type, default=None,
                                   help=texts.get(f, opt.help))(command)
        return command
    return decorate


def option_error(err: SettingsError, fields: tuple[str, ...]) -> SettingsError:
    """``err`` with the field named as the command's option (``--warmup`` for warmup_cases)."""
    if err.field not in fields:
        return err
    out = SettingsError(OPTIONS[err.field].name, err.problem)
    out.field = err.field
    return out


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON on stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def warn(message: str) -> None:
    """A one-line warning on stderr."""
    click.echo(f"Warning: {message}", err=True)


def is_tty() -> bool:
    return sys.stderr.isatty()


# The options of every command that reads an event log, gathered into one ``reading`` dict of
# keyword arguments for :func:`bpr.io.logs.read_log`.
_READING: list[tuple[str, Callable[[Callable[..., Any]], Callable[..., Any]]]] = [
    ("case", click.option("--case", default=None, help="Column holding the case id.")),
    ("activity", click.option("--activity", default=None,
                              help="Column holding the activity name.")),
    ("start", click.option("--start", default=None, help="Column holding the start time.")),
    ("end", click.option("--end", default=None,
                         help="Column holding the end (completion) time.")),
    ("resource", click.option("--resource", default=None,
                              help="Column holding the resource.")),
    ("role", click.option("--role", default=None, help="Column holding the resource's role.")),
    ("date_format", click.option(
        "--date-format", default=None, metavar="FORMAT",
        help="How text timestamps are written, e.g. '%d.%m.%Y %H:%M' [default: ISO 8601, "
             "else guessed].")),
    ("dayfirst", click.option(
        "--dayfirst/--monthfirst", default=None,
        help="Read dates such as 05.03.2024 day-first or month-first [default: decided from "
             "the data: a value above 12 in the first field means day-first].")),
    ("lifecycle", click.option(
        "--lifecycle", type=click.Choice(list(LIFECYCLE_MODES)), default="auto",
        show_default=True,
        help="A lifecycle column: pair start/complete events, ignore it (every row is an "
             "event), or fold its value into the activity name ('Review (In Progress)').")),
    ("strict", click.option("--strict", is_flag=True,
                            help="Reject the log instead of dropping rows with missing values "
                                 "or end before start.")),
]


def log_reading_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the log-reading options to a command; it receives them as ``reading`` (a dict of
    keyword arguments for ``read_log``)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs["reading"] = {name: kwargs.pop(name) for name, _ in _READING}
        return command(*args, **kwargs)

    for _, option in reversed(_READING):
        wrapper = option(wrapper)
    return wrapper
