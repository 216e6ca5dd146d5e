# auskunft — set-up, run and test. Everything CI needs is installed from here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Front-end files come from npm (package-lock.json); only the built copies are served.
NODE_STAMP := node_modules/.installed
VENDOR := src/auskunft/core/web/static/vendor
HTMX := $(VENDOR)/htmx.min.js
# Swagger UI for /api/docs, with its licence, notice and the licences of what it bundles.
SWAGGER_UI := $(VENDOR)/swagger-ui-bundle.js
SWAGGER_UI_FILES := swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css
CHROMIUM := /usr/bin/chromium
SLAPD := /usr/sbin/slapd

.PHONY: run serve test lint typecheck unit install assets chromium slapd postgresql bench bench-booking bench-compare screenshots clean

# The Python install waits for the front-end files (order only: no reinstall when they change).
$(STAMP): requirements.lock pyproject.toml | assets
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

# No install scripts: the front-end packages are plain files (and swagger-ui-dist's
# dependency @scarf/scarf would only report the download).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $(NODE_STAMP)

$(HTMX): $(NODE_STAMP)
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

$(SWAGGER_UI): $(NODE_STAMP)
	mkdir -p $(VENDOR)
	cp $(addprefix node_modules/swagger-ui-dist/,$(SWAGGER_UI_FILES)) $(VENDOR)/
	cp node_modules/swagger-ui-dist/LICENSE $(VENDOR)/swagger-ui.LICENSE
	cp node_modules/swagger-ui-dist/NOTICE $(VENDOR)/swagger-ui.NOTICE

assets: $(HTMX) $(SWAGGER_UI)

# The browser tests drive Debian's Chromium; playwright's own browser download is not used.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && $$SUDO apt-get install -y chromium; \
	fi

# The directory login tests start Debian's OpenLDAP server with their own data (tests/ldap_server.py).
slapd:
	@if [ ! -x $(SLAPD) ]; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends slapd ldap-utils; \
	fi

# The PostgreSQL restart test starts its own server with Debian's binaries (tests/pg_server.py).
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql; \
	fi

install: $(STAMP) assets

run: $(STAMP) assets
	AUSKUNFT_PUBLIC_URL=$${AUSKUNFT_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/auskunft db init
	$(BIN)/auskunft demo traffic --year 2019 --if-empty
	AUSKUNFT_PUBLIC_URL=$${AUSKUNFT_PUBLIC_URL:-http://$(HOST):$(PORT)} $(BIN)/auskunft serve --host $(HOST) --port $(PORT)

test: $(STAMP) assets chromium slapd postgresql lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# One test process per core (pytest-xdist); a module stays on one process (its fixtures).
unit: $(STAMP) assets chromium slapd postgresql
	$(BIN)/pytest -q -n auto --dist loadfile --no-loadscope-reorder

bench: $(STAMP)
	$(BIN)/python bench/search_bench.py
	$(BIN)/python bench/slot_bench.py --json bench/out/slot_bench_sqlite.json
	$(BIN)/python bench/servicetime_bench.py --json bench/out/servicetime_bench.json

# Booking throughput needs PostgreSQL (a scratch database is made next to this one).
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
bench-booking: $(STAMP)
	$(BIN)/python bench/slot_bench.py --database-url $(POSTGRES_URL) --json bench/out/slot_bench_postgresql.json
	$(BIN)/python bench/booking_load.py --database-url $(POSTGRES_URL) --json bench/out/booking_load.json

# The commit before the restructuring into slices against this tree (docs/benchmarks.md).
bench-compare: $(STAMP)
	bench/compare_refactor.sh

screenshots: $(STAMP) assets chromium
	$(BIN)/python -m bench.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache node_modules $(VENDOR)
