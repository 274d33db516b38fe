# Two commands do everything on a fresh machine (Python 3.11, Java 17, Node 20):
#   make run   - set up if needed, then run the whole system locally
#   make test  - set up if needed, then run the whole test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# Wheels preferred over sources, and no bytecode compiled at install time (Python compiles
# what it imports on first use): a fresh `make setup` spends its time on the network and
# unpacking, not compiling thousands of modules the local system never imports.
PIP := $(PY) -m pip install --quiet --disable-pip-version-check --prefer-binary --no-compile \
	-c constraints.txt
# Dependencies by role (pyproject.toml): `make run` installs the base (the local system)
# and `deploy` (CDKTF, for `windmill deploy`); `make test` adds `cdktn` (CDK Terrain, so
# both CDKs are tested) and `dev` (pytest, Playwright, ruff).
PY_STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
# The classes a local engine loads, recorded once into a class-data-sharing archive that
# every local JVM then maps (workloads/jvm_archive.py): ~5 s off each engine start.
JVM_STAMP := $(VENV)/.jvm-archive
# The suite spends most of its time waiting (JVM starts, servers, subprocesses, pipeline
# triggers), so two worker processes, each with its own local engine, take about half the
# time on two cores; a test file stays on one worker (its module fixtures are shared), and
# the two files that each run a whole stack share one (tests/conftest.py, WHOLE_STACK).
# Files are handed out in collection order, where tests/conftest.py puts files with a slow
# test first (xdist's default order, most tests first, left the multi-minute one-test
# files for last, and one of them bounded the wall time).
PYTEST_WORKERS ?= -n 2 --dist loadscope --no-loadscope-reorder
PYTEST_ARGS ?=

.PHONY: setup setup-dev run test lint format bench browser

# pip and npm have nothing in common: they run side by side (about the npm install's time).
setup:
	@$(MAKE) -s --no-print-directory -j2 $(JVM_STAMP) $(NODE_STAMP)

setup-dev:
	@$(MAKE) -s --no-print-directory -j2 $(DEV_STAMP) $(JVM_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml constraints.txt
	@echo "Python packages for the local system and windmill deploy (pip, pinned)..."
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) -e ".[deploy]"
	@touch $@

$(DEV_STAMP): $(PY_STAMP)
	@echo "Test tools (pip, pinned)..."
	$(PIP) -e ".[deploy,cdktn,dev]"
	@touch $@

$(JVM_STAMP): $(PY_STAMP)
	@echo "Recording the local engine's JVM classes (once, ~30 s)..."
	$(PY) -m workloads.jvm_archive
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	@echo "CDKTF CLI for windmill deploy (npm ci)..."
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's Chromium for the browser tests (the only browser reachable here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

run: setup
	$(VENV)/bin/windmill up

test: setup-dev browser
	$(PY) -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: $(DEV_STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# The dashboard benchmark drives Chromium through the test harness (Playwright).
bench: setup-dev
	for script in benchmarks/*.py; do $(PY) $$script || exit 1; done
