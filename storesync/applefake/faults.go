package applefake

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// FaultKind is what an injected fault does to a call.
type FaultKind uint8

const (
	// FaultStatus answers with HTTP Status (503 when 0), with Number in a JSON body
	// when set and a plain-text body otherwise; Retry-After when RetryAfter is set.
	FaultStatus FaultKind = iota + 1
	// FaultRateLimit answers HTTP 429 with 9646 and Retry-After (1 s when 0).
	FaultRateLimit
	// FaultErrorInBody answers HTTP 200 with errorNumber Number (any L11 number),
	// and Retry-After when set (9646 in a 200 body).
	FaultErrorInBody
	// FaultTruncated serves the call, then sends only the first half of the JSON.
	FaultTruncated
	// FaultSlow serves the call after Delay (at most MaxSlowDelay), or not at all if
	// the client gives up first. The in-process adapter has no wall clock and ignores
	// the delay.
	FaultSlow
	// FaultExpireToken expires the token, then serves the call (9621 mid-sync).
	FaultExpireToken
	// FaultRevokeToken revokes the token, then serves the call (9625).
	FaultRevokeToken
	// FaultClaimToken lets Claimant claim the token (L3), losing records when
	// LoseRecords, then serves the call: its mdmInfo names the other service.
	FaultClaimToken
	// FaultChangeVersion records a change in the location, then serves the call: a
	// paged read sees a new versionId mid-read.
	FaultChangeVersion
)

var faultNames = [...]string{"", "status", "rateLimit", "errorInBody", "truncated", "slow",
	"expireToken", "revokeToken", "claimToken", "changeVersion"}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) && k != 0 {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// MaxSlowDelay bounds FaultSlow, so a test cannot hang on a forgotten fault.
const MaxSlowDelay = 2 * time.Second

// Fault is one scripted misbehaviour of an endpoint.
type Fault struct {
	Kind        FaultKind
	Status      int               // FaultStatus
	Number      apple.ErrorNumber // FaultStatus, FaultErrorInBody
	RetryAfter  time.Duration     // rounded up to whole seconds, as the header carries them
	Delay       time.Duration     // FaultSlow
	Claimant    apple.MdmInfo     // FaultClaimToken
	LoseRecords bool              // FaultClaimToken
	After       int               // calls let through before the fault fires
	Times       int               // calls it fires on; 1 when < 1
}

// Faults is a script of faults per endpoint, shared by a Handler and a Direct adapter.
// Faults of one endpoint fire in the order they were added. Every call is counted.
// It is safe for concurrent use.
type Faults struct {
	mu    sync.Mutex
	queue map[apple.Endpoint][]*Fault
	calls map[apple.Endpoint]int
	fired map[apple.Endpoint]int
}

// NewFaults returns an empty script.
func NewFaults() *Faults {
	return &Faults{queue: map[apple.Endpoint][]*Fault{}, calls: map[apple.Endpoint]int{}, fired: map[apple.Endpoint]int{}}
}

// Add appends a fault for an endpoint. A fault that cannot be injected is refused.
func (f *Faults) Add(ep apple.Endpoint, ft Fault) error {
	bad := func(format string, args ...any) error { return adminErr("Faults.Add", format, args...) }
	switch {
	case ft.Kind < FaultStatus || ft.Kind > FaultChangeVersion:
		return bad("unknown kind %d", ft.Kind)
	case ft.Kind == FaultStatus && ft.Status != 0 && (ft.Status < 400 || ft.Status > 599):
		return bad("status %d is not an HTTP error", ft.Status)
	case ft.Kind == FaultErrorInBody && ft.Number == 0:
		return bad("errorInBody needs a Number")
	case ft.Kind == FaultClaimToken && ft.Claimant.ID == "":
		return bad("claimToken needs a Claimant with an id")
	case ft.After < 0 || ft.RetryAfter < 0 || ft.Delay < 0:
		return bad("After, RetryAfter and Delay cannot be negative")
	}
	known := false
	for _, e := range apple.Endpoints() {
		known = known || e == ep
	}
	if !known {
		return bad("unknown endpoint %q", ep)
	}
	if ft.Times < 1 {
		ft.Times = 1
	}
	if ft.RetryAfter > 0 {
		ft.RetryAfter = ft.RetryAfter.Round(time.Second)
		if ft.RetryAfter == 0 {
			ft.RetryAfter = time.Second
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue[ep] = append(f.queue[ep], &ft)
	return nil
}

// Calls is how many calls the endpoint received.
func (f *Faults) Calls(ep apple.Endpoint) int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls[ep] }

// Fired is how many calls to the endpoint a fault fired on.
func (f *Faults) Fired(ep apple.Endpoint) int { f.mu.Lock(); defer f.mu.Unlock(); return f.fired[ep] }

// Pending is how many fault firings are still scripted for the endpoint.
func (f *Faults) Pending(ep apple.Endpoint) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ft := range f.queue[ep] {
		n += ft.Times
	}
	return n
}

// take counts a call and returns the fault that fires on it, if any.
func (f *Faults) take(ep apple.Endpoint) (Fault, bool) {
	if f == nil {
		return Fault{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[ep]++
	q := f.queue[ep]
	if len(q) == 0 {
		return Fault{}, false
	}
	head := q[0]
	if head.After > 0 {
		head.After--
		return Fault{}, false
	}
	f.fired[ep]++
	head.Times--
	if head.Times == 0 {
		f.queue[ep] = q[1:]
	}
	return *head, true
}

// outcome is what a fired fault means for the call being served.
type outcome struct {
	err      *apple.APIError // answer with this instead of serving
	truncate bool            // serve, then cut the body
	delay    time.Duration   // serve after this long
}

// prepare applies a fault's change to the core and says how the call proceeds.
func (ft Fault) prepare(core *Core, ep apple.Endpoint, sToken string) outcome {
	switch ft.Kind {
	case FaultStatus:
		status := ft.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		return outcome{err: &apple.APIError{Endpoint: ep, StatusCode: status, Number: ft.Number,
			Message: ft.Number.Message(), RetryAfter: ft.RetryAfter}}
	case FaultRateLimit:
		ra := ft.RetryAfter
		if ra == 0 {
			ra = time.Second
		}
		return outcome{err: &apple.APIError{Endpoint: ep, StatusCode: http.StatusTooManyRequests,
			Number: apple.ErrRateLimited, Message: apple.ErrRateLimited.Message(), RetryAfter: ra}}
	case FaultErrorInBody:
		return outcome{err: &apple.APIError{Endpoint: ep, StatusCode: http.StatusOK, Number: ft.Number,
			Message: ft.Number.Message(), RetryAfter: ft.RetryAfter}}
	case FaultTruncated:
		return outcome{truncate: true}
	case FaultSlow:
		return outcome{delay: min(ft.Delay, MaxSlowDelay)}
	// A state fault on an unknown token changes nothing; the core then answers 9622.
	case FaultExpireToken:
		_ = core.ExpireToken(sToken)
	case FaultRevokeToken:
		_ = core.RevokeToken(sToken)
	case FaultClaimToken:
		_ = core.ClaimToken(sToken, ft.Claimant, ft.LoseRecords)
	case FaultChangeVersion:
		_ = core.BumpVersion(sToken)
	}
	return outcome{}
}
