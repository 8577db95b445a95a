package storesync

import (
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// The interfaces a sync writes through. The tenant implements them (it holds the
// catalog, the directory, the license pools and the token records); storesync
// defines them, so that it never imports tenant (DESIGN: the consumer defines the
// interface). Their signatures use only mdm types, Go's own types and, for pools,
// package license's, so a package can implement them without importing storesync.
//
// Every method is called with the time of the sync as now; an implementation never
// reads the clock itself. A method that fails changes nothing. Reads return copies
// the caller may keep.

// Catalog is the part of the catalog that store sync owns: the apps synced through
// one token (C4: they appear and disappear only through sync).
type Catalog interface {
	// SyncedApps returns the apps whose Origin.Token is token, sorted by ID,
	// including those marked Origin.GoneFromStore.
	SyncedApps(token mdm.TokenID) ([]mdm.App, error)

	// UpsertSyncedApp adds app, or updates the app with the same ID. The app is
	// validated as a synced app (mdm.ValidateApp with FromSync). The store owns
	// DisplayName, Type, Origin (GoneFromStore included), Publisher, Identifier and
	// Version; an update keeps what the administrator set on the app
	// (categories, requirements, ...).
	UpsertSyncedApp(now time.Time, app mdm.App) error

	// MarkGoneFromStore records that the store no longer lists the app. While an
	// assignment targets it or a license for it is in use, the catalog keeps it
	// with Origin.GoneFromStore set and returns removed false (S2); otherwise it
	// deletes the app and returns removed true. Calling it again for an app that
	// is still referenced changes nothing.
	MarkGoneFromStore(now time.Time, app mdm.AppID) (removed bool, err error)
}

// Directory tells a sync which store subjects are this service's own (S6): Apple
// knows a device by its serial number (mdm.Device.Serial) and a user by the
// clientUserId this service registered it with. Store records naming anyone else
// were made by another service and are not imported.
type Directory interface {
	// DeviceBySerial returns the managed device with this serial number.
	DeviceBySerial(serial string) (mdm.DeviceID, bool)
	// UserByClientUserID returns the user this service registered with the store
	// under clientUserID (for Store for Business: the user principal name).
	UserByClientUserID(clientUserID string) (mdm.UserID, bool)
}

// Pools is the part of the license pools that store sync writes: the store's
// counts and the licenses the store says this service's subjects hold. A pool is
// keyed by (token, product): product is Apple's adamId or the Store for Business
// product id (for a related set, the set's id, L17).
type Pools interface {
	// PoolCounts returns the total and retired counts last set from the store;
	// ok is false when the pool does not exist yet.
	PoolCounts(token mdm.TokenID, product string) (total, retired int, ok bool)

	// PoolKind returns the kind of the pool (license.VPPApp, VPPBook,
	// StoreOnline or StoreOffline); ok is false when the pool does not exist
	// yet. A pool keeps its kind, so a sync checks every product against it
	// before writing anything (ProductKindError).
	PoolKind(token mdm.TokenID, product string) (kind license.Kind, ok bool)

	// SetPoolCounts creates the pool of the app's kind if needed (VPP app, VPP
	// book, Store for Business online or offline: license.KindOf, from app.Type
	// and app.Origin.Licensing) and sets the store's counts; it refuses an app
	// of another kind than the pool's. A total below what is
	// assigned is a refund: the pool reports the overage and follows its revoke
	// policy, never revoking a book (L18, L8).
	SetPoolCounts(now time.Time, app *mdm.App, total, retired int) error

	// PoolHolders returns who holds a license of the pool, as the store knows
	// them: the serial numbers of the devices and the clientUserIds of the users,
	// each sorted. It includes grants not yet pushed to the store.
	PoolHolders(token mdm.TokenID, product string) (serials, clientUserIDs []string)

	// ImportLicense records that the store says device (or user; exactly one is
	// set) holds a license of the pool (license.Pools.Adopt). It is not a grant:
	// the store already has it, so nothing is recorded for the license push, and
	// the token's state is not consulted. It returns imported false when the
	// holder holds one already (L19), or when the pool has no license left for it
	// (L18: an import never assigns over the total; it happens when grants not yet
	// pushed took the room, and the store will refuse those).
	ImportLicense(now time.Time, token mdm.TokenID, product string, device mdm.DeviceID, user mdm.UserID) (imported bool, err error)
}

// Tokens records what a sync learns about a token: its state (L1, L3, S4), the
// outcome of its last sync (S3) and the store account it belongs to (Apple's
// location uId, the Store for Business tenant), which is how a duplicate token (L3)
// and a switch of the Store for Business account (L12) are noticed.
type Tokens interface {
	// TokenState returns the token's state; ok is false for an unknown token.
	TokenState(token mdm.TokenID) (state mdm.TokenState, ok bool)
	// SetTokenState records the token's state.
	SetTokenState(now time.Time, token mdm.TokenID, state mdm.TokenState) error
	// SetSyncStatus records the outcome of the token's last sync: inProgress when
	// one starts, completed or failed when it ends; detail says why it failed
	// (never the token text).
	SetSyncStatus(now time.Time, token mdm.TokenID, status mdm.SyncStatus, detail string) error
	// StoreAccount returns the store account the token is bound to.
	StoreAccount(token mdm.TokenID) (account string, ok bool)
	// BindStoreAccount binds the token to a store account at its first sync.
	BindStoreAccount(now time.Time, token mdm.TokenID, account string) error
	// TokenOfStoreAccount returns the token bound to a store account.
	TokenOfStoreAccount(account string) (mdm.TokenID, bool)
}

// Sink is everything a sync reads and writes: what the tenant implements.
type Sink interface {
	Catalog
	Directory
	Pools
	Tokens
}
