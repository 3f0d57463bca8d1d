# The README's commands. Only python3 (3.11+) is needed; everything else is installed into .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PLUGINS := $(sort $(wildcard plugins/*/pyproject.toml))
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(PLUGINS))
FRONTEND := src/eventyay/frontend
HOST ?= 127.0.0.1
PORT ?= 8000
# Absolute links (mails, exports, join links) name the address the server really listens on,
# unless the site is published under an address of its own.
EVENTYAY_SITE_URL ?= http://$(HOST):$(PORT)
RUN_ENV := EVENTYAY_SITE_URL=$(EVENTYAY_SITE_URL)
# Test plugins, one of them broken on purpose: installed for the test run only.
TEST_PLUGINS := $(VENV)/.test-plugins
PYTEST_ARGS ?=
# Test processes per pytest session (pytest-xdist), e.g. `make test PYTEST_WORKERS=auto` on a machine
# with many cores. 0 runs each session in one process: on two cores, setting up a test database
# per process costs about what the second process saves.
PYTEST_WORKERS ?= 0
BENCH_ARGS ?=
FUZZ_EXAMPLES ?= 25

.PHONY: install run test lint format docs bench fuzz worker beat clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml $(PLUGINS) $(FRONTEND)/package.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' $(foreach dir,$(PLUGIN_DIRS),-e '$(dir)[dev]')
	$(VENV)/bin/npm install --prefix $(FRONTEND) --no-audit --no-fund --no-package-lock --loglevel=error
	touch $@

$(TEST_PLUGINS): $(VENV)/.installed tests/dummy_plugin/pyproject.toml
	$(PY) -m pip install --quiet --no-deps -e tests/dummy_plugin
	touch $@

run: install
	@if $(PY) -m pip show --quiet eventyay-dummy >/dev/null 2>&1; then \
		$(PY) -m pip uninstall --quiet --yes eventyay-dummy; fi; rm -f $(TEST_PLUGINS)
	$(RUN_ENV) $(PY) -m eventyay migrate --noinput
	$(RUN_ENV) $(PY) -m eventyay demo
	$(RUN_ENV) $(PY) -m eventyay collectstatic --noinput --verbosity 0
	$(RUN_ENV) $(VENV)/bin/uvicorn eventyay.config.asgi:application --host $(HOST) --port $(PORT) --lifespan off \
		--ws websockets-sansio --ws-per-message-deflate false --ws-max-size 65536

# Core and each plugin distribution run as separate pytest sessions, as each would on its own,
# TEST_JOBS sessions at a time. Sessions side by side are kept apart by EVENTYAY_TEST_SLOT: each
# has its own test database, Redis database (the configured one plus the slot), data directory
# and coverage data file ($(COVERAGE_FILE).<session>; `coverage combine` joins them).
TEST_JOBS ?= $(if $(filter 0,$(PYTEST_WORKERS)),2,1)
COVERAGE_FILE ?= .coverage
# The longest sessions first, so that the short ones fill the gaps at the end.
TEST_SESSIONS := core $(foreach name,tickets video talk campaigns,$(filter $(name),$(notdir $(PLUGIN_DIRS)))) \
	$(filter-out tickets video talk campaigns,$(notdir $(PLUGIN_DIRS)))

test: install $(TEST_PLUGINS)
	@$(MAKE) --no-print-directory --keep-going --output-sync=target -j$(TEST_JOBS) \
		$(addprefix test-session-,$(TEST_SESSIONS))

define test_session
.PHONY: test-session-$(1)
test-session-$(1):
	@echo "=== $(1)"
	EVENTYAY_TEST_SLOT=$(2) COVERAGE_FILE=$(abspath $(COVERAGE_FILE)).$(1) \
		$(PY) -m pytest $(if $(filter core,$(1)),,-c plugins/$(1)/pyproject.toml --rootdir plugins/$(1)) \
		-n $(PYTEST_WORKERS) $(PYTEST_ARGS) $(if $(filter core,$(1)),tests,plugins/$(1)/tests)
endef
$(foreach slot,$(shell seq 0 $$(($(words $(TEST_SESSIONS)) - 1))),\
	$(eval $(call test_session,$(word $(shell echo $$(($(slot) + 1))),$(TEST_SESSIONS)),$(slot))))

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy src $(foreach dir,$(PLUGIN_DIRS),$(dir)/src)

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

docs: install
	$(MAKE) -C doc html SPHINXBUILD=../$(VENV)/bin/sphinx-build

bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

# Every schemathesis phase (coverage too) over every API operation, with more examples than `make test`.
fuzz: install
	EVENTYAY_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -s $(PYTEST_ARGS) tests/api/test_fuzz.py

worker: install
	$(VENV)/bin/celery -A eventyay.config.celery worker --loglevel=INFO

beat: install
	$(VENV)/bin/celery -A eventyay.config.celery beat --loglevel=INFO

clean:
	rm -rf $(VENV) $(FRONTEND)/node_modules
