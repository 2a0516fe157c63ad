# Two commands work on a fresh machine: `make demo` and `make test`. Both set up .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo-output
TRANSFER_DIR ?= transfer-output

.PHONY: install demo demo-isslide transfer test test-slow test-all bench gpu-check lint format docs clean

# torch is pinned and installed first (a local CPU wheel here); constraints.txt keeps
# every other package (torchvision, lightning, ...) from pulling a CUDA build of torch.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[sources,ml,dev,tensorboard,torchgeo,docs]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/sarslide demo --output $(DEMO_DIR) --overwrite

test: $(STAMP)
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

test-all: $(STAMP)
	$(PY) -m pytest -q -m "slow or not slow"

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# On a machine with a CUDA GPU (< 5 min on one H100/H200): writes benchmarks/results/gpu.json.
# Install a CUDA build of torch there first (the pinned wheel here is CPU-only).
gpu-check: $(STAMP)
	$(PY) benchmarks/gpu_check.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The guide and the API reference (mkdocstrings, from the docstrings) into site/; any
# warning (a broken link, a docstring naming a parameter the signature lacks) fails.
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict --site-dir site

format: $(STAMP)
	$(VENV)/bin/ruff format src tests benchmarks examples
	$(VENV)/bin/ruff check --fix src tests benchmarks examples

clean:
	rm -rf $(VENV) $(DEMO_DIR) site .pytest_cache .mypy_cache .ruff_cache

demo-isslide: $(STAMP)
	$(VENV)/bin/sarslide insar demo --output $(DEMO_DIR)-isslide --fast --overwrite

# Transfer to unseen events on the four SIMULATED events (docs/simulator.md): cubes are
# kept between runs, finished runs are skipped (rerun to resume).
transfer: $(STAMP)
	$(VENV)/bin/sarslide cube simulate-events --output $(TRANSFER_DIR)/events --no-progress
	$(VENV)/bin/sarslide transfer --events $(TRANSFER_DIR)/events/events.yaml \
		-o $(TRANSFER_DIR)/study --seeds 0,1,2,3,4 --workers 2 --no-progress
