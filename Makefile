# Every target sets itself up first; `make setup` does only the set-up.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
# The newest Python >= 3.13 with _interpreters: python3.15, python3.14, python3.13, then pyenv's newest.
PYTHON ?= $(shell for p in python3.15 python3.14 python3.13 \
              $$(ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.1[3-9]*/bin/python 2>/dev/null | sort -V -r); do \
              command -v $$p >/dev/null 2>&1 && $$p -c 'import sys, _interpreters; sys.exit(sys.version_info < (3, 13))' 2>/dev/null \
              && { command -v $$p; break; }; done)
PYTEST_ARGS ?=

.PHONY: setup test soak bench bench-one lab demo strip-notebooks clean core browser-deps conformance which-python

setup: $(VENV)/.installed
	@echo "Python: $$($(PY) -c 'import sys; print(sys.version.split()[0], sys.base_prefix)') (venv $(VENV))"
	@# Every new interpreter imports the agent: keep its bytecode current even under
	@# PYTHONDONTWRITEBYTECODE (else ~5 ms more per interpreter after each edit).
	@$(PY) -m compileall -q interp_kernel >/dev/null

$(VENV)/.installed: pyproject.toml setup.py $(wildcard core/*.c core/*.h)
	@test -n "$(PYTHON)" || { echo "No Python >= 3.13 with _interpreters found (tried python3.15, python3.14, python3.13, pyenv)." >&2; exit 1; }
	@echo "Using $(PYTHON)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV) || { $(PYTHON) -m venv --clear --without-pip $(VENV) \
	    && $(PYTHON) -m pip --python $(PY) install -q pip; }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,browser,cluster]'
	$(PY) -m interp_kernel install --sys-prefix
	touch $@

core: setup
	$(PY) -m pip install -q -e '.[test,browser,cluster]'

# The browser test drives the system Chromium (never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
browser-deps:
	@test -n "$$INTERP_SKIP_BROWSER" || test -x $(CHROMIUM) || { echo "Installing chromium (Debian package) for the browser test"; \
	    SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null \
	    || echo "could not install chromium with apt-get" >&2; }
	@test -n "$$INTERP_SKIP_BROWSER" || test -x $(CHROMIUM) || { echo "chromium is missing: the browser test will fail (INTERP_SKIP_BROWSER=1 skips it)" >&2; }

test: setup browser-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# The Python a new venv would be made from (.ci/run asks).
which-python:
	@echo $(PYTHON)

# CPython 3.14's own Lib/test/test_interpreters against interp_kernel.interpreters on 3.13,
# against the stdlib on 3.14+ (tools/conformance.py; the differences: docs/interpreters.md).
conformance: setup
	$(PY) tools/conformance.py $(CONFORMANCE_ARGS)

soak: setup
	$(PY) -m pytest -m soak $(PYTEST_ARGS)

# Benchmarks (not tests): the `bench` extras (ipyparallel, psutil, pyinstrument) and the
# venv's stock `python3` kernelspec, then the side-by-side suite (writes benchmarks/results/
# and benchmarks/RESULTS.md), then the Manager basics and the core ping-pong figures.
# RESULTS.md puts the newest run of each Python minor side by side: after this venv's run,
# each Python of BENCH_PYTHONS that exists (commands or paths; by default also the
# interp-py31N caches; each minor once) runs the suite in its own venv .venv3N, as
# `make PYTHON=... VENV=.venv314 setup` makes it. BENCH_PYTHONS= runs this venv's only.
BENCH_PYTHONS ?= python3.13 python3.14 python3.15 $(wildcard $(HOME)/.cache/interp-py31[3-9]/venv/bin/python)
bench: bench-one
	@done=$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	for p in $(BENCH_PYTHONS); do \
	    p=$$(command -v $$p) || continue; \
	    minor=$$($$p -c 'import sys, _interpreters; print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue; \
	    case " $$done " in *" $$minor "*) continue;; esac; done="$$done $$minor"; \
	    $(MAKE) --no-print-directory PYTHON=$$p VENV=.venv$$(echo $$minor | tr -d .) bench-one || exit 1; \
	done
	$(PY) benchmarks/bench_report.py
	$(PY) benchmarks/manager_basics.py
	$(PY) benchmarks/core_pingpong.py

bench-one: setup
	@test $(VENV)/.bench-installed -nt pyproject.toml || { \
	    $(PY) -m pip install -q -e '.[test,browser,bench]' \
	    && $(PY) -m ipykernel install --sys-prefix >/dev/null && touch $(VENV)/.bench-installed; }
	$(PY) benchmarks/run.py $(BENCH_ARGS)

lab: setup
	$(VENV)/bin/jupyter lab $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) \
	    --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks/tour.ipynb --KernelManager.transport=ipc

demo: setup
	$(PY) -m interp_kernel.jupyter.demo notebooks/tour.ipynb

# The .ipynb files are the notebooks' only source: run this before committing an edit
# (clears outputs and execution counts; tests/kernel/test_notebooks.py fails on stored outputs).
strip-notebooks: setup
	$(VENV)/bin/jupyter nbconvert --clear-output --inplace --log-level=WARN notebooks/*.ipynb

clean:
	rm -rf $(VENV) build *.egg-info interp_kernel/*.so
