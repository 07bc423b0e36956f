# One entry point for people and CI. Every target does its own set-up, from the lock (uv.lock).
PYTHON ?= python3
# The uv that reads uv.lock; bootstrapped from PyPI into .tools/ when none is on PATH.
UV_VERSION := 0.13.9
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV ?= .venv
BIN := $(VENV)/bin
PY310_VENV ?= .venv310
EXTRAS := --extra dev --extra postgres --extra web
# Never download an interpreter: use the ones installed on the machine.
export UV_PYTHON_DOWNLOADS := never
# pytest in 4 workers: most tests wait on processes, servers and sockets, not the CPU;
# `make pytest PYTEST_WORKERS=0` runs in one process. `--dist loadscope`: each module runs in
# one worker, so a module's shared server, browser or SDK fixture starts once per run.
PYTEST_WORKERS ?= 4
PYTEST := -m pytest -n $(PYTEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

.PHONY: demo test test-latest test-py310 lint typecheck pytest pytest-all bench clean \
	system-deps sync sync-py310

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'

## sync: the locked development environment in .venv (Python 3.11 or the newest found).
sync: $(UV)
	$(UV) sync --frozen --quiet $(EXTRAS)

## demo: run the tutorial conversation offline (SQLite checkpointer), asking you at the pause.
demo: sync
	$(BIN)/langgraph-hitl demo

## test: every check: ruff, mypy --strict, pytest on memory + SQLite + a real PostgreSQL and
## headless Chromium, on Python 3.11 and again on 3.10 (the oldest supported) when one exists;
## one PostgreSQL server for both runs.
test: system-deps lint typecheck
	bash scripts/with-postgres.sh $(MAKE) --no-print-directory pytest-all

pytest-all: pytest test-py310

system-deps:
	bash scripts/system-deps.sh

lint: sync
	$(BIN)/ruff check src tests examples bench
	$(BIN)/ruff format --check src tests examples bench

typecheck: sync
	$(BIN)/mypy

pytest: sync
	bash scripts/with-postgres.sh $(BIN)/python $(PYTEST)

## test-py310: pytest on Python 3.10, the oldest supported (in .venv310); skipped without one.
test-py310: sync
	@py=$$(bash scripts/find-python310.sh) || { \
		echo "test-py310: skipped: no Python 3.10 interpreter (python3.10 on PATH or in ~/.pyenv/versions/3.10*)"; \
		exit 0; \
	}; \
	set -e; \
	UV_PROJECT_ENVIRONMENT=$(PY310_VENV) $(UV) sync --frozen --quiet --python "$$py" $(EXTRAS); \
	bash scripts/with-postgres.sh $(PY310_VENV)/bin/python $(PYTEST)

## test-latest: the canary for upstream drift. Resolves the NEWEST versions our ranges allow
## (ignoring uv.lock) in a throwaway .venv-latest, prints them, and runs every check there.
## Not part of `make test`: an upstream release must not block a landing.
test-latest: system-deps $(UV)
	rm -rf .venv-latest
	$(UV) venv --quiet --python 3.11 .venv-latest
	VIRTUAL_ENV=.venv-latest $(UV) pip install --quiet --refresh -e '.[dev,postgres,web]'
	@echo "test-latest: resolved versions:"
	@VIRTUAL_ENV=.venv-latest $(UV) pip freeze --exclude-editable | sed 's/^/  /'
	.venv-latest/bin/ruff check src tests examples bench
	.venv-latest/bin/mypy
	bash scripts/with-postgres.sh .venv-latest/bin/python $(PYTEST)

## bench: speed and scale figures, each compared with its baseline in the same run.
bench: sync
	bash scripts/with-postgres.sh $(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(PY310_VENV) .venv-latest .tools .mypy_cache .pytest_cache .ruff_cache
