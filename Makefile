# Two commands do everything on a fresh clone: `make run` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin

# Prefect: state kept inside the project, no telemetry, patient start-up. The programs set the
# same defaults themselves (flows/prefect_env.py), so the README commands work outside make too.
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export UV_PYTHON := $(PYTHON)

.PHONY: setup run test test-fast lint format eval eval-html train-cleaner train-html-combine clean

setup: $(VENV)/.synced $(VENV)/.native $(VENV)/.bytecode

# The dump cleaner's per-line modules compiled with mypyc (crawler/extract/boilerplate/native.py):
# rebuilt when a source of the package changes; a failed build leaves the cleaner plain Python.
NATIVE_SOURCES := $(wildcard crawler/extract/boilerplate/*.py crawler/extract/boilerplate/*.pyi crawler/extract/boilerplate/*.c)
NATIVE_SOURCES += crawler/extract/_langscan.c crawler/extract/_shingles.c crawler/dedup/_sorted.c crawler/c_buffer.h
$(VENV)/.native: $(VENV)/.synced $(NATIVE_SOURCES)
	$(BIN)/python -W ignore::DeprecationWarning -c \
		'from crawler.extract.boilerplate import native; native.main(["build"])'
	touch $@

# Our own modules' bytecode, written once: where PYTHONDONTWRITEBYTECODE is set (as in some CI
# shells) every process would otherwise compile them from source (~0.07 s of CPU at each start
# of the CLI's imports); a source changed since is compiled from source as before.
PY_SOURCES := $(shell find crawler flows -name '*.py')
$(VENV)/.bytecode: $(VENV)/.synced $(PY_SOURCES)
	$(BIN)/python -m compileall -q crawler flows
	touch $@

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --upgrade pip
	.tools/bin/python -m pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	touch $@

## run: set up, then ingest seeds/ into data/corpus/ through the Prefect flow and print a summary
run: setup
	$(BIN)/python -m flows.ingest seeds --out data/corpus

## lint: ruff (lint + format check), mypy, and the import layers (import-linter, pyproject.toml)
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Test processes for `make test` (pytest-xdist; 0 = all in this one). A module's tests stay in one
# process (--dist loadfile): its module-scoped crawls and sites are set up once.
TEST_WORKERS ?= 2

## test: set up, lint, then the whole test suite, TEST_WORKERS tests at a time
test: lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

## test-fast: the inner loop: the unit tests of every module (no crawl, Prefect server or `slow` test)
test-fast: setup
	$(BIN)/pytest -m "not slow" -n $(TEST_WORKERS) --dist loadfile

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## eval: P/R/F1 of both input paths per set (eval/dev; with ../shared also dragnet-train and the
## near-dup sets), per language and length band; in-sample: CV figures come from the train-* targets
eval: setup
	$(BIN)/python bench/eval_quality.py

## train-cleaner: refit the dump cleaner's line model from ../shared/eval (dragnet-train, AGPL-3.0,
## and eval/dev) with site-grouped CV figures; writes crawler/extract/boilerplate/cleaner_model.json
train-cleaner: setup
	nice -n 15 $(BIN)/python bench/train_cleaner.py $(TRAIN_CLEANER_ARGS) \
		--model-out crawler/extract/boilerplate/cleaner_model.json

## eval-html: the HTML path against its parts, trafilatura (options) and readability-lxml on the
## dev set: P/R/F1 per length band and docs/s ratios in one process
eval-html: setup
	$(BIN)/python bench/eval_html.py

## train-html-combine: refit the HTML engine choice from ../shared/eval (dragnet-train, AGPL-3.0,
## and eval/dev) with site-grouped CV figures; writes crawler/extract/combine_model.json
train-html-combine: setup
	nice -n 15 $(BIN)/python bench/train_html_combine.py --model-out crawler/extract/combine_model.json

clean:
	rm -rf .venv .tools .prefect .cache .mypy_cache .ruff_cache .pytest_cache .import_linter_cache \
		crawler/extract/boilerplate/_compiled
