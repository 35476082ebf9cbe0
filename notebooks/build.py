"""Write the three example notebooks (without outputs): ``python notebooks/build.py``.

The notebooks use the same Python API as the CLI and write everything into ``out/notebooks/``
(git-ignored) under the project root. Edit the cells here, not in the .ipynb files.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
%matplotlib inline
from pathlib import Path

import bpr

# The project root (the folder with pyproject.toml), wherever the notebook is run from.
ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "pyproject.toml").is_file())
OUT = ROOT / "out" / "notebooks"   # git-ignored
OUT.mkdir(parents=True, exist_ok=True)
SEED = 1'''

AS_IS = [
    new_markdown_cell("""\
# 1. The as-is process

Mine a simulation-ready model from the bundled loan application log, look at its map, and find
where cases wait. Same API as the command line (`bpr mine`, `bpr simulate`)."""),
    new_code_cell(SETUP),
    new_markdown_cell("## The event log"),
    new_code_cell('''\
log = bpr.read_log(ROOT / "event_logs" / "LoanApp_simplified_train.csv.gz")
df = log.df
print(f"{log.n_cases:,} cases, {log.n_events:,} events, "
      f"{df['activity'].nunique()} activities, {df['resource'].nunique()} resources")
print(f"from {df['start_time'].min():%Y-%m-%d} to {df['end_time'].max():%Y-%m-%d}")
df.head()'''),
    new_markdown_cell("## Mining the model"),
    new_code_cell('''\
model = bpr.mine(log)
bpr.save_model(model, OUT / "loan_as_is.yaml")
print(model.name)
for name, pool in model.pools.items():
    rate = f", {pool.hourly_rate}/h" if pool.hourly_rate is not None else ""
    print(f"  pool {name}: {pool.count} people{rate}")
print(f"observed: {model.observed.cases:,} cases, about {model.observed.cases_per_year:,.0f} "
      f"cases a year")'''),
    new_markdown_cell("""\
## The map

Tasks are coloured by the mean time cases waited before them in the log (darker: longer);
edges out of decisions carry their probabilities."""),
    new_code_cell('''\
from bpr.charts.process_map import draw_process_map

draw_process_map(model, OUT / "loan_as_is_map.png")'''),
    new_markdown_cell("## Where cases wait (from the log)"),
    new_code_cell('''\
import pandas as pd

obs = model.observed
bottlenecks = pd.DataFrame({
    "instances": pd.Series(obs.activity_count),
    "mean wait (h)": pd.Series(obs.activity_waiting_seconds) / 3600,
}).fillna(0)
bottlenecks["wait per case (h)"] = (bottlenecks["instances"] * bottlenecks["mean wait (h)"]
                                    / obs.cases)
bottlenecks.sort_values("wait per case (h)", ascending=False).round(2).head(8)'''),
    new_markdown_cell("""\
## The simulated as-is

Simulating the mined model shows the same picture with confidence intervals, and which staff
pools are busiest (a few replications of a few hundred cases keep this fast; use more for
decisions)."""),
    new_code_cell('''\
sim = bpr.simulate(model, cases=400, replications=3, seed=SEED)
k = sim.kpis()
for key in ("cycle_time_hours_mean", "cycle_time_hours_median", "waiting_time_hours_mean",
            "labour_hours_per_case"):
    e = k[key]
    print(f"{key:26s} {e.mean:8.2f}  [{e.ci_low:.2f}, {e.ci_high:.2f}]")'''),
    new_code_cell('''\
from bpr.charts.activities import activity_waiting
from bpr.charts.pools import pool_utilisation

activity_waiting(sim, top=8, path=OUT / "loan_as_is_waiting.png")'''),
    new_code_cell('''\
pool_utilisation(sim, path=OUT / "loan_as_is_pools.png")'''),
    new_markdown_cell("""\
The longest waits sit in front of the decisions and the completeness check; the pools that do
that work are the candidates for the what-if scenarios in the next notebook."""),
]

WHAT_IF = [
    new_markdown_cell("""\
# 2. What if?

Run the scenarios in `scenarios/` against their base models (as-is vs to-be with common random
numbers, 95% confidence intervals), then a small sweep of staffing levels. Same API as
`bpr whatif` and `bpr sweep`; modest case counts keep the notebook fast."""),
    new_code_cell(SETUP),
    new_markdown_cell("## The scenarios"),
    new_code_cell('''\
scenarios = {}
for path in sorted((ROOT / "scenarios").glob("*.yaml")):
    sc = bpr.load_scenario(path)
    scenarios[path.stem] = sc
    print(f"{path.name}: {sc.name}")
    for change in sc.changes:
        print(f"    - {change.describe()}")'''),
    new_markdown_cell("## As-is vs to-be, every scenario"),
    new_code_cell('''\
import pandas as pd

results = {}
rows = []
for key, sc in scenarios.items():
    r = bpr.whatif(sc, cases=300, replications=3, seed=SEED, attribution=False)
    results[key] = r
    hours = r.per_year["labour_hours_freed_per_year"]
    cycle = r.per_case["cycle_time_hours"].difference
    rows.append({"scenario": sc.name,
                 "hours freed / year": f"{hours.mean:,.0f} [{hours.ci_low:,.0f}, "
                                       f"{hours.ci_high:,.0f}]",
                 "cycle time change (h)": f"{cycle.mean:.2f} [{cycle.ci_low:.2f}, "
                                          f"{cycle.ci_high:.2f}]",
                 "significant": r.significant()["per_year.labour_hours_freed_per_year"]})
pd.DataFrame(rows)'''),
    new_markdown_cell("""\
## One scenario in full

With attribution: every change is also simulated alone and cumulatively, so the savings can be
split by change (the waterfall of the next notebook)."""),
    new_code_cell('''\
full = bpr.whatif(scenarios["loan_digitise_credit_check"], cases=400, replications=4,
                  seed=SEED)
full.write(OUT / "whatif_loan")
print(full.table())'''),
    new_markdown_cell("""\
## A sweep: how many clerks?

The scenario's changes with the number of clerks varied; a point is Pareto-efficient when no
other point has both a shorter cycle time and a lower cost per case (staff pay included)."""),
    new_code_cell('''\
sw = bpr.sweep(scenarios["loan_digitise_credit_check"], ["staff.Clerk=1..4"], cases=300,
               replications=3, seed=SEED)
sw.write(OUT / "whatif_loan")   # sweep.json beside the what-if files: the report shows it
print(sw.table())'''),
    new_code_cell('''\
from bpr.charts.sweep import sweep_pareto

sweep_pareto(sw, path=OUT / "loan_sweep.png")'''),
]

FINDINGS = [
    new_markdown_cell("""\
# 3. Findings

The charts a consultant would present for the digitised credit check, the model's fidelity on
held-out data, and the shareable HTML report. Runs the what-if itself, so it does not depend
on the other notebooks."""),
    new_code_cell(SETUP),
    new_code_cell('''\
scenario = bpr.load_scenario(ROOT / "scenarios" / "loan_digitise_credit_check.yaml")
result = bpr.whatif(scenario, cases=400, replications=4, seed=SEED)
outdir = OUT / "findings"
result.write(outdir)
hours = result.per_year["labour_hours_freed_per_year"]
fte = result.per_year["fte_freed"]
print(f"{scenario.name}: {hours.mean:,.0f} labour hours a year "
      f"[{hours.ci_low:,.0f}, {hours.ci_high:,.0f}] = {fte.mean:.2f} FTE")'''),
    new_markdown_cell("## Savings by change"),
    new_code_cell('''\
from bpr.charts.savings import savings_waterfall

savings_waterfall(result, measure="hours", path=OUT / "waterfall.png")'''),
    new_code_cell('''\
if not result.hours_only:
    fig = savings_waterfall(result, measure="money", path=OUT / "waterfall_money.png")
else:
    fig = None
    print("hours only: the model has no hourly rates")
fig'''),
    new_markdown_cell("## Faster cases"),
    new_code_cell('''\
from bpr.charts.distributions import cycle_time_ecdf

cycle_time_ecdf(result, path=OUT / "cycle_times.png")'''),
    new_code_cell('''\
from bpr.charts.activities import activity_waiting
from bpr.charts.pools import pool_utilisation

activity_waiting(result, top=8)'''),
    new_code_cell('''\
pool_utilisation(result)'''),
    new_markdown_cell("""\
## Can we trust the model?

The base model was mined from the training part of the log; the held-out test part shows how
close its simulation comes (`bpr validate`)."""),
    new_code_cell('''\
import json

from bpr.charts.fidelity import fidelity_panel, log_cycle_times
from bpr.sim import simulate_log

test = bpr.read_log(ROOT / "event_logs" / "LoanApp_simplified_test.csv.gz")
fidelity = bpr.validate(result.base_model, test, replications=2, seed=SEED)
print("\\n".join(fidelity.verdict))
simulated = simulate_log(result.base_model, cases=test.n_cases,
                         start=fidelity.settings["start"], seed=SEED)
real_h, sim_h = log_cycle_times(test), log_cycle_times(simulated)
fid = fidelity.to_dict()
fid["cycle_times_hours"] = {"real": real_h.tolist(), "simulated": sim_h.tolist()}
(outdir / "fidelity.json").write_text(json.dumps(fid))
fidelity_panel(real_h, sim_h, report=fidelity)'''),
    new_markdown_cell("""\
## The report

One self-contained HTML file (charts embedded, no network needed, printable to PDF): the same
as `bpr report OUTDIR -o report.html`."""),
    new_code_cell('''\
from bpr.report import write_report

path = write_report(outdir, OUT / "report.html")
print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")'''),
]


def write(name: str, cells: list) -> Path:
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{name.split('_')[0]}-{i:02d}"  # stable ids: no diff noise on rebuild
    nbformat.validate(nb)
    path = HERE / f"{name}.ipynb"
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    for name, cells in (("01_as_is", AS_IS), ("02_what_if", WHAT_IF),
                        ("03_findings", FINDINGS)):
        print(write(name, cells))
