package assign

import (
	"slices"
	"strings"

	"github.com/mdmkit/mdmkit/mdm"
)

// PutApp adds an app or updates its facts. Resolution needs only the id, the type
// (A4, A8, L4) and the publishing state (C6, read when an assignment is made); the
// rest of the app is the tenant's. The type of an app cannot change while it is
// assigned, because Assign validated its assignments against the type. The
// publishing state may change at any time: assignments already made stay, as in
// the product while a new version is processed. PutApp alters no resolution.
func (r *Resolver) PutApp(a *mdm.App) error {
	if a == nil {
		return verr("app", "", "C8", mdm.ErrMissingField, "is nil", "pass the app to add")
	}
	if err := mdm.CheckID("id", string(a.ID)); err != nil {
		return err
	}
	if !a.Type.Valid() {
		return verr("@odata.type", a.Type.String(), "C2", mdm.ErrUnknownEnum,
			"is not a known app type", "use one of the AppType constants")
	}
	if a.State > mdm.Processing {
		return verr("publishingState", a.State.String(), "C6", mdm.ErrUnknownEnum,
			"is not a publishing state", "use published, notPublished or processing")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.appIdx[a.ID]
	if ok && r.apps[i].alive && r.apps[i].typ != a.Type && len(r.apps[i].assignments) > 0 {
		return verr("@odata.type", a.Type.String(), "A4", ErrInUse,
			"would change the type of app "+string(a.ID)+" ("+r.apps[i].typ.String()+"), which is assigned",
			"remove its assignments first, or add the new type as a new app")
	}
	if !ok {
		i = int32(len(r.apps))
		r.apps = append(r.apps, appRec{})
		r.appIDs = append(r.appIDs, a.ID)
		r.appIdx[a.ID] = i
		pos, _ := slices.BinarySearchFunc(r.byID, a.ID, func(x int32, id mdm.AppID) int {
			return strings.Compare(string(r.appIDs[x]), string(id))
		})
		r.byID = slices.Insert(r.byID, pos, i)
		r.appMeta = append(r.appMeta, appMeta{})
		for k := pos; k < len(r.byID); k++ {
			r.appMeta[r.byID[k]].rank = int32(k)
		}
	}
	ar := &r.apps[i]
	ar.alive, ar.typ, ar.state, ar.name = true, a.Type, a.State, a.DisplayName
	r.appMeta[i].ios = a.Type == mdm.AppTypeIOSStore
	return nil
}

// RemoveApp removes an app. It is refused while the app is assigned (C5).
func (r *Resolver) RemoveApp(id mdm.AppID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.appIdx[id]
	if !ok || !r.apps[i].alive {
		return unknownApp("id", id)
	}
	if as := r.apps[i].assignments; len(as) > 0 {
		return verr("id", string(id), "C5", ErrInUse,
			"has assignments (e.g. "+string(r.asgs[as[0]].a.ID)+")", "remove the app's assignments first")
	}
	r.apps[i].alive = false
	return nil
}

// isAndroidEnterpriseType reports whether apps of the type run only on Android
// Enterprise (Managed Google Play, Android Enterprise system apps): the types whose
// "available" may target device groups for fully managed and COPE devices (A4).
func isAndroidEnterpriseType(t mdm.AppType) bool {
	return t.Platforms() == mdm.PlatformsOf(mdm.PlatformAndroidEnterprise)
}

// target is a validated assignment target.
type target struct {
	app   int32
	group int32 // -1 for All users / All devices
	kind  mdm.MemberKind
}

// validate checks an assignment against the tenant: mdm.ValidateAssignment (A1,
// A2, L4, T14), the app and group exist, C6, D4, A4 and A3. self is the index of
// the assignment being changed (ChangeIntent), -1 for a new one.
func (r *Resolver) validate(a *mdm.Assignment, self int32) (target, error) {
	if err := mdm.ValidateAssignment(a, nil); err != nil {
		return target{}, err
	}
	ai, ok := r.appIdx[a.App]
	if !ok || !r.apps[ai].alive {
		return target{}, unknownApp("appId", a.App)
	}
	ar := &r.apps[ai]
	if err := mdm.ValidateAssignment(a, &mdm.App{ID: a.App, Type: ar.typ}); err != nil {
		return target{}, err
	}
	if self < 0 {
		if _, taken := r.asgIdx[a.ID]; taken && r.asgs[r.asgIdx[a.ID]].alive {
			return target{}, verr("id", string(a.ID), "A2", ErrAssignmentExists,
				"is already the id of an assignment", "give every assignment its own id, or use ChangeIntent")
		}
	}
	t := target{app: ai, group: -1, kind: a.Target.FixedKind()}
	if a.Target.HasGroup() {
		gi, ok := r.groupIdx[a.Target.Group]
		if !ok || !r.groups[gi].alive {
			return target{}, unknownGroup("target.groupId", a.Target.Group)
		}
		t.group, t.kind = gi, r.groups[gi].kind
	}
	if ar.state != mdm.Published {
		return target{}, verr("appId", string(a.App), "C6", ErrNotPublished,
			"is "+ar.state.String()+"; only a published app can be assigned",
			"wait until the app is published (its upload committed and processed), then assign it")
	}
	if err := checkTargetKind(a, ar.typ, t.kind); err != nil {
		return target{}, err
	}
	// A3: one group (All users and All devices count as groups here) is
	// targeted for one app with one intent. An exclusion targets its group too.
	for _, o := range ar.assignments {
		if o == self {
			continue
		}
		oa := &r.asgs[o].a
		if sameTargetGroup(oa.Target, a.Target) && oa.Intent != a.Intent {
			return target{}, verr("intent", a.Intent.String(), "A3", mdm.ErrConflictingIntent,
				"conflicts with assignment "+string(oa.ID)+", which already targets "+oa.Target.String()+
					" for app "+string(a.App)+" as "+oa.Intent.String(),
				"change that assignment's intent or remove it; one group takes one intent per app")
		}
	}
	return t, nil
}

// sameTargetGroup reports whether two targets name the same group (include or
// exclusion alike), or are both All users or both All devices.
func sameTargetGroup(a, b mdm.Target) bool {
	if a.HasGroup() && b.HasGroup() {
		return a.Group == b.Group
	}
	return !a.HasGroup() && !b.HasGroup() && a.Kind == b.Kind
}

// checkTargetKind applies D4 and A4 to the kind of the target.
func checkTargetKind(a *mdm.Assignment, t mdm.AppType, kind mdm.MemberKind) error {
	if kind != mdm.DeviceMembers {
		return nil
	}
	field, value := "target", a.Target.String()
	if t.IsBook() {
		return verr(field, value, "A4", ErrTargetNotAllowed,
			"is a device target; VPP books are assigned to user groups only, for every intent",
			"assign the book to a user group or All users")
	}
	if a.Target.IsExclusion() {
		return nil // an exclusion offers nothing; A5 decides what it removes
	}
	switch a.Intent {
	case mdm.AvailableWithoutEnrollment:
		return verr(field, value, "D4", ErrTargetNotAllowed,
			"is a device target; available without enrollment reaches users, and device targets never reach unenrolled devices",
			"assign availableWithoutEnrollment to a user group or All users")
	case mdm.Available:
		switch {
		case t.IsVPP():
			return verr(field, value, "A4", ErrTargetNotAllowed,
				"is a device target; Apple VPP apps never take available on device groups",
				"make the app available to a user group, or require it on the device group")
		case t.IsWin32(), isAndroidEnterpriseType(t):
			return nil
		}
		return verr(field, value, "A4", ErrTargetNotAllowed,
			"is a device target; available targets user groups only, except Win32 apps and Android Enterprise apps for fully managed and corporate-owned work-profile devices",
			"make the app available to a user group or All users")
	}
	return nil
}

// Item flags.
const (
	itemExclusion     uint8 = 1 << iota
	itemNeedsCorpAE         // device-kind available of an Android Enterprise app (A4)
	itemKeepOnRemoval       // UninstallOnDeviceRemoval is false (A12)
	itemPreventYes          // PreventAutoUpdate on a required/available assignment (L9)
	itemPreventNo           // auto-update allowed on a required/available assignment (L9)
)

// item is what resolution reads of one assignment: 12 bytes, no pointers.
type item struct {
	app   int32
	dl    int32 // deadline id, 0 for none (T14)
	pair  Pairs // 0 for an exclusion
	flags uint8
	lic   uint8 // bit intent: device licensing; bit 4+intent: user licensing (L4)
}

func (r *Resolver) makeItem(a *mdm.Assignment, t target) item {
	ar := &r.apps[t.app]
	it := item{app: t.app}
	if a.Target.IsExclusion() {
		it.flags = itemExclusion
		return it
	}
	it.pair = PairOf(t.kind, a.Intent)
	if t.kind == mdm.DeviceMembers && a.Intent == mdm.Available && isAndroidEnterpriseType(ar.typ) {
		it.flags |= itemNeedsCorpAE
	}
	if !a.Settings.UninstallsOnDeviceRemoval() {
		it.flags |= itemKeepOnRemoval
	}
	if a.Intent != mdm.Uninstall {
		if a.Settings.PreventAutoUpdate {
			it.flags |= itemPreventYes
		} else {
			it.flags |= itemPreventNo
		}
	}
	if ar.typ.IsVPP() {
		switch a.Settings.LicenseType.Effective(ar.typ) {
		case mdm.LicenseDevice:
			it.lic = 1 << a.Intent
		case mdm.LicenseUser:
			it.lic = 1 << (4 + a.Intent)
		}
	}
	if d := a.Settings.Deadline; !d.IsZero() && a.Intent == mdm.Required {
		k := deadlineKey{d.Unix(), int32(d.Nanosecond())}
		id, ok := r.deadlineIdx[k]
		if !ok {
			id = int32(len(r.deadlines))
			r.deadlines = append(r.deadlines, d)
			r.deadlineIdx[k] = id
		}
		it.dl = id
	}
	return it
}

func cloneAssignment(a mdm.Assignment) mdm.Assignment {
	if p := a.Settings.UninstallOnDeviceRemoval; p != nil {
		v := *p
		a.Settings.UninstallOnDeviceRemoval = &v
	}
	return a
}

// Assign adds an assignment after validating it: mdm.ValidateAssignment (A1, A2,
// L4, T14), the app and the target group exist, the app is published (C6),
// availableWithoutEnrollment only on user-kind targets (D4), "available" on
// device-kind targets only for Win32 and Android Enterprise apps and never for
// VPP apps, books on user-kind targets only (A4), and one intent per group and
// app (A3). A refused assignment changes nothing. Affected: the devices the
// assignment can apply to.
func (r *Resolver) Assign(a mdm.Assignment) (Affected, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, err := r.validate(&a, -1)
	if err != nil {
		return Affected{}, err
	}
	a = cloneAssignment(a)
	i, ok := r.asgIdx[a.ID]
	if !ok {
		i = int32(len(r.asgs))
		r.asgs = append(r.asgs, asgRec{})
		r.asgIdx[a.ID] = i
	}
	r.asgs[i] = asgRec{a: a, alive: true, app: t.app, group: t.group, kind: t.kind, it: r.makeItem(&a, t)}
	r.apps[t.app].assignments, _ = insertSorted(r.apps[t.app].assignments, i)
	r.linkTarget(i, true)
	r.beginChange()
	r.addAssignmentDevices(i)
	return r.commitChange(), nil
}

// Unassign removes an assignment and returns it. Removing an assignment does not
// by itself uninstall anything (A9 is the tenant's); Affected lists the devices it
// could apply to.
func (r *Resolver) Unassign(id mdm.AssignmentID) (mdm.Assignment, Affected, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.asgIdx[id]
	if !ok || !r.asgs[i].alive {
		return mdm.Assignment{}, Affected{}, unknownAssignment(id)
	}
	r.beginChange()
	r.addAssignmentDevices(i)
	ar := &r.asgs[i]
	r.apps[ar.app].assignments, _ = removeSorted(r.apps[ar.app].assignments, i)
	r.linkTarget(i, false)
	a := ar.a
	*ar = asgRec{}
	return a, r.commitChange(), nil
}

// ChangeIntent changes the intent of an assignment, validated as Assign validates
// a new one (a deadline, for example, stays valid only on a required assignment:
// clear it by reassigning). Affected: the devices the assignment can apply to,
// with either intent.
func (r *Resolver) ChangeIntent(id mdm.AssignmentID, intent mdm.Intent) (Affected, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.asgIdx[id]
	if !ok || !r.asgs[i].alive {
		return Affected{}, unknownAssignment(id)
	}
	a := r.asgs[i].a
	if a.Intent == intent {
		return Affected{}, nil
	}
	a.Intent = intent
	t, err := r.validate(&a, i)
	if err != nil {
		return Affected{}, err
	}
	r.beginChange()
	r.addAssignmentDevices(i)
	r.linkTarget(i, false)
	ar := &r.asgs[i]
	ar.a.Intent = intent
	ar.it = r.makeItem(&ar.a, t)
	r.linkTarget(i, true)
	r.addAssignmentDevices(i)
	return r.commitChange(), nil
}

// linkTarget adds assignment i to (or removes it from) its target's list and
// rebuilds the flat item lists that read it.
func (r *Resolver) linkTarget(i int32, add bool) {
	ar := &r.asgs[i]
	change := insertSorted
	if !add {
		change = removeSorted
	}
	switch {
	case ar.group >= 0:
		g := &r.groups[ar.group]
		was := len(g.targeting) > 0
		g.targeting, _ = change(g.targeting, i)
		r.targetingChanged(ar.group, was)
	case ar.kind == mdm.UserMembers:
		r.allUsers, _ = change(r.allUsers, i)
		r.allUsersFlat = r.itemsOf(r.allUsersFlat[:0], r.allUsers)
	default:
		r.allDevices, _ = change(r.allDevices, i)
		r.allDevicesFlat = r.itemsOf(r.allDevicesFlat[:0], r.allDevices)
	}
}

func (r *Resolver) itemsOf(dst []item, asgs []int32) []item {
	for _, a := range asgs {
		dst = append(dst, r.asgs[a].it)
	}
	return dst
}

// mayApply reports whether an assignment's item can apply to a device: what
// D4 and A4 leave of it.
func mayApply(it item, kind mdm.MemberKind, d *deviceRec) bool {
	if !d.alive {
		return false
	}
	enrolled := d.flags&devEnrolled != 0
	if kind == mdm.DeviceMembers {
		return enrolled && (it.flags&itemNeedsCorpAE == 0 || d.flags&devCorpAE != 0)
	}
	return enrolled || it.flags&itemExclusion != 0 || it.pair == UserAvailableWithoutEnrollment
}

// addAssignmentDevices collects the devices assignment i can apply to.
func (r *Resolver) addAssignmentDevices(i int32) {
	ar := &r.asgs[i]
	add := func(d int32) {
		if mayApply(ar.it, ar.kind, r.devices[d]) {
			r.devSeen.add(d)
		}
	}
	switch {
	case ar.group >= 0:
		users, devices := r.members(ar.group)
		for _, u := range users {
			for _, d := range r.users[u].devices {
				add(d)
			}
		}
		for _, d := range devices {
			add(d)
		}
	case ar.kind == mdm.UserMembers:
		for d, dr := range r.devices {
			if dr.primary >= 0 {
				add(int32(d))
			}
		}
	default:
		for d := range r.devices {
			add(int32(d))
		}
	}
}

// Assignment returns an assignment by id.
func (r *Resolver) Assignment(id mdm.AssignmentID) (mdm.Assignment, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	i, ok := r.asgIdx[id]
	if !ok || !r.asgs[i].alive {
		return mdm.Assignment{}, false
	}
	return cloneAssignment(r.asgs[i].a), true
}

// Assignments returns every assignment, sorted by id.
func (r *Resolver) Assignments() []mdm.Assignment {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []mdm.Assignment
	for i := range r.asgs {
		if r.asgs[i].alive {
			out = append(out, cloneAssignment(r.asgs[i].a))
		}
	}
	slices.SortFunc(out, func(a, b mdm.Assignment) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// AppAssignments returns the assignments of one app, sorted by id.
func (r *Resolver) AppAssignments(app mdm.AppID) []mdm.Assignment {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ai, ok := r.appIdx[app]
	if !ok {
		return nil
	}
	var out []mdm.Assignment
	for _, i := range r.apps[ai].assignments {
		out = append(out, cloneAssignment(r.asgs[i].a))
	}
	slices.SortFunc(out, func(a, b mdm.Assignment) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}
