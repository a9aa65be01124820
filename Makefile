# Two commands do everything: `make lab` (learners) and `make test`.
# Both create .venv with the pinned packages on first use and reuse it after.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8888
# Jupyter refuses to start as root without --allow-root; pass it only then.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.DEFAULT_GOAL := help
.PHONY: help lab instructor grade samples hub test test-fast bench lock clean

help:
	@echo "make lab    install (first time only) and start JupyterLab on notebooks/"
	@echo "make instructor  start JupyterLab on autograded/ with nbgrader's instructor panels"
	@echo "make grade ASSIGNMENT=ps2_l2_penalty [JOBS=2] [FORCE=1] [ZIP=lms.zip]  grade a class"
	@echo "make samples ASSIGNMENT=ps2_l2_penalty  hand in the sample class (to try make grade)"
	@echo "make hub    (root) set up and start JupyterHub for a whole class: deploy/README.md"
	@echo "make test   install (first time only) and run the whole test suite"
	@echo "make test-fast  the tests without a browser, notebooks or nbgrader runs (~1 min)"
	@echo "make bench  run the benchmarks (sweep trainer, notebook wall times, grading a class)"
	@echo "make lock   re-pin requirements*.txt and environment.yml from the *.in files"
	@echo "make clean  remove .venv and caches"

# pyvenv.cfg, not bin/python: the latter is a symlink that may point into a
# folder the current user cannot read (a system Python), which make cannot stat.
$(VENV)/pyvenv.cfg:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
	  { echo "This course needs Python 3.11 (found: $$($(PYTHON) --version 2>&1)). Try: make lab PYTHON=python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Stamps re-run pip only when a lock file changes.
$(VENV)/.runtime-installed: requirements.txt pyproject.toml | $(VENV)/pyvenv.cfg
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements-dev.txt
	@touch $@

lab: $(VENV)/.runtime-installed
	@echo ""
	@echo "Starting JupyterLab on notebooks/. Open the http://localhost:$(PORT)/lab?token=... link"
	@echo "that Jupyter prints below (Ctrl+C twice to stop). Start with 00_start_here.ipynb."
	@echo ""
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter/learner \
	  $(BIN)/jupyter lab --notebook-dir=notebooks --ServerApp.port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS)

# Instructors: nbgrader's create-assignment panel, formgrader and course list.
instructor: $(VENV)/.runtime-installed
	@echo ""
	@echo "Starting JupyterLab for instructors on autograded/ (nbgrader panels on)."
	@echo "Open the http://localhost:$(PORT)/lab?token=... link printed below."
	@echo ""
	cd autograded && $(abspath $(BIN))/jupyter lab --ServerApp.port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS)

# Instructors: grade every submission of an assignment (autograded/README.md).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
grade: $(VENV)/.runtime-installed
	@test -n "$(ASSIGNMENT)" || { echo "Say which: make grade ASSIGNMENT=ps2_l2_penalty"; exit 1; }
	cd autograded && PATH=$(abspath $(BIN)):$$PATH $(abspath $(BIN))/python -m grader $(ASSIGNMENT) \
	  --jobs $(JOBS) $(if $(FORCE),--force,) $(if $(ZIP),--zip $(abspath $(ZIP)),) $(GRADE_ARGS)

samples: $(VENV)/.runtime-installed
	@test -n "$(ASSIGNMENT)" || { echo "Say which: make samples ASSIGNMENT=ps2_l2_penalty"; exit 1; }
	cd autograded && PATH=$(abspath $(BIN)):$$PATH $(abspath $(BIN))/nbgrader generate_assignment $(ASSIGNMENT)
	cd autograded && $(abspath $(BIN))/python -m grader.samples $(ASSIGNMENT)

# A class on this machine: JupyterHub, one Unix account per learner, nbgrader's
# exchange (deploy/README.md). As root: it creates groups, /opt/regularization-course
# and /srv/nbgrader/exchange, and says what it created.
HUB_PORT ?= 8000
hub:
	@test "$$(id -u)" = 0 || { echo "make hub needs root: it creates groups, /opt/regularization-course and /srv/nbgrader/exchange"; exit 1; }
	$(PYTHON) deploy/jupyterhub/setup.py serve --port $(HUB_PORT)

test: $(VENV)/.dev-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The developer's loop: everything but the browser, the lessons top to bottom
# and nbgrader runs (those are marked slow or browser).
test-fast: $(VENV)/.dev-installed
	$(BIN)/python -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_notebooks.py
	$(BIN)/python benchmarks/bench_grading.py

lock:
	PYTHON=$(PYTHON) bash scripts/lock.sh

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
