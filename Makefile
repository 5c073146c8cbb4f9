# Thin targets: one command each. CI (.ci/run) calls the same targets.
CARGO ?= cargo

.PHONY: bench-floor bench-upload run demo test test-python test-api-schema test-browser test-postgres fmt lint unit deps-check bench bench-http bench-startup doc soak

## Serve the HTTP API on the embedded SQLite default (data/granttrail.db).
run:
	$(CARGO) run --release -p granttrail-cli -- serve

## Import the seed project into the database `make run` serves.
demo:
	$(CARGO) run --release -p granttrail-cli -- import tests/fixtures/seed-project.json

## Everything a clean clone must pass: format, lints, the domain boundary, tests.
test: fmt lint deps-check unit

fmt:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

# The end-to-end suite drives the real binary, so it is built first.
unit:
	$(CARGO) build -p granttrail-cli --locked
	$(CARGO) test --workspace --locked --exclude granttrail-store-postgres

## The auditor's Python verifier of docs/verifying.md, run for real: needs
## python3 with rfc8785 and cryptography (.ci/run installs them). `make
## test` reports this test as ignored.
test-python:
	$(CARGO) build -p granttrail-cli --locked
	$(CARGO) test --locked -p granttrail-e2e --test python_verify -- --ignored

## The OpenAPI document against the real server with schemathesis (from
## PyPI; .ci/run installs it): zero failures of not_a_server_error,
## status_code_conformance, content_type_conformance and
## response_schema_conformance, at a fixed number of examples and seed.
test-api-schema:
	$(CARGO) build -p granttrail-cli --locked
	$(CARGO) test --locked -p granttrail-e2e --test api_schema -- --ignored

## The tests that drive a real headless Chromium over WebDriver: need
## Debian's chromium and chromium-driver (.ci/run installs them). `make
## test` reports these tests as ignored. Screenshots land in
## target/ui-screenshots/.
test-browser:
	$(CARGO) build -p granttrail-cli --locked
	$(CARGO) test --locked -p granttrail-e2e --test reference_page --test web_ui -- --ignored

## The PostgreSQL suites: needs GRANTTRAIL_TEST_POSTGRES_URL (.ci/run sets
## it). The store's own suite, then the suites written for both backends
## (projections, end to end) switched to PostgreSQL by GRANTTRAIL_TEST_BACKEND.
test-postgres:
	@test -n "$$GRANTTRAIL_TEST_POSTGRES_URL" || (echo "set GRANTTRAIL_TEST_POSTGRES_URL" && false)
	$(CARGO) build -p granttrail-cli --locked
	$(CARGO) test --locked -p granttrail-store-postgres
	GRANTTRAIL_TEST_BACKEND=postgres $(CARGO) test --locked -p granttrail-app --test projections
	GRANTTRAIL_TEST_BACKEND=postgres $(CARGO) test --locked -p granttrail-e2e

## The domain crate must never depend on IO or async crates.
deps-check:
	@! $(CARGO) tree -p granttrail-domain -e normal --prefix none | grep -E '^(tokio|sqlx|axum|hyper|reqwest|rusqlite) ' \
	  || (echo "granttrail-domain depends on an IO crate" && false)
	@echo "deps-check: granttrail-domain is pure"

## Ten minutes of mixed load against the real server, killed with SIGKILL
## every 60 s and restarted; then every acknowledged command must be there,
## verify clean and the project list equal to a rebuild. Not part of `test`.
## GRANTTRAIL_SOAK_MINUTES changes the length.
soak:
	$(CARGO) build --release -p granttrail-cli -p granttrail-e2e --locked
	target/release/soak

## The attachment benchmark of issue 18: RSS growth of a 20 MiB upload,
## and signings beside 64 clients uploading 1 MiB files (release build).
bench-upload:
	$(CARGO) build --release -p granttrail-cli -p granttrail-e2e --locked
	target/release/upload_bench

## Benchmarks (figures go in docs/benchmarks.md): criterion for in-process
## paths, then oha against the release server beside a trivial handler.
bench:
	$(CARGO) bench --workspace --locked
	$(MAKE) bench-http bench-startup

bench-http:
	tests/load/http.sh 10s 32

## What SQLite alone spends on one signing's rows, on one pinned core.
bench-floor:
	taskset -c 0 $(CARGO) bench --locked -p granttrail-store-sqlite --bench floor

## Needs the database the rebuild benchmark (part of `cargo bench`) made.
bench-startup:
	tests/load/startup.sh

doc:
	$(CARGO) doc --workspace --no-deps
