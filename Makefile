# The README's two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch is pinned here (a CPU wheel of exactly this version lies on this machine's disk;
# an unpinned install would download a multi-GB CUDA build). pyproject asks only torch>=2.3.
TORCH  := torch==2.13.0

.PHONY: demo test bench lint clean install install-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH) -e '.[all]'
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q $(TORCH) -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/neuromosaic gallery -o out/gallery

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -n 2 --durations=15

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/run_all.py

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf out .pytest_cache
