# bpr: two commands on a fresh machine (Python 3.11, pip, make):
#   make demo   install into .venv and run the main job on the bundled example data
#   make test   install into .venv and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= demo_out

.PHONY: install demo test test-fast lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# The main job on the bundled loan-application log: mine the as-is model (with illustrative cost
# rates), simulate it, check its fidelity on the held-out half of the log, run the what-if
# scenario "Digitise the credit check" and write the shareable report.
demo: $(STAMP)
	$(BIN)/bpr mine event_logs/LoanApp_simplified_train.csv.gz --costs event_logs/costs/LoanApp_rates.yaml -o $(OUT)/loan_application.yaml --png $(OUT)/loan_application.png
	$(BIN)/bpr simulate $(OUT)/loan_application.yaml --cases 2000 --replications 5 --workers 2 -o $(OUT)/simulation
	$(BIN)/bpr whatif scenarios/loan_digitise_credit_check.yaml --base $(OUT)/loan_application.yaml --workers 2 -o $(OUT)/whatif
	$(BIN)/bpr validate $(OUT)/loan_application.yaml event_logs/LoanApp_simplified_test.csv.gz --replications 5 --workers 2 -o $(OUT)/whatif/fidelity.json
	$(BIN)/bpr report $(OUT)/whatif -o $(OUT)/report.html
	@echo "Open $(OUT)/report.html in a browser."

test: $(STAMP)
	bash .ci/browser-setup
	$(BIN)/python -m pytest

# The quick developer loop: every test not marked slow.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check bpr tests benchmarks notebooks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis .ruff_cache
