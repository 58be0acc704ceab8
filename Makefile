# The two commands a newcomer needs:
#   make demo   ask the demo company a question, end to end
#   make test   run the whole test suite (starts PostgreSQL when it is installed)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test bench clean

# The MiniLM embedding model: Chroma's cache, or a copy beside the checkout (no downloads here).
ifneq ($(wildcard ../shared/models/all-MiniLM-L6-v2),)
export RAGBOX_MODELS_DIR ?= $(abspath ../shared/models)
endif

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
	$(BIN)/python benchmarks/rest_tools.py
	$(BIN)/python benchmarks/docs_index.py
	$(BIN)/python benchmarks/agent_overhead.py

clean:
	rm -rf $(VENV) .ragbox .pytest_cache
