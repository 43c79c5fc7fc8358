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

# The whole trick on samples/raw into demo/ (about 5 minutes on 2 cores): align (card frame), augment,
# cpu-demo training, scores on new photos, a 640x480 clip translated with --card, demo/report.html.
demo: setup
	$(BIN)/python tools/demo.py samples/raw demo

test: setup
	$(BIN)/python -m pytest -q

clean:
	rm -rf demo aligned dataset runs
