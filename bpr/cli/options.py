"""Options and helpers shared by several commands."""

from __future__ import annotations

import json
import sys
import warnings
from typing import Any

import click


def _silence_warnings(ctx: click.Context, param: click.Parameter, quiet: bool) -> bool:
    if quiet:  # undone when the command ends (the CLI's warnings context)
        from bpr.errors import BprWarning

        warnings.simplefilter("ignore", BprWarning)
    return quiet


quiet_option = click.option("--quiet", "-q", is_flag=True, callback=_silence_warnings,
                            help="No progress bar, summary or warnings; errors only.")
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
