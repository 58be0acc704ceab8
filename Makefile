# The two commands a newcomer needs:
#   make demo   ask the demo company a question, end to end
#   make test   run the whole test suite (starts PostgreSQL when it is installed)
# and one for maintainers:
#   make upgrade  resolve the dependencies afresh, show what changed, rerun the suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
FRESH  := .venv-upgrade

.PHONY: install demo test bench upgrade clean

# The MiniLM embedding model: Chroma's cache, or a copy beside the checkout (no downloads here).
ifneq ($(wildcard ../shared/models/all-MiniLM-L6-v2),)
export RAGBOX_MODELS_DIR ?= $(abspath ../shared/models)
endif

# pyproject.toml says which versions ragbox accepts; $(LOCK) pins the ones the suite last
# passed with, so a fresh machine installs exactly those (pip itself included). The lock is a
# plain pip constraints file written by `pip freeze` after a clean resolve: installing needs
# no tool beyond pip, ragbox stays an editable install outside the lock, and pins for
# packages that nothing asks for are ignored. pip-tools would give the same file for one
# more dependency; `pip lock` writes pylock.toml, which pip cannot install from yet.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -c $(LOCK) --upgrade pip
	$(BIN)/pip install -q -c $(LOCK) -e '.[dev]'
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

# Resolve '.[dev]' with no lock in a scratch venv, write the new lock, print the versions that
# changed (- old, + new), rebuild $(VENV) from the new lock and run the whole suite on it.
upgrade:
	rm -rf $(FRESH)
	$(PYTHON) -m venv $(FRESH)
	$(FRESH)/bin/pip install -q --upgrade pip
	$(FRESH)/bin/pip install -q -e '.[dev]'
	{ grep '^#' $(LOCK); $(FRESH)/bin/pip freeze --all --exclude-editable --exclude setuptools; } > $(LOCK).new
	@changes=$$(diff $(LOCK) $(LOCK).new | sed -n 's/^< /- /p; s/^> /+ /p'); echo "$${changes:-no version changed}"
	mv $(LOCK).new $(LOCK)
	rm -rf $(FRESH) $(VENV)
	$(MAKE) test

clean:
	rm -rf $(VENV) $(FRESH) .ragbox .pytest_cache
