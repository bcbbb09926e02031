# One machine, seven folders. A convenience for local work and CI, not a build graph:
# each folder builds and tests alone with its own Makefile.
SERVICES := core-api edge-bff workers ai-coach web-ui
export TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: up test bench bench-import-1m lock bump-contracts uv index browser

## up: install everything, then run the whole system with the demo account
up: uv
	python3 tools/dev.py up

## test: boundaries, lint, types and every folder's tests, browser end to end included
test: index browser
	python3 tools/check_boundaries.py
	python3 tools/run_tests.py

## bench: the benchmark suite; writes docs/performance.md
bench: index
	$(MAKE) --no-print-directory -C bench run

## bench-import-1m: the whole stack imports 1,000,000 executions, in both modes (minutes)
bench-import-1m: index
	$(MAKE) --no-print-directory -C bench import-1m

## lock: re-lock every folder (after a dependency change)
lock: index
	for folder in tools contracts bench infra $(SERVICES); do \
		[ -f $$folder/pyproject.toml ] && (cd $$folder && uv lock --quiet) || exit 1; \
	done

## bump-contracts VERSION=X.Y.Z: pin every service to a released contracts version
bump-contracts: index
	python3 tools/bump_contracts.py $(VERSION)

uv:
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet uv

index: uv
	@python3 tools/local_index.py start

browser:
	@command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)
