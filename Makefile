# One entry point for people and CI. Every target does its own set-up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PY310_VENV ?= .venv310

.PHONY: demo test test-py310 lint typecheck pytest bench clean system-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,postgres,web]'
	touch $(STAMP)

## demo: run the tutorial conversation offline (SQLite checkpointer), asking you at the pause.
demo: $(STAMP)
	$(BIN)/langgraph-hitl demo

## test: every check: ruff, mypy --strict, pytest on memory + SQLite + a real PostgreSQL,
## on Python 3.11 and again on 3.10 (the oldest supported) when an interpreter exists.
test: system-deps lint typecheck pytest test-py310

system-deps:
	bash scripts/system-deps.sh

lint: $(STAMP)
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/python -m pytest $(PYTEST_ARGS)

## test-py310: pytest on Python 3.10, the oldest supported (in .venv310); skipped without one.
test-py310:
	@py=; \
	for c in $$(command -v python3.10) $$(ls -d $(HOME)/.pyenv/versions/3.10*/bin/python3.10 2>/dev/null | sort -rV); do \
		if "$$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' >/dev/null 2>&1; then py=$$c; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
		echo "test-py310: skipped: no Python 3.10 interpreter (python3.10 on PATH or in ~/.pyenv/versions/3.10*)"; \
		exit 0; \
	fi; \
	set -e; \
	if [ ! -f $(PY310_VENV)/.installed-stamp ] || [ pyproject.toml -nt $(PY310_VENV)/.installed-stamp ]; then \
		echo "test-py310: installing into $(PY310_VENV) with $$py"; \
		"$$py" -m venv $(PY310_VENV); \
		$(PY310_VENV)/bin/python -m pip install --quiet --upgrade pip; \
		$(PY310_VENV)/bin/python -m pip install --quiet -e '.[dev,postgres,web]'; \
		touch $(PY310_VENV)/.installed-stamp; \
	fi; \
	bash scripts/with-postgres.sh $(PY310_VENV)/bin/python -m pytest $(PYTEST_ARGS)

## bench: speed and scale figures, each compared with its baseline in the same run.
bench: $(STAMP)
	bash scripts/with-postgres.sh $(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(PY310_VENV) .mypy_cache .pytest_cache .ruff_cache
