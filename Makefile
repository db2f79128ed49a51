# Two commands on a fresh machine: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] < (3, 13) else "gapcheck needs Python 3.10-3.12 (durable-rules does not import on 3.13); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet .
	touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

demo: $(STAMP)
	@mkdir -p out
	@for f in samples/*.yaml; do \
		name=$$(basename $$f .yaml); \
		$(BIN)/gapcheck assess $$f --format json -o out/$$name.json || exit $$?; \
		$(BIN)/gapcheck assess $$f --format text; \
		echo; \
	done
	@echo "JSON results written under out/"

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) out dist build .pytest_cache .mypy_cache .ruff_cache
