# Two entry points (see README): `make run` and `make test`. Both set up .venv from uv.lock first.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
UV := $(VENV)-tools/bin/uv
ARGS ?= --help

.PHONY: setup run test lint fmt bench eval synth clean

# uv (pinned) in its own venv, so a fresh machine needs nothing but python3
$(UV):
	$(PY) -m venv $(VENV)-tools
	$(VENV)-tools/bin/pip install --quiet "uv==0.13.8"

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra dev --python $(PY) --link-mode copy
	touch $@

setup: $(VENV)/.synced

## run: the service on its embedded default (for now the extraction CLI): make run ARGS="extract invoice.pdf"
run: setup
	$(VENV)/bin/invoice-capture $(ARGS)

## test: lint, then the whole test suite (unit, golden accuracy gates on ../shared, bad input)
test: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/python -m pytest -n 2 -q

lint: setup
	$(VENV)/bin/ruff check src tests bench

fmt: setup
	$(VENV)/bin/ruff check --fix src tests bench

## eval: accuracy on the shared dev set, visual path only
eval: setup
	$(VENV)/bin/invoice-capture eval ../shared/data/invoices/labels.jsonl --no-einvoice

## synth: generate the synthetic set and measure on it
synth: setup
	$(VENV)/bin/python bench/synth.py --out bench/out/synth --n 120 --seed 7
	$(VENV)/bin/invoice-capture eval bench/out/synth/labels.jsonl

## bench: speed on one core (median/p95), numbers for docs/BENCHMARKS.md
bench: setup
	$(VENV)/bin/python bench/speed.py

clean:
	rm -rf $(VENV) $(VENV)-tools .pytest_cache .ruff_cache bench/out
