"""The ``bpr`` command line: a thin click layer over the Python API.

Commands live in small modules (``bpr/cli/<command>.py``) and are imported only when used, so
``bpr --help`` is instant. Library errors (:class:`bpr.errors.BprError`) become one line on
stderr and exit code 2; no traceback reaches the user (set ``BPR_DEBUG=1`` to see one).
"""

from __future__ import annotations

import importlib
import os
import sys
import warnings
from typing import Any

import click

from bpr.errors import BprError, BprWarning

# command name -> "module:function"; each module holds one command.
COMMANDS: dict[str, str] = {
    "mine": "bpr.cli.mine:mine",
    "simulate": "bpr.cli.simulate:simulate",
    "whatif": "bpr.cli.whatif:whatif",
    "sweep": "bpr.cli.whatif:sweep",
    "check": "bpr.cli.modeller:check",
    "show": "bpr.cli.modeller:show",
    "convert": "bpr.cli.modeller:convert",
    "import-prosimos": "bpr.cli.modeller:import_prosimos",
    "split": "bpr.cli.fidelity:split",
    "validate": "bpr.cli.fidelity:validate",
    "report": "bpr.cli.report:report",
}


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs or is listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name == module_name:
                return None  # not built yet
            raise
        return getattr(module, attr)

    def main(self, *args: Any, **kwargs: Any) -> Any:  # noqa: D102
        with warnings.catch_warnings():  # bpr's warnings as one line each (none with -q)
            warnings.simplefilter("always", BprWarning)
            original = warnings.showwarning

            def show(message: Any, category: type[Warning], *rest: Any, **kw: Any) -> None:
                if issubclass(category, BprWarning):
                    click.echo(f"Warning: {message}", err=True)
                else:
                    original(message, category, *rest, **kw)

            warnings.showwarning = show
            return self._main(*args, **kwargs)

    def _main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("standalone_mode", True)
        try:
            return super().main(*args, standalone_mode=False,
                                **{k: v for k, v in kwargs.items() if k != "standalone_mode"})
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except BprError as exc:
            if os.environ.get("BPR_DEBUG"):
                raise
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug in bpr, not in the user's input
            if os.environ.get("BPR_DEBUG"):
                raise
            click.echo(f"Internal error: {type(exc).__name__}: {exc} (run with BPR_DEBUG=1 "
                       f"for a traceback, and please report it)", err=True)
            sys.exit(1)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                               "max_content_width": 100})
@click.version_option(package_name="bpr")
def main() -> None:
    """bpr: mine as-is processes from event logs, simulate what-if redesigns, and estimate the
    savings (hours, money, FTE) with confidence intervals."""
