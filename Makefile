# The Dell CRM Casebook. `make help` lists the targets.
# Two commands matter on a fresh machine:  make casebook   (set up + build everything)
#                                          make test       (set up + run every test; CI runs this)
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PROFILE ?= classroom

.DEFAULT_GOAL := help
.PHONY: help setup browser data casebook lecture lint test test-fast notebooks bench lab clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-10s %s\n", $$1, $$2}'
	@echo "  variables: PROFILE=ci|classroom|lecture (casebook), PY=python3.11 (interpreter for the venv)"

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP) browser ## create .venv and install the project (+ headless Chromium for the browser test)

browser: ## install Debian's chromium + chromium-driver (+ a CJK font for the Chinese source titles in the PDFs) if missing (needs root; skipped otherwise)
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && { ! command -v fc-list >/dev/null || fc-list :lang=zh | grep -q .; }; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium + chromium-driver + fonts-noto-cjk (Debian packages) for the browser test and the PDFs..."; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null) \
	  || echo "warning: could not install chromium; the browser test will be skipped"; \
	else echo "note: chromium/chromedriver (or a CJK font) not found and not root: the browser test may be skipped, Chinese titles in PDFs may show as boxes"; fi

data: $(STAMP) ## generate the default synthetic world (20,000 customers) into data/
	$(BIN)/python -m synthetic

casebook: setup ## THE MAIN JOB: run every chapter and build pages, slides and the scorecard into build/
	$(BIN)/python -m casebook build --profile $(PROFILE)

lint: $(STAMP) ## ruff lint + format check over packages, tests, benchmarks and notebooks (CI runs this)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup lint ## run every test: lint, build the CI casebook, then unit tests, nbval on the chapters, browser test
	$(BIN)/python -m casebook build --profile ci --out build/ci
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env -p no:cacheprovider

test-fast: $(STAMP) ## unit tests only (no notebook runs)
	$(BIN)/python -m pytest tests -m "not slow and not browser" -p no:cacheprovider

notebooks: $(STAMP) ## sync text twins (.py -> .ipynb), re-execute the chapters in place (slim outputs for nbval), rewrite twins
	$(BIN)/jupytext --sync --quiet notebooks/[0-9][0-9]_*.ipynb
	$(BIN)/python -m casebook execute

lecture: setup ## build the casebook at lecture size (1,000,000 customers) into build/lecture
	$(BIN)/python -m casebook build --profile lecture --out build/lecture

bench: $(STAMP) ## speed figures at 1,000,000 customers: generator, its bare floor, CLV fits beside lifetimes
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_floor.py
	$(BIN)/python benchmarks/bench_clv.py

lab: $(STAMP) ## open the chapters in JupyterLab
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks/

clean: ## remove generated data and build outputs (keeps .venv)
	rm -rf data build
