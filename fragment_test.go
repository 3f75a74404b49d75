package main

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestPageFragmentsFollowChanges renders the success page as views
// follow each other: its cached parts are the current ones after a
// rotation, a new principal, new sources or a reference, a hostile value
// is still escaped, the fetch time is each view's own, and every page is
// byte for byte the template's own render.
func TestPageFragmentsFollowChanges(t *testing.T) {
	t.Parallel()
	pg, err := newPage()
	if err != nil {
		t.Fatal(err)
	}
	p1 := &principal{Source: "App Service managed identity", ObjectID: "11111111-aaaa"}
	p2 := &principal{Source: "App Service managed identity", ObjectID: "22222222-bbbb"}
	sources := []sourceStatus{{Name: "App Service managed identity", Status: "used"}}
	other := []sourceStatus{{Name: "Azure CLI", Status: "used"}}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	secretAt := func(value, version string, min int) *secret {
		return &secret{Name: "secret", Vault: "https://kv.vault.azure.net/", Value: value, Version: version, FetchedAt: at.Add(time.Duration(min) * time.Minute)}
	}
	for _, step := range []struct {
		name      string
		v         view
		want, not []string
	}{
		{"first view", view{Secret: secretAt("one", "v1", 0), Principal: p1, Sources: sources},
			[]string{">one</p>", ">v1</dd>", "11111111-aaaa", "10:00:00 UTC", "App Service managed identity</strong>: used"}, nil},
		{"the same again, a minute on", view{Secret: secretAt("one", "v1", 1), Principal: p1, Sources: sources},
			[]string{">one</p>", "10:01:00 UTC"}, []string{"10:00:00 UTC"}},
		{"rotated", view{Secret: secretAt("two", "v2", 2), Principal: p1, Sources: sources},
			[]string{">two</p>", ">v2</dd>"}, []string{">one</p>", ">v1</dd>"}},
		{"value changed, same version", view{Secret: secretAt("three", "v2", 2), Principal: p1, Sources: sources},
			[]string{">three</p>"}, []string{">two</p>"}},
		{"a new token's principal", view{Secret: secretAt("three", "v2", 3), Principal: p2, Sources: sources},
			[]string{"22222222-bbbb"}, []string{"11111111-aaaa"}},
		{"other sources", view{Secret: secretAt("three", "v2", 3), Principal: p2, Sources: other},
			[]string{"Azure CLI</strong>: used"}, []string{"App Service managed identity</strong>: used"}},
		{"a reference beside it", view{Secret: secretAt("three", "v2", 3), Principal: p2, Sources: other, Reference: &referenceCheck{Setting: "SECRET_FROM_REFERENCE", State: "same", Says: "both ways"}},
			[]string{"resolved, the same value"}, nil},
		{"hostile value", view{Secret: secretAt(`<script>alert(1)</script>`, "v3", 4), Principal: p2, Sources: other},
			[]string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>alert"}},
	} {
		rec := httptest.NewRecorder()
		pg.render(rec, httptest.NewRequest("GET", "/", nil), discardLogger(), step.v)
		body := rec.Body.String()
		// The cached parts and the template's own render, byte for byte.
		var whole bytes.Buffer
		if err := pg.tmpl.Execute(&whole, step.v); err != nil {
			t.Fatal(err)
		}
		if body != whole.String() {
			t.Errorf("%s: the page from its cached parts differs from the template's render:\n%s\n---\n%s", step.name, body, whole.String())
		}
		for _, w := range step.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q", step.name, w)
			}
		}
		for _, n := range step.not {
			if strings.Contains(body, n) {
				t.Errorf("%s: the page still shows %q", step.name, n)
			}
		}
	}
}
