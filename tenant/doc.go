/*
Package tenant is the control plane of one tenant: the part of a device
management service an MDM backend embeds. It holds the app catalog, the
directory (users, devices, groups), the assignments, the license pools and the
status of every (device, app), and it answers device check-ins with commands.

# Shape

Like etcd's raft, a Tenant is a state machine with no clock, no network and no
goroutines inside. Time comes in as an argument (now) to every call, and
effects go out as data:

  - admin operations (AddApp, Assign, RemoveMember, DeviceAction, ...) return a
    Change: the devices to push now (T2), the commands for a device leaving
    management (T13), the licenses reclaimed (L7, L15);
  - CheckIn fills a CheckInResult: the commands to deliver with the answer and
    the status changes (T1) of the check-in;
  - DuePushes hands out the later pushes: re-notifications of unanswered pushes
    (T2) and wake-ups when a device's reinstall cycle ticks, a retry interval
    or a deadline runs out (T3, T5, T14); NextPush says when the next one is
    due;
  - TakeLicenseChanges drains the license grants and reclaims that storesync
    pushes to Apple (S5).

The caller owns time and transport: a server calls CheckIn from its check-in
handler with time.Now() and sends out the pushes; the simulator calls it from its
event loop with virtual time. Nothing in the package sleeps or reads the clock,
so a run is exactly reproducible.

# Usage contract

 1. Create a tenant with New. Build the catalog (AddApp; store apps arrive
    through sync, C4), the directory (PutUser, EnrollDevice, PutGroup,
    AddMember) and the assignments (Assign) in any order that respects
    references: a group's members and an assignment's app and group must exist.
 2. Every admin operation either succeeds and returns a Change, or fails with a
    typed error (a *mdm.ValidationError naming the field, the value, the rule and
    the remedy, wrapping a sentinel; a *license.ShortfallError for L14; an
    *ActionError for T12) and changes nothing. Every operation told the time
    refuses one the tenant cannot record (outside the years 1678 to 2262, the
    zero time.Time among them) with ErrTimeRange; DuePushes hands out nothing
    for it.
 3. Push the devices in Change.Notify. A device that receives a push checks in
    (if online). Call DuePushes(now) at NextPush() (or on any schedule: it hands
    out everything due up to now) and push those too.
 4. When a device checks in, call CheckIn(now, report, &out) with the device's
    complete inventory, the results of the commands it received earlier and the
    user's portal requests. Deliver out.Commands to the device. Reuse out: the
    steady check-in (nothing changed, nothing due) allocates nothing. A caller
    that keeps per-device state (a simulator) may keep the device's DeviceRef
    and call CheckInRef, which skips the lookup of the device by id, and
    DeviceRef.Prefetch for the device whose check-in comes next.
 5. The device reports every command it received exactly once with a final
    outcome (succeeded, failed), or with retry, pendingReboot or notNow followed
    later by its final outcome for pendingReboot, and nothing for retry and
    notNow (the service sends a new command when it is time). A command never
    answered is treated as lost after Policy.ReevaluationCycle and sent again.
    Results for commands the service no longer waits for are counted in
    out.Stale and otherwise ignored.
 6. The inventory is the truth about presence: an app missing from it is not
    installed, whatever the results said.

All methods are safe for concurrent use. Admin operations are exclusive with
everything else; check-ins share that lock and each takes its device's own
mutex, so check-ins of different devices run in parallel. The shared side of
the lock is sharded by device id (each check-in read-locks one of 32 padded
read-write mutexes, admin operations lock them all), so parallel check-ins do not
pass one reader count between cores; the push schedule is sharded the same way,
and a steady check-in touches it only when a push is outstanding.

# What a check-in decides

For every app that reaches the device (resolution by package assign: A1–A8, with
the conflict table A6 and its explanation A11), plus the dependencies and
superseded apps of those, the engine decides install, uninstall, update or
nothing:

  - Required, not detected, no command in flight: install (T3). After a failed
    install, a user removal or a failed uninstall, not at every check-in: each
    device has a reinstall cycle that ticks every Policy.ReinstallWindow from
    its enrollment (Intune reinstalls "when this schedule has elapsed"). At a
    check-in that finds the app missing or failed, it is installed again at
    once if a tick passed since the service last knew the app was fine (the
    last check-in where it was present, or when the failed command was sent),
    else at the next tick, when the device is pushed. So an app removed from a
    device that is online at the tick is back within the window of the
    removal. A failed update (T4) is retried the same way. A "retry" result
    is re-sent Policy.RetryAttempts times Policy.RetryInterval apart, then
    counts as failed (T5). A required
    assignment with a deadline ahead offers the app in the portal until the
    deadline, then installs it (T14).
  - Available: offered in the company portal (Offered); installed when the user
    asks (a portal request), never reinstalled after the user removes it (T7).
    An install that made no progress for Policy.StuckInstallThreshold may be
    restarted by the user (T6).
  - Uninstall: removes only what the service installed (A10: through a
    required assignment, or through available from the portal), never while a
    required assignment reaches the device (T8). With available (A6 rows 7 and
    19) the app stays offered and only a copy a required assignment installed is
    removed, never one the user installed from the portal (A7); that exception
    lasts while the app is offered: once the intent is a plain uninstall (the
    user left the group, the available assignment went), the portal copy is
    removed like any other the service installed. A timer of a failed install
    or update (T3) does not hold back a later uninstall, nor the reverse. Removing an
    assignment uninstalls nothing (A9), except on Android Enterprise dedicated,
    fully managed and corporate-owned work-profile devices.
  - A new version: required apps and portal-installed available apps (T4)
    get an update command at the next check-in; the devices are pushed. A VPP
    app (required, or available and installed by the service or the portal)
    is not updated when every assignment reaching the device prevents
    automatic updates and the app's token allows that (L9,
    SetTokenUpdatePrevention); its status says an update is available.
    Books and Store for Business apps are updated by their stores, never
    through an assignment. A store app's copy newer than the catalog's version
    (the device updated it; the version store sync brings may lag) is current.
  - Admin actions (DeviceAction, T12) are queued on the device's status and go
    out at its next check-in; a required app, or one available through a device
    group, needs the device online (ActionRequest.Online says so).
  - Dependencies install first, deepest first; a failed dependency fails the
    parent (dependencyFailedToInstall); a missing detect-only dependency fails
    the parent without an attempt (C9, T10). A parent that cannot follow (its
    own requirements, or a missing dependency's, not met: T11) gets nothing
    installed for it. A dependency an app on the device (or being installed)
    needs is never uninstalled, whatever its own assignments say.
  - Supersedence follows the T9 matrix, through chains (every app is superseded
    by the last one): replace uninstalls the old app first and installs the new
    one once it is gone; if the old app stays (uninstall failed, or a required
    assignment holds it, T8) the new one is not installed. A superseding app on
    the device means the superseded app is not installed. If A depends on B and
    an app in play on the device supersedes B, A reports a conflict.
  - Requirements not met: state requirementsNotMet with the first unmet rule as
    detail, no command (T11, mdm.App.Evaluate).
  - Store apps take a license when the install is sent (L5, L6): VPP first come
    first served, "license unavailable" (state failed, detail licenseUnavailable)
    while the pool is empty, and the install goes out at a check-in after a
    license frees; the first waiter is pushed. Store for Business pools block
    oversubscription (L14): the install waits, and a new required assignment that
    would need more licenses than are available is refused with the shortfall.

Directory events reclaim licenses as L7 says: a user who is in no targeted group
any more (after PutGroup or RemoveMember) or who is deleted loses user licenses
(L7, L15); removing a device keeps its licenses; books are never reclaimed (L8);
removing an assignment keeps them unless Policy.AssignmentRemovalRevokes. A
device removed from management gets uninstall commands for the apps whose
assignments all say "uninstall on device removal" (A12), never Win32 apps (T13).

# Status

Every (device, app) has a status from the device's first check-in after the app
reached it (T1): a state (mdm.InstallState) and a detail (mdm.InstallDetail).
LegalTransition is the lifecycle's transition table; every change a check-in
reports is one step of it (or a change of detail alone). AppStatus counts the
devices per state (Graph's seven and the finer ones) with the app's licenses;
DeviceStatus lists a device's apps; Explain says why a device gets an app, and
Intent, which allocates nothing, only what it gets.
What an HTTP server sends (DeviceStatus, AppStatus, CheckInResult, Change,
ActionRequest) marshals to JSON as Microsoft Graph writes its resources:
camelCase names (Graph's own where it has one: installState,
installStateDetail, errorCode, installedDeviceCount, ...), enums by name, zero
times and empty lists left out; each reads back to the value it came from.

# Store sync

A Tenant implements the interfaces package storesync writes through (Catalog,
Directory, Pools, Tokens) without importing it: SyncedApps, UpsertSyncedApp,
MarkGoneFromStore, DeviceBySerial, UserByClientUserID, PoolCounts, PoolKind,
SetPoolCounts, PoolHolders, ImportLicense, TokenState, SetTokenState,
SetSyncStatus, StoreAccount, BindStoreAccount, TokenOfStoreAccount. Tokens are
registered with AddToken, whether a token lets assignments prevent
automatic updates with SetTokenUpdatePrevention (L9), and an Apple token's
expDate with SetTokenExpiry (L1): the tenant is told the time at every check-in and operation, so it marks
the token expired the first time a grant or a sync meets it after the date,
and grants through it are refused (tokenNotValid) until a renewed date comes.
Grants and reclaims on VPP pools wait in an outbox that TakeLicenseChanges
drains for the push to Apple. A store app has no
dependency or supersedence edge and is no edge's target (both ends of an edge
are Win32 apps, C9, C10), so writing one touches only its own catalog entry: a
sync of thousands of apps costs each app once, not the catalog each time.

# Speed and memory

The steady check-in is the simulator's inner loop. Each device keeps a compact
fingerprint of the inventory its last full check-in took in (per item the
catalog index and a "current version" bit); a check-in whose inventory matches
it, item by item, comparing strings that share memory with the catalog (the
catalog keeps every app's id and version side by side for this), with no
results, no portal requests, no timer due, no resolution or catalog change,
ends there: it touches neither the records nor any shared cache line but its
lock shard, and allocates nothing. On a large fleet a check-in finds its
device's state cold, so what the steady check-in reads sits in the state's
first two cache lines: the locks, flags, times and id in the first, the
fingerprint of up to 32 apps in the second (a longer one lives beside the
state). A caller that knows which device comes next (the simulator's event
queue does) calls DeviceRef.Prefetch for it while it handles the current one,
and the next check-in finds those lines in cache.

Otherwise the full evaluation runs: the report is checked (what
mdm.Report.Validate checks, without building strings), the inventory is merged
with the records (both sorted by app id), and every record is decided.
Resolutions are cached by the resolver and re-read only when an admin change
named the device in its Affected set; app facts (dependency closures deepest
first, supersedence chains, pools) are derived once per catalog change, and
only a change that may alter a decision makes every device evaluate again (a
new version reaches the devices that hold the app through their fingerprint).
A device that waits for its user's Apple account (L4) is evaluated again when
the account comes, not at every check-in. Each store app's license pool handle
is found once. A (device, app) record is 32 bytes (a command in flight and a
deadline live beside the records); the records of a device are sized once, to
its targets.
*/
package tenant
