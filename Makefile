# The project's jobs, each one command on a fresh machine (Python 3.11+; Debian packages: see .ci/run).
#   make build     install, then build the graph of the shipped list into builds/ (ignored by git)
#   make test      install what the tests need, then run them
#   make docs      build the documentation site (MkDocs) into site/; make docs-examples reruns its examples
#   make example   rewrite the published example build in examples/ (with its screenshot)
#   make lint      ruff and mypy
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXAMPLE := examples/awesome-moe-inference
CHROMIUM ?= chromium

.PHONY: build test docs docs-examples example lint install install-test install-docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/python
	$(BIN)/pip install -q -e .

# The docs tests build the site: the test set-up installs the docs tools too.
install-test: $(BIN)/python
	$(BIN)/pip install -q -e '.[test,docs]'

install-docs: $(BIN)/python
	$(BIN)/pip install -q -e '.[docs]'

build: install
	$(BIN)/kg build

test: install-test
	$(BIN)/python -m pytest -q -p no:cacheprovider

docs: install-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

# Rerun the docs' console examples and write what the commands print into the pages.
docs-examples: install
	$(BIN)/python tools/docs_examples.py --update

lint: install-test
	$(BIN)/ruff check kg tests bench tools
	$(BIN)/ruff format --check kg tests bench tools
	$(BIN)/mypy

# Offline with an empty cache: the example depends on the shipped list and snapshot only.
example: install
	cache=$$(mktemp -d) && SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct -- kg/data) \
	  $(BIN)/kg build --offline --quiet --cache "$$cache" --out $(EXAMPLE); rc=$$?; \
	  rm -rf "$$cache"; exit $$rc
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,900 \
	  --virtual-time-budget=15000 --screenshot="$(CURDIR)/$(EXAMPLE)/screenshot.png" \
	  "file://$(CURDIR)/$(EXAMPLE)/graph.html" 2>/dev/null
