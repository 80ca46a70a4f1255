# 帮您办 back-office. `make run` and `make test` do all their own set-up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test seed babel babel-extract babel-compile docs lint format bench clean browser deps migrate echarts fonts swagger-ui

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
run: babel-compile seed fonts
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

## A Chinese font and Pango for the PDFs of the printed papers (WeasyPrint renders them in process; #12), installed
## from Debian when `fc-list` finds no Chinese font. Without them the app still prints from the browser and says why.
fonts:
	@fc-list :lang=zh family 2>/dev/null | grep -q . && ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fontconfig fonts-noto-cjk \
	    libpango-1.0-0 libpangoft2-1.0-0 >/dev/null) || \
	  echo "fonts: could not install fonts-noto-cjk and Pango (not root?): PDFs of the printed papers stay unavailable"

## Two workers (TEST_WORKERS=0 runs in one process), each taking the next test as it frees up (worksteal).
TEST_WORKERS ?= 2
test: babel-compile lint browser fonts
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal

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

## Refresh the vendored Swagger UI (Apache-2.0) of the API page (/swagger/v1) from the npm registry: its bundle,
## stylesheet and LICENSE are committed under app/static/vendor/swagger-ui (no internet and no npm at run time).
SWAGGER_UI_VERSION ?= 5.35.0
swagger-ui:
	rm -rf .swagger-pack && mkdir .swagger-pack
	cd .swagger-pack && npm pack --silent swagger-ui-dist@$(SWAGGER_UI_VERSION) >/dev/null && tar xzf swagger-ui-dist-$(SWAGGER_UI_VERSION).tgz
	mkdir -p app/static/vendor/swagger-ui
	cp .swagger-pack/package/swagger-ui-bundle.js .swagger-pack/package/swagger-ui.css .swagger-pack/package/LICENSE app/static/vendor/swagger-ui/
	echo "swagger-ui-dist $(SWAGGER_UI_VERSION) (npm package swagger-ui-dist: swagger-ui-bundle.js, swagger-ui.css), Apache-2.0" > app/static/vendor/swagger-ui/VERSION
	rm -rf .swagger-pack

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis test-artifacts
