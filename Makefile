# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test install install-dev db migration lint bench screenshots browsers clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

## db: create the schema and load the sample data if the database is empty
db: install
	$(PY) -m civdata init-db
	$(PY) -m civdata load-sample --if-empty

## migration: write the next schema migration from the models, e.g. make migration MSG="add x"
migration: install
	$(PY) -c 'import sys; from civdata.core.schema import new_revision; print(new_revision(sys.argv[1]))' "$(MSG)"

## run: install, create the database from the sample if there is none, serve on :8501
run: db
	$(PY) -m streamlit run dashboard.py --server.port $(PORT) --server.headless true \
		--browser.gatherUsageStats false

## browsers: use Debian's chromium, else try Playwright's download, else the browser tests skip
browsers: install-dev
	@if [ -x /usr/bin/chromium ]; then echo "browser tests: /usr/bin/chromium"; \
	else $(PY) -m playwright install chromium >/dev/null 2>&1 \
		&& echo "browser tests: Playwright's chromium" \
		|| echo "browser tests: no Chromium (install the Debian package chromium); they will skip"; fi

## test: install the dev requirements and run every test: the data-layer and page tests on
## TEST_WORKERS processes (pytest-xdist, a file per worker at a time), then the browser tests alone
TEST_WORKERS ?= 2
test: install-dev browsers
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --ignore=tests/browser
	$(PY) -m pytest tests/browser

lint: install-dev
	$(VENV)/bin/ruff check .

## bench: print performance figures (never asserted in tests); BENCH_ARGS=--full adds 1M problems
bench: install-dev
	$(PY) scripts/bench.py $(BENCH_ARGS)

## screenshots: one PNG per page into docs/screenshots/
screenshots: install-dev
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
