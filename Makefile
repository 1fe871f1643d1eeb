# sosa: every target a newcomer needs. `make` alone lists them.
.DEFAULT_GOAL := help
SHELL := /bin/bash
export PATH := $(CURDIR)/.tools/bin:$(PATH)
PACKAGES := -p sosa.rules -p sosa.contracts -p sosa.decisions -p sosa.infra -p sosa.ops -p sosa.intake -p sosa.router -p sosa.notifier

.PHONY: help install run test test-faults bench test-unit check lint format typecheck arch kafka-start kafka-stop pg-start pg-stop clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## Install what is missing: uv, the locked Python dependencies, Java 17 and Maven
	@scripts/bootstrap.sh

run: install ## Start Kafka and the three services on embedded defaults, show a request flowing; Ctrl-C stops all
	@scripts/run.sh

test: install ## Every test: the suite on Kafka and PostgreSQL (started if not running), then the fault suite
	@scripts/test.sh
	@scripts/test-faults.sh

test-faults: install ## Only the fault suite: kills, stops and restarts its own infrastructure under load; prints figures
	@scripts/test-faults.sh

bench: install ## Benchmarks on Kafka and PostgreSQL (started if not running): throughput, latency (docs/performance.md)
	@scripts/bench.sh

test-unit: install ## Only the tests that need nothing running
	@uv run pytest tests/unit

lint: ## ruff lint and format check (rewrites nothing)
	@uv run ruff check .
	@uv run ruff format --check .

format: ## Rewrite files with ruff's fixes and formatting
	@uv run ruff check --fix .
	@uv run ruff format .

typecheck: ## mypy --strict over every package
	@uv run mypy $(PACKAGES)

arch: ## import-linter: layer boundaries (rules are pure; services never import each other)
	@uv run lint-imports

check: install lint typecheck arch test ## What CI runs: lint, types, boundaries, then every test

kafka-start: ## Start the local Kafka broker (KRaft, from Maven Central jars)
	@scripts/kafka.sh start
kafka-stop: ## Stop the local Kafka broker
	@scripts/kafka.sh stop
pg-start: ## Start the local test PostgreSQL
	@scripts/postgres.sh start
pg-stop: ## Stop the local test PostgreSQL
	@scripts/postgres.sh stop

clean: ## Stop local servers and delete var/ (broker data, databases, logs)
	@scripts/kafka.sh stop || true
	@scripts/postgres.sh stop || true
	rm -rf var
