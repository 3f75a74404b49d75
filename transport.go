package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// maxAnswer is the most the app reads of one answer from Azure. Key Vault
// holds secrets of up to 25 KB (Key Vault docs, "Azure Key Vault service
// limits"), and a token answer is a few KB: anything larger is not an
// answer the app can use, whatever sent it.
const maxAnswer = 64 << 10

// boundedTransport reads at most maxAnswer bytes of any answer, so that an
// upstream or a proxy that sends an endless or huge body costs the app
// 64 KiB, not its memory. It must sit at the transport: azcore's pipeline
// reads every body whole in its last policy, below any policy the app adds.
type boundedTransport struct{ next policy.Transporter }

func (t boundedTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.next.Do(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &boundedBody{ReadCloser: resp.Body, left: maxAnswer, origin: req.URL.Scheme + "://" + req.URL.Host}
	return resp, nil
}

// boundedBody fails once more than its limit would be read.
type boundedBody struct {
	io.ReadCloser
	left   int64
	origin string
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// At the limit: an answer of exactly maxAnswer bytes ends here.
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, &answerTooLargeError{Origin: b.origin}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// answerTooLargeError is an answer cut off at maxAnswer bytes from Origin
// (scheme://host).
type answerTooLargeError struct{ Origin string }

func (e *answerTooLargeError) Error() string {
	return fmt.Sprintf("the answer from %s is larger than %d KiB; the app reads no more of it", e.Origin, maxAnswer>>10)
}

func tooLarge(err error) *answerTooLargeError {
	var e *answerTooLargeError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// defaultTransport is the transport run uses, with the settings azcore's
// own default has (sdk/internal/transport): HTTPS_PROXY honoured, TLS 1.2
// at least, HTTP/2 with health-check pings.
func defaultTransport() *http.Client {
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
