# make run: set up everything, then serve the portal on http://127.0.0.1:5000 beside the worker
# make test: set up everything and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

# Test processes (pytest-xdist); 0 runs the suite in one process. PYTEST_ARGS adds to it:
# make test PYTEST_ARGS="tests/bids -x" PYTEST_WORKERS=0
# Tests spread one by one, except that those marked @pytest.mark.xdist_group("name") share a process.
PYTEST_WORKERS ?= 2

.PHONY: fuzz run test setup assets migrate demo clean bench lint lock

# The virtual environment holds exactly the lock (requirements/dev.txt, hashes checked), so it is
# made anew whenever the lock changes: nothing left over from an older lock stays installed.
$(VENV)/installed: requirements/dev.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.package-lock.json

static/css/app.css: node_modules/.package-lock.json scss/app.scss
	rm -rf static/govuk && mkdir -p static/govuk static/css
	cp -r node_modules/govuk-frontend/dist/govuk/assets static/govuk/assets
	cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js static/govuk/
	npx sass --no-source-map --quiet-deps --load-path=node_modules --style=compressed scss/app.scss static/css/app.css

assets: static/css/app.css

setup: $(VENV)/installed assets

migrate: setup
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask db is-empty && $(BIN)/flask demo load || $(BIN)/flask demo sign-in-details

# The web server and the worker (flask jobs run: email, ending notices, evidence reminders,
# closing tenders), both from Procfile; Ctrl+C stops both.
run: demo
	@echo "Serving on http://127.0.0.1:$${PORT:-5000} with the worker beside it (Ctrl+C to stop)"
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

# pytest exits 5 when it collected no test: still a failure, said in words.
test: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS) || { status=$$?; \
		[ $$status -ne 5 ] || echo "pytest collected no tests: nothing was checked"; exit $$status; }

lint: $(VENV)/installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

# Pins every Python package, with hashes, from the ranges in pyproject.toml: requirements/main.txt
# is what production installs, requirements/dev.txt adds the test, tooling and benchmark extras at
# the same versions. Existing pins are kept where they still fit; to move them on:
# make lock LOCK_ARGS=--upgrade   (or LOCK_ARGS="--upgrade-package flask")
COMPILE = $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock" --quiet $(LOCK_ARGS)

lock: $(VENV)/installed
	$(COMPILE) -o requirements/main.txt
	$(COMPILE) --extra test --extra dev --extra bench -c requirements/main.txt -o requirements/dev.txt

bench: setup
	$(BIN)/python -m tests.perf.run_all

clean:
	rm -rf $(VENV) node_modules static/css static/govuk

# The bad-input campaign (tests/test_fuzz.py): every route and form field, as every role.
fuzz: setup
	FUZZ_ALL=1 $(BIN)/pytest -n $(PYTEST_WORKERS) -m fuzz tests/test_fuzz.py $(PYTEST_ARGS)
