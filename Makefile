# Sluice developer entry points. Tools are pinned in tools/go.mod and run
# with `go tool`, so a fresh machine needs nothing but Go.
GO      ?= go
TOOL    := $(GO) tool -modfile=tools/go.mod
CONFIG  ?= examples/sluice.yaml
PKGS    := ./...

.PHONY: all build run test test-unit test-e2e lint proto gen-check bench eval fuzz clean

all: build

build:
	$(GO) build -o bin/sluice ./cmd/sluice

## run: the gateway, the Envoy stand-in and the mock model, on :8080
run:
	$(GO) run ./cmd/sluice dev --config $(CONFIG)

## test: unit, stream, Envoy-config and end-to-end tests. The chart tests
## only render templates, so they skip the race detector: it finds nothing
## there, and Helm and the Kubernetes API types take minutes to build with it.
test:
	$(GO) test -race -count=1 -timeout 12m $$($(GO) list $(PKGS) | grep -v '/charts$$')
	$(GO) test -count=1 -timeout 5m ./charts/...

test-unit:
	$(GO) test -count=1 $$($(GO) list ./... | grep -v /e2e)

test-e2e:
	$(GO) test -count=1 -v ./e2e/...

lint:
	$(TOOL) golangci-lint run ./...

## proto: regenerate the config schema's Go code
proto:
	$(TOOL) buf generate

## gen-check: regenerate everything and fail if the tree changed
gen-check: proto
	@git diff --exit-code -- api || (echo "generated code is stale: run 'make proto' and commit" >&2; exit 1)
	@test -z "$$(git status --porcelain --untracked-files=all -- api)" || \
		(echo "generated files are not committed:" >&2; git status --porcelain -- api >&2; exit 1)

## bench: drive the ext_proc server as Envoy does, against a do-nothing baseline
bench:
	$(GO) run ./cmd/sluice-bench

## eval: precision, recall and F1 of the PII and prompt-injection detectors
## on the committed corpora (EVAL_FLAGS=--markdown for BENCHMARKS.md)
eval:
	$(GO) run ./cmd/sluice-eval $(EVAL_FLAGS)

## fuzz: a short run of every fuzz target
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime 10s $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin
