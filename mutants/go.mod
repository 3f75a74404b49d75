// The hand-written mutants and their runner (make mutate), a module of
// their own: maintainers' tooling, not part of the sample a reader copies,
// and not in the sample's go test ./....
module github.com/Azure-Samples/keyvault-msi-go/mutants

go 1.26.8
