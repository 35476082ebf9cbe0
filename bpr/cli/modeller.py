"""Modeller commands: ``bpr check``, ``bpr show``, ``bpr convert``, ``bpr import-prosimos``."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import click

from bpr.cli.options import quiet_option, warn
from bpr.errors import ModelError
from bpr.model.process import ProcessModel


@contextlib.contextmanager
def _warnings_to_stderr(quiet: bool) -> Iterator[None]:
    """Show the model readers' warnings as one ``Warning:`` line each (none with --quiet)."""
    from bpr.model.bpmn.reader import ModelWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ModelWarning)
        yield
    if not quiet:
        for w in caught:
            if issubclass(w.category, ModelWarning):
                warn(str(w.message))


def _read_unchecked(path: str) -> ProcessModel:
    from bpr.model.files import load_model

    return load_model(path, checked=False)


def _summary(model: ProcessModel) -> str:
    timers = sum(1 for e in model.events.values() if e.kind == "timer")
    return (f"{len(model.activities)} activities, {len(model.gateways)} gateways, "
            f"{len(model.events)} events ({timers} timers), {len(model.flows)} flows, "
            f"{len(model.pools)} pools, {len(model.calendars)} calendars")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@quiet_option
def check(file: str, quiet: bool) -> None:
    """Check a model file (.yaml, .json or .bpmn) and list ALL its problems, one per line
    (FILE:LINE: element: message). Exit code 0 when sound, 2 otherwise."""
    from bpr.cli.kinds import expect
    from bpr.model.check import find_problems
    from bpr.model.schema import file_kind

    expect(file, "model")
    with _warnings_to_stderr(quiet):
        model = _read_unchecked(file)
    problems = find_problems(model)
    if not problems:
        click.echo(f"ok: {_summary(model)}")
        return
    ids: dict[str, str] = {}
    if file_kind(file) == "bpmn":
        from bpr.model.bpmn.reader import read_graph

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = read_graph(file)
        ids = dict(g.ids)
        ids.update({f"flow:{s}->{t}": fid for (s, t), fid in g.flow_ids.items()})
    for p in problems:
        path, line = model.where(p.element)
        where = f"{path or file}:{line}" if line is not None else f"{path or file}"
        element = p.element or "model"
        if element in ids:
            element = f"{ids[element]} ({element})" if not element.startswith("flow:") else \
                ids[element]
        click.echo(f"{where}: {element}: {p.message}")
    raise ModelError(f"{len(problems)} problem{'s' if len(problems) > 1 else ''} found; fix "
                     f"the lines listed above", path=file)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Image to write: .png or .svg.")
@click.option("--no-waiting", is_flag=True, help="Do not colour tasks by observed waiting time.")
@quiet_option
def show(file: str, output: str, no_waiting: bool, quiet: bool) -> None:
    """Draw the process map of a model file (.yaml, .json or .bpmn) as PNG or SVG."""
    from bpr.charts.process_map import draw_process_map
    from bpr.cli.kinds import expect
    from bpr.cli.output import output_file
    from bpr.model.check import find_problems

    if Path(output).suffix.lower() not in (".png", ".svg"):
        raise click.BadParameter("use a .png or .svg file name", param_hint="--output")
    expect(file, "model")
    with _warnings_to_stderr(quiet):
        model = _read_unchecked(file)
    problems = find_problems(model)
    if problems and not quiet:
        warn(f"the model has {len(problems)} problems (see `bpr check {file}`); drawing anyway")
    with output_file(output) as tmp:
        draw_process_map(model, tmp, waiting=not no_waiting)
    if not quiet:
        click.echo(f"wrote {output}")


@click.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.argument("target", type=click.Path(dir_okay=False))
@quiet_option
def convert(source: str, target: str, quiet: bool) -> None:
    """Convert a model between YAML, JSON and BPMN (by file extension). BPMN output gets a
    sidecar NAME.sim.yaml with the simulation parameters."""
    from bpr.cli.kinds import expect
    from bpr.cli.output import output_file
    from bpr.model.files import load_model, save_model
    from bpr.model.schema import file_kind

    file_kind(target)  # fail early on an unknown extension
    expect(source, "model")
    with _warnings_to_stderr(quiet):
        model = load_model(source)
    with output_file(target) as tmp:
        save_model(model, tmp)
    if not quiet:
        extra = ""
        if file_kind(target) == "bpmn":
            from bpr.model.bpmn.reader import sidecar_path

            extra = f" and {sidecar_path(target)}"
        click.echo(f"wrote {target}{extra}: {_summary(model)}")


@click.command("import-prosimos")
@click.argument("bpmn", type=click.Path(dir_okay=False))
@click.argument("params", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Model file to write (.yaml, .json or .bpmn).")
@click.option("--name", default=None, help="Process name (default: from the file name).")
@quiet_option
def import_prosimos(bpmn: str, params: str, output: str, name: str | None, quiet: bool) -> None:
    """Import a Prosimos simulation model (Simod's BPMN + JSON parameters) into bpr's format.

    Approximations (teams formed from Simod's per-resource profiles, mixed per-resource
    durations) are printed as warnings and kept in the model's description."""
    from bpr.cli.kinds import expect
    from bpr.cli.output import output_file
    from bpr.model.check import check as check_model
    from bpr.model.files import save_model
    from bpr.model.prosimos import import_prosimos as do_import
    from bpr.model.schema import file_kind

    file_kind(output)
    expect(bpmn, "bpmn")
    expect(params, "prosimos")
    with _warnings_to_stderr(quiet):
        model = do_import(bpmn, params)
    if name:
        model = replace(model, name=name)
    check_model(model)
    with output_file(output) as tmp:
        save_model(model, tmp)
    if not quiet:
        click.echo(f"wrote {output}: {_summary(model)}")
