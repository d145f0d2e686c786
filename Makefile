# smartwork: `make run` serves the demo, `make test` runs the suite. Both build .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := smartwork:create_app

.PHONY: run test test-clock lint install translations update-translations migrate seed bench clean browser-deps \
	clock-deps deploy-deps test-deploy wheelhouse nginx-deps

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

# The suite with the clock moved by libfaketime (Debian's faketime): a year ahead, a month back, then
# as it is. No test may depend on today's date; this is how we show it. Not part of `make test`.
# Only the wall clock moves: tests/clock/sitecustomize.py says why the monotonic clock stays real.
FAKETIME_LIB = $(firstword $(wildcard /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1))
CLOCK_OFFSETS ?= +400d -30d
clock-deps:
	@if [ -z "$(FAKETIME_LIB)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; \
	  else echo "clock-deps: install Debian's faketime (libfaketime) as root" >&2; exit 1; fi; \
	fi

test-clock: install browser-deps clock-deps
	$(BIN)/ruff check smartwork tests
	@set -e; lib=$$(ls /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1 2>/dev/null | head -1); \
	for offset in $(CLOCK_OFFSETS); do \
	  echo "== the suite with the clock moved $$offset"; \
	  LD_PRELOAD=$$lib FAKETIME=$$offset FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH=$(CURDIR)/tests/clock \
	    $(BIN)/python -m pytest -n 2 -p no:cacheprovider -q $(PYTEST_ARGS); \
	done; \
	echo "== the suite on today's clock"; \
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider -q $(PYTEST_ARGS)

# The deploy test (tests/deploy/, not part of `make test`): the wheel installed offline into a fresh venv
# and served by gunicorn; then Debian's nginx (TLS) in front of two gunicorn instances and two schedulers
# on one PostgreSQL (its own database on TEST_DATABASE_URL's server, else postgres@127.0.0.1). A few minutes.
test-deploy: install deploy-deps
	SMARTWORK_DEPLOY_TESTS=1 $(BIN)/python -m pytest -p no:cacheprovider -m deploy tests/deploy $(PYTEST_ARGS)

# nginx, openssl and logrotate from Debian, installed as root when missing; unlike browser-deps a missing
# tool fails: the deploy test is only run when asked for.
deploy-deps:
	@missing=""; \
	for tool in nginx:/usr/sbin/nginx openssl:/usr/bin/openssl logrotate:/usr/sbin/logrotate; do \
	  [ -x "$${tool#*:}" ] || missing="$$missing $${tool%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "deploy-deps: missing$$missing (run 'make deploy-deps' as root)" >&2; exit 1; \
	  fi; \
	fi

# For closed networks: the wheel (python -m build) and every pinned dependency as wheels in one directory,
# plus the source distribution (deploy/, gunicorn.conf.py). Build it on the target's OS, CPU and Python.
DIST ?= dist
WHEELHOUSE ?= wheelhouse
wheelhouse: install
	rm -rf $(DIST) $(WHEELHOUSE)
	$(BIN)/python -m build --outdir $(DIST) .
	$(BIN)/python -m pip wheel --quiet -c constraints.txt --wheel-dir $(WHEELHOUSE) $(DIST)/smartwork-*.whl
	cp $(DIST)/smartwork-*.tar.gz $(WHEELHOUSE)/

lint: $(STAMP)
	$(BIN)/ruff check smartwork tests

# National data set + gunicorn (4 workers) + 32 clients, on SQLite and PostgreSQL (BENCH_PG_URL); a few minutes.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(DIST) $(WHEELHOUSE) build
