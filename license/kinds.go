package license

import (
	"fmt"

	"github.com/mdmkit/mdmkit/mdm"
)

// Kind is what a pool licenses. It decides who may hold a license, whether a
// license can be taken back and whether grants are pushed to Apple.
type Kind uint8

const (
	// KindUnknown is the zero value; no pool has it.
	KindUnknown Kind = iota
	// VPPApp is an Apple Apps and Books app: device licensing (the default, one
	// license per device) or user licensing (one license per user, valid on up
	// to Policy.UserLicenseDeviceCap of the user's devices) (L4).
	VPPApp
	// VPPBook is an Apple book: user licensing only (L4), never reclaimed (L8).
	VPPBook
	// StoreOnline is a Microsoft Store for Business online-licensed app: the
	// store installs it and each installing user consumes one license (L13).
	StoreOnline
	// StoreOffline is a Microsoft Store for Business offline-licensed app: the
	// service installs it, one license per device (L13).
	StoreOffline
	numKinds
)

var kindNames = [...]string{KindUnknown: "unknown", VPPApp: "vppApp", VPPBook: "vppBook",
	StoreOnline: "storeForBusinessOnline", StoreOffline: "storeForBusinessOffline"}

func (k Kind) String() string { return enumName(kindNames[:], int(k), "Kind") }

// Valid reports whether k is one of the four pool kinds.
func (k Kind) Valid() bool { return k > KindUnknown && k < numKinds }

// IsVPP reports whether the pool belongs to an Apple token: its grants and
// reclaims are recorded as Changes for the store (S5).
func (k Kind) IsVPP() bool { return k == VPPApp || k == VPPBook }

// Store is the store the pool's licenses come from.
func (k Kind) Store() mdm.StoreKind {
	switch k {
	case VPPApp, VPPBook:
		return mdm.StoreAppleVPP
	case StoreOnline, StoreOffline:
		return mdm.StoreMicrosoftBusiness
	}
	return mdm.StoreNone
}

// KindOf returns the pool kind of a synced app: VPPApp or VPPBook for Apple apps
// and books, StoreOnline or StoreOffline for Store for Business apps by their
// licensing mode (L13). Apps that are not synced from a store have no pool.
func KindOf(a *mdm.App) (Kind, error) {
	switch {
	case a == nil:
		return KindUnknown, &mdm.ValidationError{Field: "app", Rule: "L13", Err: mdm.ErrMissingField,
			Reason: "is nil", Remedy: "pass the synced app"}
	case a.Type == mdm.AppTypeVPPBook:
		return VPPBook, nil
	case a.Type.IsVPP():
		return VPPApp, nil
	case a.Type == mdm.AppTypeStoreForBusiness:
		switch a.Origin.Licensing {
		case mdm.LicenseOnline:
			return StoreOnline, nil
		case mdm.LicenseOffline:
			return StoreOffline, nil
		}
		return KindUnknown, &mdm.ValidationError{Field: "origin.licensing", Value: a.Origin.Licensing.String(), Rule: "L13",
			Err: ErrPoolKind, Reason: "is neither online nor offline", Remedy: "set the Store for Business licensing mode the store reports"}
	}
	return KindUnknown, &mdm.ValidationError{Field: "type", Value: a.Type.String(), Rule: "L13", Err: ErrPoolKind,
		Reason: "is not licensed through a store pool", Remedy: "only VPP apps, VPP books and Store for Business apps have license pools"}
}

// HolderKind says whether a license is held by a device or by a user.
type HolderKind uint8

const (
	NoHolder     HolderKind = iota
	DeviceHolder            // VPP device licensing, Store for Business offline
	UserHolder              // VPP user licensing and books, Store for Business online
)

var holderKindNames = [...]string{NoHolder: "none", DeviceHolder: "device", UserHolder: "user"}

func (k HolderKind) String() string { return enumName(holderKindNames[:], int(k), "HolderKind") }

// Holder names who holds (or waits for) a license. The zero Holder is "nobody".
type Holder struct {
	Kind HolderKind
	ID   string // a mdm.DeviceID or mdm.UserID
}

// IsZero reports whether h names nobody.
func (h Holder) IsZero() bool { return h.Kind == NoHolder }

func (h Holder) String() string {
	if h.Kind == NoHolder {
		return "nobody"
	}
	return h.Kind.String() + " " + h.ID
}

// Outcome is what one operation did to one holder.
type Outcome uint8

const (
	// NoOutcome is the zero value.
	NoOutcome Outcome = iota
	// Granted: a license was taken from the pool for the holder.
	Granted
	// AlreadyHeld: the holder already held a license; nothing changed (L19).
	AlreadyHeld
	// Covered: the user's license now also covers this device; no license was
	// consumed (L4, user licensing).
	Covered
	// Refused: no license was granted; Result.Refusal says why.
	Refused
	// Reclaimed: the holder's license went back to the pool.
	Reclaimed
	// Uncovered: this device was taken off the user's license; the user keeps
	// the license for the other devices it covers.
	Uncovered
	// Kept: the license stays with the holder; Result.Kept says why (L7, L8).
	Kept
	// NotHeld: the holder held no license in the pool; nothing changed.
	NotHeld
	// Withdrawn: the holder was waiting for a license and no longer is.
	Withdrawn
)

var outcomeNames = [...]string{NoOutcome: "none", Granted: "granted", AlreadyHeld: "alreadyHeld", Covered: "covered",
	Refused: "refused", Reclaimed: "reclaimed", Uncovered: "uncovered", Kept: "kept", NotHeld: "notHeld", Withdrawn: "withdrawn"}

func (o Outcome) String() string { return enumName(outcomeNames[:], int(o), "Outcome") }

// Refusal is why a grant was refused. Each refusal has a typed error (Result.Err).
type Refusal uint8

const (
	NotRefused Refusal = iota
	// Unavailable: every license is assigned; the holder waits and gets one at an
	// evaluation after one frees (L5).
	Unavailable
	// Shortfall: every license is assigned and the store blocks oversubscription
	// (Store for Business by default, L14).
	Shortfall
	// DeviceCap: the user's license already covers Policy.UserLicenseDeviceCap
	// devices (L4).
	DeviceCap
	// Overage: the store lowered the total below what is assigned (a refund); the
	// pool grants nothing until it is back under (L18).
	Overage
	// TokenNotUsable: the token's state does not allow assigning licenses (L1, L3).
	TokenNotUsable
)

var refusalNames = [...]string{NotRefused: "none", Unavailable: "licenseUnavailable", Shortfall: "shortfall",
	DeviceCap: "userDeviceCap", Overage: "overage", TokenNotUsable: "tokenNotUsable"}

func (r Refusal) String() string { return enumName(refusalNames[:], int(r), "Refusal") }

// Waits reports whether a holder refused for this reason is put on the pool's
// waiting list: it lacks only a free license.
func (r Refusal) Waits() bool { return r == Unavailable || r == Shortfall || r == Overage }

// Reason is why a license is being taken back (L7). The pool decides from the
// reason, the pool kind and the policy whether it is reclaimed or kept.
type Reason uint8

const (
	NoReason Reason = iota
	// Uninstall: an uninstall intent reaches the holder: reclaim (L7).
	Uninstall
	// UserRemovedApp: the user deleted the app from the device: keep (L7).
	UserRemovedApp
	// DeviceRemoved: the device left management: keep (L7).
	DeviceRemoved
	// AssignmentRemoved: the assignment was removed: keep, or reclaim when
	// Policy.AssignmentRemovalRevokes (L7).
	AssignmentRemoved
	// Revoke: an explicit revoke by the admin: reclaim (L7); refused for books (L8).
	Revoke
	// UserLeft: the user is no longer in any targeted group or left the
	// organisation: reclaim the user's licenses (L7, L15).
	UserLeft
	// UserDeleted: the user was deleted: reclaim the user's licenses (L7, L15).
	UserDeleted
	// TokenDeleted: the token was deleted: reclaim when
	// Policy.TokenDeletionRevokes, else keep (L7). Only DeleteToken uses it.
	TokenDeleted
	// Refund: the store lowered the total below what is assigned and the policy
	// revokes the newest grants (L18). Only SetCounts uses it.
	Refund
	// Migrated: the license moved from user to device licensing (L4). Only
	// Migrate uses it.
	Migrated
	numReasons
)

var reasonNames = [...]string{NoReason: "none", Uninstall: "uninstall", UserRemovedApp: "userRemovedApp",
	DeviceRemoved: "deviceRemoved", AssignmentRemoved: "assignmentRemoved", Revoke: "revoke",
	UserLeft: "userLeft", UserDeleted: "userDeleted", TokenDeleted: "tokenDeleted", Refund: "refund", Migrated: "migrated"}

func (r Reason) String() string { return enumName(reasonNames[:], int(r), "Reason") }

// KeepReason is why a license stayed with its holder.
type KeepReason uint8

const (
	NotKept KeepReason = iota
	// KeptBook: a book license is never reclaimed (L8).
	KeptBook
	// KeptByRule: the reason does not reclaim (user removed the app, device
	// removed from management, L7).
	KeptByRule
	// KeptByPolicy: the policy keeps it (assignment removed without
	// AssignmentRemovalRevokes, token deleted without TokenDeletionRevokes, L7).
	KeptByPolicy
	// KeptDeviceLicense: a user leaving or being deleted takes only user
	// licenses; this one belongs to a device (L7).
	KeptDeviceLicense
)

var keepNames = [...]string{NotKept: "none", KeptBook: "book", KeptByRule: "rule", KeptByPolicy: "policy", KeptDeviceLicense: "deviceLicense"}

func (k KeepReason) String() string { return enumName(keepNames[:], int(k), "KeepReason") }

// AlertChange is what an operation did to a pool's utilization alert (L10).
type AlertChange uint8

const (
	AlertUnchanged AlertChange = iota
	AlertRaised                // used licenses reached the threshold
	AlertCleared               // used licenses dropped below it
)

var alertNames = [...]string{AlertUnchanged: "unchanged", AlertRaised: "raised", AlertCleared: "cleared"}

func (a AlertChange) String() string { return enumName(alertNames[:], int(a), "AlertChange") }

// ChangeOp is what a Change asks the store to do.
type ChangeOp uint8

const (
	NoOp         ChangeOp = iota
	Associate             // assign the license (POST assets/associate)
	Disassociate          // revoke it (POST assets/disassociate)
)

var changeOpNames = [...]string{NoOp: "none", Associate: "associate", Disassociate: "disassociate"}

func (o ChangeOp) String() string { return enumName(changeOpNames[:], int(o), "ChangeOp") }

func enumName(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", typ, i)
}
