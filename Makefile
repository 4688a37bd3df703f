# `make run`: set up a virtual environment and evaluate the candidates with harness.toml.
# `make test`: set up and run the test suite.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: setup run test validate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/harness run --config harness.toml

validate: $(STAMP)
	$(BIN)/harness validate --config harness.toml

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) .cache reports/2* reports/latest
