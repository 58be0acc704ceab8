# The two commands a newcomer needs:
#   make demo   ask the demo company a question, end to end (with Ollama if it runs, else the
#               embedded model, which the demo downloads on first use: 1.1 GB)
#   make test   run the whole test suite (starts PostgreSQL when it is installed; pulls the
#               embedded model, which the end-to-end demo test answers with)
# and one for maintainers:
#   make upgrade  resolve the dependencies afresh, show what changed, rerun the suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
FRESH  := .venv-upgrade
# The embedded LLM: llama-cpp-python builds from its sdist (about 5 minutes on 2 cores), so the
# wheel is built once into $(WHEELS) and installed from there on every later venv.
# It is built for this CPU (-march=native) but without ggml's AMX kernels: where the CPU
# reports AMX and the kernel or sandbox does not give threads the tile state, they die of
# SIGILL on the first long prompt (seen on a Xeon VM). -U drops the macro that enables them,
# whatever -march=native defines. The flags name the folder, so a wheel built otherwise is
# never reused, and pip's own wheel cache is bypassed for the same reason.
WHEELS ?= $(HOME)/.cache/ragbox/wheels
LLAMA  := $(shell sed -n 's/^llama_cpp_python==//p' $(LOCK))
LLAMA_CFLAGS := -U__AMX_INT8__
LLAMA_WHEELS := $(WHEELS)/llama-$(LLAMA)-noamx
LOCAL  := $(VENV)/.installed-local

.PHONY: install local model demo test bench upgrade clean

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

$(LOCAL): $(STAMP)
	@mkdir -p $(LLAMA_WHEELS)
	@if ! ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA)-*.whl >/dev/null 2>&1; then \
	  echo "Building llama-cpp-python $(LLAMA) for the embedded LLM: about 5 minutes on 2 cores, once (kept in $(LLAMA_WHEELS))."; \
	  CMAKE_ARGS="-DCMAKE_C_FLAGS=$(LLAMA_CFLAGS) -DCMAKE_CXX_FLAGS=$(LLAMA_CFLAGS)" \
	    $(BIN)/pip wheel -q --no-deps --no-cache-dir -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA); \
	fi
	$(BIN)/pip install -q -c $(LOCK) --find-links $(LLAMA_WHEELS) -e '.[dev,local]'
	touch $(LOCAL)

# llama-cpp-python in the venv
local: $(LOCAL)

# the default GGUF model, downloaded and sha256-checked (a no-op when it is there)
model: $(LOCAL)
	$(BIN)/python -m agent models pull

demo: $(LOCAL)
	$(BIN)/python -m examples.demo

test: model
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
	$(FRESH)/bin/pip install -q --find-links $(LLAMA_WHEELS) -e '.[dev,local]'
	{ grep '^#' $(LOCK); $(FRESH)/bin/pip freeze --all --exclude-editable --exclude setuptools; } > $(LOCK).new
	@changes=$$(diff $(LOCK) $(LOCK).new | sed -n 's/^< /- /p; s/^> /+ /p'); echo "$${changes:-no version changed}"
	mv $(LOCK).new $(LOCK)
	rm -rf $(FRESH) $(VENV)
	$(MAKE) test

clean:
	rm -rf $(VENV) $(FRESH) .ragbox .pytest_cache
