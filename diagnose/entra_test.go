package diagnose

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestReadEntraAnswer reads Entra ID's error body: the code from
// error_codes, else from the AADSTS number in the description.
func TestReadEntraAnswer(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		want int
	}{
		{`{"error":"temporarily_unavailable","error_description":"A transient error.","error_codes":[90033]}`, 90033},
		{`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`, 7000215},
		{`{"error":"invalid_client"}`, 0},
	} {
		r := &http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(tt.body))}
		if got := readEntraAnswer(r).Code; got != tt.want {
			t.Errorf("readEntraAnswer(%s).Code = %d; want %d", tt.body, got, tt.want)
		}
	}
}
