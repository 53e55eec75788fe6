# twittix/infra — build, test, lint, demo and benchmark.
# `make test` is what CI runs (through .ci/run, which first installs and starts docker and sshd).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/twittix/infra/pkg/action.Version=$(VERSION)
BIN       := bin/twittix-infra
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build prereqs test lint demo bench image clean tf-schema

all: lint test

## build: the static twittix-infra binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/twittix-infra

## prereqs: install and start what tests and demo need (docker, sshd, swarm mode); a no-op when present
prereqs:
	@.ci/prereqs

## test: every test, including those that need dockerd in swarm mode and sshd
test: prereqs
	$(GO) test -count=1 -shuffle=on -race -timeout 60m ./...

## lint: go vet, staticcheck, gofmt and go mod tidy must all be clean
lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) mod tidy -diff

## demo: the whole path: pre-production on a local swarm over SSH, then production on a simulated Google Cloud
demo: prereqs build
	$(GO) run ./examples/demo

## bench: every benchmark under bench/, each printing a Markdown table
bench: prereqs build
	$(GO) run ./bench/startup
	$(GO) run ./bench/ssh
	$(GO) run ./bench/tunnel
	$(GO) run ./bench/swarm
	$(GO) run ./bench/cloudbuild
	$(GO) run ./bench/promote
	$(GO) run ./bench/loadtest

## tf-schema: re-extract the hashicorp/google 6.50.0 schema the Terraform tests validate against (needs npm)
tf-schema:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent @cdktf/provider-google@16.12.1 >/dev/null) && \
	$(GO) run ./internal/tfprovider/cmd/extract-schema -in "$$tmp"/cdktf-provider-google-16.12.1.tgz \
		-out internal/tfprovider/schema/google-6.50.0.json.gz

## image: the action's container image (needs network access for the Go base image)
image:
	docker build --build-arg VERSION=$(VERSION) -t twittix/infra:$(VERSION) .

clean:
	rm -rf bin
