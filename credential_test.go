package main

import (
	"encoding/base64"
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
