# smartwork: `make run` serves the demo, `make test` runs the suite. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := smartwork:create_app

.PHONY: run test lint install translations update-translations migrate seed bench clean browser-deps nginx-deps

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) translations

translations: $(STAMP)
	$(BIN)/pybabel -q compile -f -d smartwork/translations

update-translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o smartwork/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i smartwork/translations/messages.pot -d smartwork/translations --no-fuzzy-matching --ignore-obsolete

migrate: install
	$(BIN)/flask db upgrade

seed: migrate
	$(BIN)/flask seed

run: seed
	SMARTWORK_CONFIG=development $(BIN)/python run.py

# Browser tests need Debian's Chromium (+ CJK fonts for Hangul) and axe-core served from static/vendor.
# Installing them never fails the build: without them the browser tests skip and say why (CI=true fails).
AXE := smartwork/static/vendor/axe.min.js
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list :lang=ko 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) \
	      || echo "browser-deps: could not install chromium/fonts-noto-cjk (no network?): browser tests will skip"; \
	  else \
	    echo "browser-deps: /usr/bin/chromium or CJK fonts missing (run 'make browser-deps' as root): browser tests will skip"; \
	  fi; \
	fi
	@if [ ! -f $(AXE) ]; then \
	  (command -v npm >/dev/null \
	    && npm install --no-save --no-package-lock --no-audit --no-fund --silent axe-core@4 \
	    && mkdir -p $(dir $(AXE)) && cp node_modules/axe-core/axe.min.js $(AXE)) \
	  || echo "browser-deps: could not install axe-core from npm: browser tests will skip"; \
	fi

# Certificate sign-in tests put a real nginx (Debian package) in front of the app and make their CA with
# openssl. Installing never fails the build: without them those tests skip and say why (CI=true fails).
nginx-deps:
	@if [ ! -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx openssl) \
	      || echo "nginx-deps: could not install nginx/openssl (no network?): certificate sign-in tests will skip"; \
	  else \
	    echo "nginx-deps: nginx or openssl missing (run 'make nginx-deps' as root): certificate sign-in tests will skip"; \
	  fi; \
	fi

test: install browser-deps nginx-deps
	$(BIN)/ruff check smartwork tests
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check smartwork tests

# National data set + gunicorn (4 workers) + 32 clients, on SQLite and PostgreSQL (BENCH_PG_URL); a few minutes.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
