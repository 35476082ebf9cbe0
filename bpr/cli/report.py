"""``bpr report OUTDIR -o report.html``: the shareable HTML report of a what-if output folder."""

from __future__ import annotations

import click

from bpr.cli.options import quiet_option


@click.command()
@click.argument("outdir", type=click.Path(file_okay=True, dir_okay=True))
@click.option("-o", "--output", "output", default=None, type=click.Path(dir_okay=False),
              help="The HTML file to write [default: OUTDIR/report.html].")
@click.option("--fidelity", "fidelity", default=None, type=click.Path(dir_okay=False),
              help="A validation result (bpr validate MODEL TEST_LOG --json > FILE) "
                   "[default: OUTDIR/fidelity.json when present].")
@quiet_option
def report(outdir: str, output: str | None, fidelity: str | None, quiet: bool) -> None:
    """Write one self-contained HTML report (charts embedded, no network needed, printable)
    of OUTDIR, the folder written by bpr whatif -o OUTDIR: headline savings with intervals,
    the changes, charts, KPI tables, assumptions and the model's fidelity if known."""
    from pathlib import Path

    from bpr.cli.kinds import expect
    from bpr.cli.output import output_file
    from bpr.report import write_report

    expect(outdir, "whatif-output")
    path = Path(output) if output is not None else Path(outdir) / "report.html"
    with output_file(path) as tmp:
        write_report(outdir, tmp, fidelity=fidelity)
    if not quiet:
        click.echo(f"wrote {path}")
