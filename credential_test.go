package main

import (
	"encoding/base64"
	"go/build"
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestPrincipalFromToken(t *testing.T) {
	t.Parallel()
	jwt := func(payload string) string {
		return "e30." + base64.RawURLEncoding.EncodeToString([]byte(payload)) + ".sig"
	}
	tests := []struct {
		name  string
		token string
		want  principal
	}{
		{"managed identity", jwt(`{"oid":"o","tid":"t","appid":"a","idtyp":"app","xms_mirid":"/subscriptions/s/x"}`),
			principal{ObjectID: "o", TenantID: "t", AppID: "a", ResourceID: "/subscriptions/s/x"}},
		{"user", jwt(`{"oid":"o","tid":"t","upn":"u@x","name":"U","azp":"cli","scp":"user_impersonation"}`),
			principal{ObjectID: "o", TenantID: "t", AppID: "cli", User: "u@x", IsUser: true}},
		{"v2 user", jwt(`{"oid":"o","preferred_username":"u@x","idtyp":"user"}`), principal{ObjectID: "o", User: "u@x", IsUser: true}},
		{"opaque", "not-a-jwt", principal{}},
		{"bad base64", "a.!!!.c", principal{}},
		{"not an object", jwt(`[1,2]`), principal{}},
		{"wrong types", jwt(`{"oid":5,"tid":["x"]}`), principal{}},
	}
	for _, tt := range tests {
		if got := principalFromToken(tt.token); got != tt.want {
			t.Errorf("%s: principalFromToken = %+v; want %+v", tt.name, got, tt.want)
		}
	}
}

// TestChainStandsAlone: credential.go and every package of this module it
// imports, however deep, import nothing of the failure pages (diagnose):
// copying the chain copies no diagnosis. The dependency points from the
// pages to the chain.
func TestChainStandsAlone(t *testing.T) {
	t.Parallel()
	const module = "github.com/Azure-Samples/keyvault-msi-go/"
	f, err := parser.ParseFile(token.NewFileSet(), "credential.go", nil, parser.ImportsOnly)
	if err != nil {
		t.Fatal(err)
	}
	var queue []string
	seen := map[string]string{} // each package of the module, and who imported it first
	for _, imp := range f.Imports {
		path := strings.Trim(imp.Path.Value, `"`)
		queue, seen[path] = append(queue, path), "credential.go"
	}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if !strings.HasPrefix(path, module) {
			continue
		}
		pkg, err := build.Default.ImportDir(strings.TrimPrefix(path, module), 0)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, imp := range pkg.Imports {
			if _, ok := seen[imp]; !ok && strings.HasPrefix(imp, module) {
				seen[imp] = path
				queue = append(queue, imp)
			}
		}
	}
	for pkg, by := range seen {
		if strings.HasSuffix(pkg, "/diagnose") {
			t.Errorf("the chain imports %s (through %s): copying credential.go would copy the failure pages", pkg, by)
		}
	}
}
