# Caseway's developer commands. Every target uses .venv/bin/... directly: no activation needed.
#
#   make run     create .venv if needed, install, migrate, seed once, start web + worker
#   make test    the test suite, then the browser tests in a pytest process of their own
#   make lint    ruff, formatting, import layers, mypy, missing migrations
#   make fmt     format and autofix
#   make bench   the intake benchmark (BENCH=name for another)

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/lib/chromium/chromium
# Extra arguments for both pytest runs, e.g. `make test PYTEST_ARGS="--create-db -x"`.
PYTEST_ARGS ?=
BENCH ?= intake

.PHONY: run test test-unit test-browser lint fmt bench install

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/caseway run

test: test-unit test-browser

test-unit: $(STAMP)
	$(BIN)/pytest -m "not browser" -n auto $(PYTEST_ARGS)

# Playwright's sync API leaves an event loop running, so browser tests get their own process.
# Without Chromium they are skipped on a workstation, never on CI (CI set).
test-browser: $(STAMP)
	@if [ ! -x "$(CHROMIUM)" ] && [ -z "$${CI:-}" ]; then \
		echo "*** Browser tests SKIPPED: no Chromium at $(CHROMIUM) (apt-get install chromium)."; \
	else \
		status=0; DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest -m browser $(PYTEST_ARGS) || status=$$?; \
		if [ $$status -eq 5 ]; then echo "*** No browser tests collected."; status=0; fi; \
		exit $$status; \
	fi

# Runs every check and fails at the end if any failed, so one run shows every problem.
lint: $(STAMP)
	@status=0; \
	echo "--- ruff check"; $(BIN)/ruff check . || status=1; \
	echo "--- ruff format --check"; $(BIN)/ruff format --check . || status=1; \
	echo "--- lint-imports"; $(BIN)/lint-imports || status=1; \
	echo "--- mypy caseway"; $(BIN)/mypy caseway || status=1; \
	echo "--- makemigrations --check"; \
	$(BIN)/caseway makemigrations --check --dry-run || status=1; \
	if [ $$status -ne 0 ]; then echo "*** make lint: some checks FAILED (see above)"; fi; \
	exit $$status

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/caseway bench $(BENCH)
