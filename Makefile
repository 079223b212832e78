# The two commands of the README: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/dagster_home
export DAGSTER_TELEMETRY_ENABLED := false

.PHONY: setup browser demo test test-fast lint chaos bench ui clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	@echo ">>> Installing arxiv-monitor. The CPU LLM server, llama.cpp (llama-cpp-python[server]), is compiled"
	@echo ">>> from source by pip: about 5 minutes on 2 cores, once (pip caches the wheel); nothing is printed meanwhile."
	@# Without its multimodal library (LLAVA_BUILD): nothing here sends an image, so it need not be compiled.
	CMAKE_ARGS="-DLLAVA_BUILD=OFF" $(BIN)/pip install --quiet -e ".[dev,cpu]"
	touch $@

setup: $(BIN)/.installed

# The site's tests load the pages in a real browser: Debian's chromium (and a CJK font, so that the kept
# screenshot shows the Chinese report), installed when missing. Nothing downloads a browser build of its own.
browser:
	@command -v chromium >/dev/null || { echo ">>> Installing Debian's chromium for the site's browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium fonts-wqy-zenhei; }

demo: setup
	$(BIN)/arxiv-monitor demo

# The whole suite, LLM server and demo included (CI: .ci/run): the tests that need no LLM server on both
# cores (pytest-xdist), then those that do, serially, so that one LLM server runs at a time.
# One LLM test runs the default model on a real paper: pulled (once, verified) before the suite.
test: setup browser
	$(BIN)/arxiv-monitor model pull
	$(BIN)/pytest -q -n 2 -m "not llm"
	$(BIN)/pytest -q -m llm --durations=15

# Everyday lane: no LLM server, no demo subprocess; two test processes (pytest-xdist), one per core.
test-fast: setup browser
	$(BIN)/pytest -q -n 2 -m "not llm"

lint: setup
	$(BIN)/ruff check .

# The resilience suite alone, showing what each scenario injected and checked.
chaos: setup
	$(BIN)/pytest -q -s tests/resilience

bench: setup
	$(BIN)/pip install --quiet -e ".[dev,cpu,bench]"
	$(BIN)/python -m bench.run

ui: setup
	$(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf data dagster_home/storage dagster_home/history dagster_home/schedules dagster_home/logs
