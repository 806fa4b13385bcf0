# hubcast: `make run` starts a development server, `make test` runs every test, `make lint` checks
# the code's form, `make bench` measures hubcast against its peers (bench/README.md).
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc)
LISTEN ?= 127.0.0.1:8080
DEV_ACCESS_KEY ?= hubcast-development-access-key-change-me

.PHONY: all deps build server run test lint format-check tidy header-check layer-check test-asan \
	test-tsan sdk-deps sdk-test sdk-test-cluster sdk-test-redis-cluster bench soak faults fuzz format \
	clean deb

all: build

deps:
	@./scripts/install-deps.sh

# scripts/build.sh configures the tree when needed (also when BUILD_TYPE changed), prints progress
# in a line and keeps the compiler's output in the log it names.
build: deps
	@./scripts/build.sh $(BUILD_DIR) $(BUILD_TYPE) $(JOBS) $(BUILD_DIR)/make-build.log

# Builds only the server (and its generated headers), not the test suite.
server: deps
	@./scripts/build.sh $(BUILD_DIR) $(BUILD_TYPE) $(JOBS) $(BUILD_DIR)/make-server.log hubcast

run: server
	@./scripts/run-dev.sh $(BUILD_DIR)/hubcast $(LISTEN) $(DEV_ACCESS_KEY)

# The Debian package (docs/packaging.md): the release build of hubcast alone in BUILD_DIR, packaged
# by packaging/debian/build-deb.sh into $(BUILD_DIR)/deb/. DEB_MAINTAINER sets the Maintainer field.
deb: deps
	@./scripts/build.sh $(BUILD_DIR) Release $(JOBS) $(BUILD_DIR)/make-deb.log hubcast
	@./packaging/debian/build-deb.sh $(BUILD_DIR)/hubcast $(BUILD_DIR)/deb

# Every test once, in the strictest build that can run it: the release server for the lint, the
# checks that need a plain build (the Debian package, the bounded fuzz pass with its own clang
# build) and the SDK tests; the unit, integration and conformance tests compiled and run once, in
# the ASan+UBSan tree with assertions on (docs/testing.md, "What make test runs").
test: server sdk-deps
	@$(MAKE) --no-print-directory lint
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 1200 -R '^(package|fuzz)\.'
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory sdk-test
	@$(MAKE) --no-print-directory sdk-test-cluster
	@$(MAKE) --no-print-directory sdk-test-redis-cluster

# Sanitizer trees (docs/testing.md, "Sanitizers"): everything, hubcast included, compiled with the
# sanitizers and with assertions on; any report fails the run. test-asan covers the unit,
# integration and conformance tests; test-tsan the tests in which several workers meet.
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan

test-asan: deps
	@cmake -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DHUBCAST_SANITIZE=address,undefined \
		-DHUBCAST_WERROR=ON >/dev/null
	@./scripts/build.sh $(ASAN_DIR) Debug $(JOBS) $(ASAN_DIR)/make-build.log
	@cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

test-tsan: deps
	@cmake -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DHUBCAST_SANITIZE=thread >/dev/null
	@cmake --build $(TSAN_DIR) -j $(JOBS)
	@cd $(TSAN_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 900

sdk-deps:
	@cd tests/sdk && if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then \
		npm ci --no-audit --no-fund --loglevel=error; fi

sdk-test: sdk-deps
	@cd tests/sdk && HUBCAST_BINARY=$(CURDIR)/$(BUILD_DIR)/hubcast node --test --test-concurrency=1 *.test.mjs

# The SDK tests again, each against three nodes over Redis behind nginx round robin instead of one
# server (HUBCAST_SDK_NODES=3): every client and REST call of a test goes to the next node, so what
# one node does is checked across nodes (docs/testing.md, "The cluster SDK tests"). Left out: the
# tests of one process's own formats and timers (connection strings, tokens, keep-alive, shutdown,
# other SDKs' shapes) and the proxy test (a second proxy in front of the balancer).
SDK_CLUSTER_TESTS = hubs invoke json-protocol metadata permissions protobuf pubsub reliable rest-close \
	rest-membership rest-paging rest-permissions rest-sends simple-clients webhooks
sdk-test-cluster: sdk-deps
	@cd tests/sdk && HUBCAST_SDK_NODES=3 HUBCAST_BINARY=$(CURDIR)/$(BUILD_DIR)/hubcast \
		node --test --test-concurrency=1 $(SDK_CLUSTER_TESTS:%=%.test.mjs)

# The cluster SDK tests (cluster.test.mjs) with the nodes on a Redis Cluster of three masters
# instead of one Redis (HUBCAST_SDK_REDIS=cluster): sharded pub/sub, presence under one hash tag
# (docs/scale-out.md, "Redis Cluster"; docs/testing.md, "The cluster SDK tests").
sdk-test-redis-cluster: sdk-deps
	@cd tests/sdk && HUBCAST_SDK_REDIS=cluster HUBCAST_BINARY=$(CURDIR)/$(BUILD_DIR)/hubcast \
		node --test --test-concurrency=1 cluster.test.mjs

# Benchmarks (never part of `make test`): peers side by side, the ceiling, micro-benchmarks;
# rewrites docs/benchmarks.md. About 15 minutes; see bench/README.md. BENCH_ONLY, BENCH_QUICK and
# BENCH_SOURCE select what runs (bench/run.sh).
bench: deps
	@./scripts/install-bench-deps.sh
	@./bench/run.sh

# Soak and fault runs (never part of `make test`; docs/reliability.md). `make soak` holds 19,000
# connections with churn, group, REST and reliable traffic for SOAK_MINUTES (default 30) and fails
# if RSS or descriptors grow after warm-up, p99 drifts or a reliable message is lost or repeated;
# `make faults` runs the fault checks (about 2 minutes). Both build in build-soak/.
SOAK_BUILD_DIR ?= build-soak

soak: deps
	@SOAK_BUILD_DIR=$(CURDIR)/$(SOAK_BUILD_DIR) ./bench/soak/run.sh

faults: deps
	@cmake -S . -B $(SOAK_BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DHUBCAST_BUILD_TESTS=OFF -DHUBCAST_BUILD_BENCH=ON >/dev/null
	@nice cmake --build $(SOAK_BUILD_DIR) -j 2 --target hubcast >/dev/null
	@nice /usr/bin/python3 bench/soak/faults.py $(SOAK_BUILD_DIR)/hubcast

# Fuzzing (never part of `make test`, which runs a bounded pass): every libFuzzer target for
# FUZZ_SECONDS each, two at a time, from its seed corpus. The clang build in build-fuzz/build is kept
# between runs; reproducers of findings land in build-fuzz/artifacts (docs/testing.md, "Fuzzing").
FUZZ_SECONDS ?= 60
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_RUNS=$${FUZZ_RUNS:--1} ./tests/fuzz/run_fuzzers.sh . build-fuzz

# Lint (docs/testing.md, "Lint"), part of `make test`: formatting, clang-tidy on src/ (only the
# files whose inputs changed since their last clean run), the layer rules, and every header under
# src/ compiling on its own. Each check runs here and nowhere else.
LINT_SOURCES = find src tests bench -name '*.cpp' -o -name '*.hpp'

lint: format-check layer-check header-check tidy

format-check:
	@$(LINT_SOURCES) | xargs clang-format --dry-run --Werror 2>&1 | \
		awk '/: (error|warning):/ { split($$0, part, ":"); files[part[1]] = 1 } \
		END { for (f in files) { print "format-check: " f " is not clang-formatted (make format)"; n++ } exit n > 0 }'

layer-check:
	@python3 tools/check_layers.py src

header-check: server
	@MAKEFLAGS=--no-print-directory cmake --build $(BUILD_DIR) -j $(JOBS) --target header_check \
		>$(BUILD_DIR)/make-header-check.log 2>&1 || \
		{ tail -n 40 $(BUILD_DIR)/make-header-check.log; echo "header-check: a header does not compile alone; full log in $(BUILD_DIR)/make-header-check.log"; exit 1; }

tidy: server
	@python3 tools/run_clang_tidy.py --build-dir $(BUILD_DIR) --jobs $(JOBS) src

format:
	@$(LINT_SOURCES) | xargs clang-format -i

clean:
	@rm -rf $(BUILD_DIR) $(ASAN_DIR) $(TSAN_DIR)
