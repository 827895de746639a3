# The README's two commands: `make report` and `make test`. Both set up what they need
# and are quiet when nothing needs doing.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install -q --disable-pip-version-check
FONTS := fonts-morisawa-bizud-gothic fonts-morisawa-bizud-mincho libharfbuzz-subset0
# Real clients the tests check our files with (PDF tools, LibreOffice Calc and its UNO
# bridge for the system python3, which the tests use to type into workbooks like a clerk,
# and a browser for the web page).
TEST_TOOLS := poppler-utils qpdf libreoffice-calc-nogui python3-uno chromium
# Microsoft's Open XML SDK validator (the shared excel-check tool runs it from this venv):
# about 70 MB, some 10 s to set up once; without network the tests that use it skip.
XV_VENV := $(HOME)/.cache/xv-venv
XV_PACKAGES := pythonnet==3.2.1 python-redlines-docxodus==2.0.0

.PHONY: report report-final test check bench template samples fonts clean

report: $(VENV)/.installed fonts
	@$(BIN)/mine-report build --input examples/submissions --output output --html --opinions examples/opinions.toml

# The final evaluation (令和6年度, the plan's last year) from the second sample set.
report-final: $(VENV)/.installed fonts
	@$(BIN)/mine-report build --input examples/submissions-final --output output/final --html --opinions examples/opinions.toml

test: $(VENV)/.installed-test fonts $(XV_VENV)/.installed node_modules/.installed
	@$(CURDIR)/scripts/debian-deps.sh $(TEST_TOOLS)
	@$(BIN)/ruff check --quiet .
	@$(BIN)/python -m pytest

# The fast loop while working: ruff, then every test not marked slow (the real clients,
# LibreOffice through UNO, Chromium with axe-core and the Open XML SDK, and the full PDF
# builds and whole-sample runs) on CHECK_JOBS processes. `make test` (CI) runs them all.
CHECK_JOBS ?= 2
check: $(VENV)/.installed-test fonts
	@$(BIN)/ruff check --quiet .
	@$(BIN)/python -m pytest -m "not slow" -n $(CHECK_JOBS)

bench: $(VENV)/.installed fonts
	@$(BIN)/python -m pip install -q -e '.[bench]' > $(VENV)/pip.log 2>&1
	@$(BIN)/python benchmarks/run.py

template: $(VENV)/.installed
	@$(BIN)/mine-report template -o input/kpi_template.xlsx

samples: $(VENV)/.installed
	@$(BIN)/python -m tools.make_samples

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

$(XV_VENV)/.installed:
	@$(PYTHON) -m venv $(XV_VENV) && $(XV_VENV)/bin/python -m pip install -q \
		--disable-pip-version-check --timeout 20 --retries 1 $(XV_PACKAGES) \
		> $(XV_VENV)/pip.log 2>&1 && touch $@ \
		|| echo "Open XML SDK の検証環境を作れませんでした (Excel 検証のテストは省略): $(XV_VENV)/pip.log"

# axe-core (accessibility rules) for the browser tests, in the git-ignored node_modules/,
# at the versions of package-lock.json.
node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --silent > /dev/null 2>&1 || { echo "npm ci に失敗しました (Node.js と npm が必要です)"; exit 1; }
	@touch $@

clean:
	rm -rf $(VENV) build *.egg-info
