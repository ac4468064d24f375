# Two commands: `make run` (the whole platform on this machine) and `make test` (the suite). Needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
WS_PORT ?= $(shell expr $(PORT) + 1)
SITE_URL ?= http://$(HOST):$(PORT)
PYTEST_ARGS ?= -n auto
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: run test lint typecheck install demo demo-tour bench

$(STAMP): requirements/base.txt requirements/prod.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	@touch $(STAMP)

.env:
	cp .env.example .env

install: $(STAMP) .env

run: install
	@mkdir -p .run
	python manage.py migrate --noinput
	python manage.py setup_schedules
	python manage.py seed_demo
	@echo ""
	@echo "  API docs:  http://$(HOST):$(PORT)/api/docs/"
	@echo "  Admin:     http://$(HOST):$(PORT)/admin/"
	@echo "  Ready:     http://$(HOST):$(PORT)/api/v1/ready/"
	@echo "  Live:      ws://$(HOST):$(WS_PORT)/ws/"
	@echo ""
	HOST=$(HOST) PORT=$(PORT) WS_PORT=$(WS_PORT) SITE_URL=$(SITE_URL) python -m config.procfile Procfile

test: install
	python -m pytest $(PYTEST_ARGS)

lint: install
	ruff check .

typecheck: install
	mypy

# The demo world alone (idempotent; `make run` loads it too), and the README's "Try it" walkthrough run against it
# in-process and rolled back, failing on the first answer that differs. DEMO_TOUR_URL=http://127.0.0.1:8000 runs
# the same steps over HTTP against a running `make run` instead (that one changes the world like any client).
demo: install
	python manage.py migrate --noinput
	python manage.py seed_demo

demo-tour: demo
	python manage.py demo_tour $(if $(DEMO_TOUR_URL),--base-url $(DEMO_TOUR_URL))

# The whole platform under a mixed load (bench/load.py): gunicorn on PostgreSQL with Redis, an asyncio client, sign-ins,
# wallet and transaction reads, transfers, contributions, bill orders and loyalty events for BENCH_SECONDS; prints
# throughput and p50/p95/p99 per endpoint and the errors, then runs ledger_check (non-zero exit on either). Drops and
# makes BENCH_DATABASE_URL's database (the role needs CREATEDB); empties BENCH_REDIS_URL's database index.
BENCH_DATABASE_URL ?= postgres://pamoja@127.0.0.1:5432/pamoja_bench_load
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/11
BENCH_SECONDS ?= 20
BENCH_CLIENTS ?= 8

bench: install
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) BENCH_REDIS_URL=$(BENCH_REDIS_URL) \
		python bench/load.py --seconds $(BENCH_SECONDS) --clients $(BENCH_CLIENTS)
