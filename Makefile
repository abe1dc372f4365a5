# Voyager Analysis. `make help` lists the targets. Every target builds .venv first if needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
CLI    := $(VENV)/bin/voyager-analysis
# A second environment with the lowest versions pyproject.toml allows for the scientific stack (pandas 2, numpy 1),
# so the fast tests run on both pandas lines; see ci/lowest-versions.txt.
LOW    := .venv-lowest
LOW_STAMP := $(LOW)/.installed-stamp
EXAMPLE_EVENTS := data/events/example/truth.json

.DEFAULT_GOAL := help
.PHONY: help env report test test-fast test-lowest bench lab example-data clean

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

test: $(STAMP) $(EXAMPLE_EVENTS) ## the whole suite (newest versions), nbval over every notebook, then the fast tests on the lowest versions
	$(PY) -m pytest tests
	$(PY) -m pytest --nbval-lax -p no:cacheprovider notebooks
	$(MAKE) --no-print-directory test-lowest

$(LOW_STAMP): pyproject.toml ci/lowest-versions.txt
	@test -x $(LOW)/bin/python || $(PYTHON) -m venv $(LOW)
	$(LOW)/bin/python -m pip install --quiet --upgrade pip
	$(LOW)/bin/python -m pip install --quiet -c ci/lowest-versions.txt -e '.[test,postgres,spark]'
	@touch $(LOW_STAMP)

test-lowest: $(LOW_STAMP) $(EXAMPLE_EVENTS) ## the fast tests on the lowest supported pandas/numpy/scipy/statsmodels/matplotlib
	$(LOW)/bin/python -c "import pandas, numpy; print('lowest versions: pandas', pandas.__version__, 'numpy', numpy.__version__)"
	$(LOW)/bin/python -m pytest tests -m "not slow" -n 2 -p no:cacheprovider

test-fast: $(STAMP) $(EXAMPLE_EVENTS) ## the tests not marked slow, on both cores (under a minute)
	$(PY) -m pytest tests -m "not slow" -n 2 -p no:cacheprovider

bench: $(STAMP) ## benchmarks: Monte Carlo vs loop, derive vs pandas and the three engines, HAC at 100K rows, report vs serial papermill and an unchanged re-run
	$(PY) -m benchmarks

lab: $(STAMP) ## open JupyterLab on notebooks/ with the package importable
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

example-data: $(STAMP) ## regenerate the synthetic company: data/events/example, data/bills/example, data/metrics/example_monthly.csv
	$(CLI) example-data

# the synthetic company's events and bills (gitignored, ~30 s): generated from the seed when absent
$(EXAMPLE_EVENTS): | $(STAMP)
	$(CLI) example-data

clean: ## remove generated files (reports/, caches, .venv-lowest); keeps .venv
	rm -rf reports .pytest_cache $(LOW)
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
