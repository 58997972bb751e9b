# The two commands a blogger needs: `make serve` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app blog
# A local run keeps its secret key and SQLite database in instance/ (SPEC §7).
LOCAL  := FLASK_DEBUG=1

.PHONY: serve test lint bench bench-servers lighthouse stress screenshots publish moderator clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test]"
	touch $@

# make serve PORT=5300 HOST=0.0.0.0 (0.0.0.0: every address of this machine, for a phone on the same network)
HOST ?= 127.0.0.1
PORT ?= 5000

serve: $(VENV)/.installed
	$(LOCAL) $(FLASK) db upgrade
	$(LOCAL) $(FLASK) content publish
	@echo
	@echo "  The blog is at http://$(HOST):$(PORT)/"
	@echo "  To moderate comments, create a moderator in another terminal:"
	@echo "      make moderator NAME=yourname"
	@echo "  then sign in at http://$(HOST):$(PORT)/admin/login"
	@echo
	$(LOCAL) $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

moderator: $(VENV)/.installed
	@test -n "$(NAME)" || { echo "usage: make moderator NAME=yourname"; exit 2; }
	$(LOCAL) $(FLASK) moderator create "$(NAME)"

publish: $(VENV)/.installed
	$(LOCAL) $(FLASK) content publish

# The suite's browser checks need axe-core and the Nu Html Checker from npm (package-lock.json pins them):
# installed here when npm is on the machine, so a fresh clone runs the suite in full.
NPM := $(shell command -v npm 2>/dev/null)

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --silent

test: $(VENV)/.installed-test $(if $(NPM),node_modules/.package-lock.json)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Then the moderation queue on 1,000,000 comments, SQLite and PostgreSQL (BENCH_DATABASE_URL; see --help).
bench: $(VENV)/.installed-test
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/bench_queue.py

# Which WSGI server serves the article best here (flask serve's granian, gunicorn's worker classes).
bench-servers: $(VENV)/.installed-test
	$(BIN)/python scripts/bench_servers.py

# Lighthouse's four categories for the article and the index, mobile and desktop (fetched by npx).
lighthouse: $(VENV)/.installed-test
	$(BIN)/python scripts/lighthouse.py

stress: $(VENV)/.installed-test
	$(BIN)/python scripts/stress.py --posts 1000 --clients 16 --workers 4 --db both

screenshots: $(VENV)/.installed-test
	$(BIN)/python scripts/screenshots.py --serve

lint: $(VENV)/.installed-test
	$(BIN)/ruff check blog tests scripts
	$(BIN)/ruff format --check blog tests scripts

clean:
	rm -rf $(VENV) instance .pytest_cache
