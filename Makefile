# Hài Lòng: `make run` (install + demo school + serve) and `make test` (install + whole suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
# LibreOffice (headless Calc and Writer): the export tests open the XLSX and DOCX with it;
# Liberation Serif 2 (every Vietnamese letter): the printed papers and the PDF report.
APT_PACKAGES := chromium wrk poppler-utils fonts-dejavu-core fonts-liberation2 libreoffice-calc-nogui \
  libreoffice-writer-nogui nginx-light

.PHONY: install install-dev install-system run test test-faults bench bench-city bench-rss lint format translations deploy clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

install: $(BIN)/python  ## What running the app needs: Python packages (pinned), translations
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	$(BIN)/pybabel compile --statistics -d survey_app/translations

install-dev: install node_modules/axe-core/axe.min.js  ## Test tools too (pytest, Playwright, axe-core from npm)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt

# axe-core for the accessibility tests (package-lock.json pins it; nothing from npm is served).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install-system:  ## Debian packages the browser, paper, nginx-log tests and benchmarks use (needs root)
	@if ! dpkg -s $(APT_PACKAGES) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && apt-get install -y -q $(APT_PACKAGES); \
	  else sudo apt-get update -q && sudo apt-get install -y -q $(APT_PACKAGES); fi; fi

run: install  ## Install, create the SQLite database and the demo school, serve on :$(PORT)
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) run --port $(PORT)

test: install-dev install-system lint  ## The whole suite (SQLite; PostgreSQL when TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest -q

test-faults: install-dev install-system  ## Fault injection: killed workers, database restarts, ...
	$(BIN)/python -m pytest -q tests/faults --run-faults

bench: install-dev install-system  ## Benchmarks B1–B6 (see BENCHMARKS.md)
	$(BIN)/python -m bench.run_all

bench-city: install-dev  ## B7: the office's month over 2,000 schools, 10 M responses (PostgreSQL)
	mkdir -p bench/results
	$(BIN)/python -m bench.b7_city > bench/results/b7.json

bench-rss: install-dev  ## Memory: gunicorn's master and workers after survey pages, then reports
	mkdir -p bench/results
	$(BIN)/python -m bench.rss > bench/results/rss.json

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

translations:  ## Extract UI strings and update the catalogs
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 -o survey_app/translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i survey_app/translations/messages.pot -d survey_app/translations

deploy: install  ## Production step: migrate once (locked), before the workers start
	$(BIN)/python -m survey_app.migrate_once

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .ruff_cache .mypy_cache
