// Package legacymsi speaks App Service's 2017-09-01 managed identity
// protocol, which hosts that set only MSI_ENDPOINT and MSI_SECRET offer.
// azidentity treats that pair as Azure ML's, whose parser rejects the
// "+00:00" offset App Service puts on expires_on (BENCHMARKS.md shows its
// error), so the sample carries this small credential instead.
package legacymsi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/Azure-Samples/keyvault-msi-go/internal/pipeline"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Credential gets tokens from the 2017-09-01 endpoint at MSI_ENDPOINT.
type Credential struct {
	endpoint, secret, clientID string
	pipeline                   runtime.Pipeline
}

const apiVersion = "2017-09-01"

// New is the credential for the endpoint and its secret (MSI_ENDPOINT and
// MSI_SECRET); clientID, when set, asks for that user-assigned identity.
func New(endpoint, secret, clientID string, opts azcore.ClientOptions) (*Credential, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("MSI_ENDPOINT %q is not an http(s) URL", endpoint)
	}
	return &Credential{
		endpoint: endpoint, secret: secret, clientID: clientID,
		pipeline: runtime.NewPipeline("keyvault-msi-go", "v1", runtime.PipelineOptions{}, &opts),
	}, nil
}

// GetToken implements azcore.TokenCredential.
func (c *Credential) GetToken(ctx context.Context, opts policy.TokenRequestOptions) (azcore.AccessToken, error) {
	if len(opts.Scopes) != 1 {
		return azcore.AccessToken{}, errors.New("the App Service identity endpoint takes exactly one scope")
	}
	req, err := runtime.NewRequest(ctx, http.MethodGet, c.endpoint)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", apiVersion)
	// the endpoint wants a v1 resource, not a v2 scope
	q.Set("resource", strings.TrimSuffix(opts.Scopes[0], "/.default"))
	if c.clientID != "" {
		q.Set("clientid", c.clientID)
	}
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("secret", c.secret)

	resp, err := c.pipeline.Do(req)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return azcore.AccessToken{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return azcore.AccessToken{}, &Error{Host: req.Raw().URL.Host, Status: resp.StatusCode, Message: pipeline.ErrorDescription(body)}
	}
	var r struct {
		AccessToken string          `json:"access_token"`
		ExpiresOn   json.RawMessage `json:"expires_on"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.AccessToken == "" {
		return azcore.AccessToken{}, &Error{Host: req.Raw().URL.Host, Status: resp.StatusCode, Message: "the answer is not a token response"}
	}
	exp, err := ParseExpiresOn(string(r.ExpiresOn))
	if err != nil {
		return azcore.AccessToken{}, &Error{Host: req.Raw().URL.Host, Status: resp.StatusCode, Message: err.Error()}
	}
	return azcore.AccessToken{Token: r.AccessToken, ExpiresOn: exp}, nil
}

// Error is a failed answer from the 2017-09-01 identity endpoint.
type Error struct {
	Host    string
	Status  int
	Message string
}

// IdentityAnswer is the endpoint's status and message, for the diagnosis.
func (e *Error) IdentityAnswer() (int, string) { return e.Status, e.Message }

func (e *Error) Error() string {
	msg := fmt.Sprintf("%s answered %d %s", e.Host, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// expiresOnLayouts are the date forms App Service writes in expires_on:
// Linux "06/19/2019 23:42:01 +00:00" and Windows "1/16/2020 5:24:12 AM +00:00".
var expiresOnLayouts = []string{"1/2/2006 15:04:05 -07:00", "1/2/2006 3:04:05 PM -07:00"}

// ParseExpiresOn reads expires_on as epoch seconds (a JSON number or string)
// or as one of App Service's date strings.
func ParseExpiresOn(raw string) (time.Time, error) {
	s := raw
	if unq, err := strconv.Unquote(raw); err == nil {
		s = unq
	}
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 || n > 1<<40 {
			return time.Time{}, fmt.Errorf("expires_on %q is not a plausible time", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range expiresOnLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("expires_on %q is neither epoch seconds nor a date like 06/19/2019 23:42:01 +00:00", s)
}
