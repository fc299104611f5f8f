# Three commands: `make demo`, `make check` (the edit-test loop) and `make test` (everything).
# Each does its set-up first (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
# What the engine must offer beyond running this provider; `make test` adds the PostgreSQL state
# backend, which its team tests use (scripts/setup-engine.sh --postgres).
ENGINE_NEEDS :=
# The Python SDK moves with the engine: `make lock` pins it to the CLI version in engine/cli/go.mod.
PULUMI_PIN = $(shell sed -n 's|^require github.com/pulumi/pulumi/pkg/v3 v||p' engine/cli/go.mod)

.PHONY: setup venv engine demo check test lint typecheck lock dist clean generate

setup: venv engine

venv: $(VENV)/.installed

# Rebuilt when the pins or the package metadata change; the package is installed editable so that
# the dynamic-provider process can import caigunn_provider.
$(VENV)/.installed: requirements.txt pyproject.toml
	@echo "setup: Python virtualenv in $(VENV) from requirements.txt"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(PIP) install -r requirements.txt
	@$(PIP) install --no-deps --no-build-isolation -e .
	@touch $@

engine: venv
	@scripts/setup-engine.sh $(ENGINE_NEEDS)

demo: setup
	@scripts/demo.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: venv
	$(BIN)/mypy

# The edit-test loop, under a minute on 2 cores: lint, types, and the tests that need neither the
# engine nor a server socket (the tiers: tests/tiers.py). Needs only the virtualenv.
check: lint typecheck
	$(BIN)/python -m pytest -n 2 -q -m "not e2e and not server"

# The whole suite; it ends by naming the 15 slowest tests. Idle workers take queued tests from
# busy ones (worksteal), and the longest tests start first (tests/conftest.py LONGEST_FIRST).
test: ENGINE_NEEDS := --postgres
test: setup lint typecheck
	$(BIN)/python -m pytest -n 4 --dist worksteal -v --durations=15
	$(MAKE) --no-print-directory bench-smoke

# The benchmarks' ratios, small, printed at the end of `make test` so that a regression shows in
# CI's log: not timed tests (nothing fails on a ratio; the tests check that the benches run).
.PHONY: bench-smoke
bench-smoke: setup
	$(BIN)/python scripts/bench.py --n 300 --m 30 --latency-ms 20 --repeat 1
	$(BIN)/python scripts/bench.py --knowledge

# requirements.txt is generated, never edited: this resolves pyproject.toml (runtime, emulator and
# dev) with uv, keeping every version already pinned unless the ranges demand otherwise. Move
# packages on with `make lock LOCK_FLAGS='--upgrade-package requests'` (or `--upgrade` for all).
LOCK_FLAGS ?=
lock: venv
	@printf 'pulumi==%s\n' '$(PULUMI_PIN)' | $(BIN)/uv pip compile --quiet --python-version 3.11 \
		--extra emulator --extra dev --constraint /dev/stdin --custom-compile-command 'make lock' \
		$(LOCK_FLAGS) \
		--output-file requirements.txt pyproject.toml
	@sed -i 's|-c /dev/stdin|the engine pin in engine/cli/go.mod|' requirements.txt

# An installable release: the sdist, and the wheel built from that sdist (PEP 517, `python -m
# build`), into dist/. No build isolation: the backend is the pinned setuptools of the dev extra,
# so this works offline and builds the same bytes each time.
dist: venv
	@rm -rf dist build/dist.log && mkdir -p build
	@$(BIN)/python -m build --no-isolation --outdir dist . >build/dist.log 2>&1 || \
		{ cat build/dist.log; exit 1; }
	@ls -1 dist

# The parts of schema/stack-file.schema.json and docs/stack-file.md that the kinds inside a
# chatbot entry own, written from each kind's schema.json and docs.md (tests/unit/test_generated.py).
generate: venv
	$(BIN)/python -m caigunn_provider.kinds.generate

clean:
	rm -rf $(VENV) .demo .pulumi-state dist

# Issue 9's benchmark: the provider on the real engine against the emulator, beside a no-op
# engine floor (scripts/bench.py --help; e.g. make bench BENCH_ARGS="--repeat 3 --json").
BENCH_ARGS ?=
.PHONY: bench bench-sweep bench-latency bench-scale bench-program

bench: setup
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)
	$(BIN)/python scripts/bench.py --knowledge $(KNOWLEDGE_BENCH_ARGS)

# Issue 19's knowledge run alone: 20 chatbots x 5 text items, background work 1 s
# (scripts/bench_knowledge.py --help; e.g. make bench-knowledge KNOWLEDGE_BENCH_ARGS="--json").
KNOWLEDGE_BENCH_ARGS ?=
.PHONY: bench-knowledge
bench-knowledge: setup
	$(BIN)/python scripts/bench.py --knowledge $(KNOWLEDGE_BENCH_ARGS)

# N = 250 ... 4000 with M fixed; writes docs/benchmark-sweep.png and docs/benchmark-sweep.md.
bench-sweep: setup
	$(BIN)/python scripts/bench.py --sweep $(BENCH_ARGS)

# Issue 20: ratio to the floor at 20, 100, 200 and 300 ms per request (N=200, M=50; minimum of 3
# alternated runs); writes docs/benchmark-latency.png and docs/benchmark-latency.md.
bench-latency: setup
	$(BIN)/python scripts/bench.py --latency-sweep --n 200 --m 50 $(BENCH_ARGS)

# Issue 20: 500 chatbots declared at 200 ms per request.
bench-scale: setup
	$(BIN)/python scripts/bench.py --n 200 --m 500 --latency-ms 200 $(BENCH_ARGS)

# Issue 20: the program's own time before the first create, for 50 to 1,000 chatbots.
bench-program: setup
	$(BIN)/python scripts/bench.py --program-time $(BENCH_ARGS)

# Issue 8's proof: ten `pulumi up` runs SIGKILLed at random moments, each recovered by the
# documented steps, and a fault soak over five seeds (scripts/soak.py --help for smaller runs).
# Then issue 28's many-run fault soak: SOAK_RUNS seeded runs from SOAK_FIRST_SEED (about half a
# minute each) under its harder knobs, printing the runs tried, the duplicates found and the
# failed seeds; hunt a rare failure with e.g. `make soak SOAK_RUNS=100`.
SOAK_ARGS ?=
SOAK_RUNS ?= 5
SOAK_FIRST_SEED ?= 0
.PHONY: soak

soak: setup
	$(BIN)/python scripts/soak.py $(SOAK_ARGS)
	$(BIN)/python scripts/soak.py --runs $(SOAK_RUNS) --first-seed $(SOAK_FIRST_SEED)
