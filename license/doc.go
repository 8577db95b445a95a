// Package license keeps a tenant's store license pools: Apple Apps and Books
// (VPP) apps and books, and Microsoft Store for Business online and offline apps
// (SPEC L1–L19).
//
// # Pools
//
// Pools holds every pool of a tenant. A pool is keyed by PoolKey (a token and a
// product: Apple's adamId or the Store for Business product id) and has a Kind:
//
//   - VPPApp: device licensing (one license per device, the default) or user
//     licensing (one license per user, valid on up to
//     Policy.UserLicenseDeviceCap of the user's devices) (L4);
//   - VPPBook: user licensing only (L4); a book license is never reclaimed (L8);
//   - StoreOnline: each installing user consumes a license (L13);
//   - StoreOffline: one license per device (L13).
//
// Store sync creates pools and keeps their counts with SetCounts. Stats reports
// total, assigned, available, retired, overage and waiting. A pool never assigns
// more than its total (L18); the only way over is a store lowering the total (a
// refund): the pool then reports the overage, grants nothing until it is back
// under, and with Policy.RefundRevokesNewestFirst (the default) revokes the newest
// grants until it is, never a book.
//
// # Granting and giving back
//
// Grant is called when an install starts: at the check-in that sends a required
// app's install command, or when the user starts the install of an available app
// from the portal — an available app consumes a license only then (L6). Use
// CheckDemand when an assignment is created or widened: it consumes nothing and
// refuses, where the store blocks oversubscription (Store for Business by
// default, L14), with a *ShortfallError that names the need, what is available,
// the shortfall and the three remedies.
//
// Every operation returns what it did as data. A grant's Result says Granted,
// AlreadyHeld (granting twice is granting once, L19), Covered (a user license now
// also covers this device) or Refused with a Refusal: Unavailable (VPP
// oversubscription, first come first served, L5), Shortfall (L14), DeviceCap
// (L4), Overage (L18) or TokenNotUsable (L1, L3). Result.Err turns a refusal into
// a typed error when it is to be shown. An error return means the request itself
// was wrong (a *mdm.ValidationError naming the field, the rule and the remedy),
// and then nothing changed.
//
// Reclaim gives a license back for a Reason, exactly as L7 says: an uninstall
// intent, an explicit revoke, a user leaving or deleted reclaim; a user removing
// the app and a device leaving management keep; a removed assignment keeps
// unless Policy.AssignmentRemovalRevokes. Books are kept whatever the reason
// (L8), and an explicit revoke of a book is an error. UserLeft, UserDeleted and
// DeviceRemoved apply a directory event to every pool the holder is in;
// DeleteToken removes a token's pools and revokes their licenses when
// Policy.TokenDeletionRevokes (the default). Migrate moves a device from user to
// device licensing for a required assignment, the only migration L4 allows.
//
// # Waiting (L5)
//
// A holder refused for lack of a license waits. Licenses are not reserved: the
// first to ask after one frees gets it, so a waiter whose device never comes back
// cannot block a pool. Each freed license names the earliest waiter not yet told
// (Result.Wake, Effects.Wake) so the caller can push it and it asks first; a told
// waiter refused again keeps its place. A grant, an uninstall or a directory
// event ends the wait. Pool.Waiting lists waiters, earliest first. Pool.Waits
// says whether asking again for a waiter would be refused and change nothing
// (no license free, the waiter not told of one, the token able to assign), so
// that a caller need not ask at every check-in: the tenant asks again only
// once it would not.
//
// # Alerts (L10)
//
// Each pool raises its utilization alert when assigned licenses reach
// Policy.UtilizationAlertThreshold of the total and clears it when they drop
// below. The change is part of the operation's result (Result.Alert,
// Effects.Alerts); Alerting lists the pools whose alert is raised.
//
// # Store changes (S5)
//
// Every grant and reclaim on a VPP pool is also recorded as a Change: associate
// or disassociate, with the token, the adamId and a serial number (device
// licensing) or a clientUserId (user licensing). The caller drains them with
// TakeChanges and storesync pushes them to Apple. A grant reclaimed before it
// was drained cancels out. Adopt records a license the store already has,
// without a change.
//
// # Tokens (L1)
//
// Token is a parsed Apple sToken (ParseToken): organisation, expiry and the
// secret. State(now) is valid or expired by its date, or the state sync recorded
// (invalid, assignedToExternalMDM, duplicate). A Token never prints its secret:
// String, every fmt verb, JSON, slog and every error show at most a redacted
// form; only Reveal returns it, for the store request. Pools learn a token's
// state through SetTokenState and refuse grants while it does not allow
// assigning licenses (a duplicate token still assigns, L3).
//
// # Concurrency and speed
//
// Pools is safe for concurrent use. Each pool has its own lock, so grants in
// different pools run in parallel and grants in one pool never over-allocate.
// Package license never reads the clock, sleeps or starts goroutines: time comes
// in as now. Holders are interned per pool to dense records that outlive their
// license, so a grant or a release in steady state allocates nothing. Two fast
// paths skip lookups for a caller on a hot path: Pools.Pool returns a pool handle
// (no pool-key lookup), and a Ref (Result.Ref, Pool.Ref) names a holder's record
// for Pool.GrantRef and Pool.ReclaimRef (no holder lookup). The tenant keeps a
// handle per app and a Ref per (device, app). On a pool of a million holders
// the holder lookup is a cache miss on the holder index before the one on the
// record, so a grant and a release by Ref cost about 100 ns less than by handle
// (bench/RESULTS.md).
package license
