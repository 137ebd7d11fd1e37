# stkkr — the two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install test check demo lint bench scale up clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Two pytest workers (pytest-xdist), a test file each at a time: most tests wait on subprocesses, loopback
# HTTP and a Prefect server, so two files side by side use the 2 cores the suite is budgeted for. Files go
# out in collection order (xdist would send the files with most tests first, leaving the 3-minute scale
# test alone at the end). `PYTEST_WORKERS=0 make test` runs it in one process.
PYTEST_WORKERS ?= 2
test: check
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# The static checks `make test` runs first: types (files and settings in pyproject.toml), lint, format, and
# the floors (lint-imports: no upward import, see the README's Development section).
check: install
	$(BIN)/mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

demo: install
	$(BIN)/stkkr demo

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

# Many workers, one truth (issue 14): a PostgreSQL-backed Prefect server, two workers, N stkkrs, M minutes.
scale: install
	$(BIN)/python -m bench.scale $(SCALE_ARGS)

up: install
	$(BIN)/stkkr up

clean:
	rm -rf $(VENV) build *.egg-info
