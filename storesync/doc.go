// Package storesync keeps a tenant's store-synced apps and license pools in step with
// the stores they come from: Apple's Apps and Books for Organizations (VPP) and the
// Microsoft Store for Business (SPEC S1–S6, L1–L3, L11–L19).
//
// # Packages
//
//   - storesync/apple: a client of Apple's Apps and Books v2 API (paging against a
//     versionId, batching within the service/config limits, typed errors with the
//     L11 numbers, bounded retries, a token that never prints).
//   - storesync/applefake: an in-process fake of that API (Core), a Direct adapter
//     without HTTP for the simulator, an http.Handler, fault injection.
//   - storesync/msfb: a model of the retired Store for Business API (inventory,
//     seats, localized details, related sets) with an in-process Connector and the
//     same fault options.
//   - storesync/memsink: an in-memory Sink for tests, examples and benchmarks.
//   - storesync (this package): what sits between a store and the tenant.
//
// # Writing into the tenant
//
// A sync writes only through the small interfaces of sink.go — Catalog (the synced
// apps of a token), Directory (which serial numbers and clientUserIds are this
// service's, S6), Pools (store counts, pool kinds, holders, imports) and Tokens
// (state, last-sync status, store account) — together Sink. Their signatures use
// only mdm, license and Go types, so package tenant implements them without
// importing storesync.
// Nothing here reads the clock: every call takes now, except the Runner's.
//
// # Reconciliation
//
// A store is read into a Snapshot (AppleSnapshot; the Store for Business syncer
// builds its own): products with their catalog entries and counts, and the
// licenses held. Reconcile writes a snapshot into a Sink and returns what it
// changed as a Result (S2):
//
//   - apps new in the store are added, changed ones updated (the store owns the
//     name, type, origin, licensing mode and version; the administrator's
//     categories and requirements stay); app ids derive from token, product and
//     platform, so a product that leaves and returns is the same app (C8). The
//     Apps and Books API carries neither names nor versions: WithAppleNames and
//     WithAppleVersions take them from Apple's content metadata lookup, and with
//     versions a new one reaches the devices (T4, L9);
//   - apps the store no longer lists are marked gone (mdm.StoreOrigin.GoneFromStore)
//     and stay while an assignment or a license in use references them;
//   - each product's pool gets the store's counts, its total less the licenses held
//     by subjects this service does not know: records another service created are
//     not imported and not this service's to hand out (S6);
//   - licenses the store holds for this service's devices and users are imported;
//     a license the pools hold that the store does not is reported (MissingAtStore)
//     and never dropped.
//
// A snapshot is validated whole before anything is written; every write is
// idempotent, so reconciling twice changes nothing the second time. A pool
// keeps its kind (VPP app, VPP book, Store for Business online or offline), so
// a product the store now reports as another kind (an app become a book, or
// the reverse) fails the whole sync with a *ProductKindError before anything is
// written, and every later sync too while the store reports it so.
//
// # Syncers
//
// AppleSyncer syncs one Apple token: it refuses a token whose recorded state stops
// syncing (expired, invalid, claimed by another service, duplicate: S4, L3); marks
// an unclaimed token as this service's through client/config and detects another
// service's claim and duplicate tokens (L3); pushes the queued license changes;
// reads every page of assets and assignments, resuming a read that failed part-way
// from its recorded page when the versionId has not changed (S3); reconciles; and
// records the last-sync status (none, inProgress, completed, failed, S3). An error
// that proves the token's state (9621, 9622, 9625, 401) records it; apps and
// licenses stay as they are (S4). TakeBack takes a claimed token back; the next
// sync finds what the other service dropped and pushes it again.
//
// With WithIncrementalSync an AppleSyncer keeps a view of both sides of each
// product between syncs and reads only what changed: the assignments made since
// the last versionId (sinceVersionId), what its own pushes proved, and the pools'
// changes given to it (EnqueueLicenseChanges); it reconciles only the licenses
// held on one side and not the other, with the result of a full reconciliation.
// It reads everything again on its first sync, periodically (a week by default),
// when the store no longer knows the versionId (9721), when the asset counts show
// records somebody else removed, after a token was claimed and taken back (L3),
// and on RequireFullResync. Report.FullRead and Report.Resync say when and why.
// The condition: every change of the token's pools reaches the syncer before the
// sync that should see it (incremental.go has the details).
//
// StoreForBusinessSyncer syncs a Store for Business account: the account association
// lock (L12), online and offline apps (L13), the catalog display language (L16) and
// related sets as one entry (L17).
//
// # License push
//
// The tenant's pools record every VPP grant and release as a license.Change; an
// AppleSyncer takes them (EnqueueLicenseChanges) into its Pusher, which keeps the
// last change per (product, subject), registers users first, and sends
// associate/disassociate requests per product within the service/config limits.
// Rate limiting and server errors leave changes queued for the next push; what the
// store refuses for good (9709 not enough licenses, 9628, 9607, ...) comes back as
// PushFailure data. While a release waits to be pushed, a sync does not import the
// license again.
//
// # Runner
//
// Runner runs the syncers on a clock.Clock from github.com/benbjohnson/clock:
// every Policy.VPPSyncInterval (S1), and on demand with SyncNow; Stop stops it.
// Tests drive it with clock.NewMock(); the simulator calls the syncers directly
// with virtual time.
package storesync
