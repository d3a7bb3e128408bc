# Two entry points: `make demo` and `make test`. Each sets up everything it needs.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSSTAMP := $(VENV)/.system-packages
DEMO_DIR ?= var/demo
DEMO_CLIENTS ?= 20000

.PHONY: demo test test-all lint bench setup system-packages clean

setup: $(STAMP)

# System packages: CJK fonts for Chinese PDFs, poppler to turn PDFs into PNGs in tests,
# pango for WeasyPrint, wrk to load the risk API in bench/bench_api.py. Installed only
# when one is missing.
SYSTEM_PACKAGES := fonts-noto-cjk poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 wrk
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing system packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

# torch first, from the CPU wheel, so that no dependency pulls a CUDA build.
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(MAKE) system-packages
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/attrition demo --out $(DEMO_DIR) --clients $(DEMO_CLIENTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -q

test-all: $(STAMP)
	$(BIN)/pytest -q -m ''

bench: $(STAMP)
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_features.py
	$(BIN)/python bench/bench_models.py
	$(BIN)/python bench/bench_sequences.py
	$(BIN)/python bench/bench_sequence_quality.py
	$(BIN)/python bench/bench_explain.py
	$(BIN)/python bench/bench_score.py
	$(BIN)/python bench/bench_api.py
	$(BIN)/python bench/bench_reports.py

clean:
	rm -rf $(VENV) var .pytest_cache
