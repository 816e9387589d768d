# make run: set up everything and serve the portal on http://127.0.0.1:5000
# make test: set up everything and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test setup assets migrate demo clean bench

$(BIN)/flask: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(BIN)/flask

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.package-lock.json

static/css/app.css: node_modules/.package-lock.json scss/app.scss
	rm -rf static/govuk && mkdir -p static/govuk static/css
	cp -r node_modules/govuk-frontend/dist/govuk/assets static/govuk/assets
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/govuk/
	npx sass --no-source-map --quiet-deps --load-path=node_modules --style=compressed scss/app.scss static/css/app.css

assets: static/css/app.css

setup: $(BIN)/flask assets

migrate: setup
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask db is-empty && $(BIN)/flask demo load || $(BIN)/flask demo sign-in-details

run: demo
	@echo "Serving on http://127.0.0.1:5000 (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m tests.perf.run_all

clean:
	rm -rf $(VENV) node_modules static/css static/govuk
