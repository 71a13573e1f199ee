# heroku-mcp-toolkit: `make demo` runs the main job on embedded defaults, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast bench inspect clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

test: $(STAMP)
	$(PY) -m pytest

# The fast tier (about a minute): everything but the tests marked `slow` in tests/conftest.py.
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

bench: $(STAMP)
	$(PY) scripts/bench.py

# The MCP Inspector (pinned 2.12.0, with its own Node 22 from npm) on one server over STDIO:
# `make inspect SERVER=postgres` or `make inspect SERVER=appdiag`.
SERVER ?= postgres
inspect: $(STAMP)
	$(PY) scripts/inspector.py web $(SERVER)

clean:
	rm -rf $(VENV) .data .pytest_cache
