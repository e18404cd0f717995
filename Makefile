# Fluxx hotline. `make run` starts it locally, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt constraints.txt | cksum | cut -d' ' -f1)
TWILIO_CLI_CORE := 9.0.0
SPEC := .cache/twilio_api_v2010.json
AXE_CORE := 4.14.1
AXE := .cache/axe-core-$(AXE_CORE).min.js
PORT ?= 5000
# The dashboard's strings: German msgids in _() / {{ _() }}, English in dashboard/translations/en.
BABEL_KEYWORDS := -k _ -k gettext -k lazy_gettext -k ngettext:1,2 -k lazy_ngettext:1,2
BABEL_IGNORE := .* tests bench migrations node_modules instance

.PHONY: help run test lint fmt bench simulate-day twilio-spec browser-assets translations translations-update clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP) translations  ## start the hotline locally: SQLite, simulator mode, demo data when empty
	PORT=$(PORT) BIN=$(BIN) bin/run-local

# The coverage floor (fail_under in pyproject.toml) holds for the whole suite in CI; a local run or a run of
# some tests (PYTEST_ARGS) reports the figure without failing on it. README "Types and coverage".
COVERAGE_FLOOR := $(if $(and $(CI),$(if $(PYTEST_ARGS),,whole)),,--fail-under=0)

test: $(STAMP) translations twilio-spec browser-assets lint  ## run lint, types and the whole test suite, browser tests included (PostgreSQL too when TEST_DATABASE_URL is set), with coverage
	@rm -rf .cache/coverage && mkdir -p .cache/coverage
	@status=0; $(BIN)/coverage run -m pytest $(PYTEST_ARGS) || status=$$?; \
	  $(BIN)/coverage combine -q || status=1; \
	  $(BIN)/coverage report $(COVERAGE_FLOOR) || [ $$status -ne 0 ] || status=2; \
	  exit $$status

lint: $(STAMP)  ## lint, check the layers (import-linter) and the types (mypy: strict for the core packages, see pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

translations: $(STAMP)  ## compile the dashboard's translations (.po -> .mo, not committed)
	$(BIN)/pybabel -q compile -f -d dashboard/translations

translations-update: $(STAMP)  ## extract the dashboard's strings and add the new ones to the .po (then fill in the English)
	@mkdir -p .cache
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --ignore-dirs='$(BABEL_IGNORE)' -o .cache/messages.pot .
	$(BIN)/pybabel -q update -i .cache/messages.pot -d dashboard/translations -w 100 --ignore-obsolete --no-fuzzy-matching
	@$(BIN)/pybabel compile --statistics -d dashboard/translations 2>&1 | grep -v '^compiling' || true

bench: $(STAMP)  ## run the benchmarks and print their results
	$(BIN)/python -m bench.run_all

SCENARIO ?= strike
simulate-day: $(STAMP)  ## simulate a day at the hotline (SCENARIO=strike|strike-surge|weekday|night|smoke or a .toml path; ARGS="--seeds 3"): figures + SVG
	$(BIN)/python -m bench.daysim $(SCENARIO) $(ARGS)

twilio-spec: $(SPEC)  ## fetch Twilio's OpenAPI description (npm package @twilio/cli-core) for the tests

$(SPEC):
	@mkdir -p .cache
	@if command -v npm >/dev/null 2>&1; then \
	  cd .cache && npm pack --silent @twilio/cli-core@$(TWILIO_CLI_CORE) >/dev/null && \
	  tar -xzf twilio-cli-core-$(TWILIO_CLI_CORE).tgz package/src/services/twilio-api/twilio_api_v2010.json && \
	  mv package/src/services/twilio-api/twilio_api_v2010.json twilio_api_v2010.json && \
	  rm -rf package twilio-cli-core-$(TWILIO_CLI_CORE).tgz; \
	else echo "npm not found: the tests that check REST requests against Twilio's API description will be skipped"; fi

browser-assets: $(AXE)  ## fetch axe-core (npm package) for the browser tests' accessibility check

$(AXE):
	@mkdir -p .cache
	@if command -v npm >/dev/null 2>&1; then \
	  cd .cache && npm pack --silent axe-core@$(AXE_CORE) >/dev/null && \
	  tar -xzf axe-core-$(AXE_CORE).tgz package/axe.min.js && \
	  mv package/axe.min.js axe-core-$(AXE_CORE).min.js && \
	  rm -rf package axe-core-$(AXE_CORE).tgz; \
	else echo "npm not found: the accessibility check in the browser tests will be skipped"; fi

clean:  ## remove the virtual environment, caches and the local database
	rm -rf $(VENV) .cache instance .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
