package license

import (
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// PoolKey names a pool: a token (an Apple location token or a Store for Business
// account connection) and a product (Apple's adamId or the Store for Business
// product id).
type PoolKey struct {
	Token   mdm.TokenID
	Product string
}

func (k PoolKey) String() string { return "pool " + string(k.Token) + "/" + k.Product }

// Stats are a pool's counts. Available is Total - Assigned, never negative;
// Overage is Assigned - Total when a store lowered the total below what is
// assigned (L18), else 0. Waiting counts holders refused for lack of a license
// that have not got one since (L5).
type Stats struct {
	Total     int
	Assigned  int
	Available int
	Retired   int
	Overage   int
	Waiting   int
}

// Request says who asks for (or gives back) a license, and how. Which fields are
// needed depends on the pool kind:
//
//   - VPPApp, device licensing (License LicenseDefault or LicenseDevice): Device;
//     Serial is the serial number Apple knows the device by (default: the device
//     id, as mdm.Device.Serial does).
//   - VPPApp, user licensing (LicenseUser), and VPPBook (always user licensing):
//     User and the Device the app or book goes to; the user's license covers up to
//     Policy.UserLicenseDeviceCap devices (L4). Giving back without a Device gives
//     back the user's whole license.
//   - StoreOnline: User, the installing user (L13).
//   - StoreOffline: Device (L13).
type Request struct {
	Device  mdm.DeviceID
	Serial  string
	User    mdm.UserID
	License mdm.LicenseType
}

// Ref is a holder's place in one pool: Result.Ref and Pool.Ref return it, and
// Pool.GrantRef and Pool.ReclaimRef take it to skip looking the holder up. A
// caller on a hot path keeps one per (device or user, app), as it keeps a pool
// handle per app. A Ref goes stale when UserDeleted forgets the holder or the
// pool is deleted; the Ref methods then return an error wrapping ErrStaleRef (or
// ErrUnknownPool). The zero Ref names nobody.
type Ref struct {
	i   int32 // rec index + 1, so the zero Ref is no rec
	gen uint32
}

var noRef Ref

// IsZero reports whether r names nobody.
func (r Ref) IsZero() bool { return r == noRef }

// Result is what one grant or give-back did. It is a value, so the hot path does
// not allocate.
type Result struct {
	Key     PoolKey
	Outcome Outcome
	Refusal Refusal    // when Outcome is Refused
	Kept    KeepReason // when Outcome is Kept
	Reason  Reason     // the reason given to Reclaim
	Holder  Holder     // who holds (or asked for) the license
	Device  mdm.DeviceID
	// Stats are the pool's counts after the operation.
	Stats Stats
	// Alert says whether the operation raised or cleared the pool's utilization
	// alert (L10).
	Alert AlertChange
	// Wake is the earliest waiter not yet told about a free license, when the
	// operation freed one (L5): push it to re-evaluate, so it asks first.
	Wake Holder
	// Token is the token's state when the grant was refused for it.
	Token mdm.TokenState
	// Ref is the holder's place in the pool, for GrantRef and ReclaimRef (zero
	// when the pool has no record of the holder).
	Ref Ref
	cap int
}

// Err returns the refusal as a typed error, or nil when nothing was refused:
// *ShortfallError (L14) or *RefusedError wrapping ErrLicenseUnavailable (L5),
// ErrDeviceCap (L4), ErrOverage (L18) or ErrTokenNotUsable (L1, L3). It
// allocates; call it when the refusal is to be reported, not on every check-in.
func (r Result) Err() error {
	switch r.Refusal {
	case NotRefused:
		return nil
	case Shortfall:
		return &ShortfallError{Key: r.Key, Need: 1, Available: r.Stats.Available, Short: 1 - r.Stats.Available}
	}
	return &RefusedError{Key: r.Key, Holder: r.Holder, Refusal: r.Refusal, Stats: r.Stats, Token: r.Token, Cap: r.cap}
}

// Effect is what a bulk operation (UserLeft, UserDeleted, DeviceRemoved,
// DeleteToken, SetCounts) did to one holder in one pool.
type Effect struct {
	Key     PoolKey
	Holder  Holder
	Outcome Outcome // Reclaimed, Kept or Withdrawn
	Reason  Reason
	Kept    KeepReason // when Outcome is Kept
}

// Waiter is a holder waiting for a license in a pool (L5).
type Waiter struct {
	Key    PoolKey
	Holder Holder
}

// Alert is a raised or cleared utilization alert (L10).
type Alert struct {
	Key       PoolKey
	Change    AlertChange
	Assigned  int
	Total     int
	Threshold float64
	At        time.Time
}

// Effects is what a bulk operation did, in a stable order (by pool key, then in
// the order the pool acted).
type Effects struct {
	Items  []Effect
	Wake   []Waiter // waiters to push: licenses freed for them (L5)
	Alerts []Alert  // alerts raised or cleared (L10)
}

// Change is one license change the store must be told about: every grant and
// reclaim on a VPP pool (S5). storesync drains them with TakeChanges and pushes
// them to Apple as assets/associate and assets/disassociate. A grant taken back
// before it was drained cancels out and is never sent.
type Change struct {
	Seq     uint64 // increases with every change of a Pools
	Op      ChangeOp
	Token   mdm.TokenID
	Product string // adamId
	// SerialNumber is set for a device license, ClientUserID for a user license.
	SerialNumber string
	ClientUserID string
	Reason       Reason // for Disassociate: why the license was taken back
	At           time.Time
}

// Holding is one license held in a pool.
type Holding struct {
	Holder    Holder
	Serial    string         // a device's serial number
	Devices   []mdm.DeviceID // the devices a user license covers, in the order added
	GrantedAt time.Time
}

// CountsResult is what SetCounts did.
type CountsResult struct {
	Created bool  // the pool did not exist before
	Stats   Stats // after the update
	Effects       // licenses revoked for a refund (L18), waiters woken, alerts
}

// Migration is what Migrate did (L4): the user side (Uncovered or Reclaimed) and
// the device side (Granted, AlreadyHeld or Refused).
type Migration struct {
	User   Result
	Device Result
}
