# The two commands a newcomer needs: `make run` and `make test`. Everything else here serves them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app sandbox

.PHONY: run test lint system-deps test-deps browser-deps migrate seed clean help

help:
	@echo "make run    set everything up and serve the app on http://127.0.0.1:$(PORT) (SQLite, demo data)"
	@echo "make test   set everything up and run the test suite (SANDBOX_TEST_DATABASE_URL for PostgreSQL)"
	@echo "make lint   ruff"

run: system-deps $(VENV)/.installed-run migrate seed
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: system-deps test-deps browser-deps $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

migrate: $(VENV)/.installed-run
	$(FLASK) db upgrade

seed: $(VENV)/.installed-run
	$(FLASK) seed-demo

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

# WeasyPrint needs Pango, and HarfBuzz's subsetter to embed fonts quickly (letters, dossiers).
SYSTEM_LIBS := libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0
SYSTEM_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

system-deps:
	@missing=""; for lib in $(SYSTEM_LIBS); do /sbin/ldconfig -p | grep -q "$$lib" || missing="$$missing $$lib"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing system libraries:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing system libraries:$$missing"; \
	    echo "Install them with your package manager, e.g. on Debian/Ubuntu:"; \
	    echo "  sudo apt-get install $(SYSTEM_PACKAGES)"; \
	    exit 1; \
	  fi; \
	fi

# The letter tests check every PDF with qpdf (structure) and poppler's pdffonts, pdftotext, pdfinfo and pdfdetach.
TEST_TOOLS := qpdf pdffonts pdftotext pdfinfo pdfdetach
TEST_PACKAGES := qpdf poppler-utils

test-deps:
	@missing=""; for tool in $(TEST_TOOLS); do command -v "$$tool" >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing the PDF checking tools:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PACKAGES) >/dev/null; \
	  else \
	    echo "Missing PDF checking tools:$$missing: the letter tests that need them will be skipped."; \
	    echo "Install them with your package manager, e.g. on Debian/Ubuntu:"; \
	    echo "  sudo apt-get install $(TEST_PACKAGES)"; \
	  fi; \
	fi

# The browser tests drive Debian's Chromium through Playwright (never a downloaded browser build).
browser-deps:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is not installed: the browser tests will be skipped (sudo apt-get install chromium)."; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache dist build
