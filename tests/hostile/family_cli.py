"""Command-line consistency: no silent runs, JSON errors with --json (issue 16, item 9)."""

from __future__ import annotations

from corpus import Case

SCENARIO = "{root}/scenarios/loan_digitise_credit_check.yaml"
MODEL = "{data}/scenario/small.yaml"

CASES = [
    Case("whatif -q without -o", ("whatif", SCENARIO, "-q"), says="--quiet without -o"),
    Case("sweep -q without -o", ("sweep", SCENARIO, "--grid", "staff.Clerk=1..2", "-q"),
         says="--quiet without -o"),
    Case("--json: missing model", ("simulate", "nothere.yaml", "-o", "out", "--json"),
         json_errors=True, says="not found", names="nothere.yaml"),
    Case("--json: bad --cases", ("simulate", MODEL, "--cases", "0", "-o", "out", "--json"),
         json_errors=True, says="--cases"),
    Case("--json: unknown option", ("whatif", SCENARIO, "--bogus", "--json"),
         json_errors=True, says="--bogus"),
    Case("--json: model given to whatif", ("whatif", MODEL, "--json"), json_errors=True,
         says="not a what-if scenario", names="small.yaml"),
    Case("--json: missing log", ("mine", "nothere.csv", "-o", "m.yaml", "--json"),
         json_errors=True, names="nothere.csv"),
]
