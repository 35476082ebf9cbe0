"""The ``bpr`` command line: a thin click layer over the Python API.

Commands live in small modules (``bpr/cli/<command>.py``) and are imported only when used, so
``bpr --help`` is instant. Library errors (:class:`bpr.errors.BprError`) become one line on
stderr and exit code 2; so does every OS failure (disk full, read-only, no permission, a name too
long: one line naming the path and the fix). With ``--json`` the error is a JSON object on stdout
instead. No traceback reaches the user (set ``BPR_DEBUG=1`` to see one).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import sys
import warnings
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from bpr.errors import BprError, BprWarning, os_error

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

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,  # noqa: D102
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        with warnings.catch_warnings():  # bpr's warnings as one line each (none with -q)
            warnings.simplefilter("always", BprWarning)
            original = warnings.showwarning

            def show(message: Any, category: type[Warning], *rest: Any, **kw: Any) -> None:
                if issubclass(category, BprWarning):
                    click.echo(f"Warning: {message}", err=True)
                else:
                    original(message, category, *rest, **kw)

            warnings.showwarning = show
            return self._main(args, prog_name, complete_var, **extra)

    def _main(self, args: Sequence[str] | None, prog_name: str | None,
              complete_var: str | None, **extra: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        as_json = "--json" in argv[:argv.index("--")] if "--" in argv else "--json" in argv
        previous = _terminate_as_exit()
        try:
            return super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            if as_json:
                _fail(exc.format_message(), exc.exit_code, as_json, type(exc).__name__)
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:  # click's form of Ctrl-C (KeyboardInterrupt)
            _fail("Interrupted.", 130, as_json, "Interrupted", prefix="")
        except BprError as exc:
            if os.environ.get("BPR_DEBUG"):
                raise
            _fail(str(exc), exc.exit_code, as_json, type(exc).__name__, exc.path, exc.line)
        except KeyboardInterrupt:
            _fail("Interrupted.", 130, as_json, "Interrupted", prefix="")
        except Terminated:
            _fail("Terminated.", 143, as_json, "Terminated", prefix="")
        except BrokenPipeError:  # the reader of stdout went away (``bpr ... | head``)
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)
        except OSError as exc:  # every OS failure not already turned into a BprError
            if os.environ.get("BPR_DEBUG"):
                raise
            err = os_error(exc)
            _fail(str(err), err.exit_code, as_json, type(err).__name__, err.path)
        except MemoryError:
            if os.environ.get("BPR_DEBUG"):
                raise
            _fail("out of memory; simulate fewer cases or replications, or use a machine with "
                  "more memory", 2, as_json, "MemoryError")
        except Exception as exc:  # a bug in bpr, not in the user's input
            if os.environ.get("BPR_DEBUG"):
                raise
            _fail(f"Internal error: {type(exc).__name__}: {exc} (run with BPR_DEBUG=1 for a "
                  f"traceback, and please report it)", 1, as_json, "InternalError",
                  prefix="")
        finally:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that outputs are cleaned up as on Ctrl-C."""


def _terminate_as_exit() -> Any:
    """Let SIGTERM unwind like Ctrl-C (outputs are cleaned up, exit code 143)."""

    def handler(signum: int, frame: Any) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        return signal.getsignal(signal.SIGTERM)


def _fail(message: str, code: int, as_json: bool, kind: str, path: str | None = None,
          line: int | None = None, prefix: str = "Error: ") -> NoReturn:
    """Report an error and exit: one line on stderr, or with --json a JSON object on stdout
    (``{"error": ..., "kind": ..., "path": ..., "line": ..., "exit_code": ...}``)."""
    message = " ".join(str(message).split())
    if as_json:
        with contextlib.suppress(OSError):
            click.echo(json.dumps({"error": message, "kind": kind, "path": path, "line": line,
                                   "exit_code": code}, ensure_ascii=False))
    else:
        click.echo(f"{prefix}{message}", err=True)
    sys.exit(code)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"],
                                               "max_content_width": 100})
@click.version_option(package_name="bpr")
def main() -> None:
    """bpr: mine as-is processes from event logs, simulate what-if redesigns, and estimate the
    savings (hours, money, FTE) with confidence intervals."""
