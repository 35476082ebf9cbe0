"""Options and helpers shared by several commands."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import click

from bpr.io.lifecycle import MODES as LIFECYCLE_MODES

quiet_option = click.option("--quiet", "-q", is_flag=True,
                            help="No progress bar or summary; errors only.")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print the result as JSON on stdout (for scripts).")
seed_option = click.option("--seed", type=int, default=42, show_default=True,
                           help="Random seed; the same seed gives the same numbers.")


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
