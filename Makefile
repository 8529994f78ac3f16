# Two commands: `make run` and `make test`. Everything else is set up on demand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DB     ?= data/caseload.duckdb

.PHONY: run test lint demo snapshot rules-doc bench clean

$(VENV)/.installed: requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || ($(PYTHON) -m venv --without-pip $(VENV) && $(PY) scripts/bootstrap_pip.py)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	@touch $@

$(DB): | $(VENV)/.installed
	$(PY) -m senlib demo --db $(DB)

run: $(VENV)/.installed $(DB)
	SENLIB_DB=$(DB) $(VENV)/bin/streamlit run app.py

test: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n 2

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .

demo: $(VENV)/.installed
	$(PY) -m senlib demo --db $(DB) --replace

snapshot: $(VENV)/.dev-installed
	$(PY) -m tests.golden.regenerate

rules-doc: $(VENV)/.installed
	$(PY) -m senlib.rules.docs docs/rules.md

bench: $(VENV)/.dev-installed
	@for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache
