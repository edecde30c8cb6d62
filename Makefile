# The two commands of the README. Each makes its own virtualenv on first use, so a fresh
# machine needs only Python 3.11+ and make.
#   make serve   install and run the server on .mockserver/db.json (seeded from fixtures/)
#   make test    install with the test extras, lint, type-check, build the docs site and run every test
#   make docs    serve the docs site (mkdocs.yml, docs/) with live reload: http://localhost:8001
#   make bench   measure the figures of docs/speed.md and write them there (bench/figures.py)
#   make bench-peers  mockserver against WireMock, Prism and json-server, each installed and run here
#   make mutants planted defects: does `mockserver contract` catch each one?
#   make mutation machine-made defects: cosmic-ray's mutants of the serve-side code, a sample
#   make heldout  planted defects written without reading the contract's code, each served alone

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: serve test docs bench bench-peers mutants mutation

serve: $(VENV)/.installed
	$(BIN)/mockserver serve $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	# the docs site, strictly (a broken link or anchor fails; not --quiet, which hides the
	# warnings --strict counts), into a folder removed after
	d=$$(mktemp -d) && NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d "$$d"; s=$$?; rm -rf "$$d"; exit $$s
	# two workers for the suite, a test at a time to whichever is free (a file's tests at one
	# worker left one with every long contract run); beside them, in one process of its own,
	# the tests xdist cannot run (marker serial: Schemathesis's parametrized tests, whose
	# cases xdist would silently skip), its output printed after: the suite waits on the
	# servers it starts about a quarter of the time, which that process fills (run after,
	# it added 75 s to a 10-minute CI). Exit 5 is "no test selected", which ARGS may make
	# of either half.
	s=$$(mktemp); $(BIN)/pytest -m serial $(ARGS) >"$$s" 2>&1 & p=$$!; trap 'kill $$p 2>/dev/null' INT TERM; \
	$(BIN)/pytest -n 2 --dist worksteal -m "not serial" --durations=25 $(ARGS); a=$$?; \
	wait $$p; b=$$?; cat "$$s"; rm -f "$$s"; \
	{ [ $$a -eq 0 ] || [ $$a -eq 5 ]; } && { [ $$b -eq 0 ] || [ $$b -eq 5 ]; }

docs: $(VENV)/.installed-test
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8001 $(ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python bench/benchmark.py

# The peers come from npm into .bench-cache/ (once); wrk from Debian's package if missing.
bench-peers: $(VENV)/.installed
	$(BIN)/python bench/peers.py $(ARGS)

mutation: $(VENV)/.installed-test
	$(BIN)/python bench/mutation.py $(ARGS)

mutants: $(VENV)/.installed-test
	$(BIN)/python bench/mutants.py $(ARGS)

heldout: $(VENV)/.installed-test
	$(BIN)/python bench/heldout.py --jobs 2 $(ARGS)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed
