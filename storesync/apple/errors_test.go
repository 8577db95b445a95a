package apple

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// L11: every number SPEC names is known by name, and usable with errors.Is.
func TestErrorNumber_L11Named(t *testing.T) {
	l11 := map[ErrorNumber]string{
		9600: "missing argument", 9601: "login required", 9602: "invalid argument", 9603: "internal error",
		9604: "not found", 9607: "license irrevocable", 9609: "registered user not found", 9610: "license not found",
		9616: "license already assigned", 9619: "license not associated", 9621: "token expired", 9622: "invalid token",
		9624: "license refunded", 9625: "token revoked", 9626: "license assigned to another user",
		9628: "device assignment not allowed", 9630: "too many recent already-assigned calls", 9646: "rate limited",
	}
	for n, name := range l11 {
		if !n.Known() || n.Name() != name || n.Message() == "" || n.Remedy() == "" {
			t.Errorf("%d: known=%v name=%q message=%q remedy=%q", n, n.Known(), n.Name(), n.Message(), n.Remedy())
		}
		if n.Canonical() != n {
			t.Errorf("%d: an L11 number is its own canonical number, got %d", n, n.Canonical())
		}
		err := fmt.Errorf("wrapped: %w", &APIError{Endpoint: EndpointAssets, StatusCode: 200, Number: n})
		if !errors.Is(err, n) {
			t.Errorf("%d: errors.Is does not match the *APIError", n)
		}
	}
	if ErrorNumber(1234).Known() || ErrorNumber(1234).Name() != "error 1234" {
		t.Errorf("unknown number: %q", ErrorNumber(1234).Name())
	}
}

// L11: a refined v2 number matches both itself and its L11 number.
func TestErrorNumber_CanonicalMatches(t *testing.T) {
	cases := []struct{ refined, l11 ErrorNumber }{
		{ErrMaxAssetsExceeded, ErrInvalidArgument},
		{ErrMaxSerialNumbersExceeded, ErrInvalidArgument},
		{ErrMaxClientUserIDsExceeded, ErrInvalidArgument},
		{ErrAssetNotRevocable, ErrLicenseIrrevocable},
		{ErrAssetNotDeviceAssignable, ErrDeviceAssignmentNotAllowed},
		{ErrEventNotFound, ErrNotFound},
		{ErrSubjectRequired, ErrMissingArgument},
		{ErrInvalidAuthorizationHeader, ErrLoginRequired},
	}
	for _, c := range cases {
		err := &APIError{StatusCode: 400, Number: c.refined}
		if !errors.Is(err, c.refined) || !errors.Is(err, c.l11) {
			t.Errorf("%d should match %d and itself", c.refined, c.l11)
		}
		if !errors.Is(c.refined, c.l11) {
			t.Errorf("ErrorNumber %d should match %d", c.refined, c.l11)
		}
		if errors.Is(err, ErrTokenExpired) {
			t.Errorf("%d matched an unrelated number", c.refined)
		}
	}
}

// L1, S4, L3: errors map to the token state they prove.
func TestTokenState(t *testing.T) {
	cases := []struct {
		err   error
		state mdm.TokenState
		ok    bool
	}{
		{&APIError{StatusCode: 401, Number: ErrTokenExpired}, mdm.TokenExpired, true},
		{&APIError{StatusCode: 200, Number: ErrTokenExpired}, mdm.TokenExpired, true}, // in a 200 body
		{&APIError{StatusCode: 401, Number: ErrInvalidToken}, mdm.TokenInvalid, true},
		{&APIError{StatusCode: 401, Number: ErrTokenRevoked}, mdm.TokenInvalid, true},
		{&APIError{StatusCode: 401}, mdm.TokenInvalid, true},
		{&APIError{StatusCode: 429, Number: ErrRateLimited}, 0, false},
		{&APIError{StatusCode: 500}, 0, false},
		{&BatchError{Err: &ClaimedError{Found: MdmInfo{ID: "other"}}}, mdm.TokenAssignedToExternalMDM, true},
		{fmt.Errorf("x: %w", &APIError{StatusCode: 401, Number: ErrTokenExpired}), mdm.TokenExpired, true},
		{errors.New("plain"), 0, false},
	}
	for i, c := range cases {
		s, ok := TokenState(c.err)
		if s != c.state || ok != c.ok {
			t.Errorf("case %d (%v): got %v,%v want %v,%v", i, c.err, s, ok, c.state, c.ok)
		}
	}
}

// L11: rate limiting and server errors are retryable, the rest are not.
func TestAPIError_Retryable(t *testing.T) {
	cases := []struct {
		e    *APIError
		want bool
	}{
		{&APIError{StatusCode: 429}, true},
		{&APIError{StatusCode: 200, Number: ErrRateLimited}, true},
		{&APIError{StatusCode: 503}, true},
		{&APIError{StatusCode: 200, Number: ErrInternal}, true},
		{&APIError{StatusCode: 400, Number: ErrInvalidArgument}, false},
		{&APIError{StatusCode: 401, Number: ErrTokenExpired}, false},
	}
	for _, c := range cases {
		if got := c.e.Retryable(); got != c.want {
			t.Errorf("%v: Retryable=%v", c.e, got)
		}
	}
	if _, ok := Retryable(&TransportError{Err: errors.New("refused")}); !ok {
		t.Error("a request with no answer is retryable")
	}
	if errors.Is(&APIError{StatusCode: 400}, ErrInvalidArgument) {
		t.Error("a bare 400 carries no number and should not match one")
	}
	if !errors.Is(&APIError{StatusCode: http.StatusTooManyRequests}, ErrRateLimited) {
		t.Error("a bare 429 is 9646")
	}
}

func TestAPIError_Message(t *testing.T) {
	e := &APIError{Endpoint: EndpointAssociate, StatusCode: 400, Number: ErrRegisteredUserNotFound,
		Message: "Registered user not found.", Info: &ErrorInfo{ClientUserIDs: []string{"u1", "u2", "u3", "u4"}}, Attempts: 1}
	want := `apple: assets/associate: HTTP 400, error 9609 (registered user not found): "Registered user not found." for clientUserIds u1, u2, u3 and 1 more: register the user with users/create before associating user licenses`
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
}
