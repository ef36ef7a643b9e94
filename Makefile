# Puente. `make run` serves the web chat on localhost; `make test` runs every test.
PY := .venv/bin/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: run test setup model lint validate bench

run:
	@scripts/setup.sh
	@$(PY) -m scripts.model >/dev/null
	@$(PY) -m scripts.stack run

test:
	@scripts/setup.sh test
	@$(PY) -m scripts.model
	$(PY) -m pytest

setup:
	@scripts/setup.sh test

model:
	@scripts/setup.sh
	@$(PY) -m scripts.model

lint:
	@.venv/bin/ruff check .
	@.venv/bin/ruff format --check .

validate:
	@.venv/bin/rasa data validate --config config.yml --domain domain.yml --data bot/data --fail-on-warnings

bench:
	@scripts/setup.sh
	@$(PY) -m scripts.bench
