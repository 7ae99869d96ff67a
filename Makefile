# Frontline: `make demo` runs the main job, `make test` runs lint, types and every test.
# Both set up everything they need on a fresh machine (Python 3.11+, Java 17+, Maven).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DATA_DIR ?= .frontline

.PHONY: help venv jars debs lint typecheck test test-unit test-integration demo bench bench-smoke clean broker-down

help:
	@echo "make demo   - start a local Kafka, create the topics and run the exercise"
	@echo "make test   - set up, lint, type-check and run every test (unit, integration, e2e)"
	@echo "make bench  - run the benchmark suite and write docs/benchmarks.md and .json"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Resolve the pinned Kafka jars once into ~/.cache/frontline (Maven Central).
jars: venv
	$(BIN)/python -c "from gateway.broker import resolve_runtime; r = resolve_runtime(); print('kafka', r.kafka_version, 'jars in', r.lib_dir)"

# Debian packages the tests use: Prometheus and promtool (rule and scrape tests), chromium and
# chromium-driver (the officer's console in a real browser, driven by selenium).
debs:
	@missing=""; \
	command -v promtool >/dev/null 2>&1 || missing="$$missing prometheus"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v chromedriver >/dev/null 2>&1 || missing="$$missing chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: venv
	$(BIN)/mypy

test: venv jars debs lint typecheck
	$(BIN)/pytest

test-unit: venv
	$(BIN)/pytest tests/unit

test-integration: venv jars
	$(BIN)/pytest tests/integration tests/e2e

# The main job: a one-minute exercise of every organization, the hub, the national nodes
# and the border posts on a local Apache Kafka, ending with reports/latest/report.html.
DEMO_PORT ?= 9092
DEMO_ARGS ?= --duration 60s
demo: venv jars
	$(BIN)/frontline broker up --data-dir $(DATA_DIR)/broker --port $(DEMO_PORT)
	FRONTLINE_BOOTSTRAP_SERVERS=127.0.0.1:$(DEMO_PORT) $(BIN)/frontline simulate $(DEMO_ARGS) --report reports/latest
	@echo "Report: reports/latest/report.html  ·  broker still running; stop it with: make broker-down"

# The benchmark suite: every figure beside its reference measured in the same run, on a
# broker of its own; rewrites the generated part of docs/benchmarks.md (about 25 minutes).
bench: venv jars
	$(BIN)/python -m bench.suite --out docs/benchmarks.md --json docs/benchmarks.json

# Tiny sizes: checks the harness in a few minutes (CI runs it as a test).
bench-smoke: venv jars
	$(BIN)/python -m bench.suite --smoke --out /tmp/frontline-bench-smoke.md --json /tmp/frontline-bench-smoke.json

broker-down: venv
	$(BIN)/frontline broker down --data-dir $(DATA_DIR)/broker

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
