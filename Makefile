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
# The gRPC code generated from the .proto files (never committed), and the buf CLI
# (from its npm package, pinned in tools/buf/package-lock.json) that lints them.
# The folders too: adding or removing a .proto file changes its folder's time.
PROTOS := $(shell find grpc_api/protos -name '*.proto' -o -type d)
GENERATED := grpc_api/generated/__init__.py
BUF := $(TOOLS)/buf/node_modules/.bin/buf
BUILT := $(SYNCED) $(GENERATED)
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
# The two database passes run side by side, so each counts in a Redis database of
# its own (tests flush theirs); RabbitMQ tests already use private queues and vhosts.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_POSTGRES_REDIS_URL ?= redis://127.0.0.1:6379/14

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# The suite, `make run` and `make stack` start dozens of Python processes, each
# importing Django and the project: with its bytecode written once, a process starts
# on a third of the CPU it takes to compile every module again (about 2 s against 6
# on a two-core machine). An environment that asks for no bytecode is overruled here.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run stack stack-manage test lint typecheck protos lint-protos test-sqlite test-postgres bench sandbox screenshots clean

# The developer's own processes: local settings unless told otherwise, also in a copy
# of the code without `.git`, where `manage.py` would refuse to guess (README).
run sandbox: export DJANGO_SETTINGS_MODULE ?= config.settings.local

run: $(BUILT)  ## Start web, gRPC, gateway sandbox, Celery worker and beat with demo data.
	$(BIN)/python manage.py devstack

# The production topology on this machine, against the local PostgreSQL, RabbitMQ and
# Redis (docs/operations.md#make-stack). .env.stack is read by the shell, so that a
# STACK_* variable of the environment wins over the file (honcho's own env file would
# win over the environment); honcho then adds only the tokens that prepare_stack wrote.
STACK_ENV = set -a && . ./.env.stack && set +a && PATH="$(CURDIR)/$(BIN):$$PATH"
STACK_TOKENS = "$$VAR_DIR/service-tokens.env"

stack: $(BUILT)  ## Web, gRPC, a worker per queue, beat, consumer, Flower and sandbox.
	@$(STACK_ENV) && \
	python manage.py prepare_stack --tokens-file $(STACK_TOKENS) \
		--flower-url "http://127.0.0.1:$$STACK_FLOWER_PORT/" \
		--webhooks-url "http://127.0.0.1:$$STACK_EDGE_PORT/webhooks/" && \
	exec honcho start --procfile Procfile --env $(STACK_TOKENS)

# A management command on the stack's settings and database, as the stack's processes
# see them: `make stack-manage ARGS=createsuperuser`.
stack-manage: $(BUILT)  ## A management command on the stack: ARGS=createsuperuser.
	@$(STACK_ENV) && exec python manage.py $(ARGS)

# The two database passes run at once (much of each is waiting on servers, browsers
# and subprocesses): PostgreSQL's output is kept in var/ and printed after SQLite's.
test: lint lint-protos typecheck  ## The whole suite (the import rule is a test).
	@mkdir -p var
	@$(MAKE) --no-print-directory test-postgres > var/test-postgres.log 2>&1 & \
	postgres=$$!; \
	$(MAKE) --no-print-directory test-sqlite; sqlite=$$?; \
	wait $$postgres; postgres=$$?; \
	echo "--- PostgreSQL pass (var/test-postgres.log) ---"; cat var/test-postgres.log; \
	[ $$sqlite -eq 0 ] && [ $$postgres -eq 0 ]

lint: $(BUILT)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# buf's STANDARD rules, and no breaking change against main's contracts: the local
# `main` branch, else `origin/main` (a clone on another branch). buf fails on a ref
# without any .proto file, so until main has some there is nothing to break.
lint-protos: $(BUF)
	$(BUF) lint
	@ref=$$(git rev-parse --verify -q main >/dev/null && echo main || echo origin/main); \
	if git ls-tree -r --name-only "$$ref" -- grpc_api/protos 2>/dev/null | grep -q '\.proto$$'; then \
		$(BUF) breaking --against ".git#ref=$$ref,subdir=grpc_api/protos"; \
	else echo "$$ref has no .proto files yet: no breaking change to check"; fi

typecheck: $(BUILT)
	$(BIN)/mypy .

test-sqlite: $(BUILT)  ## Every test on the embedded SQLite database.
	DATABASE_URL= TEST_REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -m "not postgres"

test-postgres: $(BUILT)  ## The database tests again, on PostgreSQL (not the browser).
	DATABASE_URL=$(TEST_POSTGRES_URL) TEST_REDIS_URL=$(TEST_POSTGRES_REDIS_URL) \
		$(BIN)/pytest -m "(django_db or postgres) and not browser and not database_independent"

# README's pictures of the shop, as the browser tests see its pages.
screenshots: $(BUILT)  ## Retake docs/screenshots/ with the browser tests.
	DATABASE_URL= $(BIN)/pytest tests/browser -m browser --screenshots docs/screenshots

bench: $(BUILT)  ## Benchmarks that print their figures.
	$(BIN)/python -m bench

sandbox: $(SYNCED)  ## Only the gateway sandbox, on port 8100.
	$(BIN)/python manage.py gateway_sandbox --port 8100

protos: $(GENERATED)  ## Regenerate grpc_api/generated/ from the .proto files.

$(GENERATED): $(PROTOS) grpc_api/protos/generate $(SYNCED)
	grpc_api/protos/generate $(BIN)/python

$(BUF): tools/buf/package.json tools/buf/package-lock.json
	mkdir -p $(TOOLS)/buf
	cp tools/buf/package.json tools/buf/package-lock.json $(TOOLS)/buf/
	npm ci --prefix $(TOOLS)/buf --no-audit --no-fund --silent
	@touch $@

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet uv==$(UV_VERSION)

$(SYNCED): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --python $(PYTHON)
	@touch $@

clean:
	rm -rf $(VENV) $(TOOLS) var .mypy_cache .ruff_cache grpc_api/generated
