# The two entry points: `make local` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The JavaScript clients the local-stack tests run (tests/clients: Amplify, Apollo + aws-appsync links).
CLIENTS_STAMP := tests/clients/node_modules/.installed

.PHONY: install local test lint unit policy clean

install: $(PY_STAMP) $(NODE_STAMP) $(CLIENTS_STAMP)

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --legacy-peer-deps --no-audit --no-fund
	touch $@

$(CLIENTS_STAMP): tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund
	touch $@

local: install
	$(BIN)/chatstack local --stack dev

lint: install
	$(BIN)/ruff check .
	npm run --silent lint

unit: install
	$(BIN)/python -m pytest

policy: install
	$(BIN)/chatstack policy --all

test: lint unit
	$(BIN)/chatstack policy --all

clean:
	rm -rf $(VENV) node_modules tests/clients/node_modules .pytest_cache .hypothesis
