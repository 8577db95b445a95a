package apple

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// snippetLen is how much of an undecodable body an error quotes.
const snippetLen = 64

// maxRetryAfterHeader bounds a parsed Retry-After, so an absurd header cannot overflow.
const maxRetryAfterHeader = 24 * time.Hour

// DecodeResponse turns one HTTP answer into out or a typed error: an *APIError for a
// non-2xx status or an errorNumber in the body (Apple sends errors inside HTTP 200
// too, L11), a *DecodeError for a 2xx body that is not the documented JSON object
// (a page without its list, e.g. "{}" for GET assets, included).
// secret is removed from any server text put into an error. now resolves a
// Retry-After given as an HTTP date.
func DecodeResponse(ep Endpoint, status int, header http.Header, body []byte, out any, now time.Time, secret string) error {
	trimmed := bytes.TrimSpace(body)
	isObject := len(trimmed) > 0 && trimmed[0] == '{'
	var probe ErrorResponse
	var probeErr error
	if isObject {
		probeErr = json.Unmarshal(trimmed, &probe)
	}
	retryAfter := parseRetryAfter(header.Get("Retry-After"), now)
	if status < 200 || status > 299 {
		ae := &APIError{Endpoint: ep, StatusCode: status, RetryAfter: retryAfter}
		if isObject && probeErr == nil {
			ae.Number, ae.Message, ae.Info = probe.ErrorNumber, scrub(probe.ErrorMessage, secret), probe.ErrorInfo
		}
		return ae
	}
	bad := func(reason string) error {
		return &DecodeError{Endpoint: ep, StatusCode: status, Reason: scrub(reason, secret), Snippet: snippet(body, secret)}
	}
	if len(trimmed) == 0 {
		return bad("body is empty")
	}
	if !isObject {
		return bad("body is not a JSON object")
	}
	if probeErr != nil {
		return bad(probeErr.Error())
	}
	if probe.ErrorNumber != 0 {
		return &APIError{Endpoint: ep, StatusCode: status, Number: probe.ErrorNumber,
			Message: scrub(probe.ErrorMessage, secret), Info: probe.ErrorInfo, RetryAfter: retryAfter}
	}
	if err := json.Unmarshal(trimmed, out); err != nil {
		return bad(err.Error())
	}
	return nil
}

// CheckOwner returns a *ClaimedError when env carries an mdmInfo of another service
// than expected (L3). A nil expected, or an envelope without mdmInfo, checks nothing.
func CheckOwner(ep Endpoint, expected *MdmInfo, env Envelope) error {
	if expected == nil || env.MdmInfo == nil || expected.SameService(*env.MdmInfo) {
		return nil
	}
	return &ClaimedError{Endpoint: ep, Expected: *expected, Found: *env.MdmInfo}
}

// parseRetryAfter reads delay-seconds or an HTTP date; anything else is 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(maxRetryAfterHeader/time.Second)))*time.Second, maxRetryAfterHeader)
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfterHeader)
	}
	return 0
}

func snippet(body []byte, secret string) string {
	// Only the head is quoted, so only the head (plus room for a token that starts
	// inside it) is scrubbed.
	head := body[:min(len(body), snippetLen+len(secret))]
	s := scrub(string(head), secret)
	if len(s) > snippetLen {
		s = s[:snippetLen]
	}
	return strings.ToValidUTF8(s, "?")
}
