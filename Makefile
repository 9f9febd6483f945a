# proxmox-mpc — two commands set up a fresh machine:
#   make demo   build the binary and run it against the built-in simulated cluster
#   make test   run the whole test suite (gofmt, go vet, golangci-lint, go test -race)

GO            ?= go
BIN           := bin/proxmox-mpc
GOLANGCI_VER  := v2.15.0
TOOLS         := $(CURDIR)/.tools
GOLANGCI      := $(TOOLS)/golangci-lint-$(GOLANGCI_VER)

.PHONY: demo build test lint fmt-check vet unit bench

build:
	$(GO) build -trimpath -o $(BIN) ./cmd/proxmox-mpc

demo: build
	@./scripts/demo.sh $(BIN)

test: fmt-check vet lint unit

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi; echo "gofmt: ok"

vet:
	$(GO) vet ./...

$(GOLANGCI):
	@mkdir -p $(TOOLS)
	GOBIN=$(TOOLS) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VER)
	@mv $(TOOLS)/golangci-lint $(GOLANGCI)

lint: $(GOLANGCI)
	$(GOLANGCI) run ./...

unit:
	./scripts/with-tools.sh ./scripts/with-postgres.sh $(GO) test -race -count=1 -timeout 15m ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
