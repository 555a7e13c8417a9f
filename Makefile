PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Where `make run` listens: BOARD_BIND from the environment wins; else HOST and PORT build it
# (make run PORT=8127, make run HOST=0.0.0.0).
HOST ?= 127.0.0.1
PORT ?= 8000
BOARD_BIND ?= $(HOST):$(PORT)

.PHONY: run test install bench clean demo

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
# pytest runs its files on two processes (pytest-xdist), one file per process at a time.
test: install
	node --test tests/js/*.test.mjs
	$(BIN)/pytest -n 2 --dist loadfile

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# Not part of `make test`: about 3 minutes of load on both cores (perf/bench.py).
bench: $(VENV)/.bench-installed
	$(BIN)/python perf/bench.py

clean:
	rm -rf $(VENV) instance .pytest_cache
