# Two commands do all set-up on a machine that has only python3:
#   make demo   build the platform against the local AWS emulator and audit it
#   make test   lint, unit, molecule and integration tests
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)

.PHONY: venv gate-venv demo cost molecule test test-fast test-packages lint unit bench-deploy clean e2e e2e-venv \
	e2e-packages

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

# Checkov, for plan_gate, in a venv of its own: it pins boto3 and networkx below the main venv's.
# Its bin/ goes on PATH after .venv/bin, so `checkov` resolves there and nothing else shadows .venv.
GATE_VENV  := .gate-venv
GATE_STAMP := $(GATE_VENV)/.installed-$(shell cat requirements-gate.txt | cksum | cut -d' ' -f1)

$(GATE_STAMP): requirements-gate.txt
	$(PYTHON) -m venv $(GATE_VENV)
	$(GATE_VENV)/bin/python -m pip install -q --upgrade pip
	$(GATE_VENV)/bin/python -m pip install -q -r requirements-gate.txt
	rm -f $(GATE_VENV)/.installed-*
	touch $@

gate-venv: $(GATE_STAMP)

demo: venv gate-venv
	PATH=$(CURDIR)/$(BIN):$$PATH:$(CURDIR)/$(GATE_VENV)/bin $(BIN)/python tools/demo.py

# make cost ENV=prod: the monthly estimate of inventories/$(ENV) (default local), from the inventory
# alone (no AWS call): printed, and written to reports/cost-$(ENV).{json,txt,md,svg}.
ENV ?= local
cost: venv
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-playbook playbooks/cost.yml -i inventories/$(ENV)

# make molecule ROLE=kms: one role's scenario (converge, idempotence, verify) against a fresh
# emulator it starts on a free loopback port and stops afterwards (tools/molecule_scenario.py).
molecule: venv
	$(BIN)/python tools/molecule_scenario.py $(ROLE)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --profile production
	$(BIN)/hadolint files/sidecar/Dockerfile files/images/airflow/Dockerfile

# The queue-depth tests need a real redis-server (Debian package): installed when missing.
test-packages:
	@command -v redis-server >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y redis-server) || echo "redis-server could not be installed: the queue-depth tests will skip, saying why"

PYTEST := PATH=$(CURDIR)/$(BIN):$$PATH:$(CURDIR)/$(GATE_VENV)/bin $(BIN)/python -m pytest
# Two xdist workers (this machine has 2 cores): the deployed-stack tests (e2e proof, test_site) form
# one group on one worker, each molecule scenario is a unit of its own, every other test module stays
# on one worker; the long units go first (tests/conftest.py).
PYTEST_WORKERS ?= 2
XDIST := -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder
TIMED := $(PYTHON) tools/step_times.py run

# Every test, the end-to-end proof included (real Airflow from the deployed task definitions, on
# the stack test_site shares), then where the time went (per step and per test file).
# `make test-fast` leaves the proof out (and says so).
test:
	@$(PYTHON) tools/step_times.py start
	@$(TIMED) set-up -- $(MAKE) --no-print-directory venv gate-venv test-packages e2e-venv e2e-packages && \
	  $(TIMED) lint -- $(MAKE) --no-print-directory lint && \
	  $(TIMED) pytest -- sh -c '$(PYTEST) $(XDIST) --with-e2e'; \
	  status=$$?; $(PYTHON) tools/step_times.py summary; exit $$status

test-fast: venv gate-venv lint test-packages
	$(PYTEST) $(XDIST)

# make e2e: site.yml into a fresh emulator, then real Airflow 3.1 from the registered task
# definitions against local PostgreSQL and Redis (tests/e2e alone; ~12 min + 2 min for .e2e-venv).
# Needs root for apt-get when PostgreSQL or redis-server is missing.
E2E_VENV  := .e2e-venv
E2E_REQS  := files/images/airflow/requirements.txt files/sidecar/requirements.txt
E2E_STAMP := $(E2E_VENV)/.installed-$(shell cat $(E2E_REQS) | cksum | cut -d' ' -f1)

$(E2E_STAMP): $(E2E_REQS)
	$(PYTHON) -m venv $(E2E_VENV)
	$(E2E_VENV)/bin/python -m pip install -q --upgrade pip
	$(E2E_VENV)/bin/python -m pip install -q --no-deps -r files/images/airflow/requirements.txt
	$(E2E_VENV)/bin/python -m pip install -q --no-deps -e ./files/sidecar
	$(E2E_VENV)/bin/python -m pip check
	rm -f $(E2E_VENV)/.installed-*
	touch $@

e2e-venv: $(E2E_STAMP)

e2e-packages:
	@if ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql redis-server; fi

e2e: venv e2e-venv e2e-packages
	$(PYTEST) -m e2e tests/e2e

# site.yml of this checkout against a baseline commit (default 435f1ef), fresh emulators, alternating:
# first run, no-op re-run and --check wall time, API calls, module runs, slowest tasks (~15 min a round).
BENCH_BASELINE ?= 435f1ef
bench-deploy: venv
	$(BIN)/python benchmarks/deploy_bench.py --baseline $(BENCH_BASELINE) --json reports/bench-deploy.json

unit: venv gate-venv
	$(PYTEST) tests/unit

clean:
	rm -rf $(VENV) $(GATE_VENV) $(E2E_VENV) .pytest_cache .ruff_cache
