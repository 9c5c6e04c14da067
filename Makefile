# The two set-up commands of the README: `make demo` and `make test`.
GO ?= go
BIN := bin/regul

.PHONY: demo test deps build vet bench

build:
	$(GO) build -o $(BIN) ./cmd/regul

## demo: run the whole line on embedded defaults (throwaway PostgreSQL, ARI emulator)
demo: deps build
	./$(BIN) demo

## test: everything CI runs
test: deps
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

deps:
	@bash scripts/install-deps.sh

## bench: the performance figures (printed, never asserted)
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...
