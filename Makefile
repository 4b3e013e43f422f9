.PHONY: setup run test bench

setup:
	bash scripts/setup.sh

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

bench: setup
	.venv/bin/python bench/records_eval.py
	.venv/bin/python bench/ocr_overhead.py
	.venv/bin/python bench/ocr_quality.py
	.venv/bin/python bench/summary_eval.py
	.venv/bin/python bench/mts_eval.py
