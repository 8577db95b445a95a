package assign

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"pgregory.net/rapid"
)

// model is the tenant as the tests see it, kept independently of the Resolver,
// with a straightforward resolution (naive) to compare against: for every
// assignment, test membership by walking the nested groups, apply D4, A4, A5 and
// A8, and read the set with Decide (whose table is checked against the SPEC in
// rules_test.go).
type model struct {
	users      map[mdm.UserID]bool
	userOrder  []mdm.UserID
	devices    map[mdm.DeviceID]*mdm.Device
	devOrder   []mdm.DeviceID
	groups     map[mdm.GroupID]*mdm.Group
	groupOrder []mdm.GroupID
	apps       map[mdm.AppID]mdm.AppType
	appOrder   []mdm.AppID
	asgs       map[mdm.AssignmentID]mdm.Assignment
	asgOrder   []mdm.AssignmentID
	next       int
	// lastOpDirectory says whether applyOp's last change was one of group
	// members or nesting.
	lastOpDirectory bool
}

func newModel() *model {
	return &model{users: map[mdm.UserID]bool{}, devices: map[mdm.DeviceID]*mdm.Device{},
		groups: map[mdm.GroupID]*mdm.Group{}, apps: map[mdm.AppID]mdm.AppType{}, asgs: map[mdm.AssignmentID]mdm.Assignment{}}
}

func (m *model) id(prefix string) string {
	m.next++
	return fmt.Sprintf("%s%02d", prefix, m.next)
}

var modelAppTypes = []mdm.AppType{mdm.AppTypeWin32, mdm.AppTypeManagedGooglePlay, mdm.AppTypeIOSStore,
	mdm.AppTypeIOSVPP, mdm.AppTypeVPPBook, mdm.AppTypeAndroidStore}

var modelDeadlines = []time.Time{{}, day, day.Add(time.Hour), day.Add(-time.Hour)}

func drawDevice(t *rapid.T, m *model, id mdm.DeviceID) mdm.Device {
	d := mdm.Device{ID: id, Platform: mdm.PlatformWindows}
	if len(m.userOrder) > 0 && rapid.IntRange(0, 4).Draw(t, "userless") > 0 {
		d.PrimaryUser = rapid.SampledFrom(m.userOrder).Draw(t, "primary")
	}
	if rapid.IntRange(0, 4).Draw(t, "unenrolled") == 0 {
		d.Enrollment = mdm.AppProtectionOnly
	}
	if rapid.Bool().Draw(t, "android") {
		d.Platform = mdm.PlatformAndroidEnterprise
		d.AndroidMode = mdm.AndroidEnterpriseMode(rapid.IntRange(1, 4).Draw(t, "mode"))
	}
	return d
}

// drawGroup draws the members and nested groups of a group of kind k; nested
// groups are drawn among those that do not contain the group, so no cycle forms.
func drawGroup(t *rapid.T, m *model, id mdm.GroupID, k mdm.MemberKind) mdm.Group {
	g := mdm.Group{ID: id, Kind: k}
	if k == mdm.UserMembers {
		for _, u := range m.userOrder {
			if m.users[u] && rapid.IntRange(0, 2).Draw(t, "member") == 0 {
				g.Users = append(g.Users, u)
			}
		}
	} else {
		for _, d := range m.devOrder {
			if m.devices[d] != nil && rapid.IntRange(0, 2).Draw(t, "member") == 0 {
				g.Devices = append(g.Devices, d)
			}
		}
	}
	for _, c := range m.groupOrder {
		cg := m.groups[c]
		if c != id && cg != nil && cg.Kind == k && !m.contains(c, id) && rapid.IntRange(0, 3).Draw(t, "nest") == 0 {
			g.Groups = append(g.Groups, c)
		}
	}
	return g
}

// contains reports whether group a is b or nests it at any depth.
func (m *model) contains(a, b mdm.GroupID) bool {
	if a == b {
		return true
	}
	for _, c := range m.groups[a].Groups {
		if m.contains(c, b) {
			return true
		}
	}
	return false
}

// has reports whether group g holds a member, directly or through a nested
// group (D1).
func (m *model) has(g mdm.GroupID, direct func(*mdm.Group) bool) bool {
	gr := m.groups[g]
	if direct(gr) {
		return true
	}
	for _, c := range gr.Groups {
		if m.has(c, direct) {
			return true
		}
	}
	return false
}

func (m *model) hasUser(g mdm.GroupID, u mdm.UserID) bool {
	return m.has(g, func(gr *mdm.Group) bool { return slices.Contains(gr.Users, u) })
}

func (m *model) hasDevice(g mdm.GroupID, d mdm.DeviceID) bool {
	return m.has(g, func(gr *mdm.Group) bool { return slices.Contains(gr.Devices, d) })
}

// targetedReach maps every live user ("u:" id) and device ("d:" id) to the
// groups an assignment targets (include or exclusion) that hold it, directly or
// through nested groups: what resolution reads of the directory.
func (m *model) targetedReach() map[string][]mdm.GroupID {
	var targeted []mdm.GroupID
	for _, id := range m.groupOrder {
		for _, a := range m.asgs {
			if a.Target.HasGroup() && a.Target.Group == id {
				targeted = append(targeted, id)
				break
			}
		}
	}
	out := map[string][]mdm.GroupID{}
	for _, u := range m.userOrder {
		if m.users[u] {
			out["u:"+string(u)] = slices.DeleteFunc(slices.Clone(targeted), func(g mdm.GroupID) bool { return !m.hasUser(g, u) })
		}
	}
	for _, d := range m.devOrder {
		if m.devices[d] != nil {
			out["d:"+string(d)] = slices.DeleteFunc(slices.Clone(targeted), func(g mdm.GroupID) bool { return !m.hasDevice(g, d) })
		}
	}
	return out
}

// affectedBetween lists, sorted, the live devices whose targeted groups differ
// between two targetedReach results, through the device or its primary user.
func (m *model) affectedBetween(before, after map[string][]mdm.GroupID) []string {
	var out []string
	for _, id := range m.devOrder {
		d := m.devices[id]
		if d == nil {
			continue
		}
		k := "d:" + string(id)
		changed := !slices.Equal(before[k], after[k])
		if u := "u:" + string(d.PrimaryUser); d.PrimaryUser != "" && !slices.Equal(before[u], after[u]) {
			changed = true
		}
		if changed {
			out = append(out, string(id))
		}
	}
	slices.Sort(out)
	return out
}

func (m *model) targetKind(tg mdm.Target) mdm.MemberKind {
	if tg.HasGroup() {
		return m.groups[tg.Group].Kind
	}
	return tg.FixedKind()
}

func sameTarget(a, b mdm.Target) bool { return sameTargetGroup(a, b) }

// assignmentValid says whether Assign (self == "") or ChangeIntent (self the
// assignment changed) must accept a.
func (m *model) assignmentValid(a mdm.Assignment, self mdm.AssignmentID) bool {
	typ := m.apps[a.App]
	k := m.targetKind(a.Target)
	if k == mdm.DeviceMembers {
		if typ.IsBook() {
			return false
		}
		if !a.Target.IsExclusion() {
			switch a.Intent {
			case mdm.AvailableWithoutEnrollment:
				return false
			case mdm.Available:
				if !typ.IsWin32() && !isAndroidEnterpriseType(typ) {
					return false
				}
			}
		}
	}
	if !a.Settings.Deadline.IsZero() && a.Intent != mdm.Required {
		return false
	}
	for _, id := range m.asgOrder {
		o := m.asgs[id]
		if id != self && o.App == a.App && sameTarget(o.Target, a.Target) && o.Intent != a.Intent {
			return false // A3
		}
	}
	return true
}

// drawAssignment draws an assignment of the existing apps and groups; it may be
// invalid (A3, A4, D4, T14), which the caller checks with assignmentValid.
func drawAssignment(t *rapid.T, m *model) mdm.Assignment {
	a := mdm.Assignment{ID: mdm.AssignmentID(m.id("as")), App: rapid.SampledFrom(m.appOrder).Draw(t, "app"),
		Intent: mdm.Intent(rapid.IntRange(0, 3).Draw(t, "intent"))}
	var groups []mdm.GroupID
	for _, g := range m.groupOrder {
		if m.groups[g] != nil {
			groups = append(groups, g)
		}
	}
	switch k := rapid.IntRange(0, 9).Draw(t, "target"); {
	case k == 0 || len(groups) == 0:
		a.Target = mdm.AllUsersTarget()
	case k == 1:
		a.Target = mdm.AllDevicesTarget()
	case k <= 3:
		a.Target = mdm.ExclusionTarget(rapid.SampledFrom(groups).Draw(t, "group"))
	default:
		a.Target = mdm.GroupTarget(rapid.SampledFrom(groups).Draw(t, "group"))
	}
	typ := m.apps[a.App]
	if a.Intent == mdm.Required {
		a.Settings.Deadline = rapid.SampledFrom(modelDeadlines).Draw(t, "deadline")
	}
	if v := rapid.IntRange(0, 2).Draw(t, "uninstallOnRemoval"); v > 0 {
		a.Settings.UninstallOnDeviceRemoval = boolp(v == 1)
	}
	a.Settings.PreventAutoUpdate = rapid.Bool().Draw(t, "prevent")
	if typ.IsVPP() {
		a.Settings.LicenseType = mdm.LicenseType(rapid.IntRange(0, 2).Draw(t, "license"))
		if typ.IsBook() && a.Settings.LicenseType == mdm.LicenseDevice {
			a.Settings.LicenseType = mdm.LicenseUser
		}
	}
	return a
}

// drawTenant draws a small tenant: users, devices, groups with nesting, apps,
// and valid assignments (A3 conflicts are avoided by reusing the intent already
// given to a group, so that any order of the assignments is accepted).
func drawTenant(t *rapid.T) *model {
	m := newModel()
	for range rapid.IntRange(1, 4).Draw(t, "users") {
		u := mdm.UserID(m.id("u"))
		m.users[u] = true
		m.userOrder = append(m.userOrder, u)
	}
	for range rapid.IntRange(1, 6).Draw(t, "devices") {
		id := mdm.DeviceID(m.id("d"))
		d := drawDevice(t, m, id)
		m.devices[id] = &d
		m.devOrder = append(m.devOrder, id)
	}
	for range rapid.IntRange(1, 6).Draw(t, "groups") {
		id := mdm.GroupID(m.id("g"))
		k := mdm.MemberKind(rapid.IntRange(1, 2).Draw(t, "kind"))
		g := drawGroup(t, m, id, k)
		m.groups[id] = &g
		m.groupOrder = append(m.groupOrder, id)
	}
	for range rapid.IntRange(1, 4).Draw(t, "apps") {
		id := mdm.AppID(m.id("app"))
		m.apps[id] = rapid.SampledFrom(modelAppTypes).Draw(t, "type")
		m.appOrder = append(m.appOrder, id)
	}
	for range rapid.IntRange(0, 12).Draw(t, "assignments") {
		a := drawAssignment(t, m)
		for _, id := range m.asgOrder { // reuse the intent of the group (A3)
			if o := m.asgs[id]; o.App == a.App && sameTarget(o.Target, a.Target) {
				a.Intent = o.Intent
				if a.Intent != mdm.Required {
					a.Settings.Deadline = time.Time{}
				}
			}
		}
		if m.assignmentValid(a, "") {
			m.asgs[a.ID] = a
			m.asgOrder = append(m.asgOrder, a.ID)
		}
	}
	return m
}

// build loads the model into a new Resolver, the assignments in the given order
// (nil: the model's order). Every call must succeed.
func (m *model) build(t interface{ Fatalf(string, ...any) }, order []mdm.AssignmentID) *Resolver {
	r := New()
	check := func(err error) {
		if err != nil {
			t.Fatalf("loading the model: %v", err)
		}
	}
	for _, u := range m.userOrder {
		if m.users[u] {
			check(r.PutUser(mdm.User{ID: u}))
		}
	}
	for _, id := range m.devOrder {
		if d := m.devices[id]; d != nil {
			_, err := r.PutDevice(*d)
			check(err)
		}
	}
	// Nested groups first: create every group empty, then fill them.
	for _, id := range m.groupOrder {
		if g := m.groups[id]; g != nil {
			_, err := r.PutGroup(mdm.Group{ID: id, Kind: g.Kind})
			check(err)
		}
	}
	for _, id := range m.groupOrder {
		if g := m.groups[id]; g != nil {
			_, err := r.PutGroup(*g)
			check(err)
		}
	}
	for _, id := range m.appOrder {
		check(r.PutApp(&mdm.App{ID: id, Type: m.apps[id]}))
	}
	if order == nil {
		order = m.asgOrder
	}
	for _, id := range order {
		_, err := r.Assign(m.asgs[id])
		check(err)
	}
	return r
}

// naive resolves one device of the model.
func (m *model) naive(id mdm.DeviceID) []Effective {
	d := m.devices[id]
	var out []Effective
	apps := slices.Clone(m.appOrder)
	slices.Sort(apps)
	for _, app := range apps {
		typ := m.apps[app]
		var incl [2][]mdm.Assignment
		var excl [2]bool
		for _, aid := range m.asgOrder {
			a := m.asgs[aid]
			if a.App != app {
				continue
			}
			k := m.targetKind(a.Target)
			var reaches bool
			if k == mdm.UserMembers {
				reaches = d.PrimaryUser != "" && (!a.Target.HasGroup() || m.hasUser(a.Target.Group, d.PrimaryUser))
			} else {
				reaches = !a.Target.HasGroup() || m.hasDevice(a.Target.Group, id)
			}
			if !reaches {
				continue
			}
			ki := int(k) - 1
			if a.Target.IsExclusion() {
				excl[ki] = true
				continue
			}
			if d.Enrollment != mdm.EnrolledMDM && (k == mdm.DeviceMembers || a.Intent != mdm.AvailableWithoutEnrollment) {
				continue // D4
			}
			if k == mdm.DeviceMembers && a.Intent == mdm.Available && isAndroidEnterpriseType(typ) && !d.AndroidMode.CorporateManaged() {
				continue // A4
			}
			incl[ki] = append(incl[ki], a)
		}
		var all []mdm.Assignment
		var pairs Pairs
		for k := range 2 {
			if excl[k] {
				continue // A5
			}
			for _, a := range incl[k] {
				all = append(all, a)
				pairs |= PairOf(mdm.MemberKind(k+1), a.Intent)
			}
		}
		if len(all) == 0 {
			continue
		}
		single := bits.OnesCount8(uint8(pairs)) == 1
		if typ == mdm.AppTypeIOSStore { // A8
			if pairs&UserRequired != 0 {
				pairs |= UserAvailable
			}
			if pairs&DeviceRequired != 0 {
				pairs |= DeviceAvailable
			}
		}
		e := Effective{App: app}
		e.Intent, e.Row = Decide(pairs)
		if single {
			e.Row = 0
		}
		e.UninstallOnDeviceRemoval = true
		prevent, preventSeen := true, false
		for _, a := range all {
			if !a.Settings.UninstallsOnDeviceRemoval() {
				e.UninstallOnDeviceRemoval = false
			}
			if dl := a.Settings.Deadline; a.Intent == mdm.Required && !dl.IsZero() && (e.Deadline.IsZero() || dl.Before(e.Deadline)) {
				e.Deadline = dl
			}
			if a.Intent != mdm.Uninstall {
				preventSeen = true
				prevent = prevent && a.Settings.PreventAutoUpdate
			}
		}
		e.PreventAutoUpdate = preventSeen && prevent
		if typ.IsVPP() {
			e.LicenseType = naiveLicense(e.Intent, all, typ)
		}
		out = append(out, e)
	}
	return out
}

func naiveLicense(in Intent, all []mdm.Assignment, typ mdm.AppType) mdm.LicenseType {
	relevant := func(i mdm.Intent) bool {
		switch {
		case in&IntentRequired != 0:
			return i == mdm.Required
		case in&(IntentAvailable|IntentAvailableWithoutEnrollment) != 0:
			return i == mdm.Available || i == mdm.AvailableWithoutEnrollment
		}
		return i == mdm.Uninstall
	}
	dev, user := false, false
	for _, a := range all {
		if relevant(a.Intent) {
			switch a.Settings.LicenseType.Effective(typ) {
			case mdm.LicenseDevice:
				dev = true
			case mdm.LicenseUser:
				user = true
			}
		}
	}
	if dev || !user {
		return mdm.LicenseDevice
	}
	return mdm.LicenseUser
}

// effects resolves one device and drops the index and app index, which the
// model does not know.
func effects(r *Resolver, id mdm.DeviceID) ([]Effective, error) {
	res, err := r.ResolveDevice(id)
	if err != nil {
		return nil, err
	}
	out := res.Effects()
	for k := range out {
		out[k].AppIndex = 0
	}
	return out, nil
}

func describe(es []Effective) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%s=%s/row%d/u%v/p%v/%s/%s ", e.App, e.Intent, e.Row, e.UninstallOnDeviceRemoval, e.PreventAutoUpdate, e.LicenseType, e.Deadline.Format(time.Kitchen))
	}
	return b.String()
}

func equalEffects(a, b []Effective) bool {
	return slices.EqualFunc(a, b, func(x, y Effective) bool {
		return x.App == y.App && x.Intent == y.Intent && x.Row == y.Row &&
			x.UninstallOnDeviceRemoval == y.UninstallOnDeviceRemoval && x.PreventAutoUpdate == y.PreventAutoUpdate &&
			x.LicenseType == y.LicenseType && x.Deadline.Equal(y.Deadline)
	})
}
