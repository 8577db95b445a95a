package tenant

import (
	"reflect"
	"slices"
	"strconv"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// Change is what an admin operation did, as data: whom to push now (T2), the
// commands sent to a device that left management (T13), and what happened to
// licenses (L7, L15).
type Change struct {
	// Notify lists the devices to push now, sorted by id, each once. Devices
	// that do not answer are re-notified through DuePushes (T2).
	Notify []mdm.DeviceID `json:"notify,omitempty"`
	// Commands are sent to a device removed from management, with the removal
	// (T13): uninstalls of the apps whose assignments say so (A12). The device
	// gets no other answer from the service afterwards.
	Commands []mdm.Command `json:"commands,omitempty"`
	// Licenses lists the licenses reclaimed, kept or withdrawn by the operation
	// (L7, L8, L15), in the pools' order. (JSON: see Change.MarshalJSON.)
	Licenses []license.Effect `json:"-"`
}

// ---------------------------------------------------------------------------
// Catalog (C).

// AddApp adds an app to the catalog after validating it: the type's package rules
// (C2, C3: sizes and, for a trial tenant, total storage), that store-synced types
// come only through sync (C4), and the dependency and supersedence graph across
// the catalog (C9, C10). The id must be new (C8).
func (t *Tenant) AddApp(now time.Time, app mdm.App) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.cat.lookup(app.ID); ok {
		return Change{}, &mdm.ValidationError{Field: "id", Value: string(app.ID), Rule: "C8", Err: ErrAppExists,
			Reason: "is already in the catalog", Remedy: "use UpdateApp to change it, or give the new app its own id"}
	}
	return Change{}, t.putApp(&app, false, nil)
}

// putApp validates and stores an app (new or changed). old is the current entry
// for a change.
func (t *Tenant) putApp(app *mdm.App, fromSync bool, old *appEntry) error {
	used := t.cat.bytes
	if old != nil {
		used -= old.app.Package.Size
	}
	if err := mdm.ValidateApp(app, mdm.AddOptions{Trial: t.trial, StorageUsed: used, FromSync: fromSync, Policy: &t.pol}); err != nil {
		return err
	}
	// The dependency and supersedence graph (C9, C10) joins Win32 apps only:
	// any other app (every store app) has no edge and is no edge's target, so
	// it cannot change the graph, and store sync does not pay for checking the
	// whole catalog at every app it writes.
	if !isolated(app.Type) {
		if err := t.checkGraph(app, old != nil); err != nil {
			return err
		}
	}
	if err := t.res.PutApp(app); err != nil {
		return err
	}
	// Every device evaluates in full after a catalog change that may alter a
	// decision (the epoch); not after one that cannot: a new app no
	// assignment reaches yet and no edge joins (a device holding it sees it
	// leave "outside the catalog" in its fingerprint), a new display name,
	// publisher, package or categories, a store flag, or a new version alone,
	// which the devices holding the app see in their inventory's fingerprint
	// (its "current version" bit) and no other device needs.
	if old == nil && !isolated(app.Type) || old != nil && !sameDecisionFacts(&old.app, app) {
		t.epoch++
	}
	ai, _ := t.res.AppIndex(app.ID)
	t.cat.put(int32(ai), app)
	for len(t.counts) < len(t.cat.apps) {
		t.counts = append(t.counts, new(appCounts))
	}
	t.counts[ai].pool.Store(nil) // the app's pool may be another now
	return nil
}

// sameDecisionFacts reports whether two versions of an app agree on every fact
// a check-in decides with besides the version: type, store origin and
// licensing, publishing state, dependencies, supersedence, requirements (T11)
// and portal uninstall (T7).
func sameDecisionFacts(a, b *mdm.App) bool {
	oa, ob := a.Origin, b.Origin
	oa.GoneFromStore, ob.GoneFromStore = false, false
	return a.Type == b.Type && oa == ob && a.State == b.State && a.AllowUserUninstall == b.AllowUserUninstall &&
		slices.Equal(a.Dependencies, b.Dependencies) && slices.Equal(a.Supersedes, b.Supersedes) &&
		reflect.DeepEqual(a.Requirements, b.Requirements)
}

// checkGraph validates the catalog's graph with app added, or replacing the app
// of its id (C9, C10).
func (t *Tenant) checkGraph(app *mdm.App, replace bool) error {
	apps := t.cat.list()
	if replace {
		for i, a := range apps {
			if a.ID == app.ID {
				apps[i] = app
			}
		}
	} else {
		apps = append(apps, app)
	}
	return mdm.ValidateGraph(apps, &t.pol)
}

// UpdateApp changes an app of the catalog. Its id and type cannot change (C8: a
// rename changes the display name and nothing else). For a store-synced app
// (C4) the store owns the display name, type, origin, publisher, identifier and
// version; the update takes the rest (categories, requirements, ...) and keeps
// those. Devices with a status for the app (holding it, or targeted by it at
// their last check-in) are pushed (T2), and at their check-ins a new version
// is sent as an update (T4, L9). A device the app reached since its last
// check-in is not pushed again: it was pushed when the assignment reached it,
// and its next check-in sees the new version.
func (t *Tenant) UpdateApp(now time.Time, app mdm.App) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.cat.lookup(app.ID)
	if !ok {
		return Change{}, unknownApp("id", app.ID)
	}
	if app.Type != old.app.Type {
		return Change{}, &mdm.ValidationError{Field: "@odata.type", Value: app.Type.String(), Rule: "C8", Err: ErrTypeChange,
			Reason: "differs from the app's type " + old.app.Type.String(), Remedy: "add an app of the new type under a new id"}
	}
	synced := old.app.Type.IsSynced()
	if synced {
		storeOwned(&app, &old.app)
	}
	if err := t.putApp(&app, synced, old); err != nil {
		return Change{}, err
	}
	return Change{Notify: t.notifyHolders(now, old.idx)}, nil
}

// storeOwned copies onto a the fields of a synced app that the store owns (C4).
func storeOwned(a, store *mdm.App) {
	a.DisplayName, a.Type, a.Origin = store.DisplayName, store.Type, store.Origin
	a.Publisher, a.Identifier, a.Version = store.Publisher, store.Identifier, store.Version
}

// notifyHolders pushes every device with a status for one of the apps (T2),
// and returns them sorted by id.
func (t *Tenant) notifyHolders(now time.Time, apps ...int32) []mdm.DeviceID {
	var out []mdm.DeviceID
	for _, d := range t.devs {
		if d == nil {
			continue
		}
		for _, a := range apps {
			if _, ok := d.find(t.cat, t.cat.apps[a].id); ok {
				out = append(out, d.facts.ID)
				t.push.notify(d, now.UnixNano())
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// DeleteApp deletes an app. It is refused for store-synced apps (C4: they leave
// through sync), and while the app is assigned, while licenses for it are
// assigned through a token, or while another app depends on it or supersedes it
// (C5). Statuses of the app are dropped.
func (t *Tenant) DeleteApp(now time.Time, id mdm.AppID) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.cat.lookup(id)
	if !ok {
		return Change{}, unknownApp("id", id)
	}
	if e.app.Type.IsSynced() {
		return Change{}, &mdm.ValidationError{Field: "id", Value: string(id), Rule: "C4", Err: mdm.ErrStoreSynced,
			Reason: "is synced from " + e.app.Type.Store().String() + " and leaves the catalog only through sync",
			Remedy: "remove it in the store; sync deletes it once nothing references it"}
	}
	if err := t.checkUnreferenced(e); err != nil {
		return Change{}, err
	}
	if err := t.res.RemoveApp(id); err != nil {
		return Change{}, err
	}
	t.dropApp(e)
	return Change{}, nil
}

// checkUnreferenced refuses to delete an app that another app depends on or
// supersedes, or whose pool has licenses assigned (C5). Assignments are checked
// by the resolver.
func (t *Tenant) checkUnreferenced(e *appEntry) error {
	for _, o := range t.cat.apps {
		if o == nil || o == e {
			continue
		}
		for _, d := range o.deps {
			if d.app == e.idx {
				return &mdm.ValidationError{Field: "id", Value: string(e.id), Rule: "C5", Err: ErrAppInUse,
					Reason: "is a dependency of " + string(o.id), Remedy: "remove the dependency from " + string(o.id) + " first"}
			}
		}
		for _, s := range o.sups {
			if s.app == e.idx {
				return &mdm.ValidationError{Field: "id", Value: string(e.id), Rule: "C5", Err: ErrAppInUse,
					Reason: "is superseded by " + string(o.id), Remedy: "remove the supersedence from " + string(o.id) + " first"}
			}
		}
	}
	if p := t.poolOf(e); p != nil {
		if st, err := p.Stats(); err == nil && st.Assigned > 0 {
			return &mdm.ValidationError{Field: "id", Value: string(e.id), Rule: "C5", Err: ErrAppInUse,
				Reason: "has " + strconv.Itoa(st.Assigned) + " licenses assigned through token " + string(e.pool.token),
				Remedy: "revoke its licenses first"}
		}
	}
	return nil
}

// dropApp removes an app from the catalog and every device's records.
func (t *Tenant) dropApp(e *appEntry) {
	for _, d := range t.devs {
		if d == nil {
			continue
		}
		if p, ok := d.find(t.cat, e.id); ok {
			if s := d.recs[p].state; s != mdm.StateUnknown {
				t.counts[e.idx].n[s].Add(-1)
			}
			d.endCmd(&d.recs[p])
			d.recs = slices.Delete(d.recs, p, p+1)
		}
	}
	t.cat.remove(e.id)
	t.epoch++
}

// ---------------------------------------------------------------------------
// Directory (D).

// PutUser adds a user or updates one (display name, user principal name, Apple
// account). It alters no resolution. A user principal name that another user
// has is refused (S6: Store for Business knows users by it alone).
func (t *Tenant) PutUser(now time.Time, u mdm.User) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if o, ok := t.upns[u.UserPrincipalName]; ok && o != u.ID {
		return Change{}, &mdm.ValidationError{Field: "userPrincipalName", Value: u.UserPrincipalName, Rule: "S6", Err: ErrUPNInUse,
			Reason: "is the user principal name of user " + string(o),
			Remedy: "give each user their own user principal name, or change the other user's first"}
	}
	if err := t.res.PutUser(u); err != nil {
		return Change{}, err
	}
	var ch Change
	if r := t.users[u.ID]; r != nil {
		if r.user.UserPrincipalName != "" {
			delete(t.upns, r.user.UserPrincipalName)
		}
		if r.user.HasAppleAccount != u.HasAppleAccount {
			// L4: user licensing waits for the Apple account; its devices
			// evaluate again at their next check-in, pushed now.
			n := now.UnixNano()
			for _, d := range t.devicesOf(u.ID) {
				d.nextEval = forceEval
				t.push.notify(d, n)
				ch.Notify = append(ch.Notify, d.facts.ID)
			}
			ch.Notify = sortedUnique(ch.Notify)
		}
		r.user = u
	} else {
		t.users[u.ID] = &userRec{user: u}
	}
	if u.UserPrincipalName != "" {
		t.upns[u.UserPrincipalName] = u.ID
	}
	return ch, nil
}

// DeleteUser deletes a user: their devices become userless (D3), so user-targeted
// apps no longer reach them, and the user's licenses are reclaimed in every pool
// (L7, L15; books are kept, L8). Freed licenses go to waiting devices at their
// next check-in; the first waiter is pushed (L5).
func (t *Tenant) DeleteUser(now time.Time, id mdm.UserID) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	aff, err := t.res.DeleteUser(id)
	if err != nil {
		return Change{}, err
	}
	if r := t.users[id]; r != nil {
		delete(t.upns, r.user.UserPrincipalName)
		for _, i := range r.devices {
			if d := t.devs[i]; d != nil {
				d.facts.PrimaryUser = ""
				d.stale = true
			}
		}
	}
	delete(t.users, id)
	var ch Change
	if eff, err := t.pools.UserDeleted(now, id); err == nil {
		ch.Licenses = eff.Items
		t.wakeWaiters(now, eff.Wake, &ch.Notify)
	}
	t.affect(now, aff, &ch)
	return ch, nil
}

// EnrollDevice adds a device to management, or updates the facts of a managed
// one (primary user, enrollment, platform, OS version, hardware, ...). The device
// checks in on its own after enrollment (T2), so a new device is not pushed; a
// changed one is, when its resolution may change. A serial number
// (mdm.Device.Serial) that another managed device has is refused (S6).
func (t *Tenant) EnrollDevice(now time.Time, dev mdm.Device) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// S6: the store knows a device by its serial number alone; two managed
	// devices under one serial cannot be told apart (and removing one would
	// lose the other's).
	if j, ok := t.serials[dev.Serial()]; ok && t.devs[j].facts.ID != dev.ID {
		return Change{}, &mdm.ValidationError{Field: "serialNumber", Value: dev.Serial(), Rule: "S6", Err: ErrSerialInUse,
			Reason: "is the serial number of managed device " + string(t.devs[j].facts.ID),
			Remedy: "give each device its own serial number, or remove the other device first"}
	}
	aff, err := t.res.PutDevice(dev)
	if err != nil {
		return Change{}, err
	}
	i, _ := t.res.DeviceIndex(dev.ID)
	for int(i) >= len(t.devs) {
		t.devs = append(t.devs, nil)
	}
	d := t.devs[i]
	var ch Change
	if d == nil {
		d = t.newDeviceState()
		*d = deviceState{idx: int32(i), id: dev.ID, facts: dev, stale: true, lock: t.mu.shard(string(dev.ID)), anchor: nanos(now)}
		t.devs[i] = d
		t.byDev[dev.ID] = int32(i)
		t.linkUser(d, dev.PrimaryUser)
		t.serials[dev.Serial()] = int32(i)
		return ch, nil
	}
	t.unlinkUser(d)
	t.linkUser(d, dev.PrimaryUser)
	delete(t.serials, d.facts.Serial())
	t.serials[dev.Serial()] = int32(i)
	d.facts = dev
	d.stale = true // requirements (T11) read the facts
	d.nextEval = forceEval
	t.affect(now, aff, &ch)
	return ch, nil
}

// RemoveDevice takes a device out of management (T13). Apps the service
// installed whose assignments all say "uninstall on device removal" (A12) are
// uninstalled with the removal: the commands are in Change.Commands. Win32 apps
// are never uninstalled on unenrollment (T13). The device's licenses are kept
// (L7); it stops waiting for any.
func (t *Tenant) RemoveDevice(now time.Time, id mdm.DeviceID) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.device(id)
	if d == nil {
		return Change{}, unknownDevice("id", id)
	}
	// the resolution as it is now, not as the last check-in saw it
	ts, err := t.resolve(d, nil)
	if err != nil {
		return Change{}, err
	}
	if _, err := t.res.RemoveDevice(id); err != nil {
		return Change{}, err
	}
	d.applyTargets(t.cat, ts)
	var ch Change
	for k := range d.recs {
		r := &d.recs[k]
		e := t.cat.apps[r.app]
		if r.has(fPresent) && r.has(fManaged) && r.opts&optUninstallOnRemoval != 0 && !e.win32 {
			ch.Commands = append(ch.Commands, mdm.Command{ID: mdm.CommandID(t.ids.Add(1)), Kind: mdm.CommandUninstall, App: e.id})
		}
		if r.state != mdm.StateUnknown {
			t.counts[r.app].n[r.state].Add(-1)
		}
	}
	if eff, err := t.pools.DeviceRemoved(now, id); err == nil {
		ch.Licenses = eff.Items
	}
	t.push.forget(d)
	t.unlinkUser(d)
	delete(t.serials, d.facts.Serial())
	delete(t.byDev, id)
	d.removed = true
	t.devs[d.idx] = nil
	return ch, nil
}

// PutGroup creates or replaces a group (D1). Users who no longer reach an app
// through any group lose their user licenses of it (L7: a user who leaves).
func (t *Tenant) PutGroup(now time.Time, g mdm.Group) (Change, error) {
	return t.membership(now, true, func() (assign.Affected, error) { return t.res.PutGroup(g) })
}

// membership applies a change of group membership: the affected devices are
// re-resolved at their next check-in and pushed; with leaving, users who no
// longer reach an app lose its user licenses (L7).
func (t *Tenant) membership(now time.Time, leaving bool, change func() (assign.Affected, error)) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	aff, err := change()
	if err != nil {
		return Change{}, err
	}
	var ch Change
	t.affect(now, aff, &ch)
	if leaving {
		t.usersLeft(now, aff, &ch)
	}
	return ch, nil
}

// AddMember adds a user to a user group or a device to a device group.
func (t *Tenant) AddMember(now time.Time, g mdm.GroupID, member string) (Change, error) {
	return t.membership(now, false, func() (assign.Affected, error) { return t.res.AddMember(g, member) })
}

// RemoveMember removes a direct member from a group. A user who is then in no
// group targeting an app loses their user license of it (L7, "a user who
// leaves"), and the license goes to a waiting device at its next check-in (L5).
func (t *Tenant) RemoveMember(now time.Time, g mdm.GroupID, member string) (Change, error) {
	return t.membership(now, true, func() (assign.Affected, error) { return t.res.RemoveMember(g, member) })
}

// DeleteGroup deletes a group no assignment targets and no group nests; it
// alters no resolution.
func (t *Tenant) DeleteGroup(now time.Time, g mdm.GroupID) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return Change{}, t.res.DeleteGroup(g)
}

// ---------------------------------------------------------------------------
// Assignments (A).

// Assign adds an assignment, validated by the resolver (A1–A4, C6, D4, L4, T14);
// a deadline outside the years 1678 to 2262 is refused with ErrTimeRange.
// For an app whose pool blocks oversubscription (Store for Business by default,
// L14) the assignment is refused with a *license.ShortfallError when the
// devices or users it newly requires outnumber the licenses available.
func (t *Tenant) Assign(now time.Time, a mdm.Assignment) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	// The deadline is kept in Unix nanoseconds too: mdm allows the years 0 to
	// 9999 (Graph's range), and one past 2262 would wrap to a deadline long
	// passed, forcing the install at once.
	if dl := a.Settings.Deadline; !dl.IsZero() && (dl.Before(minTime) || dl.After(maxTime)) {
		return Change{}, &mdm.ValidationError{Field: "settings.installTimeSettings.deadlineDateTime", Value: dl.UTC().Format(time.RFC3339),
			Rule: "T14", Err: ErrTimeRange, Reason: "is not a time the tenant can record (years 1678 to 2262)",
			Remedy: "set a deadline in the coming days or weeks"}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	aff, err := t.res.Assign(a)
	if err != nil {
		return Change{}, err
	}
	if err := t.checkDemand(now, a.App, aff, func() error {
		_, _, err := t.res.Unassign(a.ID)
		return err
	}, func() error {
		_, err := t.res.Assign(a)
		return err
	}); err != nil {
		return Change{}, err
	}
	var ch Change
	t.affect(now, aff, &ch)
	return ch, nil
}

// Unassign removes an assignment. Removing it does not uninstall (A9; except on
// Android Enterprise dedicated, fully managed and corporate-owned work-profile
// devices, at their next check-in) and does not reclaim licenses unless
// Policy.AssignmentRemovalRevokes (L7).
func (t *Tenant) Unassign(now time.Time, id mdm.AssignmentID) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a, aff, err := t.res.Unassign(id)
	if err != nil {
		return Change{}, err
	}
	var ch Change
	t.affect(now, aff, &ch)
	if e, ok := t.cat.lookup(a.App); ok && e.hasPool {
		t.reclaimUnreached(now, e, aff, license.AssignmentRemoved, &ch)
	}
	return ch, nil
}

// ChangeIntent changes an assignment's intent, validated as Assign validates a
// new one, with the L14 check when the change makes it required.
func (t *Tenant) ChangeIntent(now time.Time, id mdm.AssignmentID, intent mdm.Intent) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	a, ok := t.res.Assignment(id)
	if !ok {
		_, err := t.res.ChangeIntent(id, intent) // the resolver's error for an unknown id
		return Change{}, err
	}
	old := a.Intent
	aff, err := t.res.ChangeIntent(id, intent)
	if err != nil {
		return Change{}, err
	}
	if err := t.checkDemand(now, a.App, aff, func() error {
		_, err := t.res.ChangeIntent(id, old)
		return err
	}, func() error {
		_, err := t.res.ChangeIntent(id, intent)
		return err
	}); err != nil {
		return Change{}, err
	}
	var ch Change
	t.affect(now, aff, &ch)
	return ch, nil
}

// Assignment returns an assignment by id.
func (t *Tenant) Assignment(id mdm.AssignmentID) (mdm.Assignment, bool) { return t.res.Assignment(id) }

// Assignments returns every assignment, sorted by id.
func (t *Tenant) Assignments() []mdm.Assignment { return t.res.Assignments() }

// checkDemand applies L14 after a change of the resolver (done already): when
// the app's pool blocks oversubscription, the holders the change newly requires
// and that hold no license must fit in what is available. undo reverts the
// change to read the "before" side, redo applies it again; on a shortfall the
// change stays undone and the error is returned.
func (t *Tenant) checkDemand(now time.Time, app mdm.AppID, aff assign.Affected, undo, redo func() error) error {
	e, ok := t.cat.lookup(app)
	if !ok || !e.hasPool || aff.Len() == 0 {
		return nil
	}
	pool := t.poolOf(e)
	if pool == nil {
		return nil // no pool yet: nothing to block against until sync creates it
	}
	if pool.CheckDemand(1<<30) == nil {
		return nil // the pool allows oversubscription (L5): nothing to refuse
	}
	after := t.requiredHolders(e, pool, aff)
	if err := undo(); err != nil {
		return err
	}
	before := t.requiredHolders(e, pool, aff)
	additional := 0
	for h := range after {
		if !before[h] {
			additional++
		}
	}
	if err := pool.CheckDemand(additional); err != nil {
		return err
	}
	return redo()
}

// requiredHolders lists the license holders among the affected devices that the
// app is required on and that hold no license yet.
func (t *Tenant) requiredHolders(e *appEntry, pool *license.Pool, aff assign.Affected) map[license.Holder]bool {
	out := map[license.Holder]bool{}
	for _, i := range aff.Indexes {
		d := t.deviceAt(i)
		if d == nil {
			continue
		}
		res, err := t.res.ResolveDeviceIndex(i)
		if err != nil {
			continue
		}
		eff, ok := res.LookupIndex(assign.AppIndex(e.idx))
		if !ok || eff.Intent&assign.IntentRequired == 0 {
			continue
		}
		tg := targetOf(&eff)
		q := (&tenantFx{t: t}).request(d, &record{opts: tg.opts})
		h := license.Holder{Kind: license.DeviceHolder, ID: string(d.facts.ID)}
		if pool.Kind() == license.StoreOnline || q.License == mdm.LicenseUser || pool.Kind() == license.VPPBook {
			if q.User == "" {
				continue
			}
			h = license.Holder{Kind: license.UserHolder, ID: string(q.User)}
		}
		if held, err := pool.Holds(q); err == nil && held {
			continue
		}
		out[h] = true
	}
	return out
}

// ---------------------------------------------------------------------------

// affect marks the affected devices' resolutions stale and pushes them (T2).
func (t *Tenant) affect(now time.Time, aff assign.Affected, ch *Change) {
	n := now.UnixNano()
	for _, i := range aff.Indexes {
		d := t.deviceAt(i)
		if d == nil {
			continue
		}
		d.stale = true
		t.push.notify(d, n)
		ch.Notify = append(ch.Notify, d.facts.ID)
	}
	ch.Notify = sortedUnique(ch.Notify)
}

func sortedUnique(ids []mdm.DeviceID) []mdm.DeviceID {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// wakeWaiters pushes the devices of license waiters a freed license woke (L5).
func (t *Tenant) wakeWaiters(now time.Time, ws []license.Waiter, notify *[]mdm.DeviceID) {
	hs := make([]license.Holder, 0, len(ws))
	for _, w := range ws {
		hs = append(hs, w.Holder)
	}
	t.wakeHolders(now.UnixNano(), hs, notify)
	*notify = sortedUnique(*notify)
}

// usersLeft reclaims, after a membership change, the user licenses of users who
// no longer reach an app on any of their devices (L7: a user who leaves is no
// longer in any targeted group). The candidates are the apps the affected
// devices got a license for.
func (t *Tenant) usersLeft(now time.Time, aff assign.Affected, ch *Change) {
	var apps []int32
	for _, i := range aff.Indexes {
		d := t.deviceAt(i)
		if d == nil {
			continue
		}
		for k := range d.recs {
			if r := &d.recs[k]; r.has(fLicensed) {
				apps = append(apps, r.app)
			}
		}
	}
	slices.Sort(apps)
	for _, a := range slices.Compact(apps) {
		t.reclaimUnreached(now, t.cat.apps[a], aff, license.UserLeft, ch)
	}
}

// reclaimUnreached gives back, for the affected devices, the licenses of app e
// that no longer reach them, with reason why. For a user license the user must
// reach the app on none of their devices.
func (t *Tenant) reclaimUnreached(now time.Time, e *appEntry, aff assign.Affected, why license.Reason, ch *Change) {
	pool := t.poolOf(e)
	if pool == nil {
		return
	}
	key := pool.Key()
	doneUsers := map[mdm.UserID]bool{}
	var woken []license.Holder
	for _, i := range aff.Indexes {
		d := t.deviceAt(i)
		if d == nil || t.reaches(d, e) {
			continue
		}
		user := d.facts.PrimaryUser
		userLic := pool.Kind() == license.StoreOnline || pool.Kind() == license.VPPBook
		if p, ok := d.find(t.cat, e.id); ok && d.recs[p].opts&optUserLicense != 0 {
			userLic = true
		}
		var q license.Request
		switch {
		case why == license.UserLeft && user != "" && !doneUsers[user]:
			doneUsers[user] = true
			if t.userReaches(user, e) {
				continue
			}
			q = license.Request{User: user}
			if pool.Kind() == license.VPPApp {
				q.License = mdm.LicenseUser
			}
		case why == license.AssignmentRemoved && !userLic:
			q = license.Request{Device: d.facts.ID}
		case why == license.AssignmentRemoved && user != "" && !doneUsers[user]:
			doneUsers[user] = true
			if t.userReaches(user, e) {
				continue
			}
			q = license.Request{User: user, License: mdm.LicenseUser}
		default:
			continue
		}
		res, err := pool.Reclaim(now, q, why)
		if err != nil || res.Outcome == license.NotHeld {
			continue
		}
		ch.Licenses = append(ch.Licenses, license.Effect{Key: key, Holder: res.Holder, Outcome: res.Outcome, Reason: why, Kept: res.Kept})
		if !res.Wake.IsZero() {
			woken = append(woken, res.Wake)
		}
	}
	t.wakeHolders(now.UnixNano(), woken, &ch.Notify)
	ch.Notify = sortedUnique(ch.Notify)
}

// reaches reports whether app e reaches device d with an intent that is not
// uninstall alone, reading the resolver (not the records, which may be stale).
func (t *Tenant) reaches(d *deviceState, e *appEntry) bool {
	res, err := t.res.ResolveDeviceIndex(assign.DeviceIndex(d.idx))
	if err != nil {
		return false
	}
	eff, ok := res.LookupIndex(assign.AppIndex(e.idx))
	return ok && eff.Intent&^assign.IntentUninstall != 0
}

func (t *Tenant) userReaches(u mdm.UserID, e *appEntry) bool {
	for _, d := range t.devicesOf(u) {
		if t.reaches(d, e) {
			return true
		}
	}
	return false
}

// ---------------------------------------------------------------------------

func unknownApp(field string, id mdm.AppID) error {
	return &mdm.ValidationError{Field: field, Value: string(id), Err: mdm.ErrUnknownApp,
		Reason: "is not in the catalog", Remedy: "add the app first, or check the id"}
}

func unknownDevice(field string, id mdm.DeviceID) error {
	return &mdm.ValidationError{Field: field, Value: string(id), Err: ErrUnknownDevice,
		Reason: "is not a managed device", Remedy: "enroll the device first (EnrollDevice)"}
}

// linkUser and unlinkUser keep each user's list of managed devices (D3), for
// user licenses (L4, L7).
func (t *Tenant) linkUser(d *deviceState, u mdm.UserID) {
	if r := t.users[u]; r != nil && u != "" {
		r.devices, _ = insertSorted(r.devices, d.idx)
	}
}

func (t *Tenant) unlinkUser(d *deviceState) {
	if r := t.users[d.facts.PrimaryUser]; r != nil {
		if k, ok := slices.BinarySearch(r.devices, d.idx); ok {
			r.devices = slices.Delete(r.devices, k, k+1)
		}
	}
}

func insertSorted(s []int32, v int32) ([]int32, bool) {
	k, ok := slices.BinarySearch(s, v)
	if ok {
		return s, false
	}
	return slices.Insert(s, k, v), true
}
