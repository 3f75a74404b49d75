// Package pipeline says, in one place, what carries every request the app
// makes to Azure (Key Vault, Entra ID, the identity endpoints): its
// transport, the policies each Azure SDK pipeline of the app has, and the
// slots that carry what a request met back to where it began.
package pipeline

import (
	"crypto/tls"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
)

// Options is opts as every Azure pipeline of the app uses them: each
// watches its own network failures (NetworkWatch), reads no answer past
// MaxAnswer bytes (BoundedTransport), and Entra ID's host is
// authorityHost (AZURE_AUTHORITY_HOST, read through the app's getenv
// rather than by azidentity from the process) when it is set. Without a
// transport in opts, the app's own carries every request (Transport).
func Options(authorityHost string, opts azcore.ClientOptions) azcore.ClientOptions {
	opts.PerRetryPolicies = append(slices.Clone(opts.PerRetryPolicies), NetworkWatch{})
	if opts.Transport == nil {
		opts.Transport = Transport()
	}
	opts.Transport = BoundedTransport{Next: opts.Transport}
	if authorityHost != "" {
		opts.Cloud.ActiveDirectoryAuthorityHost = authorityHost
	}
	return opts
}

// Transport is the app's transport, with the settings azcore's own
// default has (sdk/internal/transport): HTTPS_PROXY honoured, TLS 1.2 at
// least, HTTP/2 with health-check pings. azcore does not export its
// default, and the app wraps it (BoundedTransport).
func Transport() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, Renegotiation: tls.RenegotiateFreelyAsClient},
		HTTP2:                 &http.HTTP2Config{SendPingTimeout: 10 * time.Second, PingTimeout: 5 * time.Second},
	}}
}
