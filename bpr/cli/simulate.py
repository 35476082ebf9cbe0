"""``bpr simulate MODEL -o OUTDIR``: simulate a process model, write the log and the KPIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bpr.cli.options import echo_json, json_option, quiet_option, run_options
from bpr.sim.results import NO_INTERVAL

if TYPE_CHECKING:
    from bpr.sim.settings import RunSettings
from bpr.io.formats import format_names


def _fmt(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 1e6:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def kpi_table(kpis: dict[str, Any]) -> str:
    """The KPIs as an aligned text table: name, mean and 95% interval."""
    rows: list[tuple[str, str, str]] = []

    def add(name: str, est: dict[str, Any] | None) -> None:
        if est is None:
            rows.append((name, "n/a", ""))
        elif est["ci_low"] is None or est["ci_high"] is None:
            rows.append((name, _fmt(est["mean"]), "-"))
        else:
            rows.append((name, _fmt(est["mean"]), f"[{_fmt(est['ci_low'])}, "
                                                 f"{_fmt(est['ci_high'])}]"))

    for key, value in kpis.items():
        if isinstance(value, dict) and value and not {"mean", "ci_low"} <= set(value):
            for sub, est in value.items():
                add(f"{key}[{sub}]", est)
        elif isinstance(value, dict) and not value:
            continue
        else:
            add(key, value)
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    head = f"{'KPI':<{w0}}  {'mean':>{w1}}  95% interval"
    lines = [head, "-" * len(head)] + [f"{a:<{w0}}  {b:>{w1}}  {c}".rstrip() for a, b, c in rows]
    if all(c in ("", "-") for _, _, c in rows):
        lines.append(f"({NO_INTERVAL})")
    return "\n".join(lines)


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for kpis.json and simulated_logs/ (one log per replication).")
@run_options("cases", "days", "warmup_cases", "start", "replications", "seed", "workers",
             "scheduler")
@click.option("--log-format", type=click.Choice(format_names()), default="csv",
              show_default=True, help="Format of the simulated logs.")
@json_option
@quiet_option
def simulate(model_path: str, outdir: str, settings: RunSettings, log_format: str,
             as_json: bool, quiet: bool) -> None:
    """Simulate MODEL (a processes/*.yaml file) and write OUTDIR/kpis.json (cycle, waiting and
    processing time, throughput, WIP, utilisation, cost and labour hours, each with a 95%
    confidence interval across replications) and OUTDIR/simulated_logs/replication-<r>.csv, one
    log per replication on its own time axis."""
    from bpr.cli.kinds import expect
    from bpr.cli.output import output_folder
    from bpr.io.atomic import write_text
    from bpr.model.files import load_model
    from bpr.progress import Progress
    from bpr.sim import simulate as run

    expect(model_path, "model")
    model = load_model(model_path)
    out = Path(outdir)
    log_name = "simulated_logs"
    with output_folder(outdir, command="simulate") as tmp:
        with Progress("simulating", quiet=quiet) as bar:
            result = run(model, settings=settings, log_path=tmp / log_name,
                         log_format=log_format, progress=bar.update)
        data = result.to_dict()
        data["settings"]["model_file"] = Path(model_path).name
        data["settings"]["log"] = log_name
        write_text(tmp / "kpis.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if as_json:
        echo_json(data)
    elif not quiet:
        n = sum(r.cases_completed for r in result.replications)
        click.echo(f"{model.name}: {len(result.replications)} replication(s), {n} counted "
                   f"cases; wrote {out / 'kpis.json'} and {out / log_name}/ (one log per "
                   f"replication)")
        click.echo(kpi_table(data["kpis"]))
