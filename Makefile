# Quick start: `make demo` runs the user-guide walkthrough, `make test` runs the whole suite.
# Both create the virtualenv and install everything on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The real ml-metadata 1.17.1 (Python 3.11 only) in its own virtualenv: the oracle for differential tests.
ORACLE_VENV ?= .venv-oracle
ORACLE_PYTHON ?= $(shell command -v python3.11 2>/dev/null || ls $$HOME/.pyenv/versions/3.11*/bin/python3.11 2>/dev/null | tail -n 1)
PYTEST_ARGS ?=
# mysqlclient (the MySQL backend's C driver, engine/backends/mysql_driver.py) where it can be built: the MariaDB or
# MySQL client headers (Debian: libmariadb-dev pkg-config) and a C compiler; without them, PyMySQL alone.
EXTRAS := test,lint,mysql,postgresql$(shell (pkg-config --exists mariadb || pkg-config --exists mysqlclient) \
  2>/dev/null && command -v cc >/dev/null && echo ,mysql-fast)

.PHONY: demo test check lint test-pymysql test-pure test-installed test-all-pythons oracle bench protos clean

$(BIN)/.installed: pyproject.toml setup.py $(wildcard engine/*.pyx)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/python examples/seed_walkthrough.py

# The suite runs twice: on the compiled kernels and on their pure-Python twins (without the heavy process-level
# load and fault tests and the MySQL/PostgreSQL scenario runs: the kernels are the same code on every backend,
# and the SQLite runs exercise the twins). Each pass spreads its test files over TEST_WORKERS processes
# (pytest-xdist; a file's tests stay together, so its session fixtures are built once); the heavy tests, which
# load the machine themselves, run afterwards on their own. Exit status 5 is pytest's "nothing selected", for
# PYTEST_ARGS that name no heavy test. Last, the pytest-benchmark suites (make bench) run each benchmark once,
# untimed, so that they keep up with the code they time.
TEST_WORKERS ?= 2
PARALLEL := -n $(TEST_WORKERS) --dist loadfile
test: $(BIN)/.installed oracle
	FASTMLMD_ORACLE_PYTHON=$(abspath $(ORACLE_VENV))/bin/python $(BIN)/python -m pytest $(PARALLEL) -m 'not heavy' $(PYTEST_ARGS)
	FASTMLMD_ORACLE_PYTHON=$(abspath $(ORACLE_VENV))/bin/python $(BIN)/python -m pytest -q -m heavy $(PYTEST_ARGS) \
	  || [ $$? = 5 ]
	FASTMLMD_PURE_PYTHON=1 $(BIN)/python -m pytest -q $(PARALLEL) -m 'not oracle and not heavy and not server' $(PYTEST_ARGS)
	$(BIN)/python -m pytest -q benches --benchmark-disable

# The MySQL backend's own tests (its connection and config, flights, errors, kills, writers, text, word index, conversions of
# MLMD's latin1 stores) once more on PyMySQL, where `make test` ran them on mysqlclient (engine/backends/
# mysql_driver.py): CI runs both.
MYSQL_DRIVER_TESTS ?= tests/test_backends.py tests/api/test_mysql.py tests/api/test_mysql_words.py tests/api/test_server_round_trips.py \
  tests/api/test_server_kill.py tests/api/test_server_writers.py tests/api/test_fidelity.py \
  tests/api/test_error_messages.py tests/convert/test_convert_servers.py::test_in_place
test-pymysql: $(BIN)/.installed oracle
	FASTMLMD_MYSQL_DRIVER=pymysql FASTMLMD_ORACLE_PYTHON=$(abspath $(ORACLE_VENV))/bin/python \
	  $(BIN)/python -m pytest -q -k 'mysql or test_backends' $(MYSQL_DRIVER_TESTS) $(PYTEST_ARGS)

test-pure: $(BIN)/.installed
	FASTMLMD_PURE_PYTHON=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

# A regular (non-editable) install, tested from the repository root as a user would run it: nothing in the
# checkout may shadow the installed packages, and the wheel must carry every package, data file (the grammar
# and the protos), console script and the compiled kernels. The tests here reach each of them
# (the layout test checks where every package came from); `make test` ran the whole suite on the same code,
# and CI's 30 minutes do not hold it twice.
INSTALLED_VENV ?= .venv-installed
INSTALLED_TESTS ?= tests/test_layout.py tests/test_walkthrough.py tests/test_protos.py tests/test_rowcore.py \
  tests/grammar tests/api/test_mlmd_peer_suite.py tests/api/test_nodes.py tests/api/test_listing.py \
  tests/lineage/test_lineage.py tests/cli tests/server/test_server.py tests/convert/test_convert_front_doors.py \
  tests/test_bench_runner.py
test-installed: oracle
	test -x $(INSTALLED_VENV)/bin/python || $(PYTHON) -m venv $(INSTALLED_VENV)
	$(INSTALLED_VENV)/bin/python -m pip install -q --upgrade pip
	$(INSTALLED_VENV)/bin/python -m pip install -q --force-reinstall --no-deps .
	$(INSTALLED_VENV)/bin/python -m pip install -q '.[test,mysql,postgresql]'
	FASTMLMD_EXPECT_INSTALLED=1 FASTMLMD_ORACLE_PYTHON=$(abspath $(ORACLE_VENV))/bin/python \
	  $(INSTALLED_VENV)/bin/python -m pytest -q $(PARALLEL) -m "not server" $(INSTALLED_TESTS) $(PYTEST_ARGS)

# Both paths, without the differential tests (the oracle needs Python 3.11).
check: $(BIN)/.installed
	$(BIN)/python -m pytest -m 'not oracle' $(PYTEST_ARGS)
	FASTMLMD_PURE_PYTHON=1 $(BIN)/python -m pytest -m 'not oracle' $(PYTEST_ARGS)

# Best effort: without Python 3.11 or without the wheel, the differential tests skip and say why.
oracle:
	@if [ -x $(ORACLE_VENV)/bin/python ] && $(ORACLE_VENV)/bin/python -c 'import ml_metadata' 2>/dev/null; then :; \
	elif [ -n "$(ORACLE_PYTHON)" ]; then \
	  ( $(ORACLE_PYTHON) -m venv $(ORACLE_VENV) && $(ORACLE_VENV)/bin/python -m pip install -q 'ml-metadata==1.17.1' ) \
	    || echo "oracle: could not install ml-metadata 1.17.1; differential tests will skip"; \
	else echo "oracle: no Python 3.11 found; differential tests will skip"; fi

# Every Python from 3.9 to 3.13 found under pyenv, each in its own virtualenv.
test-all-pythons:
	@set -e; for v in 3.9 3.10 3.11 3.12 3.13; do \
	  py=$$(ls -d $$HOME/.pyenv/versions/$$v.*/bin/python$$v 2>/dev/null | tail -n 1); \
	  if [ -z "$$py" ]; then echo "== Python $$v: not found under pyenv, skipped"; continue; fi; \
	  echo "== Python $$v ($$py)"; \
	  $(MAKE) --no-print-directory check PYTHON=$$py VENV=.venv-$$v PYTEST_ARGS=-q; \
	done

# mypy, following every import to its source folder (tools/typecheck.py explains how).
lint: $(BIN)/.installed
	$(BIN)/python tools/typecheck.py

bench: $(BIN)/.installed
	$(BIN)/python -m pytest benches --benchmark-only $(PYTEST_ARGS)

# Regenerates the protobuf modules from bindings/**/*.proto (see tools/gen_protos.py).
protos:
	$(PYTHON) tools/gen_protos.py

clean:
	rm -rf build dist *.egg-info $(VENV) .venv-3.* $(INSTALLED_VENV) engine/_*.c engine/*.so
