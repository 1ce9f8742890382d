# Thin wrapper over CMake. `make` builds build/shoal; `make test` runs every
# test through CTest; `make demo` runs the bundled demo. The first two
# install missing Debian packages first (scripts/deps.sh).
BUILD    ?= build
JOBS     ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build test test-asan demo bench clean format

all: build

deps:
	@scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_ARGS) >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	$(MAKE) test-asan

# CI matrix entry: the unit tests again under AddressSanitizer + UBSan.
test-asan: deps
	cmake -S . -B $(BUILD)-asan -DSHOAL_SANITIZE=ON -DSHOAL_GUEST_TESTS=OFF >/dev/null
	cmake --build $(BUILD)-asan -j $(JOBS)
	cd $(BUILD)-asan && ctest --output-on-failure -j $(JOBS) -L unit

demo: build
	@scripts/demo.sh $(BUILD)

bench: build
	@bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(BUILD)-asan
