# AnalogBMRU — see README.md. `make demo` and `make test` work as the first command on a fresh Debian machine.
SHELL := /bin/bash
SWIFT ?= swift
BUILD_FLAGS ?=
BIN := .build/release/bmru
export BMRU_MODELS ?= $(CURDIR)/models/gf180mcu

.PHONY: all setup setup-test models build test test-cluster demo bench clean netlists calibrate kws fuzz power noise

all: build

setup:
	@bash scripts/setup.sh

# setup, and chromium: the tests that render report.html in a headless browser need it
setup-test:
	@bash scripts/setup.sh test

models:
	@bash scripts/fetch-models.sh

build: setup
	$(SWIFT) build -c release $(BUILD_FLAGS)

test: setup-test models
	$(SWIFT) test $(BUILD_FLAGS)

# The README's Slurm job array on a real scheduler: a local single-node cluster (scripts/slurm-local.sh, which
# installs slurm-wlm and munge as root), a shard requeued mid-run, the merged shards against one unsharded run
# (scripts/test-cluster.sh; about a minute once bmru is built).
test-cluster: setup models
	$(SWIFT) build -c release --product bmru $(BUILD_FLAGS)
	@BMRU_BIN_DIR=$(CURDIR)/$(dir $(BIN)) bash scripts/test-cluster.sh

demo: setup models build
	@bash scripts/demo.sh

bench: setup models build
	@for b in bench/*.sh; do echo "== $$b"; bash "$$b" || exit $$?; done

netlists: build models
	@bash scripts/netlists.sh

clean:
	rm -rf .build out fuzz/.build

# Fuzz the file parsers with libFuzzer (fuzz/README.md): FUZZ_SECONDS per target (brief CI run: FUZZ_SECONDS=10),
# FUZZ_TARGETS to pick some (e.g. FUZZ_TARGETS="fuzz-wav fuzz-npy"). Fails when a fuzzer found a failing input,
# kept under out/fuzz/<target>/.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: setup
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz.sh $(FUZZ_TARGETS)

# Regenerate the committed calibration tables of every corner at 27 and -20 C, and typical at -40 C (needs the
# models; about 5 minutes). Decks use the table of the nearest temperature (Netlist/CalibrationTables.swift).
calibrate: setup models build
	@for c in typical ff ss fs sf; do \
	  echo "== calibrate $$c"; \
	  $(BIN) calibrate --corner $$c -o models/calibration/$$c.json || exit $$?; \
	  echo "== calibrate $$c at -20 C"; \
	  $(BIN) calibrate --corner $$c --temp=-20 -o models/calibration/$$c-minus20C.json || exit $$?; \
	done
	@echo "== calibrate typical at -40 C"; $(BIN) calibrate --corner typical --temp=-40 -o models/calibration/typical-minus40C.json

# The power-scaling study (bmru power) at the README's widths (about 10 minutes on 2 cores; resumable).
power: setup models build
	$(BIN) power --widths 4,8,16,32,64 --out out/power --resume

# The noise-immunity study (bmru noise) of the shipped spotter: input, device and mismatch noise, accumulation
# over 505 frames against the continuous-state baseline (about 10 minutes on one core; resumable).
noise: setup models build
	$(BIN) noise examples/kws-yes.json --input examples/kws-yes-1.csv --out out/noise --sources input,device,mismatch --resume

# Synthesise the espeak-ng dataset, train the state-4 keyword spotter and evaluate it (minutes).
kws: setup build
	$(BIN) kws synth --out out/kws-data --per-word 1000
	$(BIN) train --task kws --data out/kws-data --state 4 --width 8 --ema 0.99 --restarts 3 --hard-negatives -o out/kws-yes.json
	$(BIN) kws eval out/kws-yes.json --data out/kws-data
