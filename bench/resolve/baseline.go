package resolvebench

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/bench/workload"
	"github.com/mdmkit/mdmkit/mdm"
)

// Load puts a generated tenant into a new Resolver, in the tenant's order.
func Load(t *workload.Tenant) (*assign.Resolver, error) {
	r := assign.New()
	for _, u := range t.Users {
		if err := r.PutUser(u); err != nil {
			return nil, fmt.Errorf("user %s: %w", u.ID, err)
		}
	}
	for _, d := range t.Devices {
		if _, err := r.PutDevice(d); err != nil {
			return nil, fmt.Errorf("device %s: %w", d.ID, err)
		}
	}
	for _, g := range t.Groups {
		if _, err := r.PutGroup(g); err != nil {
			return nil, fmt.Errorf("group %s: %w", g.ID, err)
		}
	}
	for i := range t.Apps {
		if err := r.PutApp(&t.Apps[i]); err != nil {
			return nil, fmt.Errorf("app %s: %w", t.Apps[i].ID, err)
		}
	}
	for _, a := range t.Assignments {
		if _, err := r.Assign(a); err != nil {
			return nil, fmt.Errorf("assignment %s: %w", a.ID, err)
		}
	}
	return r, nil
}

// Baseline is the straightforward resolution the issue compares assign with:
// for one device, loop over every assignment, test membership in maps keyed by
// string ids, expanding nested groups at every test. It applies the same rules
// (D3, D4, A4, A5, A8, the A6 table through assign.Decide, A12, T14, L4, L9), so
// its results equal assign's, which TestBaselineAgrees checks.
type Baseline struct {
	devices map[mdm.DeviceID]*mdm.Device
	groups  map[mdm.GroupID]*baseGroup
	apps    map[mdm.AppID]mdm.AppType
	asgs    []mdm.Assignment
}

type baseGroup struct {
	kind    mdm.MemberKind
	users   map[mdm.UserID]bool
	devices map[mdm.DeviceID]bool
	nested  []mdm.GroupID
}

// NewBaseline indexes a generated tenant for the baseline.
func NewBaseline(t *workload.Tenant) *Baseline {
	b := &Baseline{devices: map[mdm.DeviceID]*mdm.Device{}, groups: map[mdm.GroupID]*baseGroup{},
		apps: map[mdm.AppID]mdm.AppType{}, asgs: t.Assignments}
	for i := range t.Devices {
		b.devices[t.Devices[i].ID] = &t.Devices[i]
	}
	for _, g := range t.Groups {
		bg := &baseGroup{kind: g.Kind, users: map[mdm.UserID]bool{}, devices: map[mdm.DeviceID]bool{}, nested: g.Groups}
		for _, u := range g.Users {
			bg.users[u] = true
		}
		for _, d := range g.Devices {
			bg.devices[d] = true
		}
		b.groups[g.ID] = bg
	}
	for _, a := range t.Apps {
		b.apps[a.ID] = a.Type
	}
	return b
}

// has tests membership the straightforward way: the group's own map, then
// every nested group, recursively, at every test.
func (b *Baseline) has(g mdm.GroupID, direct func(*baseGroup) bool) bool {
	bg := b.groups[g]
	if direct(bg) {
		return true
	}
	for _, c := range bg.nested {
		if b.has(c, direct) {
			return true
		}
	}
	return false
}

type baseApp struct {
	incl [2][]*mdm.Assignment
	excl [2]bool
}

// ResolveDevice resolves one device, sorted by app id.
func (b *Baseline) ResolveDevice(id mdm.DeviceID) []assign.Effective {
	d := b.devices[id]
	per := map[mdm.AppID]*baseApp{}
	for i := range b.asgs {
		a := &b.asgs[i]
		kind := a.Target.FixedKind()
		if a.Target.HasGroup() {
			kind = b.groups[a.Target.Group].kind
		}
		var reaches bool
		if kind == mdm.UserMembers {
			reaches = d.PrimaryUser != "" && (!a.Target.HasGroup() || b.has(a.Target.Group, func(bg *baseGroup) bool { return bg.users[d.PrimaryUser] }))
		} else {
			reaches = !a.Target.HasGroup() || b.has(a.Target.Group, func(bg *baseGroup) bool { return bg.devices[id] })
		}
		if !reaches {
			continue
		}
		pa := per[a.App]
		if pa == nil {
			pa = &baseApp{}
			per[a.App] = pa
		}
		k := int(kind) - 1
		if a.Target.IsExclusion() {
			pa.excl[k] = true
			continue
		}
		if d.Enrollment != mdm.EnrolledMDM && (kind == mdm.DeviceMembers || a.Intent != mdm.AvailableWithoutEnrollment) {
			continue // D4
		}
		if kind == mdm.DeviceMembers && a.Intent == mdm.Available &&
			b.apps[a.App].Platforms() == mdm.PlatformsOf(mdm.PlatformAndroidEnterprise) && !d.AndroidMode.CorporateManaged() {
			continue // A4
		}
		pa.incl[k] = append(pa.incl[k], a)
	}
	var out []assign.Effective
	for app, pa := range per {
		if e, ok := b.effective(app, pa); ok {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(x, y assign.Effective) int { return strings.Compare(string(x.App), string(y.App)) })
	return out
}

func (b *Baseline) effective(app mdm.AppID, pa *baseApp) (assign.Effective, bool) {
	typ := b.apps[app]
	var all []*mdm.Assignment
	var pairs assign.Pairs
	for k := range 2 {
		if pa.excl[k] {
			continue // A5
		}
		for _, a := range pa.incl[k] {
			all = append(all, a)
			pairs |= assign.PairOf(mdm.MemberKind(k+1), a.Intent)
		}
	}
	if len(all) == 0 {
		return assign.Effective{}, false
	}
	single := bits.OnesCount8(uint8(pairs)) == 1
	if typ == mdm.AppTypeIOSStore { // A8
		pairs |= (pairs & (assign.UserRequired | assign.DeviceRequired)) >> 1
	}
	e := assign.Effective{App: app, UninstallOnDeviceRemoval: true}
	e.Intent, e.Row = assign.Decide(pairs)
	if single {
		e.Row = 0
	}
	prevent, seen := true, false
	var dev, user [4]bool
	for _, a := range all {
		e.UninstallOnDeviceRemoval = e.UninstallOnDeviceRemoval && a.Settings.UninstallsOnDeviceRemoval()
		if dl := a.Settings.Deadline; a.Intent == mdm.Required && !dl.IsZero() && (e.Deadline.IsZero() || dl.Before(e.Deadline)) {
			e.Deadline = dl
		}
		if a.Intent != mdm.Uninstall {
			seen = true
			prevent = prevent && a.Settings.PreventAutoUpdate
		}
		if typ.IsVPP() {
			if a.Settings.LicenseType.Effective(typ) == mdm.LicenseDevice {
				dev[a.Intent] = true
			} else {
				user[a.Intent] = true
			}
		}
	}
	e.PreventAutoUpdate = seen && prevent
	if typ.IsVPP() {
		rel := []mdm.Intent{mdm.Uninstall}
		switch {
		case e.Intent&assign.IntentRequired != 0:
			rel = []mdm.Intent{mdm.Required}
		case e.Intent&(assign.IntentAvailable|assign.IntentAvailableWithoutEnrollment) != 0:
			rel = []mdm.Intent{mdm.Available, mdm.AvailableWithoutEnrollment}
		}
		e.LicenseType = mdm.LicenseDevice
		anyDev, anyUser := false, false
		for _, i := range rel {
			anyDev, anyUser = anyDev || dev[i], anyUser || user[i]
		}
		if !anyDev && anyUser {
			e.LicenseType = mdm.LicenseUser
		}
	}
	return e, true
}
