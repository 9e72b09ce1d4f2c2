# Trygghetsfonden — `make run` starts the demo, `make test` runs the tests.
# Everything lives in .venv; system libraries come from apt-get when missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# make run and make check are development: a demo secret key, no Secure-only cookie.
FLASK := TF_ENVIRONMENT=development $(BIN)/flask --app app
HOST := 127.0.0.1
PORT := 5000
PYTEST_ARGS ?=
# Test processes (pytest-xdist): one per core; each test file stays in one process, so a file's
# module-scoped fixtures (a browser, a served app) are set up once.
TEST_WORKERS ?= auto

# Debian packages: WeasyPrint (HarfBuzz subsetting, Pango), PDF text checks (poppler-utils),
# upload type sniffing (libmagic1) and the letters' font (DejaVu).
SYSTEM_PACKAGES := libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils \
	libmagic1 fonts-dejavu-core
# Only for `make test`: the browser tests drive Debian's Chromium (never a downloaded browser).
TEST_SYSTEM_PACKAGES := chromium

.DEFAULT_GOAL := help
.PHONY: help run test lint check bench migration clean system-packages test-system-packages \
	node-modules

help:
	@echo "make run                 start the demo at http://$(HOST):$(PORT) (creates .venv, database, demo data)"
	@echo "make test                run the tests (PYTEST_ARGS=... to pass options to pytest)"
	@echo "make lint                ruff check ."
	@echo "make check               check processes/ and forms/ (also with bpmnlint)"
	@echo "make node-modules        install the bpmn.io tools (bpmn-js, bpmnlint) from package-lock.json, copy the map's viewer to static/"
	@echo "make bench               run the benchmarks (engine, letters, exports)"
	@echo "make upgrade             upgrade every dependency within setup.cfg's ranges (rewrites requirements/*.txt)"
	@echo "make migration m=\"...\"   autogenerate an Alembic revision from the models"
	@echo "make clean               remove caches and build output (keeps .venv and instance/)"

run: system-packages $(VENV)/.installed node-modules
	@mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load
	@echo
	@echo "Trygghetsfonden: http://$(HOST):$(PORT)"
	@$(FLASK) demo logins
	@echo
	TF_TIMER_THREAD=1 $(FLASK) run --host $(HOST) --port $(PORT)

test: system-packages test-system-packages $(VENV)/.installed-test node-modules
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

check: system-packages $(VENV)/.installed node-modules
	$(FLASK) processes check
	node_modules/.bin/bpmnlint processes/*.bpmn

bench: system-packages $(VENV)/.installed
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/letters.py
	$(BIN)/python bench/exports.py

ifneq ($(filter migration,$(MAKECMDGOALS)),)
ifeq ($(strip $(m)),)
$(error usage: make migration m="what changed")
endif
endif

# Brings the development database to head first: autogenerate diffs against it.
migration: $(VENV)/.installed-test
	@mkdir -p instance
	$(BIN)/alembic upgrade head
	$(BIN)/alembic revision --autogenerate -m "$(m)"
	$(BIN)/ruff check --fix migrations/versions

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache htmlcov .coverage bench/results
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# --- virtualenv ---------------------------------------------------------------------------
# A venv without pip (Debian without python3-venv) is removed again so the next run retries.
$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null \
		|| $(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES=python3-venv
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

# Installs come from the locks (every package pinned, with hashes); setup.cfg keeps the ranges
# for people who install the package. The package itself is installed editable, built with the
# setuptools of the lock. Stamps: reinstall only when a lock or the package metadata changes.
PIP_INSTALL := $(BIN)/python -m pip install --quiet --disable-pip-version-check
LOCK_INSTALL = $(PIP_INSTALL) --require-hashes -r $(1) \
	&& $(PIP_INSTALL) --no-deps --no-build-isolation -e . \
	&& $(BIN)/python -m pip check

$(VENV)/.installed: requirements/main.txt setup.cfg pyproject.toml | $(BIN)/python
	$(call LOCK_INSTALL,requirements/main.txt)
	@touch $@

$(VENV)/.installed-test: requirements/test.txt setup.cfg pyproject.toml | $(BIN)/python
	$(call LOCK_INSTALL,requirements/test.txt)
	@touch $@ $(VENV)/.installed

# Upgrading is this one command: resolve setup.cfg's ranges anew into both locks, then install.
# (`make lock` without upgrading only adds what setup.cfg newly asks for.)
PIP_COMPILE := $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
.PHONY: lock upgrade
lock: $(VENV)/.installed-test
	$(PIP_COMPILE) $(LOCK_FLAGS) -o requirements/main.txt setup.cfg requirements/build.in
	$(PIP_COMPILE) $(LOCK_FLAGS) --extra test -o requirements/test.txt setup.cfg requirements/build.in

upgrade:
	$(MAKE) --no-print-directory lock LOCK_FLAGS=--upgrade
	$(MAKE) --no-print-directory $(VENV)/.installed-test

# --- npm: bpmn.io tools -------------------------------------------------------------------
# bpmn-js (node_modules/bpmn-js/dist, a static asset for the process map; the round-trip test)
# and bpmnlint, pinned with integrity hashes by package-lock.json. `npm ci` installs exactly
# the lock (and empties node_modules/ first, so the stamp inside it goes too); no install
# scripts run. Reinstalls only when package.json or the lock changes.
NODE_STAMP := node_modules/.installed
# The process map's viewer, copied from the lock's bpmn-js into the app's static files (served
# by the app itself, no CDN; not committed: .gitignore). The Dockerfile copies the same files.
VENDOR_BPMN := app/web/static/vendor/bpmn-js
VENDOR_FILES := bpmn-navigated-viewer.production.min.js assets/diagram-js.css assets/bpmn-js.css

node-modules: $(NODE_STAMP) $(VENDOR_BPMN)/.copied

$(VENDOR_BPMN)/.copied: $(NODE_STAMP)
	@if [ -d node_modules/bpmn-js/dist ]; then \
		mkdir -p $(VENDOR_BPMN) \
		&& for f in $(VENDOR_FILES); do cp node_modules/bpmn-js/dist/$$f $(VENDOR_BPMN)/; done \
		&& touch $@; \
	fi

$(NODE_STAMP): package.json package-lock.json
	@if ! command -v npm >/dev/null 2>&1; then \
		echo "warning: npm not found; install Node.js >= 20 with npm for bpmnlint and the browser tests" >&2; \
		exit 0; \
	fi; \
	npm ci --ignore-scripts --no-audit --no-fund && touch $@

# --- system packages ----------------------------------------------------------------------
# Installs only what dpkg says is missing; warns instead of failing when that is impossible.
system-packages:
	@missing=""; \
	for pkg in $(SYSTEM_PACKAGES); do \
		dpkg -s "$$pkg" >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "warning: apt-get not found; install these yourself:$$missing" >&2; exit 0; \
	fi; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo="sudo"; \
	echo "Installing system packages:$$missing"; \
	if ! { $$sudo apt-get update -qq \
		&& $$sudo env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $$missing; }; then \
		echo "warning: could not install$$missing; PDF letters and some tests may fail" >&2; \
	fi

test-system-packages:
	@$(MAKE) --no-print-directory system-packages SYSTEM_PACKAGES="$(TEST_SYSTEM_PACKAGES)"

# --- translations -------------------------------------------------------------------------
# Extracts the Swedish source strings, merges them into app/translations/en and compiles the
# .mo (committed, so installs need no compile step). Translate new/fuzzy entries, then rerun.
.PHONY: translations
translations: $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -w 100 -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching -w 100
	$(BIN)/pybabel compile -d app/translations
