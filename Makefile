# Thin wrapper over CMake presets; every target bootstraps what is missing.
PRESET ?= dev
BUILD  := build/$(PRESET)
JOBS   ?= $(shell nproc)

.PHONY: all bootstrap build run test asan bench fuzz clean

all: build

bootstrap:
	@sh scripts/bootstrap.sh

$(BUILD)/build.ninja: | bootstrap
	cmake --preset $(PRESET) >/dev/null

build: bootstrap $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

run: build
	@sh scripts/run.sh $(BUILD)

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

asan:
	$(MAKE) test PRESET=asan

bench: build
	/usr/bin/python3 bench/smtp_throughput.py --build $(BUILD)
	/usr/bin/python3 bench/scan_throughput.py --build $(BUILD)

fuzz: bootstrap
	cmake --preset fuzz >/dev/null
	cmake --build build/fuzz -j $(JOBS)
	sh tests/fuzz/run.sh build/fuzz $${FUZZ_SECONDS:-60}

clean:
	rm -rf build var
