# Insight Loop — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SIZES ?= 10000,100000
IMPORT_ROWS ?= 100000
MIXED_ROWS ?= 50000
PAGE_SIZES ?= 1000,10000,100000
PULSE_PEOPLE ?= 2000
WEBHOOK_EVENTS ?= 10000
THEME_ROWS ?= 100000
PULSE_POSTGRES ?= postgresql://postgres@127.0.0.1:5432/postgres
BACKENDS ?= whoosh,tantivy,postgres
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

##@ Everyday
.PHONY: run
run: $(STAMP) ## Set everything up and serve on http://127.0.0.1:8000 (PORT=8123 for another port)
	$(BIN)/portal db upgrade
	$(BIN)/portal seed
	$(BIN)/portal serve --host $(HOST) --port $(PORT)

.PHONY: test
test: $(STAMP) ## Set up and run the whole test suite (SQLite; PostgreSQL when PORTAL_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: $(STAMP) ## ruff, mypy and the import layers (import-linter)
	$(BIN)/ruff check app tests migrations
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

.PHONY: fmt
fmt: $(STAMP) ## Format the code with ruff
	$(BIN)/ruff format app tests
	$(BIN)/ruff check --fix app tests

##@ Database
.PHONY: migrate
migrate: $(STAMP) ## Apply pending migrations
	$(BIN)/portal db upgrade

.PHONY: revision
revision: $(STAMP) ## New migration from the models: make revision m="what changed"
	$(BIN)/alembic revision --autogenerate -m "$(m)"

.PHONY: seed
seed: $(STAMP) ## Load the demo company into an empty database
	$(BIN)/portal seed

##@ Set-up
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

.PHONY: install
install: $(STAMP) ## Create .venv and install the portal with its test tools

.PHONY: clean
clean: ## Remove the virtual environment and caches (keeps ./var, your data)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

.PHONY: help
help: ## Show this help
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make \033[36m<target>\033[0m\n"} \
	/^[a-zA-Z_-]+:.*?##/ { printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2 } \
	/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Performance
.PHONY: bench
bench: $(STAMP) ## Search per backend at 10k/100k insights, a 100k-row feedback import (../shared/data), a 2,000-person pulse, a 2,000-person org chart import, a mixed load, pages vs a minimal page, 10,000 webhook deliveries, themes' quality and 100k-feedback speed
	$(BIN)/python -m tests.bench.search_bench --sizes $(SIZES) --backends $(BACKENDS)
	$(BIN)/python -m tests.bench.import_bench --rows $(IMPORT_ROWS) --backend tantivy
	$(BIN)/python -m tests.bench.pulse_bench --people $(PULSE_PEOPLE) --postgres "$(PULSE_POSTGRES)"
	$(BIN)/python -m tests.bench.people_bench --people $(PULSE_PEOPLE) --postgres "$(PULSE_POSTGRES)"
	$(BIN)/python -m tests.bench.mixed_bench --rows $(MIXED_ROWS) --writers 20 --postgres "$(PULSE_POSTGRES)"
	$(BIN)/python -m tests.bench.page_bench --sizes $(PAGE_SIZES)
	$(BIN)/python -m tests.bench.webhook_bench --events $(WEBHOOK_EVENTS)
	$(BIN)/python -m tests.bench.themes_bench --rows $(THEME_ROWS)
