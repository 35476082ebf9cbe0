"""The wrong kind of file: each recognised and named, with how to use it (issue 16, item 9)."""

from __future__ import annotations

from corpus import Case

MODEL = "{root}/processes/loan_application.yaml"
SCENARIO = "{root}/scenarios/loan_digitise_credit_check.yaml"
LOG = "{logs}/LoanApp_simplified_test.csv.gz"
BPMN = "{data}/bpmn/simod_small.bpmn"
PROSIMOS = "{data}/prosimos_models/LoanApp_simplified_train.json"
OUT = ("-o", "out", "-q")

CASES = [
    Case("model given to whatif", ("whatif", MODEL, *OUT),
         says="this is a bpr process model, not a what-if scenario", names="loan_application"),
    Case("log given to whatif", ("whatif", LOG, *OUT), says="this is an event log",
         names="LoanApp_simplified_test"),
    Case("log given as --base", ("whatif", SCENARIO, "--base", LOG, *OUT),
         says="this is an event log, not a process model for --base", names="LoanApp"),
    Case("scenario given to simulate", ("simulate", SCENARIO, *OUT),
         says="this is a what-if scenario, not a process model", names="loan_digitise"),
    Case("log given to simulate", ("simulate", LOG, *OUT), says="this is an event log",
         names="LoanApp_simplified_test"),
    Case("prosimos JSON given to simulate", ("simulate", PROSIMOS, *OUT),
         says="Prosimos simulation parameters", names="LoanApp_simplified_train.json"),
    Case("model given to mine", ("mine", MODEL, "-o", "m.yaml", "-q"),
         says="this is a bpr process model, not an event log", names="loan_application"),
    Case("BPMN given to mine", ("mine", BPMN, "-o", "m.yaml", "-q"),
         says="this is a BPMN model, not an event log", names="simod_small.bpmn"),
    Case("model given as --costs",
         ("mine", "{logs}/running-example.xes", "--costs", MODEL, "-o", "m.yaml", "-q"),
         says="this is a bpr process model, not a costs file for --costs",
         names="loan_application"),
    Case("scenario given to check", ("check", SCENARIO),
         says="this is a what-if scenario, not a process model", names="loan_digitise"),
    Case("model given to split", ("split", MODEL, "-o", "parts", "-q"),
         says="this is a bpr process model, not an event log", names="loan_application"),
    Case("model given as TEST_LOG", ("validate", MODEL, MODEL, "-q"),
         says="not an event log for TEST_LOG", names="loan_application"),
    Case("simulation folder given to report", ("report", "sim", "-o", "r.html", "-q"),
         {"sim/kpis.json": "{}"}, says="this is a bpr simulation output folder",
         names="sim"),
    Case("model given to report", ("report", MODEL, "-o", "r.html", "-q"),
         says="this is a bpr process model", names="loan_application"),
    Case("log given to import-prosimos", ("import-prosimos", BPMN, LOG, "-o", "m.yaml", "-q"),
         says="this is an event log, not Prosimos parameters", names="LoanApp"),
]
