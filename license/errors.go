package license

import (
	"errors"
	"fmt"

	"github.com/mdmkit/mdmkit/mdm"
)

// Sentinel errors. Bad input is a *mdm.ValidationError wrapping one of the first
// group (or one of mdm's, such as mdm.ErrInvalidID); a refusal turned into an error
// by Result.Err wraps one of the second group. Branch with errors.Is; read the
// facts with errors.As.
var (
	ErrUnknownPool    = errors.New("license: no such pool")
	ErrPoolKind       = errors.New("license: request does not fit the pool kind")
	ErrInvalidCount   = errors.New("license: invalid license count")
	ErrMigration      = errors.New("license: license type migration not allowed")    // L4
	ErrIrrevocable    = errors.New("license: book licenses cannot be reclaimed")     // L8
	ErrInvalidReason  = errors.New("license: reason not accepted by this operation") // L7
	ErrUnknownToken   = errors.New("license: no such token")
	ErrStaleRef       = errors.New("license: ref does not name this holder")
	ErrMalformedToken = errors.New("license: malformed sToken")      // L1
	ErrTokenLifetime  = errors.New("license: token date not usable") // L1
)

// Refusals as errors (Result.Err, CheckDemand).
var (
	ErrLicenseUnavailable = errors.New("license unavailable")                           // L5
	ErrShortfall          = errors.New("not enough licenses")                           // L14
	ErrDeviceCap          = errors.New("user license already covers its device limit")  // L4
	ErrOverage            = errors.New("pool is over its total after a refund")         // L18
	ErrTokenNotUsable     = errors.New("token state does not allow assigning licenses") // L1, L3
)

// ShortfallError refuses a grant or a new assignment that needs more licenses than
// the pool has available when the store blocks oversubscription (L14). It wraps
// ErrShortfall.
type ShortfallError struct {
	Key       PoolKey
	Need      int // licenses the grant or assignment needs
	Available int // licenses available in the pool
	Short     int // Need - Available: how many to free or buy
}

func (e *ShortfallError) Error() string {
	return fmt.Sprintf("%s: %d %s needed, %d available (L14): uninstall from some devices, narrow the assignment, or buy %d more",
		e.Key, e.Need, plural(e.Need, "license", "licenses"), e.Available, e.Short)
}

func (e *ShortfallError) Unwrap() error { return ErrShortfall }

// RefusedError is a refused grant as an error (Result.Err). It wraps the
// sentinel of its Refusal: ErrLicenseUnavailable, ErrDeviceCap, ErrOverage or
// ErrTokenNotUsable. (A Shortfall refusal is a *ShortfallError instead.)
type RefusedError struct {
	Key     PoolKey
	Holder  Holder
	Refusal Refusal
	Stats   Stats          // the pool when it refused
	Token   mdm.TokenState // for TokenNotUsable
	Cap     int            // for DeviceCap: the policy's device limit
}

func (e *RefusedError) Error() string {
	switch e.Refusal {
	case Unavailable:
		return fmt.Sprintf("%s: %s: license unavailable, all %d assigned (L5): it is granted at an evaluation after one is freed or bought",
			e.Key, e.Holder, e.Stats.Total)
	case DeviceCap:
		return fmt.Sprintf("%s: %s: the user's license already covers %d devices, the limit (L4): remove the app from another of the user's devices or use device licensing",
			e.Key, e.Holder, e.Cap)
	case Overage:
		return fmt.Sprintf("%s: %s: %d assigned over a total of %d after a refund (L18): nothing is granted until licenses are reclaimed or bought",
			e.Key, e.Holder, e.Stats.Assigned, e.Stats.Total)
	case TokenNotUsable:
		return fmt.Sprintf("%s: %s: token is %s (L1, L3): renew the token or take control of it back, then sync",
			e.Key, e.Holder, e.Token)
	}
	return fmt.Sprintf("%s: %s: refused (%s)", e.Key, e.Holder, e.Refusal)
}

func (e *RefusedError) Unwrap() error {
	switch e.Refusal {
	case Unavailable:
		return ErrLicenseUnavailable
	case DeviceCap:
		return ErrDeviceCap
	case Overage:
		return ErrOverage
	case TokenNotUsable:
		return ErrTokenNotUsable
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func invalid(field, value, rule string, sentinel error, reason, remedy string) error {
	return &mdm.ValidationError{Field: field, Value: value, Rule: rule, Err: sentinel, Reason: reason, Remedy: remedy}
}

func unknownPool(k PoolKey) error {
	return invalid("pool", k.String(), "L18", ErrUnknownPool, "does not exist (or was deleted with its token)",
		"let store sync create the pool with SetCounts, then look it up again")
}
