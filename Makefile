# The two set-up commands of the README: `make demo` and `make test`.
GO ?= go
BIN := bin/regul

.PHONY: demo test deps demo-deps build vet bench

build:
	$(GO) build -o $(BIN) ./cmd/regul

## demo: run the whole line on embedded defaults (throwaway PostgreSQL, ARI emulator),
## then serve the console until Ctrl-C (`./bin/regul demo --calls-only` exits after the calls)
demo: demo-deps build
	./$(BIN) demo

## test: everything CI runs
## (the real-Asterisk suite's summary line and the cluster test's failover
## figures are printed at the end: go test hides a passing package's output)
test: deps
	$(GO) vet ./...
	@mkdir -p bin && rm -f bin/cluster-figures.txt
	@summary=$$(mktemp); \
	REGUL_TEST_SUMMARY=$$summary REGUL_CLUSTER_FIGURES=$(CURDIR)/bin/cluster-figures.txt $(GO) test -count=1 -timeout 20m ./...; status=$$?; \
	cat $$summary; rm -f $$summary; cat bin/cluster-figures.txt 2>/dev/null || true; exit $$status

deps:
	@bash scripts/install-deps.sh

# the demo needs PostgreSQL's server binaries only (no browser, no fonts)
demo-deps:
	@bash scripts/install-deps.sh demo

## bench: the performance figures (printed, never asserted)
bench: deps
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./...

## sounds: synthesise the French prompts with espeak-ng into asterisk-config/sounds/
## (CONFIG=regul.yaml with database.url also speaks the roster's names; studio recordings are kept)
.PHONY: sounds
sounds: build
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" -ne 0 ]; then echo "espeak-ng is missing: sudo apt-get install espeak-ng" >&2; exit 1; fi; \
	  echo "installing espeak-ng" >&2; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null; }
	./$(BIN) $(if $(CONFIG),--config $(CONFIG)) prompts build --out asterisk-config/sounds \
	  $(foreach c,$(wildcard asterisk-config/prompts.yaml asterisk-config/dialplan-prompts.yaml),--catalogue $(c))
