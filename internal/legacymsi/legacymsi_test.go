package legacymsi

import (
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
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
		got, err := ParseExpiresOn(tt.raw)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseExpiresOn(%s) = %v, %v; want %v", tt.raw, got, err, tt.want)
		}
	}
	for _, bad := range []string{``, `""`, `"soon"`, `"0"`, `-5`, `"2019-06-19T23:42:01Z"`, `"13/40/2019 23:42:01 +00:00"`, `99999999999999999999`} {
		if got, err := ParseExpiresOn(bad); err == nil {
			t.Errorf("ParseExpiresOn(%s) = %v; want an error", bad, got)
		}
	}
}

// TestLegacyCredentialChecks: MSI_ENDPOINT must be an http(s) URL, and
// the endpoint's failures read as what it answered.
func TestLegacyCredentialChecks(t *testing.T) {
	t.Parallel()
	for _, endpoint := range []string{"ftp://127.0.0.1/MSI/token/", "127.0.0.1:8081", "http://"} {
		if _, err := New(endpoint, "s", "", azcore.ClientOptions{}); err == nil {
			t.Errorf("New(%q) took it; want an error", endpoint)
		}
	}
	for _, endpoint := range []string{"http://127.0.0.1:8081/MSI/token/", "https://127.0.0.1/MSI/token/"} {
		if _, err := New(endpoint, "s", "", azcore.ClientOptions{}); err != nil {
			t.Errorf("New(%q) = %v; want it taken", endpoint, err)
		}
	}
	for _, tt := range []struct {
		err  Error
		want string
	}{
		{Error{"127.0.0.1:8081", 500, ""}, "127.0.0.1:8081 answered 500 Internal Server Error"},
		{Error{"127.0.0.1:8081", 400, "No MSI found"}, "127.0.0.1:8081 answered 400 Bad Request: No MSI found"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q; want %q", got, tt.want)
		}
	}
}

func FuzzParseExpiresOn(f *testing.F) {
	for _, s := range []string{`"1561000921"`, `1561000921`, `"06/19/2019 23:42:01 +00:00"`, `"1/16/2020 5:24:12 AM +00:00"`, `""`, `"x"`, `-1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := ParseExpiresOn(raw)
		if err == nil && got.IsZero() {
			t.Errorf("ParseExpiresOn(%q) = zero time, nil", raw)
		}
		if err != nil && err.Error() == "" {
			t.Errorf("ParseExpiresOn(%q) returned an empty error", raw)
		}
	})
}
