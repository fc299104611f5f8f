# Two commands: `make demo` and `make test`. Both do all set-up first (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup venv engine demo test lint typecheck unit e2e clean

setup: venv engine

venv: $(VENV)/.installed

# Rebuilt when the pins or the package metadata change; the package is installed editable so that
# the dynamic-provider process can import caigunn_provider.
$(VENV)/.installed: requirements.txt pyproject.toml
	@echo "setup: Python virtualenv in $(VENV) from requirements.txt"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --disable-pip-version-check -q -r requirements.txt
	@$(BIN)/python -m pip install --disable-pip-version-check -q --no-deps --no-build-isolation -e .
	@touch $@

engine: venv
	@scripts/setup-engine.sh

demo: setup
	@scripts/demo.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

test: setup lint typecheck
	$(BIN)/python -m pytest -n 2 -v

clean:
	rm -rf $(VENV) .demo .pulumi-state

# Issue 9's benchmark: the provider on the real engine against the emulator, beside a no-op
# engine floor (scripts/bench.py --help; e.g. make bench BENCH_ARGS="--repeat 3 --json").
BENCH_ARGS ?=
.PHONY: bench bench-sweep

bench: setup
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# N = 250 ... 4000 with M fixed; writes docs/benchmark-sweep.png and docs/benchmark-sweep.md.
bench-sweep: setup
	$(BIN)/python scripts/bench.py --sweep $(BENCH_ARGS)
