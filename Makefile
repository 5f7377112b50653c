# Quick start: `make run` serves on http://127.0.0.1:8000 (docs at /docs); `make test` runs
# the whole suite. Both create .venv on first use; only Python 3.11+ and make are needed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint bench schemas clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/iwmo db upgrade
	$(BIN)/iwmo serve --host $(HOST) --port $(PORT)

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy

bench: $(VENV)/.test-installed
	$(BIN)/python bench/validate.py

schemas: $(VENV)/.run-installed
	$(BIN)/iwmo schemas

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
