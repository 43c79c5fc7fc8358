# Two entry points, both starting from nothing but python3:
#   make demo   the whole card trick on the bundled samples, into demo/
#   make test   the test suite
# torch==2.13.0 is installed first: any other spec would pull a multi-GB CUDA build.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test setup clean

$(BIN)/cardprep: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(BIN)/cardprep

# The whole trick on samples/raw, into a fresh demo/ (about 6 minutes on 2 cores).
demo: setup
	rm -rf demo
	$(BIN)/cardprep align samples/raw demo/aligned
	$(BIN)/cardprep augment demo/aligned --out demo/dataset --n 1000 --val 300
	$(BIN)/cardtrain fit demo/dataset/manifest.csv --preset cpu-demo --out demo/run
	$(BIN)/cardtrain predict demo/run/checkpoints/best.pt demo/aligned/A --out demo/predicted --side-by-side

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf demo aligned dataset runs
