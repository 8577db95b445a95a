package apple

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Sentinels for the failures that are not Apple error numbers. Each typed error below
// wraps one of them, so a caller branches with errors.Is and reads the facts with
// errors.As.
var (
	ErrDecode         = errors.New("apple: response is not the JSON the API documents")
	ErrBodyTooLarge   = errors.New("apple: response body larger than the configured limit")
	ErrTransport      = errors.New("apple: request did not complete")
	ErrVersionChanged = errors.New("apple: data changed on every attempt to read all pages")
	ErrClaimed        = errors.New("apple: token is managed by another service (L3)")
)

// APIError is an error the API answered with: a non-2xx status, or an `errorNumber`
// in the body (which Apple also sends with HTTP 200). It matches the ErrorNumber
// constants with errors.Is, including the canonical number of a refined one.
type APIError struct {
	Endpoint   Endpoint      // which call failed
	StatusCode int           // HTTP status
	Number     ErrorNumber   // Apple's errorNumber; 0 when the body carried none
	Message    string        // Apple's errorMessage, with any token text removed
	Info       *ErrorInfo    // Apple's errorInfo: the assets, users or devices concerned
	RetryAfter time.Duration // from the Retry-After header; 0 when absent
	Attempts   int           // how many times the request was sent
}

// number is Number, or the number a bare status stands for.
func (e *APIError) number() ErrorNumber {
	if e.Number != 0 {
		return e.Number
	}
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return ErrLoginRequired
	case e.StatusCode == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.StatusCode >= 500:
		return ErrInternal
	}
	return 0
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "apple: %s: HTTP %d", e.Endpoint, e.StatusCode)
	if e.Number != 0 {
		fmt.Fprintf(&b, ", error %d (%s)", int32(e.Number), e.Number.Name())
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %q", e.Message)
	}
	if e.Info != nil {
		if s := e.Info.summary(); s != "" {
			b.WriteString(" for ")
			b.WriteString(s)
		}
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, "; retry after %s", e.RetryAfter)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, "; gave up after %d attempts", e.Attempts)
	}
	if r := e.number().Remedy(); r != "" {
		b.WriteString(": ")
		b.WriteString(r)
	}
	return b.String()
}

// Is matches an ErrorNumber: the number Apple sent, its canonical L11 number, or the
// number a bare status stands for (401 is 9601, 429 is 9646, 5xx is 9603).
func (e *APIError) Is(target error) bool {
	t, ok := target.(ErrorNumber)
	if !ok {
		return false
	}
	n := e.number()
	return n != 0 && (n == t || n.Canonical() == t)
}

// Retryable reports whether sending the same request again may succeed: rate limiting
// (429, 9646) and server errors (5xx, 9603).
func (e *APIError) Retryable() bool {
	n := e.number()
	return e.StatusCode == http.StatusTooManyRequests || e.StatusCode >= 500 ||
		n == ErrRateLimited || n == ErrInternal
}

// TokenState maps the error to the token state it proves (L1, S4): 9621 is expired;
// 9622, 9625 and any other 401 are invalid. ok is false for errors that say nothing
// about the token.
func (e *APIError) TokenState() (mdm.TokenState, bool) {
	switch e.number().Canonical() {
	case ErrTokenExpired:
		return mdm.TokenExpired, true
	case ErrInvalidToken, ErrTokenRevoked, ErrLoginRequired:
		return mdm.TokenInvalid, true
	}
	if e.StatusCode == http.StatusUnauthorized {
		return mdm.TokenInvalid, true
	}
	return 0, false
}

// DecodeError is a response whose body could not be read as the documented JSON:
// truncated, not JSON, the wrong shape, or pages that do not follow one another.
type DecodeError struct {
	Endpoint   Endpoint
	StatusCode int
	Reason     string // what was wrong, e.g. "unexpected end of JSON input"
	Snippet    string // the first bytes of the body, with any token text removed
}

func (e *DecodeError) Error() string {
	s := fmt.Sprintf("apple: %s: HTTP %d: cannot decode response: %s", e.Endpoint, e.StatusCode, e.Reason)
	if e.Snippet != "" {
		s += fmt.Sprintf(" (body starts %q)", e.Snippet)
	}
	return s + ": the response was cut short or is not Apple's format; retry, and report it if it persists"
}

func (e *DecodeError) Unwrap() error { return ErrDecode }

// BodyTooLargeError is a response body over the configured size limit; it is not read
// further.
type BodyTooLargeError struct {
	Endpoint Endpoint
	Limit    int64
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("apple: %s: response body over %d bytes: raise the limit with WithMaxBodySize if this is expected", e.Endpoint, e.Limit)
}

func (e *BodyTooLargeError) Unwrap() error { return ErrBodyTooLarge }

// TransportError is a request that got no HTTP answer (connection refused, timeout)
// after every allowed attempt.
type TransportError struct {
	Endpoint Endpoint
	Attempts int
	Err      error
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("apple: %s: no answer after %d attempts: %v: check the network and the base URL, then retry", e.Endpoint, e.Attempts, e.Err)
}

// Unwrap returns both the sentinel and the cause, so errors.Is finds
// context.DeadlineExceeded as well as ErrTransport.
func (e *TransportError) Unwrap() []error { return []error{ErrTransport, e.Err} }

// VersionChangedError is a paged read whose versionId changed on every attempt (S5):
// the data kept changing while it was read.
type VersionChangedError struct {
	Endpoint Endpoint
	Restarts int
	First    string // the versionId of page 0 of the last attempt
	Last     string // the versionId that differed from it
}

func (e *VersionChangedError) Error() string {
	return fmt.Sprintf("apple: %s: versionId changed from %q to %q mid-read on each of %d attempts: sync again later, when the location is quieter",
		e.Endpoint, e.First, e.Last, e.Restarts+1)
}

func (e *VersionChangedError) Unwrap() error { return ErrVersionChanged }

// ClaimedError is a response whose mdmInfo names another service than the one the
// client was configured with (WithMdmInfo): another service claimed the token (L3).
type ClaimedError struct {
	Endpoint Endpoint
	Expected MdmInfo
	Found    MdmInfo
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("apple: %s: token is managed by %q (id %q), not by %q (id %q): take control back with SetClientConfig, after checking for lost assignments (L3)",
		e.Endpoint, e.Found.Name, e.Found.ID, e.Expected.Name, e.Expected.ID)
}

func (e *ClaimedError) Unwrap() error { return ErrClaimed }

// TokenState is always TokenAssignedToExternalMDM.
func (e *ClaimedError) TokenState() (mdm.TokenState, bool) {
	return mdm.TokenAssignedToExternalMDM, true
}

// BatchError is a failure of one request of a split associate, disassociate or user
// operation. The requests before it were accepted; their events are returned beside
// the error.
type BatchError struct {
	Endpoint Endpoint
	Index    int // the failed request, from 0
	Total    int // how many requests the operation was split into
	Err      error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("apple: %s: request %d of %d failed (the %d before it were accepted): %v",
		e.Endpoint, e.Index+1, e.Total, e.Index, e.Err)
}

func (e *BatchError) Unwrap() error { return e.Err }

// TokenState reports the token state an error proves, looking through wrapping: an
// expired or invalid token (*APIError) or a claim by another service (*ClaimedError).
func TokenState(err error) (mdm.TokenState, bool) {
	var ce *ClaimedError
	if errors.As(err, &ce) {
		return ce.TokenState()
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.TokenState()
	}
	return 0, false
}

// Retryable reports whether err is worth retrying later as it is (rate limiting, server
// errors, no answer) and the wait Apple asked for, if any.
func Retryable(err error) (retryAfter time.Duration, ok bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.RetryAfter, ae.Retryable()
	}
	return 0, errors.Is(err, ErrTransport)
}
