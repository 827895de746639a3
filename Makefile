# The README's two commands: `make report` and `make test`. Both set up what they need
# and are quiet when nothing needs doing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check
FONTS := fonts-morisawa-bizud-gothic fonts-morisawa-bizud-mincho libharfbuzz-subset0
# Real clients the tests check our files with (PDF tools, LibreOffice Calc).
TEST_TOOLS := poppler-utils qpdf libreoffice-calc-nogui

.PHONY: report report-final test bench template samples fonts clean

report: $(VENV)/.installed fonts
	@$(BIN)/mine-report build --input examples/submissions --output output --html --opinions examples/opinions.toml

# The final evaluation (令和6年度, the plan's last year) from the second sample set.
report-final: $(VENV)/.installed fonts
	@$(BIN)/mine-report build --input examples/submissions-final --output output/final --html --opinions examples/opinions.toml

test: $(VENV)/.installed-test fonts
	@$(CURDIR)/scripts/debian-deps.sh $(TEST_TOOLS)
	@$(BIN)/ruff check --quiet .
	@$(BIN)/python -m pytest

bench: $(VENV)/.installed fonts
	@$(BIN)/python -m pip install -q -e '.[bench]' > $(VENV)/pip.log 2>&1
	@$(BIN)/python benchmarks/run.py

template: $(VENV)/.installed
	@$(BIN)/mine-report template -o input/kpi_template.xlsx

samples: $(VENV)/.installed
	@$(BIN)/python scripts/make_samples.py

fonts:
	@$(CURDIR)/scripts/debian-deps.sh $(FONTS)

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) --upgrade pip > /dev/null 2>&1 || true

$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	@$(PIP) -e . > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	@$(PIP) -e '.[test]' > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@ $(VENV)/.installed

clean:
	rm -rf $(VENV) build *.egg-info
