PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCENARIO ?= scenarios/hanoi-2025.yaml
TIME_LIMIT ?= 20

.PHONY: run test install install-test lint clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	# the web view's end-to-end tests drive Debian's chromium (no browser download)
	command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

run: install
	$(BIN)/summit solve $(SCENARIO) --time-limit $(TIME_LIMIT) --workers 2

lint: install-test
	$(BIN)/ruff check solver tests benchmarks api
	$(BIN)/mypy

# two workers (pytest-xdist): many tests wait on servers, workers and browsers, not on the CPU; each test file
# stays on one worker, the web files together (tests/conftest.py)
test: lint
	$(BIN)/pytest -n 2 --dist loadgroup --no-loadscope-reorder

bench: install-test
	$(BIN)/python benchmarks/record.py --quick

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
