# Two commands on a fresh machine: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit bench clean system-deps pdf-deps

# Debian packages: pango and fonts for WeasyPrint's PDFs; Debian's Chromium for the browser tests
# (Playwright drives /usr/bin/chromium: its own browser download is not used).
PDF_PKGS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
BROWSER_PKGS := chromium chromium-driver

# $(call apt-ensure,PACKAGES): install those of PACKAGES that are missing. When none is missing this
# only asks dpkg (fast, no network); otherwise apt-get update + install, with sudo when not root.
define apt-ensure
	@missing=""; \
	for pkg in $(1); do \
		dpkg-query -W -f='$${Status}' $$pkg 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "error: no apt-get here: install these (Debian names) by hand, then re-run:$$missing" >&2; \
		echo "  (chromium at /usr/bin/chromium, pango >= 1.44 with pangoft2, DejaVu fonts)" >&2; \
		exit 1; \
	fi; \
	sudo=""; \
	if [ "$$(id -u)" -ne 0 ]; then \
		if command -v sudo >/dev/null 2>&1; then sudo=sudo; else \
			echo "error: not root and no sudo: as root, apt-get install$$missing" >&2; exit 1; \
		fi; \
	fi; \
	echo "Installing Debian packages:$$missing"; \
	$$sudo apt-get update -qq && \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing
endef

pdf-deps:
	$(call apt-ensure,$(PDF_PKGS))

system-deps:
	$(call apt-ensure,$(PDF_PKGS) $(BROWSER_PKGS))

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

demo: $(STAMP) pdf-deps
	@mkdir -p out
	@for f in samples/*.yaml; do \
		name=$$(basename $$f .yaml); \
		$(BIN)/gapcheck assess $$f --format json -o out/$$name.json || exit $$?; \
		$(BIN)/gapcheck assess $$f -o out/$$name.html || exit $$?; \
		$(BIN)/gapcheck assess $$f -o out/$$name.pdf || exit $$?; \
		$(BIN)/gapcheck assess $$f --format text; \
		echo; \
	done
	@echo "JSON results, HTML and PDF reports written under out/"
	@echo
	@for tool in google-forms microsoft-forms; do \
		$(BIN)/gapcheck import samples/surveys/$$tool.csv --map samples/surveys/$$tool.map.yaml \
			-o out/imported --force || exit $$?; \
	done
	$(BIN)/gapcheck batch samples out/imported -o out/batch --format html,json --quiet
	@echo "Samples and survey imports batch-assessed: portfolio at out/batch/portfolio.html"

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP) system-deps
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(DEV_STAMP)
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) out dist build .pytest_cache .mypy_cache .ruff_cache
