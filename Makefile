PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Where `make run` listens: BOARD_BIND from the environment wins; else HOST and PORT build it
# (make run PORT=8127, make run HOST=0.0.0.0).
HOST ?= 127.0.0.1
PORT ?= 8000
BOARD_BIND ?= $(HOST):$(PORT)

.PHONY: run test install bench clean clean-data backup restore demo

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install
	$(BIN)/alembic upgrade head
	BOARD_BIND=$(BOARD_BIND) $(BIN)/flask --app wsgi seed-demo
	BOARD_BIND=$(BOARD_BIND) $(BIN)/python -m board.serving

# Demo cards for today even on DATABASE_URL's database (make run adds them to the embedded one only).
demo: install
	$(BIN)/alembic upgrade head
	$(BIN)/flask --app wsgi seed-demo --force

# The files one by one: Node 22 and later read a bare directory as a pattern that matches nothing.
# pytest runs the tests on two processes (pytest-xdist); one that runs out takes tests from the other
# (worksteal), so a long file last in the queue no longer leaves one core idle for half a minute.
# Style first (ruff's formatter and import order, configured in pyproject.toml): it fails in seconds.
test: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	node --test tests/js/*.test.mjs
	$(BIN)/pytest -n 2 --dist worksteal

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# Not part of `make test`: about 3 minutes of load on both cores (perf/bench.py).
bench: $(VENV)/.bench-installed
	$(BIN)/python perf/bench.py

# Only what `make install` and the tests rebuild. The embedded database is instance/: see clean-data.
clean:
	rm -rf $(VENV) .pytest_cache .hypothesis test-artifacts build board.egg-info
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

# Deletes the embedded database: every card, event, account and token in instance/pgdata.
clean-data:
	@if [ "$(CONFIRM)" != "yes" ]; then \
		echo "make clean-data deletes instance/ (the embedded database: every card, event, account and token). Run \`make backup\` first to keep them, then \`make clean-data CONFIRM=yes\`." >&2; \
		exit 1; \
	fi
	@if [ -f instance/pgdata/postmaster.pid ] && kill -0 "$$(head -1 instance/pgdata/postmaster.pid)" 2>/dev/null; then \
		echo "The embedded database is running (make run, or tests): stop it first." >&2; exit 1; \
	fi
	rm -rf instance
	@echo "Deleted instance/: the embedded database is gone; make run starts an empty one."

# A dump of the embedded database (DATABASE_URL's when set) in backups/; prints its path.
backup: install
	$(BIN)/python -m board.backups backup

# Replaces the embedded database (DATABASE_URL's when set) with FILE; CONFIRM=yes when it holds rows.
restore: install
	@if [ -z "$(FILE)" ]; then echo "Say which backup: make restore FILE=backups/board-....dump" >&2; exit 1; fi
	$(BIN)/python -m board.backups restore "$(FILE)" $(if $(filter yes,$(CONFIRM)),--confirm)
