# smartwork: `make run` serves the demo, `make test` runs the suite. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := smartwork:create_app

.PHONY: run test lint install translations update-translations migrate seed bench clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -f -q -d smartwork/translations

update-translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o smartwork/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i smartwork/translations/messages.pot -d smartwork/translations --no-fuzzy-matching --ignore-obsolete

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed

run: seed
	SMARTWORK_CONFIG=development $(BIN)/python run.py

test: install
	$(BIN)/ruff check smartwork tests
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check smartwork tests

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
