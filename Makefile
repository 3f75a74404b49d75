# The README's commands. CI (.ci/run) calls the same targets.
.PHONY: run test lint demo bench mutate

run: ## run the app on :8080 (export KEY_VAULT_URL first)
	go run .

# Each fuzz target, as package:target.
FUZZ_TARGETS = ./internal/legacymsi:FuzzParseExpiresOn .:FuzzPrincipalFromToken .:FuzzLoadConfig .:FuzzCredentialsInURLs

# Each target runs a count of inputs, not a time: Go 1.26's fuzzing
# coordinator can report its own -fuzztime deadline as a failure ("context
# deadline exceeded") on a busy machine (golang/go#75804, fixed in 1.27).
FUZZ_COUNT = 3000x

test: ## every test with the race detector (the app's, then the deployment files'), then each fuzz target for 3,000 inputs
	go test -race -count=1 ./...
	cd deploy && go test -race -count=1 ./...
	@for f in $(FUZZ_TARGETS); do go test -run '^$$' -fuzz "^$${f#*:}$$" -fuzztime $(FUZZ_COUNT) "$${f%%:*}" || exit 1; done

lint: ## gofmt, go vet, staticcheck, actionlint (the tools from tools/go.mod); vet and compile for Windows and macOS
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	go vet ./...
	cd deploy && go vet ./...
	go tool -modfile=tools/go.mod staticcheck ./...
	cd deploy && go tool -modfile=../tools/go.mod staticcheck ./...
	go tool -modfile=tools/go.mod actionlint .github/workflows/*.yml
	@# Nothing Linux-only in the app or its tests: they vet and compile for Windows and macOS.
	GOOS=windows go vet ./... && GOOS=darwin go vet ./...
	@out=$$(mktemp -d) && GOOS=windows go test -c -o $$out/ ./... >/dev/null && GOOS=darwin go test -c -o $$out/ ./... >/dev/null && rm -r $$out

IDENTITY ?=
FAULT ?=
REFERENCE ?=
PORT ?= 8080
demo: ## the whole flow against a local stand-in for Azure; IDENTITY=appservice|legacy|sp|cli|azd|workload|imds|containerapps|functions, FAULT=help lists the failures, REFERENCE=resolved|stale|unresolved, PORT=8080
	@go build -o bin/ . ./demo
	@bin/demo -app bin/keyvault-msi-go -identity "$(IDENTITY)" -fault "$(FAULT)" -reference "$(REFERENCE)" -port "$(PORT)"

bench: ## figures against the local stand-in, side by side (see BENCHMARKS.md)
	go test -run '^$$' -bench . -benchtime 1x -count 1 .

mutate: ## the hand-written semantic mutants (mutants/, each still applies, then each run), then gremlins over the whole suite; not run by CI, see BENCHMARKS.md
	cd mutants && go test -count=1 ./... && go run .
	go run github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0 unleash -E 'demo/' -E 'internal/standin/' -E 'mutants/' -E 'deploy/' --workers 1 --timeout-coefficient 5 .
