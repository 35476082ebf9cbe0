"""``bpr simulate MODEL -o OUTDIR``: simulate a process model, write the log and the KPIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bpr.cli.options import echo_json, json_option, quiet_option, seed_option
from bpr.io.formats import format_names


def _fmt(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 1e6:
        return f"{value:,.2f}"
    return f"{value:.3g}"


def kpi_table(kpis: dict[str, Any]) -> str:
    """The KPIs as an aligned text table: name, mean and 95% interval."""
    rows: list[tuple[str, str, str]] = []

    def add(name: str, est: dict[str, float] | None) -> None:
        if est is None:
            rows.append((name, "n/a", ""))
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
    return "\n".join([head, "-" * len(head)] +
                     [f"{a:<{w0}}  {b:>{w1}}  {c}" for a, b, c in rows])


@click.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for kpis.json and simulated_logs/ (one log per replication).")
@click.option("--cases", type=int, default=None,
              help="Cases (arrivals) per replication [default: the observed case count, "
                   "else 1000].")
@click.option("--days", type=float, default=None, help="Simulate arrivals for this many days "
              "instead of a number of cases.")
@click.option("--warmup", type=int, default=0, show_default=True,
              help="First cases left out of the statistics.")
@click.option("--start", default=None, help="Start date, e.g. 2024-01-01T08:00 (model time "
              "zone) [default: the first observed event, else 2024-01-01].")
@click.option("--replications", type=int, default=10, show_default=True,
              help="Independent replications (for confidence intervals).")
@seed_option
@click.option("--workers", type=int, default=1, show_default=True,
              help="Local worker processes running replications in parallel.")
@click.option("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT "
              "[env BPR_SCHEDULER].")
@click.option("--log-format", type=click.Choice(format_names()), default="csv",
              show_default=True, help="Format of the simulated logs.")
@json_option
@quiet_option
def simulate(model_path: str, outdir: str, cases: int | None, days: float | None, warmup: int,
             start: str | None, replications: int, seed: int, workers: int,
             scheduler: str | None, log_format: str, as_json: bool, quiet: bool) -> None:
    """Simulate MODEL (a processes/*.yaml file) and write OUTDIR/kpis.json (cycle, waiting and
    processing time, throughput, WIP, utilisation, cost and labour hours, each with a 95%
    confidence interval across replications) and OUTDIR/simulated_logs/replication-<r>.csv, one
    log per replication on its own time axis."""
    from bpr.errors import SimulationError
    from bpr.io.atomic import write_text
    from bpr.model.files import load_model
    from bpr.progress import Progress
    from bpr.sim import simulate as run

    if cases is not None and cases < 1:
        raise SimulationError(f"--cases must be a positive whole number, got {cases}")
    if days is not None and not days > 0:
        raise SimulationError(f"--days must be positive, got {days}")
    if replications < 1:
        raise SimulationError(f"--replications must be at least 1, got {replications}")
    model = load_model(model_path)
    out = Path(outdir)
    log_path = out / "simulated_logs"
    with Progress("simulating", quiet=quiet) as bar:
        result = run(model, cases=cases, days=days, warmup_cases=warmup, start=start,
                     replications=replications, seed=seed, workers=workers,
                     scheduler=scheduler, log_path=log_path, log_format=log_format,
                     progress=bar.update)
    data = result.to_dict()
    data["settings"]["model_file"] = Path(model_path).name
    data["settings"]["log"] = log_path.name
    write_text(out / "kpis.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    if as_json:
        echo_json(data)
    elif not quiet:
        n = sum(r.cases_completed for r in result.replications)
        click.echo(f"{model.name}: {replications} replication(s), {n} counted cases; "
                   f"wrote {out / 'kpis.json'} and {log_path}/ (one log per replication)")
        click.echo(kpi_table(data["kpis"]))
