# bpr: two commands on a fresh machine (Python 3.11, pip, make):
#   make demo   install into .venv and run the main job on the bundled example data
#   make test   install into .venv and run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
OUT    ?= demo_out

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bpr mine event_logs/LoanApp_simplified_train.csv.gz -o $(OUT)/loan_application.yaml --png $(OUT)/loan_application.png
	$(BIN)/bpr simulate $(OUT)/loan_application.yaml --cases 2000 --replications 5 -o $(OUT)/simulation

test: $(STAMP)
	bash .ci/browser-setup
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check bpr tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(OUT) .pytest_cache .hypothesis .ruff_cache
