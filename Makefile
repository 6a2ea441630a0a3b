# Entry points of thb-analysis. Every target sets up .venv first when it is missing or stale.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
UV_VERSION := 0.13.9
# uv lives outside the venv so that `uv pip sync` can make the venv exactly the lock.
UV := .tools/bin/uv
KERNEL := thb-analysis
# The data mirror: ../shared/data when it is beside the checkout; override on the command line.
ANALYSIS_DATA_MIRROR ?= $(wildcard $(abspath ../shared/data))
export ANALYSIS_DATA_MIRROR

.PHONY: help setup data reports verify test lint lab bench lock clean-reports

help:
	@echo "make reports   run every notebook and write HTML reports to reports/"
	@echo "make test      run the test suite, then every notebook with its disclosure audit"
	@echo "make verify    re-execute the latest run and compare every figure and number"
	@echo "make bench     time the runner on the real data against sequential nbconvert"
	@echo "make lab       open JupyterLab on notebooks/ with the project kernel"
	@echo "make data      fetch and verify the registered raw data"
	@echo "make lint      ruff check and format check (package, tests, notebooks)"
	@echo "make lock      re-resolve requirements.lock from pyproject.toml"

setup: $(STAMP)

# The venv is rebuilt from the lock when the lock or pyproject.toml changes. Bytecode is compiled
# at install: every kernel and runner worker would otherwise compile pandas, scipy, statsmodels.
$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools uv==$(UV_VERSION)

$(STAMP): requirements.lock pyproject.toml | $(UV)
	test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (thb-analysis)" >/dev/null
	touch $(STAMP)

data: $(STAMP)
	$(BIN)/python -m analysis data fetch

reports: data
	$(BIN)/python -m analysis run

verify: data
	$(BIN)/python -m analysis verify

bench: data
	$(BIN)/python -m analysis bench

# The suite, then the real notebooks: a run audits the tables of all its reports together, so a
# leak across reports fails `make test`. The audit of latest covers a run with nothing to do.
# Five country profiles (those the issues were found on), so that the profiles page has a table
# to sort and filter. Last, the pages of that run as a reader gets them: the text scan and
# headless Chromium (screenshots in reports/test-artifacts/browser/; under CI=true a missing
# browser fails).
TEST_COUNTRIES := DEU IND MDA NGA UKR
test: data
	$(BIN)/python -m pytest
	$(BIN)/python -m analysis run --country $(TEST_COUNTRIES)
	$(BIN)/python -m analysis audit
	$(BIN)/python -m pytest -q tests/reports --run-dir reports/latest

lint: $(STAMP)
	$(BIN)/ruff check src tests notebooks
	$(BIN)/ruff format --check src tests notebooks

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --MappingKernelManager.default_kernel_name=$(KERNEL)

lock: | $(UV)
	$(UV) pip compile --quiet pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean-reports:
	rm -rf reports/*
