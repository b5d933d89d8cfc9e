# One command to run the demo server, one to run the tests. Both install what they need into .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the server on the embedded PostgreSQL with demo data; prints the URL and demo keys.
demo: $(STAMP)
	$(BIN)/ledger serve --demo

serve: $(STAMP)
	$(BIN)/ledger serve

## The whole test suite (uses LEDGER_TEST_DATABASE_URL if set, else an embedded PostgreSQL); fails below the
## coverage floor ([tool.coverage.report] fail_under in pyproject.toml).
test: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term-missing:skip-covered

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Benchmarks (bench/README.md): ingest end to end vs COPY, what the ledger costs, a 10k-row .xlsx import,
## jobs (1 M-row import, 10k-page course PDF). ~30 minutes.
bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/verify.py
	$(BIN)/python bench/sheets.py
	$(BIN)/python bench/jobs.py

clean:
	rm -rf $(VENV) .ledger-data
