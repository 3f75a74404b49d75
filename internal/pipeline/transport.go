package pipeline

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// MaxAnswer is the most the app reads of one answer from Azure. Key Vault
// holds secrets of up to 25 KB (Key Vault docs, "Azure Key Vault service
// limits"), and a token answer is a few KB: anything larger is not an
// answer the app can use, whatever sent it.
const MaxAnswer = 64 << 10

// BoundedTransport reads at most MaxAnswer bytes of any answer, so that an
// upstream or a proxy that sends an endless or huge body costs the app
// 64 KiB, not its memory. It must sit at the transport: azcore's pipeline
// reads every body whole in its last policy, below any policy the app adds.
type BoundedTransport struct{ Next policy.Transporter }

func (t BoundedTransport) Do(req *http.Request) (*http.Response, error) {
	resp, err := t.Next.Do(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = &boundedBody{ReadCloser: resp.Body, left: MaxAnswer, origin: req.URL.Scheme + "://" + req.URL.Host}
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
		// At the limit: an answer of exactly MaxAnswer bytes ends here.
		var one [1]byte
		if n, err := b.ReadCloser.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, &AnswerTooLargeError{Origin: b.origin}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// AnswerTooLargeError is an answer cut off at MaxAnswer bytes from Origin
// (scheme://host).
type AnswerTooLargeError struct{ Origin string }

func (e *AnswerTooLargeError) Error() string {
	return fmt.Sprintf("the answer from %s is larger than %d KiB; the app reads no more of it", e.Origin, MaxAnswer>>10)
}

// TooLarge is the AnswerTooLargeError within err, or nil.
func TooLarge(err error) *AnswerTooLargeError {
	var e *AnswerTooLargeError
	if errors.As(err, &e) {
		return e
	}
	return nil
}
