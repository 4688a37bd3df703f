# `make run`: set up a virtual environment and evaluate the candidates with harness.toml.
# `make test`: set up and run the whole test suite (what CI runs); `make test-fast`: the fast lane.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: setup run test test-fast lint validate gate baseline clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,llm]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/harness run --config harness.toml

validate: $(STAMP)
	$(BIN)/harness validate --config harness.toml

test: $(STAMP)
	$(BIN)/python -m pytest -q -rs

# Leaves out the tests tests/conftest.py marks slow (fresh harness processes, the browser, llama-server, worker
# pools): about 2.5 minutes on 2 cores. Offline: the shipped models load from the installed packages.
test-fast: $(STAMP)
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q -rs -m "not slow"

# ruff lint rules and formatting as configured in pyproject.toml ([tool.ruff]); .ci/run runs it too
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Evaluate, then gate against thresholds and reports/baseline/baseline.json (exit 1 when the gate fails).
gate: $(STAMP)
	$(BIN)/harness run --config harness.toml --quiet
	$(BIN)/harness gate --config harness.toml --markdown reports/gate.md --junit reports/gate.xml

# Record the latest run as the new baseline (commit reports/baseline/baseline.json).
baseline: $(STAMP)
	$(BIN)/harness baseline --config harness.toml

clean:
	rm -rf $(VENV) .cache reports/2* reports/latest reports/gate.*
