# The README's two commands are `make run` and `make test`; both set up everything first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test e2e lint bench import-knowledge eval clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: install
	$(PY) -m bot serve

test: install
	$(PY) -m bot kb check
	$(PY) -m pytest -q

# The browser tests alone (Debian's chromium: apt-get install chromium).
e2e: install
	$(PY) -m pytest -q -m e2e tests/e2e

lint: install
	$(PY) -m ruff check bot handlers knowledge tests benchmarks eval

bench: install
	$(PY) -m benchmarks.knowledge_bench
	$(PY) -m benchmarks.web_load --users 50 --seconds 120 --rate 300
	$(PY) -m benchmarks.telegram_bench --updates 2000
	$(PY) -m benchmarks.zalo_bench --events 2000
	$(PY) -m benchmarks.broadcast_bench --seconds 40 --high-rate 200 --high-seconds 30
	$(PY) -m benchmarks.staff_bench

# Re-create knowledge/data from the national records beside the repository.
import-knowledge: install
	$(PY) -m bot kb import ../shared/data/national-procedures.jsonl.gz

# The dev set (a smoke test), the older holdout, and the citizen set's two halves (eval/README.md).
eval: install
	$(PY) -m bot eval ../shared/eval/dev-questions.yaml
	$(PY) -m bot eval tests/knowledge/fixtures/holdout-questions.yaml
	$(PY) -m bot eval eval/citizens-tuning.yaml
	$(PY) -m bot eval eval/citizens-frozen.yaml

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
