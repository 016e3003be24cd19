# datalife: the two set-up commands are `make demo` and `make test`.
# Each creates .venv on first use (and reuses it after): nothing is installed by hand.
PY        ?= python3.11
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.datalife-installed
UV_VER    := 0.13.9
# uv does not read pip's configuration: hand it the machine's find-links (where a
# local CPU build of torch lives), if pip is configured with one.
FIND_LINKS = $(shell $(PY) -m pip config get global.find-links 2>/dev/null)
UV         = $(BIN)/uv pip install --python $(BIN)/python --no-deps $(if $(FIND_LINKS),--find-links $(FIND_LINKS))
PYTEST_ARGS ?=
# `make test` runs test modules in two processes (pytest-xdist; a module's tests stay in one
# process, so its shared pipeline run happens once). PYTEST_WORKERS=0 runs them in one.
PYTEST_WORKERS ?= 2

.PHONY: demo test test-cluster venv lock bench clean-runs

venv: $(STAMP)

$(STAMP): requirements.lock requirements/nodeps.txt setup.py
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==$(UV_VER)
	# 1. the fully pinned lock, never resolved
	$(UV) -r requirements.lock
	# 2. tfx and ml-pipelines-sdk without their dependencies (see requirements/nodeps.txt)
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --ignore-requires-python -r requirements/nodeps.txt
	# 3. the project, editable
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/datalife demo

# pytest's exit code 5 ("no tests collected") is passed through as 5 so .ci/run can name it.
test: $(STAMP)
	@$(BIN)/python -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS) --dist loadfile) $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; exit $$rc

# The longer beyond-one-process tests (CI runs them after `make test`): every demo on
# Beam's portable path with a new SDK worker process per job (`make test` runs one,
# with worker threads), a worker dying mid-bundle, and the PostgreSQL metadata store.
test-cluster: $(STAMP)
	DATALIFE_EXTENDED=1 $(BIN)/python -m pytest tests/test_portable_runner.py tests/test_shared_metadata.py \
	  -k "not mysql and not sqlite" $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Re-resolve the lock (developers only; installs never resolve).
lock:
	$(PY) -m pip install -q uv==$(UV_VER) --target .uv-tool
	PYTHONPATH=.uv-tool .uv-tool/bin/uv pip compile requirements/base.in \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 \
	  $(if $(FIND_LINKS),--find-links $(FIND_LINKS)) --no-emit-find-links \
	  --custom-compile-command "make lock" -o requirements.lock

clean-runs:
	rm -rf runs
