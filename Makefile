# One command for each chore; .ci/run uses `make test`.
.PHONY: install serve test typecheck-then-unit test-serial test-fast test-unit test-e2e lint fix typecheck bench

PYTEST = python -m pytest -q -p no:cacheprovider
# The tests' files go to memory (tmpfs) where there is room: a test workspace need not survive a
# power cut, and SQLite's durable commits (fsync) cost the unit suite minutes on a disk.
export TMPDIR ?= $(shell [ "$$(df -Pk /dev/shm 2>/dev/null | awk 'NR==2 {print $$4}')" -gt 4000000 ] 2>/dev/null && echo /dev/shm || echo /tmp)
# The core's docstring examples run as tests (env.py is Alembic's script, run only inside a migration).
DOCTESTS = --doctest-modules --ignore-glob=observe/store/migrations/env.py observe

install:
	python -m pip install -r requirements-dev.txt

serve:
	streamlit run app.py

# The README's test command: lint, then types and every test. Each step's failure fails the target,
# pytest's "no tests collected" (exit 5) included. The browser tests run beside the type check and
# the unit tests: they mostly wait (a server, a browser, a video playing), so on two cores the whole
# run is minutes shorter; -Otarget prints each leg's output whole when it ends. The unit tests run
# at a lower priority (nice): they take the CPU the browser tests leave, while a browser test kept
# waiting for the CPU would keep its browser rendering, and burning CPU, for longer.
test: lint
	$(MAKE) --no-print-directory -j2 -Otarget typecheck-then-unit test-e2e UNIT_NICE="nice -n 10"

typecheck-then-unit: typecheck
	$(MAKE) --no-print-directory test-unit

# unit, property, golden, AppTest and doctests on two processes (pytest-xdist)
test-unit:
	$(UNIT_NICE) $(PYTEST) -n 2 --dist loadgroup -m "not e2e" $(DOCTESTS) tests

# the real-browser tests, one at a time: they measure latencies and share one server per module
test-e2e:
	$(PYTEST) -m e2e tests/e2e

test-serial: lint typecheck test-unit test-e2e  # one suite after the other

test-fast: lint typecheck test-unit  # everything but the real-browser tests

lint:
	ruff check .
	ruff format --check .

fix:
	ruff check --fix .
	ruff format .

typecheck:
	mypy observe

bench:
	python -m bench
