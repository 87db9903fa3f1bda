# Two commands for a newcomer: `make demo` (release, build a sample class, grade it, print the table)
# and `make test`. Both create the virtual environment and install everything on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# nbgrader shells out to alembic: the venv's bin/ must be on PATH even when it is not activated.
RUN := PATH="$(abspath $(BIN)):$$PATH"

.PHONY: demo test lint bench bench-keras release messages selfcheck gpu-worker system-deps test-deps clean

# TensorFlow for the CPU (the `keras` extra), or with CUDA once `make gpu-worker` has marked the venv.
TF_EXTRA = $(if $(wildcard $(VENV)/.gpu),gpu,keras)

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,$(TF_EXTRA),postgres]'
	touch $@

# A GPU grading worker in one command: the venv with TensorFlow's CUDA build (the `gpu` extra; the
# CUDA libraries come as pip wheels, only the NVIDIA driver must be installed), then the check each
# GPU worker runs at start-up. Then: scripts/start_gpu_workers.sh tcp://SCHEDULER:8786
gpu-worker: system-deps
	$(PYTHON) -m venv $(VENV)
	touch $(VENV)/.gpu
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip uninstall -q -y tensorflow-cpu
	$(BIN)/python -m pip install -q -e '.[test,gpu,postgres]'
	touch $(BIN)/.installed
	$(RUN) $(BIN)/grader doctor --gpu

# bubblewrap confines student code; libseccomp2 compiles its seccomp filter (pyseccomp loads it).
system-deps:
	@{ command -v bwrap >/dev/null && ldconfig -p | grep -q 'libseccomp\.so\.2'; } || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq bubblewrap libseccomp2; \
	  else echo "bubblewrap or libseccomp2 is missing: sudo apt-get install bubblewrap libseccomp2"; exit 1; fi; }

# What only the tests need: a PostgreSQL server (gradebook tests) and Chromium (the report's browser test).
test-deps: system-deps
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq postgresql; \
	  else echo "PostgreSQL (for tests/test_postgres.py) is missing: sudo apt-get install postgresql"; exit 1; fi; }
	@# chromium: tests/test_report.py loads the report page in a real headless browser (skipped without it)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "chromium is missing (the report's browser test is skipped): sudo apt-get install chromium"; fi; }

demo: system-deps $(BIN)/.installed
	$(RUN) $(BIN)/grader demo

test: lint test-deps $(BIN)/.installed
	$(RUN) $(BIN)/python -m pytest -q

lint: $(BIN)/.installed
	$(BIN)/ruff check .

bench: system-deps $(BIN)/.installed
	$(RUN) $(BIN)/python benchmarks/bench_autograde.py

bench-keras: system-deps $(BIN)/.installed
	$(RUN) $(BIN)/python benchmarks/bench_keras.py --json benchmarks/bench_keras.json

release: $(BIN)/.installed
	$(RUN) $(BIN)/grader release

# The message catalogs: extract every message (Babel), merge it into grader/locale/hu/LC_MESSAGES/grader.po
# and assignments/locale/hu/LC_MESSAGES/checks.po, compile the .mo files. Translate the empty msgstr
# entries of the .po files, then run it again (and `make release`: the Hungarian notebooks use them).
messages: $(BIN)/.installed
	$(BIN)/python -m grader.catalogs

# The students' self-check (grader validate only, no solutions), for the course page:
# build/selfcheck/cnn_grader_selfcheck-VERSION-py3-none-any.whl (standard library only, no venv needed).
selfcheck:
	$(PYTHON) -m grader.selfcheck --out build/selfcheck


clean:
	rm -rf demo-course .bench
