package storesync

import (
	"errors"
	"fmt"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
)

// Sentinels a caller branches on with errors.Is. The typed errors below wrap them.
var (
	// ErrBadSnapshot: a snapshot is not consistent (wrapped by *mdm.ValidationError);
	// nothing was written.
	ErrBadSnapshot = errors.New("storesync: snapshot cannot be reconciled")
	// ErrTokenState: the token's state does not allow the operation (S4, L3).
	ErrTokenState = errors.New("storesync: token state does not allow this")
	// ErrAccountSwitch: a Store for Business connection reports another account
	// than the one the tenant is associated with (L12).
	ErrAccountSwitch = errors.New("storesync: store account cannot be switched")
	// ErrSink: the sink refused a write; the sync stopped there.
	ErrSink = errors.New("storesync: the tenant refused a sync write")
	// ErrProductKind: the store reports a product as another kind than the
	// tenant's pool of it (wrapped by *ProductKindError); nothing was written.
	ErrProductKind = errors.New("storesync: a store product changed kind")
)

// TokenStateError is a sync or push refused, or stopped, because of the token's
// state: expired (L1), invalid or revoked, claimed by another service or a duplicate
// (L3). The state is recorded in the sink; licenses and apps are kept (S4).
type TokenStateError struct {
	Token mdm.TokenID
	State mdm.TokenState
	Cause error // the store's answer that proved the state; nil when it was already recorded
}

func (e *TokenStateError) Error() string {
	s := fmt.Sprintf("storesync: token %s is %s", e.Token, e.State)
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s + ": " + tokenRemedy(e.State)
}

// tokenStateError turns an error from Apple that proves a token state (401,
// 9621, 9622, 9625, a claimed token) into a *TokenStateError; an error that
// is one already, or proves no state, is returned as it is, so the message
// names the token and state once.
func tokenStateError(token mdm.TokenID, err error) error {
	var tse *TokenStateError
	if errors.As(err, &tse) {
		return err
	}
	if st, ok := apple.TokenState(err); ok {
		return &TokenStateError{Token: token, State: st, Cause: err}
	}
	return err
}

func tokenRemedy(s mdm.TokenState) string {
	switch s {
	case mdm.TokenExpired:
		return "download a new token from Apple Business Manager or Apple School Manager and upload it; licenses and apps are kept"
	case mdm.TokenInvalid:
		return "the store no longer accepts the token; upload the location's current token; licenses and apps are kept"
	case mdm.TokenAssignedToExternalMDM:
		return "another management service claimed the token; take control back (TakeBack) after checking which assignments it changed"
	case mdm.TokenDuplicate:
		return "another token of this tenant belongs to the same location; delete one of them (licenses can still be assigned and revoked)"
	}
	return "check the token"
}

// Unwrap returns the sentinel and the cause.
func (e *TokenStateError) Unwrap() []error {
	if e.Cause == nil {
		return []error{ErrTokenState}
	}
	return []error{ErrTokenState, e.Cause}
}

// AccountSwitchError is a Store for Business connection that reports another
// account than the associated one (L12). Nothing was synced.
type AccountSwitchError struct {
	Token      mdm.TokenID
	Associated string
	Reported   string
}

func (e *AccountSwitchError) Error() string {
	return fmt.Sprintf("storesync: token %s is associated with store account %q, the store now reports %q: "+
		"a store account, once associated, cannot be switched (L12); reconnect with the associated account", e.Token, e.Associated, e.Reported)
}

func (e *AccountSwitchError) Unwrap() error { return ErrAccountSwitch }

// SinkError is a write the sink refused. The writes before it stand; each is
// idempotent, so the next sync completes the rest (S3).
type SinkError struct {
	Op  string // "UpsertSyncedApp", "SetPoolCounts", ...
	Key string // the app, pool or holding concerned
	Err error
}

func (e *SinkError) Error() string {
	return fmt.Sprintf("storesync: %s %s: %v: fix the tenant's state and sync again; the writes before this one are kept", e.Op, e.Key, e.Err)
}

func (e *SinkError) Unwrap() []error { return []error{ErrSink, e.Err} }

// ProductKindError is a sync refused because the store reports a product as
// another kind than the pool the tenant holds for it: an Apple app that became
// a book or the reverse (productType), a Store for Business product that
// switched between online and offline licensing (L13). A pool keeps its kind
// (license.Pools.SetCounts refuses another): who may hold its licenses and
// whether they can be taken back depend on it (L4, L8, L13). The check runs
// before anything is written, so the catalog and the pools stay as the last
// sync left them (S3), and every later sync fails the same way while the store
// reports the product so.
type ProductKindError struct {
	Token   mdm.TokenID
	Product string
	Pool    license.Kind // the kind of the tenant's pool
	Store   license.Kind // the kind the store reports now
}

func (e *ProductKindError) Error() string {
	return fmt.Sprintf("storesync: token %s, product %s: the store now reports a %s, the tenant's pool is a %s pool: "+
		"a pool keeps its kind (L4, L8, L13), so nothing of this sync was written and every sync of the token fails "+
		"this way while the store reports it so; check the product at the store, or, if the store is right, delete "+
		"the token and add it again to start its pools over (deleting a token revokes its licenses, L7)",
		e.Token, e.Product, e.Store, e.Pool)
}

// Unwrap returns ErrProductKind and license.ErrPoolKind, the error the pool
// itself would have given.
func (e *ProductKindError) Unwrap() []error { return []error{ErrProductKind, license.ErrPoolKind} }
