# faultline: the two commands of the README, and their parts.
#   make run    install dependencies, build, run the default `faultline test`
#   make test   install dependencies, check the formatting, build (release and
#               ASan/UBSan), run every test
#   make format apply .clang-format to every source file
# Extra arguments for `make run`: make run ARGS="--seed 7".

JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
SANITIZE_DIR := build/sanitize

.PHONY: all deps configure build build-faultline build-sanitize run test test-release test-sanitize format format-check bench clean

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null

build: configure
	@cmake --build $(RELEASE_DIR) -j $(JOBS)

# Only the faultline binary: `make run` needs no tests or benchmarks.
build-faultline: configure
	@cmake --build $(RELEASE_DIR) -j $(JOBS) --target faultline

build-sanitize: deps
	@cmake -S . -B $(SANITIZE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DFAULTLINE_SANITIZE=ON > /dev/null
	@cmake --build $(SANITIZE_DIR) -j $(JOBS)

run: build-faultline
	./$(RELEASE_DIR)/faultline test $(ARGS)

test-release: build
	ctest --test-dir $(RELEASE_DIR) --output-on-failure -j $(JOBS)

# The sanitizer build skips tests labelled `slow` (long seed sweeps): they run in release.
test-sanitize: build-sanitize
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		ctest --test-dir $(SANITIZE_DIR) --output-on-failure -j $(JOBS) -LE slow

# Every C++ source under src/, tests/ and bench/, for clang-format.
SOURCES = $(shell find src tests bench -name '*.cc' -o -name '*.h')

format: deps
	@clang-format -i $(SOURCES)

# Fails, naming the files, when any source differs from what clang-format writes.
format-check: deps
	@clang-format --dry-run --Werror $(SOURCES)

test: format-check test-release test-sanitize

bench: build
	./$(RELEASE_DIR)/bench/faultline_bench

clean:
	rm -rf build
