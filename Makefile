.PHONY: setup run test lint bench

setup:
	bash scripts/setup.sh

# Sets up what is missing, then runs the local stack on the embedded defaults until Ctrl-C.
run: setup
	.venv/bin/referral dev

# Sets up what is missing, then runs the whole test suite (slow suites included).
test: setup
	.venv/bin/ruff check .
	.venv/bin/mypy referral flows activities workers review
	.venv/bin/pytest -q -rs

lint: setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

bench: setup
	.venv/bin/python bench/ocr_overhead.py
