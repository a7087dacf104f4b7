# The two entry points: `make local` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The JavaScript clients the local-stack tests run (tests/clients: Amplify, Apollo + aws-appsync links).
CLIENTS_STAMP := tests/clients/node_modules/.installed
WEB_STAMP := web/node_modules/.installed

.PHONY: install chromium web local test lint unit pytest conformance policy clean

install: $(PY_STAMP) $(NODE_STAMP) $(CLIENTS_STAMP) $(WEB_STAMP) chromium

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

$(WEB_STAMP): web/package.json web/package-lock.json
	npm --prefix web ci --no-audit --no-fund
	touch $@

# The browser tests drive Debian's chromium (Playwright with its executable path; Playwright's
# own browser download is not reachable here).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "make: installing Debian's chromium (browser tests)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	} || { echo "make: chromium is missing and 'apt-get install chromium' failed (needs root or sudo; or install it yourself)" >&2; exit 1; }
	@command -v chromium >/dev/null 2>&1 || { echo "make: chromium still missing after apt-get" >&2; exit 1; }

# The web client's production build (web/dist), rebuilt when older than its sources.
web: install
	$(BIN)/python -m chatstack.local.web

# Options pass through: make local ARGS='--config attendeeAuth=oidc'
local: install
	$(BIN)/chatstack local --stack dev $(ARGS)

lint: install
	$(BIN)/ruff check .
	npm run --silent lint
	npm --prefix web run --silent lint

# Every test (make test runs this), and the quick ones: no served stack, no browser, no package build.
pytest: install web
	$(BIN)/python -m pytest

unit: install
	$(BIN)/python -m pytest -q -m "not served and not browser and not slow"

policy: install
	$(BIN)/chatstack policy --all

# The APPSYNC_JS conformance suite: per-area pass counts; fails below its floor.
conformance: install
	$(BIN)/python -m appsync_local.conformance

test: lint pytest conformance
	$(BIN)/chatstack policy --all

clean:
	rm -rf $(VENV) node_modules tests/clients/node_modules web/node_modules web/dist .pytest_cache .hypothesis
