# Two entry points: `make demo` (the main job) and `make test`. Both build .venv from requirements.lock.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# python3.12 may be a pyenv shim that is not the global version; fall back to pyenv's own install.
PYTHON312 := $(shell for c in python3.12 python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	  $$c -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && { echo $$c; break; }; done)

.PHONY: demo test lint bench regression-refresh docs dashboard clean mutation

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -n "$(PYTHON312)" || { echo "error: Python 3.12+ not found (looked for python3.12, python3.13, pyenv)"; exit 1; }
	$(PYTHON312) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

demo: $(VENV)/.installed
	$(PY) -m recoverysim.demo

test: $(VENV)/.installed
	bash .ci/system-packages
	$(PY) -m ruff check recoverysim tests benchmarks
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check recoverysim tests benchmarks

# Mutation testing of the rule modules ([tool.mutmut] in pyproject.toml; results in docs/mutation.md).
mutation: $(VENV)/.installed
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results --all true > mutants/results.txt || true
	$(PY) benchmarks/mutation_summary.py mutants/results.txt

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_model.py

regression-refresh: $(VENV)/.installed
	$(PY) tests/regression/refresh_baseline.py
	$(PY) tests/regression/refresh_trace.py

clean:
	rm -rf $(VENV) results

docs: $(VENV)/.installed
	$(PY) -c "from pathlib import Path; from recoverysim.parameter_table import replace_in; p = Path('docs/ODD.md'); p.write_text(replace_in(p.read_text()))"

# The lock installs the dashboard's packages; `make dashboard SCENARIO=scenarios/all_reforms.toml PORT=8765`.
dashboard: $(VENV)/.installed
	$(PY) -m recoverysim dashboard $(SCENARIO) $(if $(PORT),--port $(PORT))
