# Parley: `make run` to try it, `make test` to check it. Needs Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

WIDGET_ENTRY := parley/web/widget/main.js
WIDGET := parley/web/widget.js
# esbuild (pinned in package.json): one minified IIFE, headed by the entry's /*! comment (the embed instructions)
ESBUILD = node_modules/.bin/esbuild $(WIDGET_ENTRY) --bundle --format=iife --minify --target=es2020 \
	--legal-comments=none "--banner:js=$$(sed -n '1,/\*\//p' $(WIDGET_ENTRY))" --log-level=warning

.PHONY: install run test lint bench clean widget widget-check node

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

## node: Debian's nodejs and npm, when missing (the browser code's unit tests and its bundler; `make run` needs neither)
node:
	@command -v node >/dev/null && command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)

node_modules/.installed: package.json package-lock.json | node
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## widget: bundle parley/web/widget/ and parley/web/core/ into parley/web/widget.js (checked in: serving needs no Node)
widget: node_modules/.installed
	$(ESBUILD) --outfile=$(WIDGET)

## widget-check: fail when the checked-in widget.js is not what its sources build
widget-check: node_modules/.installed
	@built=$$(mktemp --suffix=.js) && $(ESBUILD) --outfile=$$built && \
	  if cmp -s $$built $(WIDGET); then rm -f $$built; else rm -f $$built; \
	  echo "$(WIDGET) is out of date with parley/web/widget/ and parley/web/core/: run make widget"; exit 1; fi

## test: install the test extras, lint, type-check and run the whole suite
test: $(VENV)/.installed-test widget-check
	@test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)  # the browser tests' Chromium (Debian's; never `playwright install`)
	node --test tests/web/core/ tests/web/console/
	$(BIN)/ruff check parley tests bench
	$(BIN)/ruff format --check parley tests bench
	$(BIN)/mypy
	$(BIN)/pytest

## lint: format and fix what ruff can
lint: $(VENV)/.installed-test
	$(BIN)/ruff format parley tests bench
	$(BIN)/ruff check --fix parley tests bench

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache .hypothesis

## bench: send-text-message under load (wrk) against a bare FastAPI baseline, realtime, fan-out, the realistic load (SQLite; PostgreSQL + Redis db 14) and search
bench: $(VENV)/.installed-test
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python -m bench.run --postgres $${PARLEY_BENCH_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}
