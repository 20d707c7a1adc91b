# Two commands on a fresh machine: `make run` serves, `make test` tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# This machine only: nginx in front serves the pages over TLS (docs/operations.md). HOST=0.0.0.0
# listens on every interface, for a private network.
HOST ?= 127.0.0.1
MODELS := models

.PHONY: run model retrain test venv test-venv lint bench clean

run: model  ## Set up, build the default model if there is none, migrate, serve on $(HOST):$(PORT).
	$(BIN)/flask --app service db upgrade
	HOST=$(HOST) PORT=$(PORT) exec $(BIN)/gunicorn --config gunicorn.conf.py 'service:create_app()'

model: $(VENV)/.installed  ## Build the default model from the project's corpus unless one is current.
	@if [ -f $(MODELS)/current ]; then echo "model: $(MODELS)/current -> $$(cat $(MODELS)/current)"; \
	else $(BIN)/python -m training.train --out $(MODELS); fi

retrain: $(VENV)/.installed  ## Train a candidate: corpus + DATA="paths" + DECISIONS="export.jsonl"; ARGS="..." for more.
	$(BIN)/python -m training.train --out $(MODELS) $(foreach p,$(DATA),--data $(p)) \
		$(foreach p,$(DECISIONS),--decisions $(p)) $(ARGS)

test: $(VENV)/.installed-test model  ## Install what the tests need (PostgreSQL, Chromium) and run them.
	bash scripts/test.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[train,postgres]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[train,postgres,test]'
	touch $@

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

bench: $(VENV)/.installed  ## Latency, throughput and memory against the naive baseline.
	$(BIN)/python -m benchmarks.scoring

clean:
	rm -rf $(VENV) .pytest_cache
