# heroku-mcp-toolkit: `make demo` runs the main job on embedded defaults, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo demo-db test test-fast bench inspect requirements clean

# The deploy's exact pins (requirements.txt) constrain the local install too, so tests run what Heroku runs;
# the extras add the embedded PostgreSQL and the test tools, which Heroku never installs. Its last line, `.`
# (the project, which the slug installs compiled), is no constraint: locally the project is editable.
$(STAMP): pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	grep -vx '\.' requirements.txt > $(VENV)/constraints.txt
	$(PY) -m pip install --quiet -c $(VENV)/constraints.txt -e '.[embedded,test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(PY) scripts/demo.py

# Reseed `demo`, the database mcp-postgres uses without DATABASE_URL (seeded once on first use otherwise).
demo-db: $(STAMP)
	$(PY) -m mcp_servers.postgres.seed.demo

# Three pytest-xdist workers, one test module each at a time (`--dist loadfile`: a module's fixtures start once).
# Most of the suite's time is spent waiting on real servers and PostgreSQL, so 2 cores serve 3 workers;
# each worker has its own session servers (tests/conftest.py). `make test WORKERS=0` runs in one process.
WORKERS ?= 3
PYTEST := $(PY) -m pytest -n $(WORKERS) --dist loadfile

test: $(STAMP)
	$(PYTEST)

# The fast tier (about a minute): everything but the tests marked `slow` in tests/conftest.py.
test-fast: $(STAMP)
	$(PYTEST) -m "not slow"

bench: $(STAMP)
	$(PY) scripts/bench.py

# The MCP Inspector (pinned 2.12.0, with its own Node 22 from npm) on one server over STDIO:
# `make inspect SERVER=postgres` or `make inspect SERVER=appdiag`.
SERVER ?= postgres
inspect: $(STAMP)
	$(PY) scripts/inspector.py web $(SERVER)

# Regenerate requirements.txt from pyproject.toml's runtime dependencies (needs PyPI; tests fail when stale).
requirements: $(STAMP)
	$(PY) scripts/lock_requirements.py

clean:
	rm -rf $(VENV) .data .pytest_cache
