VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint format clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: the bot on embedded defaults (offline mode when no Slack/Quantive settings are set)
run: $(STAMP)
	$(PY) -m bot run

## test: the whole suite (installs Debian's Chromium for the browser tests if missing)
test: $(STAMP) browser
	$(PY) -m pytest -q

browser:
	./scripts/ensure-browser

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
