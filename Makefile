# The two commands a newcomer needs: `make run` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

# Test workers: two per core, since many tests spend part of their time waiting on a server.
WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))

.PHONY: run test test-fast lint bench setup clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The real bot when SLACK_BOT_TOKEN is set (environment or .env); otherwise the local demo.
# Settings that do not load (e.g. a token that is not xoxb-…) also go to `atlas-bot serve`,
# which says what is wrong and exits 2: only a token that is truly unset runs the demo.
run: setup
	@if $(BIN)/python -c "import sys; from bot.settings import load_settings; \
	sys.exit(0 if load_settings().slack_bot_token is None else 1)" 2>/dev/null; then \
		echo "SLACK_BOT_TOKEN is not set: running the demo on a local Slack sandbox."; \
		exec $(BIN)/atlas-bot demo; \
	else \
		exec $(BIN)/atlas-bot serve; \
	fi

# Lint, then every test on SQLite and PostgreSQL (PostgreSQL is found or started by
# scripts/ensure-postgres; without one the PostgreSQL variants are skipped with a notice,
# except under CI=true, where they fail).
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(WORKERS) --dist worksteal

# The pure core, builders, parsing and the calendar: no database, no server, a few seconds.
test-fast: setup
	$(BIN)/python -m pytest -m fast -q

bench: setup
	$(BIN)/python -m bench.ack_latency
	$(BIN)/python -m bench.pulse_fanout
	$(BIN)/python -m bench.diagnosis
	$(BIN)/python -m bench.home
	$(BIN)/python -m bench.request_path

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .pg-test data
