VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format clean browser postgres

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: the bot on embedded defaults (offline mode when no Slack/Quantive settings are set)
run: $(STAMP)
	$(PY) -m bot run

## test: the whole suite, on SQLite and on a throwaway PostgreSQL (installs Debian's
## Chromium and PostgreSQL server packages if missing), on two workers; each module runs
## on one of them, so its kept servers and processes start once, the slowest modules
## first (tests/scheduling.py); TEST_WORKERS=0 runs it serially. Bytecode is written even
## where PYTHONDONTWRITEBYTECODE is set: without it each worker rewrites every test module's
## asserts again and each `python -m bot` subprocess compiles the bot's sources again
## (some 4 s of CPU per worker and 0.25 s per process; __pycache__ is ignored by git)
TEST_WORKERS ?= 2
test: $(STAMP) browser postgres
	env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=15

browser:
	./scripts/ensure-browser

postgres:
	./scripts/ensure-postgres

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
