package main

import (
	"encoding/base64"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"testing"
	"time"
)

func TestParseExpiresOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want time.Time
	}{
		{`"1561000921"`, time.Unix(1561000921, 0)},
		{`1561000921`, time.Unix(1561000921, 0)},
		{`"06/19/2019 23:42:01 +00:00"`, time.Date(2019, 6, 19, 23, 42, 1, 0, time.UTC)},
		{`"1/16/2020 5:24:12 AM +00:00"`, time.Date(2020, 1, 16, 5, 24, 12, 0, time.UTC)},
		{`"1/16/2020 5:24:12 PM +00:00"`, time.Date(2020, 1, 16, 17, 24, 12, 0, time.UTC)},
		{`"12/01/2020 01:00:00 +02:00"`, time.Date(2020, 11, 30, 23, 0, 0, 0, time.UTC)},
		{`1099511627776`, time.Unix(1<<40, 0)}, // the largest epoch it takes
		{`"1"`, time.Unix(1, 0)},
	}
	for _, tt := range tests {
		got, err := parseExpiresOn(tt.raw)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseExpiresOn(%s) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `""`, `"soon"`, `"0"`, `-5`, `"2019-06-19T23:42:01Z"`, `"13/40/2019 23:42:01 +00:00"`, `99999999999999999999`} {
		if got, err := parseExpiresOn(bad); err == nil {
			t.Errorf("parseExpiresOn(%s) = %v; want an error", bad, got)
		}
	}
}

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

// TestLegacyCredentialChecks: MSI_ENDPOINT must be an http(s) URL, and
// the endpoint's failures read as what it answered.
func TestLegacyCredentialChecks(t *testing.T) {
	t.Parallel()
	for _, endpoint := range []string{"ftp://127.0.0.1/MSI/token/", "127.0.0.1:8081", "http://"} {
		if _, err := newLegacyAppServiceCredential(endpoint, "s", "", azcore.ClientOptions{}); err == nil {
			t.Errorf("newLegacyAppServiceCredential(%q) took it; want an error", endpoint)
		}
	}
	for _, endpoint := range []string{"http://127.0.0.1:8081/MSI/token/", "https://127.0.0.1/MSI/token/"} {
		if _, err := newLegacyAppServiceCredential(endpoint, "s", "", azcore.ClientOptions{}); err != nil {
			t.Errorf("newLegacyAppServiceCredential(%q) = %v; want it taken", endpoint, err)
		}
	}
	for _, tt := range []struct {
		err  legacyError
		want string
	}{
		{legacyError{"127.0.0.1:8081", 500, ""}, "127.0.0.1:8081 answered 500 Internal Server Error"},
		{legacyError{"127.0.0.1:8081", 400, "No MSI found"}, "127.0.0.1:8081 answered 400 Bad Request: No MSI found"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q; want %q", got, tt.want)
		}
	}
}
