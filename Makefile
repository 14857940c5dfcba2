# Developer entry points. `make demo` runs the whole loop on a local cluster; `make test` runs
# every check CI runs (lint, types, unit, integration and end-to-end tests on the real cluster).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps venv lint typecheck unit test test-cluster cluster-up cluster-down image crd docs demo bench bench-smoke clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

deps:
	$(SUDO) hack/install-deps

lint: venv
	$(BIN)/ruff check operator tests benchmarks
	$(BIN)/ruff format --check operator tests benchmarks
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

unit: venv
	$(BIN)/pytest -m "not cluster"

cluster-up:
	$(SUDO) hack/cluster up

cluster-down:
	$(SUDO) hack/cluster down

image:
	$(SUDO) hack/cluster image

# Everything: static checks, then every test against the real local cluster (brought up if needed).
test: deps venv lint typecheck cluster-up
	$(BIN)/pytest

crd: venv
	$(BIN)/python -m mlmodel_operator.api.crd
	$(BIN)/python -m mlmodel_operator.api.reference

demo: venv
	$(SUDO) hack/demo

bench: deps venv
	$(BIN)/python benchmarks/serving/run.py

bench-smoke: venv
	$(BIN)/python benchmarks/serving/run.py --smoke

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
