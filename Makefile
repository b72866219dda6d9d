# One command for each chore; .ci/run uses `make test`.
.PHONY: install serve test test-fast lint fix typecheck bench

install:
	python -m pip install -r requirements-dev.txt

serve:
	streamlit run app.py

test:
	python -m pytest -q

test-fast:  # everything but the real-browser tests
	python -m pytest -q -m "not e2e"

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
