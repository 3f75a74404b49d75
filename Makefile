# The README's commands. CI (.ci/run) calls the same targets.
.PHONY: run test lint demo bench

run: ## run the app on :8080 (export KEY_VAULT_URL first)
	go run .

test: ## every test, with the race detector
	go test -race -count=1 ./...

lint: ## gofmt, go vet, staticcheck
	@test -z "$$(gofmt -l .)" || { echo "gofmt would change:"; gofmt -l .; exit 1; }
	go vet ./...
	go tool staticcheck ./...

IDENTITY ?= appservice
FAULT ?=
demo: ## the whole flow against a local stand-in for Azure; IDENTITY=appservice|legacy|sp FAULT=forbidden|firewall|notfound|throttle|unavailable|hang|identitydown
	@go build -o bin/ . ./demo
	@bin/demo -app bin/keyvault-msi-go -identity "$(IDENTITY)" -fault "$(FAULT)"
