# The two commands a newcomer needs:
#   make demo   ask the demo company a question, end to end
#   make test   run the whole test suite (starts PostgreSQL when it is installed)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m examples.demo

test: $(STAMP)
	scripts/test.sh

bench: $(STAMP)
	$(BIN)/python benchmarks/sql_guard.py

clean:
	rm -rf $(VENV) .ragbox .pytest_cache
