package tenant

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// Store sync writes into the tenant through the interfaces package storesync
// defines (storesync.Sink: Catalog, Directory, Pools, Tokens). The tenant
// implements them here without importing storesync; the compile-time check lives
// in a test outside this package. Every method takes the sync's time as now and
// changes nothing when it fails. Pushes a sync causes (a new version, licenses
// freed for waiting devices) are scheduled as wake-ups at now, handed out by
// DuePushes.

// tokenRec is what the tenant records of a store token (L1, L3, S3, S4).
type tokenRec struct {
	status   mdm.SyncStatus
	detail   string
	statusAt time.Time
	account  string
	// exp is when the token expires (L1), unix nanoseconds; 0 for no date.
	exp int64
	// noPrevent: assignments may not prevent automatic updates of the
	// token's VPP apps (L9); the zero value allows it.
	noPrevent bool
}

// AddToken registers a store token (an Apple VPP location token or a Store for
// Business account connection) by id, in the valid state. The token text itself
// is storesync's to keep (L1: a secret never printed); the tenant knows the id.
func (t *Tenant) AddToken(now time.Time, id mdm.TokenID) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := mdm.CheckID("token", string(id)); err != nil {
		return Change{}, err
	}
	if _, ok := t.tokens[id]; ok {
		return Change{}, nil
	}
	if len(t.tokens) >= t.pol.MaxTokens {
		return Change{}, &mdm.ValidationError{Field: "token", Value: string(id), Rule: "L2", Err: ErrTooManyTokens,
			Reason: "would be token number " + strconv.Itoa(len(t.tokens)+1) + ", over the limit of " + strconv.Itoa(t.pol.MaxTokens),
			Remedy: "delete a token you no longer use"}
	}
	if err := t.pools.SetTokenState(id, mdm.TokenValid); err != nil {
		return Change{}, err
	}
	t.tokens[id] = &tokenRec{}
	return Change{}, nil
}

// SetTokenExpiry records when a token expires (L1): an Apple sToken's expDate
// (license.Token.ExpDate), a year after the token was downloaded. From that
// time on the token is expired: the tenant, which is told the time at every
// check-in and admin operation, records the state the first time it meets the
// token after the date, and grants through it are refused (the device shows
// tokenNotValid); assigned licenses and installed apps stay (S4). A later date
// (the admin uploaded the renewed token) makes an expired token valid again;
// the zero time forgets the date, which renews nothing: a token expired (by
// its date or by what a sync learned) stays so until a later date comes or a
// sync succeeds. A date more than Policy.TokenLifetime (plus a day for time
// zones) away is refused: no token Apple issues claims that.
func (t *Tenant) SetTokenExpiry(now time.Time, id mdm.TokenID, exp time.Time) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	if !exp.IsZero() {
		if err := checkTime("expDate", exp); err != nil {
			return Change{}, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.tokens[id]
	if !ok {
		return Change{}, unknownToken(id)
	}
	if !exp.IsZero() && exp.Sub(now) > t.pol.TokenLifetime+24*time.Hour {
		return Change{}, &mdm.ValidationError{Field: "token", Value: string(id), Rule: "L1", Err: license.ErrTokenLifetime,
			Reason: "expDate " + exp.UTC().Format(time.RFC3339) + " is more than the token lifetime (" + t.pol.TokenLifetime.String() + ") away",
			Remedy: "upload a token downloaded from Apple, or set Policy.TokenLifetime to the lifetime your tokens have"}
	}
	r.exp = nanos(exp)
	t.resetExpiry()
	n := nanos(now)
	if st, _ := t.pools.TokenState(id); st == mdm.TokenExpired && r.exp != 0 && n < r.exp {
		// a renewed token: grants go on (L1)
		if err := t.pools.SetTokenState(id, mdm.TokenValid); err != nil {
			return Change{}, err
		}
	}
	t.lapsed(id, n)
	return Change{}, nil
}

// SetTokenUpdatePrevention says whether assignments may prevent automatic
// updates of the token's VPP apps (L9). VPP apps update automatically for
// required and available assignments; an assignment's PreventAutoUpdate stops
// that only where its token allows it. A token allows it from AddToken on, so
// the assignments decide; with allowed false, the token's VPP apps update on
// every device that holds an older version, whatever the assignments say.
//
// A change makes every device evaluate in full at its next check-in, and the
// devices with a status for one of the token's VPP apps are pushed (T2), sorted
// by id; while the token has no VPP app (a Store for Business account, say),
// nothing needs evaluating again. Setting what is already set changes nothing.
// The setting is the token's: DeleteToken forgets it, and a token added again
// allows preventing. An unknown token, or a time the tenant cannot record, is
// refused with an error and changes nothing.
func (t *Tenant) SetTokenUpdatePrevention(now time.Time, id mdm.TokenID, allowed bool) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.tokens[id]
	if !ok {
		return Change{}, unknownToken(id)
	}
	if r.noPrevent == !allowed {
		return Change{}, nil
	}
	r.noPrevent = !allowed
	var apps []int32
	for _, e := range t.cat.apps {
		if e != nil && e.autoUpdate && e.hasPool && e.pool.token == id {
			apps = append(apps, e.idx)
		}
	}
	if len(apps) == 0 {
		return Change{}, nil
	}
	t.epoch++ // a decision fact of every device holding one of the apps
	return Change{Notify: t.notifyHolders(now, apps...)}, nil
}

// TokenUpdatePrevention reports whether the token allows assignments to prevent
// automatic updates of its VPP apps (L9, SetTokenUpdatePrevention); ok is false
// for a token the tenant does not know.
func (t *Tenant) TokenUpdatePrevention(id mdm.TokenID) (allowed, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, ok := t.tokens[id]
	if !ok {
		return false, false
	}
	return !r.noPrevent, true
}

// resetExpiry recomputes the earliest expDate of the tokens. Called with t.mu
// held for writing.
func (t *Tenant) resetExpiry() {
	t.expiry = never
	for _, x := range t.tokens {
		if x.exp != 0 && x.exp < t.expiry {
			t.expiry = x.exp
		}
	}
}

// pastDate reports whether the token's expDate (L1) has come at n; a nil
// record (an unknown token) and no date have none.
func (r *tokenRec) pastDate(n int64) bool { return r != nil && r.exp != 0 && n >= r.exp }

// lapsed reports whether token id is past its expDate at n (L1), and records
// it expired the first time it is met after the date. States that refuse
// grants already (invalid, claimed by another service) are left as they are.
// It costs one comparison while no token's date has come. Called with t.mu held
// (either way): the pools guard their own state.
func (t *Tenant) lapsed(id mdm.TokenID, n int64) bool {
	if n < t.expiry {
		return false
	}
	if !t.tokens[id].pastDate(n) {
		return false
	}
	if st, _ := t.pools.TokenState(id); st == mdm.TokenValid || st == mdm.TokenDuplicate {
		_ = t.pools.SetTokenState(id, mdm.TokenExpired) // the id is known valid
	}
	return true
}

// DeleteToken deletes a token and its pools: its licenses are revoked unless the
// policy keeps them (L7, Policy.TokenDeletionRevokes), books never (L8). The
// revocations wait in the license outbox (TakeLicenseChanges). The token's apps
// stay in the catalog.
func (t *Tenant) DeleteToken(now time.Time, id mdm.TokenID) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.tokens[id]; !ok {
		return Change{}, &mdm.ValidationError{Field: "token", Value: string(id), Rule: "L7", Err: license.ErrUnknownToken,
			Reason: "is not a token of this tenant", Remedy: "list the tokens with TokenState"}
	}
	eff, err := t.pools.DeleteToken(now, id)
	if err != nil {
		return Change{}, err
	}
	t.forgetPools(id) // handles to deleted pools stop working
	delete(t.tokens, id)
	t.resetExpiry()
	return Change{Licenses: eff.Items}, nil
}

// TakeLicenseChanges appends to dst every license grant and reclaim on a VPP
// pool not yet taken (associate, disassociate), oldest first, for storesync to
// push to Apple (S5), and empties the outbox.
func (t *Tenant) TakeLicenseChanges(dst []license.Change) []license.Change {
	return t.pools.TakeChanges(dst)
}

// ---- storesync.Catalog ----

// SyncedApps returns the apps synced through token, by id, including those the
// store no longer lists (Origin.GoneFromStore).
func (t *Tenant) SyncedApps(token mdm.TokenID) ([]mdm.App, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []mdm.App
	for _, e := range t.cat.apps {
		if e != nil && e.app.Type.IsSynced() && e.app.Origin.Token == token {
			out = append(out, cloneApp(&e.app))
		}
	}
	slices.SortFunc(out, func(a, b mdm.App) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out, nil
}

// UpsertSyncedApp adds a store app or updates the store's facts of one (C4):
// the store owns the display name, type, origin, publisher, identifier and
// version; what the administrator set (categories, requirements, publishing
// state, portal uninstall) stays. A new version reaches the devices holding the
// app at their next check-in (T4, L9); they are pushed.
func (t *Tenant) UpsertSyncedApp(now time.Time, app mdm.App) error {
	if err := checkTime("now", now); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.cat.lookup(app.ID)
	if !ok {
		if err := t.putApp(&app, true, nil); err != nil {
			return err
		}
		return nil
	}
	if !old.app.Type.IsSynced() {
		return &mdm.ValidationError{Field: "id", Value: string(app.ID), Rule: "C4", Err: mdm.ErrStoreSynced,
			Reason: "names an app added by hand", Remedy: "give the store app its own id"}
	}
	if app.Type != old.app.Type {
		return &mdm.ValidationError{Field: "@odata.type", Value: app.Type.String(), Rule: "C8", Err: ErrTypeChange,
			Reason: "differs from the app's type " + old.app.Type.String(), Remedy: "sync the product as a new app"}
	}
	merged := cloneApp(&old.app)
	storeOwned(&merged, &app)
	if reflect.DeepEqual(&merged, &old.app) {
		return nil // nothing new: every device keeps its steady check-in
	}
	newVersion := merged.Version != old.app.Version
	if err := t.putApp(&merged, true, old); err != nil {
		return err
	}
	if newVersion {
		t.wakeHoldersOf(now, old.idx)
	}
	return nil
}

// wakeHoldersOf schedules a push at now for every device with a status for app i.
func (t *Tenant) wakeHoldersOf(now time.Time, app int32) {
	id := t.cat.apps[app].id
	for _, d := range t.devs {
		if d == nil {
			continue
		}
		if _, ok := d.find(t.cat, id); ok {
			t.push.wakeAt(d, now.UnixNano())
		}
	}
}

// MarkGoneFromStore records that the store no longer lists an app. While an
// assignment targets it or a license of it is in use the app stays, flagged
// (S2); otherwise it is deleted.
func (t *Tenant) MarkGoneFromStore(now time.Time, id mdm.AppID) (bool, error) {
	if err := checkTime("now", now); err != nil {
		return false, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.cat.lookup(id)
	if !ok {
		return false, unknownApp("id", id)
	}
	if !e.app.Type.IsSynced() {
		return false, &mdm.ValidationError{Field: "id", Value: string(id), Rule: "C4", Err: mdm.ErrStoreSynced,
			Reason: "names an app added by hand", Remedy: "only store apps leave through sync"}
	}
	referenced := len(t.res.AppAssignments(id)) > 0
	if p := t.poolOf(e); !referenced && p != nil {
		if st, err := p.Stats(); err == nil && st.Assigned > 0 {
			referenced = true
		}
	}
	if referenced {
		if e.app.Origin.GoneFromStore {
			return false, nil
		}
		a := cloneApp(&e.app)
		a.Origin.GoneFromStore = true
		return false, t.putApp(&a, true, e)
	}
	if err := t.res.RemoveApp(id); err != nil {
		return false, err
	}
	t.dropApp(e)
	return true, nil
}

// ---- storesync.Directory ----

// DeviceBySerial returns the managed device with this serial number (S6).
func (t *Tenant) DeviceBySerial(serial string) (mdm.DeviceID, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	i, ok := t.serials[serial]
	if !ok || t.devs[i] == nil {
		return "", false
	}
	return t.devs[i].facts.ID, true
}

// UserByClientUserID returns the user registered with the store under
// clientUserID: the user id for Apple (the pools name users by id, and so do
// the license changes pushed to Apple), the user principal name for Store for
// Business (S6), which knows users by nothing else. It is the inverse of the
// names PoolHolders gives: an id is looked up first, then a user principal name
// (Graph user ids are GUIDs, which no user principal name is).
func (t *Tenant) UserByClientUserID(clientUserID string) (mdm.UserID, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if _, ok := t.users[mdm.UserID(clientUserID)]; ok {
		return mdm.UserID(clientUserID), true
	}
	u, ok := t.upns[clientUserID]
	return u, ok
}

// ---- storesync.Pools ----

// PoolCounts returns the store's counts last set on a pool.
func (t *Tenant) PoolCounts(token mdm.TokenID, product string) (total, retired int, ok bool) {
	st, err := t.pools.Stats(license.PoolKey{Token: token, Product: product})
	if err != nil {
		return 0, 0, false
	}
	return st.Total, st.Retired, true
}

// PoolKind returns the kind of a pool (license.VPPApp, VPPBook, StoreOnline or
// StoreOffline); ok is false when it does not exist. A pool keeps its kind
// (SetPoolCounts refuses another), so a sync checks it before writing anything.
func (t *Tenant) PoolKind(token mdm.TokenID, product string) (kind license.Kind, ok bool) {
	p, err := t.pools.Pool(license.PoolKey{Token: token, Product: product})
	if err != nil {
		return license.KindUnknown, false
	}
	return p.Kind(), true
}

// SetPoolCounts creates the pool of a store app if needed and sets the store's
// counts (L18: a refund below what is assigned revokes the newest grants per
// policy, never a book, L8). Devices waiting for a license that the new counts
// free are pushed (L5). The app's token must be one of the tenant's
// (AddToken); a pool is never created for another.
func (t *Tenant) SetPoolCounts(now time.Time, app *mdm.App, total, retired int) error {
	if err := checkTime("now", now); err != nil {
		return err
	}
	if app == nil {
		return &mdm.ValidationError{Field: "app", Rule: "L18", Err: mdm.ErrMissingField,
			Reason: "is nil", Remedy: "pass the store app whose counts these are"}
	}
	kind, err := license.KindOf(app)
	if err != nil {
		return err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	// A pool of a token the tenant does not know (never added, or deleted
	// while a sync ran) would grant through a token DeleteToken cannot reach
	// (L7) and that counts against no limit (L2). DeleteToken takes the write
	// lock, so the token stays known until the pool is set.
	if _, ok := t.tokens[app.Origin.Token]; !ok {
		return unknownToken(app.Origin.Token)
	}
	res, err := t.pools.SetCounts(now, license.PoolKey{Token: app.Origin.Token, Product: app.Origin.ProductID}, kind, total, retired)
	if err != nil {
		return err
	}
	for _, w := range res.Wake {
		t.wakeHolder(now, w.Holder)
	}
	return nil
}

// wakeHolder schedules a push at now for a license waiter's devices (L5).
func (t *Tenant) wakeHolder(now time.Time, h license.Holder) {
	for _, d := range t.holderDevices(h) {
		t.push.wakeAt(d, now.UnixNano())
	}
}

// PoolHolders returns who holds a license of the pool as the store knows them,
// each list sorted: for Apple, device serial numbers and user clientUserIds
// (the user ids); for Store for Business online, users by user principal name
// (L13; a user without one by id, which the store then does not know); for
// Store for Business offline, nobody: the licenses are the service's own and
// the store lists no holder (L13).
func (t *Tenant) PoolHolders(token mdm.TokenID, product string) (serials, clientUserIDs []string) {
	p, err := t.pools.Pool(license.PoolKey{Token: token, Product: product})
	if err != nil || p.Kind() == license.StoreOffline {
		return nil, nil
	}
	hs, err := p.Holdings()
	if err != nil {
		return nil, nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for _, h := range hs {
		switch h.Holder.Kind {
		case license.DeviceHolder:
			serials = append(serials, h.Serial)
		case license.UserHolder:
			clientUserIDs = append(clientUserIDs, t.clientUserID(p.Kind(), mdm.UserID(h.Holder.ID)))
		}
	}
	slices.Sort(serials)
	slices.Sort(clientUserIDs)
	return serials, clientUserIDs
}

// clientUserID is the name a store of pool kind k knows user u by: the user
// principal name for Store for Business, the user id for Apple (S6).
func (t *Tenant) clientUserID(k license.Kind, u mdm.UserID) string {
	if k == license.StoreOnline || k == license.StoreOffline {
		if r := t.users[u]; r != nil && r.user.UserPrincipalName != "" {
			return r.user.UserPrincipalName
		}
	}
	return string(u)
}

// ImportLicense records a license the store shows as held by one of this
// service's devices or users (S2, S6; license.Pools.Adopt): not a grant, nothing
// goes to the outbox. imported is false when the holder holds one already (L19)
// or the pool has no room (L18).
func (t *Tenant) ImportLicense(now time.Time, token mdm.TokenID, product string, device mdm.DeviceID, user mdm.UserID) (bool, error) {
	if err := checkTime("now", now); err != nil {
		return false, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	key := license.PoolKey{Token: token, Product: product}
	p, err := t.pools.Pool(key)
	if err != nil {
		return false, err
	}
	var q license.Request
	switch {
	case (device == "") == (user == ""):
		return false, &mdm.ValidationError{Field: "device", Value: string(device) + "|" + string(user), Rule: "S6",
			Err: mdm.ErrMissingField, Reason: "names both or neither of device and user", Remedy: "name exactly one holder"}
	case device != "":
		d := t.device(device)
		if d == nil {
			return false, unknownDevice("device", device)
		}
		q = license.Request{Device: device, Serial: d.facts.Serial(), License: mdm.LicenseDevice}
		if p.Kind() != license.VPPApp {
			q.License = mdm.LicenseDefault
		}
	default:
		if _, ok := t.users[user]; !ok {
			return false, &mdm.ValidationError{Field: "user", Value: string(user), Rule: "S6", Err: ErrUnknownUser,
				Reason: "is not a user of this tenant", Remedy: "sync only this service's users"}
		}
		q = license.Request{User: user}
		if p.Kind() == license.VPPApp {
			q.License = mdm.LicenseUser
		}
	}
	res, err := t.pools.Adopt(now, key, q)
	if err != nil {
		return false, err
	}
	return res.Outcome == license.Granted, nil
}

// ---- storesync.Tokens ----

// TokenState returns a token's state (L1, L3, S4): the state as of the last
// operation that met the token. A token past its expDate is expired from the
// first check-in that asks its pool for a license, or sync that records its
// status, after the date.
func (t *Tenant) TokenState(token mdm.TokenID) (mdm.TokenState, bool) {
	t.mu.RLock()
	_, ok := t.tokens[token]
	t.mu.RUnlock()
	if !ok {
		return mdm.TokenInvalid, false
	}
	return t.pools.TokenState(token)
}

// SetTokenState records a token's state as sync learned it. Grants through a
// token that cannot assign licenses are refused (tokenNotValid on the device);
// assigned licenses and installed apps stay (S4). A token past its expDate
// (SetTokenExpiry) stays expired: valid is recorded as expired (L1).
func (t *Tenant) SetTokenState(now time.Time, token mdm.TokenID, state mdm.TokenState) error {
	if err := checkTime("now", now); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.tokens[token]; !ok {
		return unknownToken(token)
	}
	if err := t.pools.SetTokenState(token, state); err != nil {
		return err
	}
	t.lapsed(token, nanos(now))
	return nil
}

// SetSyncStatus records the outcome of a token's last sync (S3).
func (t *Tenant) SetSyncStatus(now time.Time, token mdm.TokenID, status mdm.SyncStatus, detail string) error {
	if err := checkTime("now", now); err != nil {
		return err
	}
	if _, err := status.MarshalText(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.tokens[token]
	if !ok {
		return unknownToken(token)
	}
	r.status, r.detail, r.statusAt = status, detail, now
	t.lapsed(token, nanos(now)) // every sync meets its token here (L1)
	return nil
}

// SyncStatus returns the outcome of a token's last sync, its detail and when it
// was recorded (S3).
func (t *Tenant) SyncStatus(token mdm.TokenID) (status mdm.SyncStatus, detail string, at time.Time, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, ok := t.tokens[token]
	if !ok {
		return 0, "", time.Time{}, false
	}
	return r.status, r.detail, r.statusAt, true
}

// StoreAccount returns the store account a token is bound to.
func (t *Tenant) StoreAccount(token mdm.TokenID) (string, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r, ok := t.tokens[token]
	if !ok || r.account == "" {
		return "", false
	}
	return r.account, true
}

// BindStoreAccount binds a token to a store account at its first sync. A token
// bound to one account cannot move to another (L12).
func (t *Tenant) BindStoreAccount(now time.Time, token mdm.TokenID, account string) error {
	if err := checkTime("now", now); err != nil {
		return err
	}
	if err := mdm.CheckID("account", account); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.tokens[token]
	if !ok {
		return unknownToken(token)
	}
	if r.account != "" && r.account != account {
		return &mdm.ValidationError{Field: "account", Value: account, Rule: "L12", Err: ErrAccountSwitch,
			Reason: "differs from the account " + r.account + " the token is bound to",
			Remedy: "a store account, once associated, cannot be switched; add a token for the other account"}
	}
	r.account = account
	return nil
}

// TokenOfStoreAccount returns the token bound to a store account, the first by
// id when several are (a duplicate, L3).
func (t *Tenant) TokenOfStoreAccount(account string) (mdm.TokenID, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var best mdm.TokenID
	for id, r := range t.tokens {
		if r.account == account && (best == "" || id < best) {
			best = id
		}
	}
	return best, best != ""
}

func unknownToken(id mdm.TokenID) error {
	return &mdm.ValidationError{Field: "token", Value: string(id), Err: license.ErrUnknownToken,
		Reason: "is not a token of this tenant", Remedy: "add it with AddToken"}
}
