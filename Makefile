# Tend: `make run` starts it, `make test` tests it. Both set everything up first.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint format bench clean

run: install
	$(BIN)/tend migrate
	$(BIN)/tend demo --if-empty
	$(BIN)/tend serve

test: install
	bash scripts/test.sh

install: $(STAMP) node_modules/.package-lock.json

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Tend needs Python 3.11 ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/latency_bench.py

clean:
	rm -rf $(VENV) node_modules
