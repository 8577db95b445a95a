package apple

import (
	"errors"
	"net/http"
	"testing"
)

// checkDecoded asserts the contract of DecodeResponse on any input: nil, or one of the
// typed errors, never a panic, and never the token in the error text.
func checkDecoded(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var ae *APIError
	var de *DecodeError
	if !errors.As(err, &ae) && !errors.As(err, &de) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	assertNoSecret(t, err.Error(), testSecret)
}

func seedBodies(f *testing.F) {
	for _, s := range []string{
		`{"assets":[{"adamId":"1","totalCount":3}],"currentPageIndex":0,"size":1,"totalPages":1,"versionId":"v"}`,
		`{"assignments":[{"adamId":"1","serialNumber":"S"}],"currentPageIndex":0,"nextPageIndex":1,"totalPages":2}`,
		`{"errorNumber":9646,"errorMessage":"slow down"}`,
		`{"errorNumber":9609,"errorInfo":{"clientUserIds":["u"]}}`,
		`{"assets":[`, `null`, `[]`, ``, `{"errorNumber":1e99}`, `{"echo":"` + testSecret + `"}`,
	} {
		f.Add(200, s)
		f.Add(401, s)
	}
}

// FuzzDecodeAssets: GET assets answers, 2xx or not.
func FuzzDecodeAssets(f *testing.F) {
	seedBodies(f)
	f.Fuzz(func(t *testing.T, status int, body string) {
		var out AssetsResponse
		err := DecodeResponse(EndpointAssets, status, http.Header{}, []byte(body), &out, t0, testSecret)
		checkDecoded(t, err)
		if err == nil && (status < 200 || status > 299) {
			t.Fatalf("status %d decoded without error", status)
		}
	})
}

// FuzzDecodeAssignments: GET assignments answers.
func FuzzDecodeAssignments(f *testing.F) {
	seedBodies(f)
	f.Fuzz(func(t *testing.T, status int, body string) {
		var out AssignmentsResponse
		checkDecoded(t, DecodeResponse(EndpointAssignments, status, http.Header{}, []byte(body), &out, t0, testSecret))
	})
}

// FuzzDecodeError: any body with an errorNumber is an *APIError carrying it, whatever
// the status (L11: errors in 200 bodies).
func FuzzDecodeError(f *testing.F) {
	f.Add(200, int32(9621), "The token has expired.", "5")
	f.Add(429, int32(9646), "", "Wed, 21 Oct 2015 07:28:00 GMT")
	f.Add(500, int32(0), "x", "")
	f.Fuzz(func(t *testing.T, status int, number int32, message, retryAfter string) {
		if number == 0 {
			return
		}
		body := []byte(`{"errorNumber":` + itoa(number) + `,"errorMessage":` + quote(message) + `}`)
		var out StatusResponse
		err := DecodeResponse(EndpointEventStatus, status, http.Header{"Retry-After": {retryAfter}}, body, &out, t0, testSecret)
		checkDecoded(t, err)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Number != ErrorNumber(number) || !errors.Is(err, ErrorNumber(number)) {
			t.Fatalf("status %d number %d: got %v", status, number, err)
		}
		if ae.RetryAfter < 0 {
			t.Fatalf("negative Retry-After %v", ae.RetryAfter)
		}
	})
}

// FuzzParseSToken: never panics, never puts the input into the error.
func FuzzParseSToken(f *testing.F) {
	f.Add("eyJ0b2tlbiI6ImFiYyIsImV4cERhdGUiOiIyMDE0LTA4LTE1VDE4OjEzOjUyLTA3MDAiLCJvcmdOYW1lIjoiT3JnIn0=")
	f.Add("not base64!")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		_, err := ParseSToken(s)
		if err != nil && len(s) >= 16 && contains(err.Error(), s) {
			t.Fatalf("error repeats the token: %v", err)
		}
	})
}
