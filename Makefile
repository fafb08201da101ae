# Two commands do all set-up on a machine that has only python3:
#   make demo   build the platform against the local AWS emulator and audit it
#   make test   lint, unit, molecule and integration tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: venv demo test lint unit integration molecule bench clean

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

demo: venv
	$(BIN)/python tools/demo.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --profile production
	$(BIN)/hadolint files/sidecar/Dockerfile files/images/airflow/Dockerfile

test: venv lint
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m pytest

unit: venv
	$(BIN)/python -m pytest tests/unit

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
