PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: install
	$(BIN)/alembic upgrade head
	$(BIN)/flask --app wsgi seed-demo
	$(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: install
	node --test tests/js/
	$(BIN)/pytest

clean:
	rm -rf $(VENV) instance .pytest_cache
