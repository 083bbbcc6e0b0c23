# ESS press search. Quick start: `make demo`, then `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo crawl recrawl process serve test test-fast eval bench loadtest lint docs clean

REFERENCE := docs/configuration.md docs/cli.md docs/api.md   # generated from the code (tests/reference.py)

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0   # the CPU wheel; must come before sentence-transformers
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/ess demo

crawl: install
	$(BIN)/ess crawl

recrawl: install   # safe from cron: a lock refuses an overlapping run
	$(BIN)/ess recrawl --process

process: install
	$(BIN)/ess process

serve: install
	$(BIN)/ess serve

test: install   # the whole suite: CI's command
	$(BIN)/python -m pytest -q

test-fast: install   # unit and API tests for the edit-test loop (under 3 minutes): no test marked slow
	$(BIN)/python -m pytest -q -m "not slow"

eval: install   # extraction, NER and ranking quality: writes docs/eval.md and docs/eval.json, fails below the floors
	$(BIN)/python -m tests.eval --floors

bench: install   # each stage beside its bare library, latency at 1k/10k/100k chunks, load test, keyword engines: docs/bench.md (BENCH_SIZE=1000 pages)
	$(BIN)/python -m tests.bench --size $(or $(BENCH_SIZE),1000)

loadtest: install   # 50 concurrent clients for 60 s, real uvicorn, demo + 10k synthetic chunks (run `make demo` once first)
	$(BIN)/python -m tests.bench.loadtest --clients 50 --seconds 60

lint: install   # style, the import contracts (pyproject.toml) and the generated reference pages
	$(BIN)/ruff check crawler pipeline search_api tests
	$(BIN)/ruff format --check crawler pipeline search_api tests
	$(BIN)/lint-imports --no-cache
	$(BIN)/cog -I . --check $(REFERENCE)

docs: install   # regenerate the reference pages from the settings object, the Typer app and the OpenAPI schema
	$(BIN)/cog -I . -r $(REFERENCE)

clean:
	rm -rf $(VENV) corpus/data .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
