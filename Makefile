# Two entry points: `make demo` and `make test`. Each builds .venv from nothing when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/harness demo

lint: $(STAMP)
	$(BIN)/ruff check harness tests bench
	$(BIN)/ruff format --check harness tests bench
	$(BIN)/mypy

# Tests compile once: bytecode (also pytest's assertion-rewritten modules) goes to the git-ignored
# __pycache__ folders even where PYTHONDONTWRITEBYTECODE is set, so no test process recompiles harness/.
TEST_ENV := env -u PYTHONDONTWRITEBYTECODE

test: $(STAMP) lint
	$(TEST_ENV) $(BIN)/python -m pytest -q -n 2 tests
	$(TEST_ENV) $(BIN)/python -m pytest -q -n 2 suites

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info
