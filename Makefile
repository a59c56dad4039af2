# kizuna — the two set-up commands (`make run`, `make test`) and a few helpers.
# CMake does the building; this file only strings the steps together.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
DB         ?= var/kizuna.db
LISTEN     ?= 127.0.0.1:8080
JOBS       ?= $(shell nproc)

.PHONY: all deps build run test test-asan static-check check-full fuzz fuzz-build bench clean

all: build

deps:
	@scripts/install-deps

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKZ_WERROR=ON >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/run-node $(BUILD)/kizuna $(DB) $(LISTEN)

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory static-check

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DKZ_WERROR=ON -DKZ_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

# cppcheck on every file, clang-tidy on the files changed since their last
# analysis (docs/reliability.md); check-full re-runs clang-tidy everywhere.
static-check: build
	@scripts/static-check $(BUILD)

# Every fuzz target for FUZZ_SECONDS each, one after the other, in a clang
# build of its own (docs/reliability.md); then the full static check.
fuzz-build: deps
	@cmake -S . -B $(FUZZ_BUILD) -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DKZ_FUZZ=ON -DKZ_WERROR=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_all

fuzz: build fuzz-build
	@tests/fuzz/run-fuzz $(FUZZ_BUILD) $(FUZZ_SECONDS)
	@scripts/static-check --full $(BUILD)

check-full: build
	@scripts/static-check --full $(BUILD)

bench: build
	@bench/run $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
