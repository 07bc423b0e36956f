# One entry point for people and CI. Every target does its own set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck pytest bench clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,web]'
	touch $(STAMP)

## demo: run the tutorial conversation offline (SQLite checkpointer), asking you at the pause.
demo: $(STAMP)
	$(BIN)/langgraph-hitl demo

## test: every check: ruff, mypy --strict, pytest on memory + SQLite + a real PostgreSQL.
test: system-deps lint typecheck pytest

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: speed and scale figures, each compared with its baseline in the same run.
bench: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
