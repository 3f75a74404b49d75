package pipeline

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// NetworkWatch is a per-retry policy in every Azure pipeline the app
// builds. It does two things with a request that fails before any answer:
//   - a failure no retry can mend (a name that does not resolve, a
//     certificate this machine does not trust) is made non-retriable, so the
//     page answers at once instead of after azcore's retries;
//   - the failure is kept in the request's seen slot (package seen), because
//     azidentity flattens a token request's failure into text
//     (AuthenticationFailedError has no Unwrap), and the page must still
//     tell a proxy from DNS from TLS.
type NetworkWatch struct{}

func (NetworkWatch) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if err == nil {
		return resp, nil
	}
	Store(req.Raw().Context(), &err) // for the chain: see its GetToken
	if permanentNetworkError(err) {
		return nil, &permanentError{err}
	}
	return nil, err
}

// permanentNetworkError reports whether retrying err cannot help.
func permanentNetworkError(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound || Untrusted(err) != nil || TooLarge(err) != nil
}

// Untrusted returns the certificate error within err, or nil.
func Untrusted(err error) error {
	var (
		verify  *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		invalid x509.CertificateInvalidError
		host    x509.HostnameError
	)
	switch {
	case errors.As(err, &verify):
		return verify.Err
	case errors.As(err, &unknown):
		return unknown
	case errors.As(err, &invalid):
		return invalid
	case errors.As(err, &host):
		return host
	}
	return nil
}

// permanentError tells azcore's retry policy to stop (NonRetriable).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
func (*permanentError) NonRetriable()   {}
