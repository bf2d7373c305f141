# One task runner. CI runs `make test` (through .ci/run) on a fresh machine, so every target
# installs what it needs itself.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NATIVE := $(VENV)/.native-stamp
# The modules hub/native.py compiles (its COMPILED), and itself: an edit rebuilds the twins.
NATIVE_SOURCES := hub/native.py hub/fhir/_shapes.py
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_DIR ?= var/demo

.PHONY: install run test check bench chromium clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dev]"
	touch $(STAMP)

# Compiled twins of the hot modules (hub/native.py), outside the source tree. Without a C
# compiler the build fails, says so, and the plain sources run: slower, same results.
$(NATIVE): $(STAMP) $(NATIVE_SOURCES)
	$(PY) -c "import sys, hub.native; sys.exit(hub.native.main(['build']))" || true
	touch $(NATIVE)

install: $(STAMP) $(NATIVE)

# Browser tests drive Debian's Chromium; Playwright's own browser download is never used.
chromium:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "chromium is missing and we are not root: browser tests will be skipped"; \
	fi

run: $(STAMP) $(NATIVE)
	$(VENV)/bin/msix demo --data-dir $(DEMO_DIR) --host $(HOST) --port $(PORT)

test: $(STAMP) $(NATIVE) chromium
	$(PY) -m pytest

check: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP) $(NATIVE)
	$(PY) -m pip install --quiet -e ".[bench]"
	@# -P: a bench file must never shadow a package of the same name (bench/fhir_*.py vs fhir)
	@for script in bench/*.py; do $(PY) -P $$script || exit 1; done

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache .hypothesis
