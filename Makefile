# Parley: `make run` to try it, `make test` to check it. Needs Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

## install: create .venv and install Parley into it
install: $(VENV)/.installed

## run: install, migrate, make sure the demo workspace exists, and serve on SQLite under ./var
run: install
	$(BIN)/parley migrate
	PARLEY_HOST=$(HOST) PARLEY_PORT=$(PORT) $(BIN)/parley demo
	$(BIN)/parley serve --host $(HOST) --port $(PORT)

## test: install the test extras, lint, type-check and run the whole suite
test: $(VENV)/.installed-test
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)  # the browser tests' Chromium (Debian's; never `playwright install`)
	$(BIN)/ruff check parley tests bench
	$(BIN)/ruff format --check parley tests bench
	$(BIN)/mypy
	$(BIN)/pytest

## lint: format and fix what ruff can
lint: $(VENV)/.installed-test
	$(BIN)/ruff format parley tests bench
	$(BIN)/ruff check --fix parley tests bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis

## bench: send-text-message under load (wrk), Parley against a bare FastAPI baseline, SQLite and PostgreSQL
bench: $(VENV)/.installed-test
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run --postgres $${PARLEY_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
