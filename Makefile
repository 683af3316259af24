# The front door. `make dev` and `make test` are all a new user needs (see README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
FAKE_CHATRACE_PORT ?= 3100
URL ?= http://localhost:$(PORT)/instagram/webhook
CONFIG_ENV ?= default
# The stack samconfig.toml deploys for CONFIG_ENV (make secrets and make logs act on it).
STACK_NAME ?= $(if $(filter prod,$(CONFIG_ENV)),chatrace-inbox-prod,chatrace-inbox)

.PHONY: help venv dev sam-local events openapi fake-chatrace test lint format typecheck pytest unit integration e2e validate build bench load \
        send-samples secrets deploy logs clean screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## create .venv (Python 3.13) and install everything
$(VENV)/.installed: pyproject.toml scripts/bootstrap.sh
	@scripts/bootstrap.sh

dev: venv ## serve every route of template.yaml on http://localhost:$(PORT) (no AWS, no Docker)
	@$(PY) -m inbox_dev.server --port $(PORT)

sam-local: venv ## sam local start-api on :$(PORT) (Docker) against a local AWS provisioned like `make dev`'s
	@$(PY) -m inbox_dev.sam_local --port $(PORT)

events: venv ## regenerate events/*.json (ready events for `sam local invoke`) from make dev's event code
	@$(PY) -m inbox_dev.sam_events

openapi: venv ## regenerate docs/openapi.json, the operator API's OpenAPI document, from its routes
	@$(PY) -m inbox_dev.openapi

fake-chatrace: venv ## a fake Chatrace inbox API on :$(FAKE_CHATRACE_PORT) to point `make dev`'s poller at
	@$(PY) -m inbox_dev.fake_chatrace --port $(FAKE_CHATRACE_PORT)

test: lint typecheck validate build pytest ## everything CI runs: ruff, mypy, sam validate --lint, sam build, pytest

lint: venv ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: venv ## mypy (strict) over the layer, functions and scripts
	$(VENV)/bin/mypy layers/common/inbox functions scripts/inbox_dev scripts/inbox_secrets tests

pytest: venv ## unit, infrastructure, integration (moto) and end-to-end (local server) tests
	$(PY) -m pytest

unit: venv
	$(PY) -m pytest tests/unit tests/infrastructure
integration: venv
	$(PY) -m pytest tests/integration
e2e: venv
	$(PY) -m pytest tests/e2e

screenshots: venv ## regenerate docs/screenshots/ (the web inbox's main screens) by running its browser tests
	INBOX_SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/e2e/test_web_inbox.py tests/e2e/test_web_inbox_safety.py -q

validate: ## sam validate --lint (SAM CLI lives in .tools/, never in .venv)
	@scripts/sam-tools.sh validate

build: ## sam build (no containers needed)
	@scripts/sam-tools.sh build

bench: venv ## cold-start, normalizer and warm-request figures against their targets
	@$(PY) -m inbox_dev.bench

load: venv ## 1,000 deliveries from 16, then 64 clients against a local server: latency p50/p95/p99, nothing lost
	@$(PY) -m inbox_dev.load

send-samples: venv ## post every samples/webhook/*.json to URL (default the local server)
	@$(PY) -m inbox_dev.send_samples --url "$(URL)"

secrets: venv ## create or rotate the deployed stack's secrets (STACK_NAME=…, ARGS="--status" etc.); never echoed
	@$(PY) -m inbox_secrets --stack $(STACK_NAME) $(ARGS)

deploy: build ## sam deploy (CONFIG_ENV=prod for samconfig.toml's prod; ARGS="--guided" the first time)
	@scripts/sam-tools.sh sam deploy --config-env $(CONFIG_ENV) $(ARGS)

logs: ## tail the deployed stack's logs, every function and the API (ARGS="-n PollerFunction --filter …")
	@scripts/sam-tools.sh sam logs --config-env $(CONFIG_ENV) --stack-name $(STACK_NAME) --tail $(ARGS)

clean: ## remove the venv, SAM's build folder and caches
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
