# 帮您办 back-office. `make run` and `make test` do all their own set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test seed babel babel-extract babel-compile docs lint format bench clean browser deps migrate echarts

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when a requirements file changed.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

deps: $(VENV)/.installed

babel-compile: deps
	$(BIN)/pybabel compile --use-fuzzy -d translations -f >/dev/null

## Re-extract messages and update the zh and en catalogs (then translate zh, and run `make babel-compile`).
babel-extract: deps
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k N_ -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(BIN)/python -m app.i18n fill-english translations/en/LC_MESSAGES/messages.po

babel: babel-extract babel-compile

## Rewrite the README's role table from the role table in code.
docs: deps
	$(FLASK) roles-doc --readme README.md

migrate: deps
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed --demo

## The dev server with a Huey worker beside it (background ledger exports); stopping `make run` stops both.
run: babel-compile seed
	@echo "Serving on http://$(HOST):$(PORT)/  (demo logins above); background jobs: huey_consumer app.tasks.huey"
	@$(BIN)/huey_consumer app.tasks.huey --workers 2 --worker-type thread --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r app config.py

format: deps
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Debian's Chromium and a CJK font for the browser tests (Playwright's own download does not work offline).
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

test: babel-compile lint browser
	$(BIN)/python -m pytest -q

bench: deps
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b; done || echo "no benchmarks yet"

## Refresh the vendored Apache ECharts (Apache-2.0) from the npm registry: its minified build, LICENSE and NOTICE
## are committed under app/static/vendor/echarts, so the app serves charts with no internet and no npm at run time.
ECHARTS_VERSION ?= 6.1.0
echarts:
	rm -rf .echarts-pack && mkdir .echarts-pack
	cd .echarts-pack && npm pack --silent echarts@$(ECHARTS_VERSION) >/dev/null && tar xzf echarts-$(ECHARTS_VERSION).tgz
	mkdir -p app/static/vendor/echarts
	cp .echarts-pack/package/dist/echarts.min.js .echarts-pack/package/LICENSE .echarts-pack/package/NOTICE app/static/vendor/echarts/
	echo "echarts $(ECHARTS_VERSION) (npm package echarts, dist/echarts.min.js), Apache-2.0" > app/static/vendor/echarts/VERSION
	rm -rf .echarts-pack

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis test-artifacts
