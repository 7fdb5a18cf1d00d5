# The two commands a newcomer needs: `make run` and `make test`.
# Both build the virtual environment from the lock file first (only Python 3.11+ and
# make are assumed on the machine).

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
SYNCED := $(VENV)/.synced
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint typecheck test-sqlite test-postgres bench sandbox clean

# The developer's own processes: local settings unless told otherwise, also in a copy
# of the code without `.git`, where `manage.py` would refuse to guess (README).
run sandbox: export DJANGO_SETTINGS_MODULE ?= config.settings.local

run: $(SYNCED)  ## Start web, gateway sandbox, Celery worker and beat with demo data.
	$(BIN)/python manage.py devstack

test: lint typecheck test-sqlite test-postgres  ## The whole suite (the import rule is a test).

lint: $(SYNCED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(SYNCED)
	$(BIN)/mypy .

test-sqlite: $(SYNCED)  ## Every test on the embedded SQLite database.
	DATABASE_URL= $(BIN)/pytest -m "not postgres"

test-postgres: $(SYNCED)  ## The database tests again, on PostgreSQL (not the browser).
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -m "(django_db or postgres) and not browser"

bench: $(SYNCED)  ## Benchmarks that print their figures.
	$(BIN)/python -m bench

sandbox: $(SYNCED)  ## Only the gateway sandbox, on port 8100.
	$(BIN)/python manage.py gateway_sandbox --port 8100

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

clean:
	rm -rf $(VENV) $(TOOLS) var .mypy_cache .ruff_cache
