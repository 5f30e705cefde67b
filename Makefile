# make demo: set up .venv (first time only), then run both scripts side by side and draw
#            their learning curves to learning_curves.png.
# make test: the same set-up plus the test requirements, then ruff and the test suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --disable-pip-version-check

.PHONY: demo test clean

demo: $(VENV)/.requirements
	$(BIN)/python side_by_side.py --plot learning_curves.png

test: $(VENV)/.requirements-test
	$(BIN)/python -m ruff check .
	$(BIN)/python -m pytest

$(VENV)/.requirements: requirements.txt requirements-plot.txt
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' || \
	  { echo "TensorFlow 2.21 needs Python 3.11 to 3.13; try: make $(MAKECMDGOALS) PYTHON=python3.12" >&2; exit 2; }
	@echo "== First run: setting up $(VENV) with the pinned requirements. That is about 350 MB to"
	@echo "== download (TensorFlow is most of it) and 1.7 GB once installed; pip shows its progress."
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt -r requirements-plot.txt
	@touch $@
	@echo "== $(VENV) is ready; later runs skip this step."

$(VENV)/.requirements-test: $(VENV)/.requirements requirements-test.txt
	$(PIP) -r requirements-test.txt
	@touch $@

clean:
	rm -rf $(VENV)
