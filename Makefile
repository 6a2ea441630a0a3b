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
# (A shell test, not $(wildcard): make splits a path with a space in it.)
ANALYSIS_DATA_MIRROR ?= $(shell cd "$(CURDIR)/../shared/data" 2>/dev/null && pwd)
export ANALYSIS_DATA_MIRROR

.PHONY: help setup data reports verify test lint lab lab-server bench lock clean-reports

help:
	@echo "make reports   run every notebook and write HTML reports to reports/"
	@echo "make test      run the test suite, then every notebook with its disclosure audit"
	@echo "make verify    re-execute the latest run and compare every figure and number"
	@echo "make bench     time the runner on the real data against sequential nbconvert"
	@echo "make lab       open JupyterLab on notebooks/ with the project kernel"
	@echo "make lab-server  the same, listening on every address (a remote machine)"
	@echo "make data      fetch and verify the registered raw data"
	@echo "make lint      ruff check and format check (package, tests, notebooks)"
	@echo "make lock      re-resolve requirements.lock from pyproject.toml"

setup: $(STAMP)

# The venv is rebuilt from the lock when the lock or pyproject.toml changes. Bytecode is compiled
# at install: every kernel and runner worker would otherwise compile pandas, scipy, statsmodels.
$(UV):
	$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .tools uv==$(UV_VERSION)

$(STAMP): requirements.lock pyproject.toml | $(UV)
	@echo "setup: installing the locked packages into .venv (1-3 minutes on a fresh clone, once)"
	test -x $(BIN)/python || $(UV) venv --quiet --python $(PYTHON) $(VENV)
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(UV) pip install --quiet --python $(BIN)/python --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (thb-analysis)" >/dev/null
	touch $(STAMP)

data: $(STAMP)
	$(BIN)/python -m analysis data fetch

reports: data
	@echo "reports: running every notebook (about 2-3 minutes on 2 cores); then open reports/latest/index.html"
	$(BIN)/python -m analysis run

verify: data
	$(BIN)/python -m analysis verify

bench: data
	$(BIN)/python -m analysis bench

# The suite, then the real notebooks: a run audits the tables of all its reports together, so a
# leak across reports fails `make test`. The audit of latest covers a run with nothing to do.
# Five country profiles (those the issues were found on), so that the profiles page has a table
# to sort and filter. The suite tests the working tree: notebooks that differ from the commit
# run (their reports say so), where `make reports` refuses them. Last, the pages of that run as
# a reader gets them: the text scan and headless Chromium (screenshots in
# reports/test-artifacts/browser/; under CI=true a missing browser fails). About 10 minutes on
# 2 cores; each stage says when it starts.
TEST_COUNTRIES := DEU IND MDA NGA UKR
test: data
	@echo "test [1/4]: the test suite, unit and notebook tests (about 7 minutes)"
	$(BIN)/python -m pytest
	@echo "test [2/4]: every notebook on the real data, five country profiles (about 2 minutes)"
	$(BIN)/python -m analysis run --allow-modified --country $(TEST_COUNTRIES)
	@echo "test [3/4]: the disclosure audit of that run"
	$(BIN)/python -m analysis audit
	@echo "test [4/4]: the run's pages as a reader gets them: text scan and browser (about 1 minute)"
	$(BIN)/python -m pytest -q tests/reports --run-dir reports/latest

lint: $(STAMP)
	$(BIN)/ruff check src tests notebooks
	$(BIN)/ruff format --check src tests notebooks

# JupyterLab on notebooks/ with the project kernel. The cleaned tables and the protected release
# are made first when missing (a fresh clone), notebooks are saved without outputs (analysis.run.lab),
# and as root (the usual user in a container) it starts with --allow-root and says so.
# `make lab-server` listens on every address of a remote machine; open the address with the
# token it prints (or tunnel: ssh -L 8888:localhost:8888 HOST, then `make lab`).
LAB_ARGS ?=
LAB_PREPARED := data/processed/release/places.json
lab: data
	@test -f $(LAB_PREPARED) || { echo "lab: preparing the cleaned tables and the protected release (about 1 minute)"; \
	  $(BIN)/python -m analysis run --allow-modified --only 01_clean_victims 02_clean_enforcement 05_release; }
	@if [ "$$(id -u)" = 0 ]; then echo "lab: running as root, so JupyterLab starts with --allow-root"; fi
	$(BIN)/jupyter lab --notebook-dir=notebooks --MappingKernelManager.default_kernel_name=$(KERNEL) \
	  --ContentsManager.pre_save_hook=analysis.run.lab.strip_outputs \
	  $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) $(LAB_ARGS)

lab-server:
	$(MAKE) lab LAB_ARGS="--ip=0.0.0.0 --port=8888 --no-browser $(LAB_ARGS)"

lock: | $(UV)
	$(UV) pip compile --quiet pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean-reports:
	rm -rf reports/*
