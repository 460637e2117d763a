# gradprint build entry points. Every target installs what is missing first.
SHELL := /bin/bash
GO ?= go
# duckdb_arrow enables duckdb-go's Arrow API; purego selects the pure-Go GEMM.
GOTAGS ?= duckdb_arrow
BIN := bin/gradprint
# Stamped into the binary; `gradprint version` prints them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# make image: the OCI image's name and tag.
IMAGE ?= localhost/gradprint
TAG ?= $(VERSION)
# OpenBLAS workers must not spin between calls while Go code needs the cores.
export OPENBLAS_NUM_THREADS ?= 1
export OPENBLAS_THREAD_TIMEOUT ?= 4

.PHONY: deps build deterministic demo test fuzz bench lint image clean

# Fuzz targets and their packages; `make fuzz FUZZTIME=1h` runs them longer.
# The default budget is a count of executions, not a duration: Go 1.26's
# fuzz coordinator can fail a target with a bare "context deadline exceeded"
# when a -fuzztime duration expires while a worker is mid-call
# (golang/go#75804, fixed in Go 1.27); a count sets no deadline to race.
FUZZTIME ?= 5000x
FUZZMINIMIZE ?= 200x
FUZZ := FuzzLoad:./compute/weights/ FuzzLoadModel:./compute/resnet/ FuzzReadNPZ:./ingest/ FuzzReadPNG:./ingest/ FuzzParseHeader:./ingest/

deps:
	@if [[ "$(GOTAGS)" != *purego* ]]; then bash scripts/install-deps.sh; fi

build: deps
	$(GO) build -tags '$(GOTAGS)' -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/gradprint

# The deterministic mode: the pure-Go build's blocked GEMM in C without FMA
# contraction (bit-identical to the Go kernel), batch sums split into a
# fixed number of parts, Go compiled without FMA fusion (GOAMD64=v1):
# trains bit-identical weights on every x86-64 CPU at any thread count, the
# same as the purego build. Slower than the OpenBLAS build: docs/benchmarks.md.
DETBIN := bin/gradprint-deterministic
deterministic:
	GOAMD64=v1 $(GO) build -tags '$(GOTAGS) deterministic' -ldflags '$(LDFLAGS)' -o $(DETBIN) ./cmd/gradprint

# An OCI image built from scratch with buildah (no base image is pulled):
# the binary, its shared libraries, CA certificates and a non-root user.
image: deps
	IMAGE='$(IMAGE)' TAG='$(TAG)' ARCHIVE='$(ARCHIVE)' VERSION='$(VERSION)' COMMIT='$(COMMIT)' GOTAGS='$(GOTAGS)' bash scripts/build-image.sh

demo: build
	./$(BIN) demo --out gradprint-demo

test: deps
	$(GO) vet -tags '$(GOTAGS)' ./...
	$(GO) test -tags '$(GOTAGS)' -count=1 -timeout 60m ./...
	# The pure-Go GEMM fallback passes the same kernel and model tests.
	$(GO) test -tags purego -count=1 ./compute/gemm/ ./compute/engine/ ./compute/resnet/ ./compute/saliency/
	# The deterministic build: its C GEMM is the Go kernel bit for bit, and
	# it trains the weights whose hash compute/resnet/testdata holds.
	GOAMD64=v1 $(GO) test -tags deterministic -count=1 ./compute/gemm/ ./compute/engine/ ./compute/resnet/
	# A few seconds of each fuzz target on top of its committed corpus.
	$(MAKE) --no-print-directory fuzz

fuzz: deps
	@set -e; for t in $(FUZZ); do \
	  echo "fuzz $${t%%:*} for $(FUZZTIME)"; \
	  $(GO) test -tags '$(GOTAGS)' -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) $${t##*:}; \
	done

bench: build
	./$(BIN) bench --peer
	$(GO) test -tags '$(GOTAGS)' -run '^$$' -bench . -benchmem ./...

lint: deps
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet -tags '$(GOTAGS)' ./...

clean:
	rm -rf bin gradprint-demo
