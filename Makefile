# ESS press search. Quick start: `make demo`, then `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo crawl process serve test lint clean

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

process: install
	$(BIN)/ess process

serve: install
	$(BIN)/ess serve

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check crawler pipeline search_api tests
	$(BIN)/ruff format --check crawler pipeline search_api tests

clean:
	rm -rf $(VENV) corpus/data .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
