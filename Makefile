# Voyager Analysis. `make help` lists the targets. Every target builds .venv first if needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CLI    := $(VENV)/bin/voyager-analysis
EXAMPLE_EVENTS := data/events/example/truth.json

.DEFAULT_GOAL := help
.PHONY: help env report test test-fast bench lab example-data clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[lab,test,postgres,spark]'
	@touch $(STAMP)

env: $(STAMP) ## create .venv and install the package with its extras (lab, test, postgres, spark)

report: $(STAMP) $(EXAMPLE_EVENTS) ## run every notebook on the shipped data; write reports/<run-id>/*.html and reports/index.html
	$(CLI) report

test: $(STAMP) $(EXAMPLE_EVENTS) ## the whole suite: unit, CLI and papermill tests, then nbval over every notebook
	$(PY) -m pytest tests
	$(PY) -m pytest --nbval-lax -p no:cacheprovider notebooks

test-fast: $(STAMP) ## unit tests only (skips tests marked slow)
	$(PY) -m pytest tests -m "not slow"

bench: $(STAMP) ## benchmarks: vectorised Monte Carlo vs loop, report time vs empty-notebook floor
	$(PY) -m benchmarks

lab: $(STAMP) ## open JupyterLab on notebooks/ with the package importable
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

example-data: $(STAMP) ## regenerate the synthetic company: data/events/example, data/bills/example, data/metrics/example_monthly.csv
	$(CLI) example-data

# the synthetic company's events and bills (gitignored, ~30 s): generated from the seed when absent
$(EXAMPLE_EVENTS): | $(STAMP)
	$(CLI) example-data

clean: ## remove generated files (reports/, caches); keeps .venv
	rm -rf reports .pytest_cache
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
