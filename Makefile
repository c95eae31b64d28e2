# Two entry points (see README): `make run` and `make test`. Both set up .venv from uv.lock first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
UV := $(VENV)-tools/bin/uv
ARGS ?= --help

.PHONY: setup run run-service test lint fmt bench eval synth clean e2e-deps

# uv (pinned) in its own venv, so a fresh machine needs nothing but python3
$(UV):
	$(PY) -m venv $(VENV)-tools
	$(VENV)-tools/bin/pip install --quiet "uv==0.13.8"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --extra graph --python $(PY) --link-mode copy
	touch $@

setup: $(VENV)/.synced

# Node tools for the end-to-end test and manifest schemas (Agents Playground, @microsoft/app-manifest), pinned
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Debian's Chromium for the end-to-end test (driven by PyPI playwright; never `playwright install`)
/usr/bin/chromium:
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q
	$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium

e2e-deps: node_modules/.installed /usr/bin/chromium

## run: the service on its embedded default (SQLite + local originals in ./data, in-process jobs) on
## http://127.0.0.1:3978 (upload page at /, bot at /api/messages), plus the Agents Playground chat on :56150
run: setup node_modules/.installed
	ROLES="$${ROLES:-Bo Approver=approver,Cy Manager=manager}" $(VENV)/bin/python app.py --playground

## run-service: the service alone (what production runs)
run-service: setup
	$(VENV)/bin/python app.py

## test: lint, then the whole test suite (unit, integration on SQLite/PostgreSQL/Redis/RabbitMQ, golden accuracy
## gates on ../shared, end-to-end in the Agents Playground with headless Chromium)
test: setup e2e-deps
	$(VENV)/bin/ruff check src tests bench bot cards app.py
	$(VENV)/bin/python -m pytest -n 2 -q

lint: setup
	$(VENV)/bin/ruff check src tests bench bot cards app.py

fmt: setup
	$(VENV)/bin/ruff check --fix src tests bench bot cards app.py

## eval: accuracy on the shared dev set, visual path only
eval: setup
	$(VENV)/bin/invoice-capture eval ../shared/data/invoices/labels.jsonl --no-einvoice

## synth: generate the synthetic set and measure on it
synth: setup
	$(VENV)/bin/python bench/synth.py --out bench/out/synth --n 120 --seed 7
	$(VENV)/bin/invoice-capture eval bench/out/synth/labels.jsonl

## bench: speed on one core (median/p95), and drop-to-card / card-action latency of the service
bench: setup
	$(VENV)/bin/python bench/speed.py
	$(VENV)/bin/python bench/bot_latency.py

clean:
	rm -rf $(VENV) $(VENV)-tools .pytest_cache .ruff_cache bench/out node_modules
