package assign

import (
	"errors"
	"slices"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
	"pgregory.net/rapid"
)

// checkAgainstModel compares every device's resolution with the model's naive
// one (A5–A8, A12, D3, D4, L4, L9, T14) and every explanation with the result.
func checkAgainstModel(t *rapid.T, r *Resolver, m *model) {
	for _, id := range m.devOrder {
		if m.devices[id] == nil {
			continue
		}
		got, err := effects(r, id)
		if err != nil {
			t.Fatalf("resolve %s: %v", id, err)
		}
		want := m.naive(id)
		if !equalEffects(got, want) {
			t.Fatalf("device %s:\n got  %s\n want %s", id, describe(got), describe(want))
		}
		for _, app := range m.appOrder {
			x, err := r.Explain(id, app)
			if err != nil {
				t.Fatalf("explain: %v", err)
			}
			// A11: the explanation's own pairs give the effective intent.
			in, _ := Decide(x.Pairs)
			if x.Reached != (x.Pairs != 0) || in != x.Effective.Intent {
				t.Fatalf("explanation of %s on %s disagrees with the resolution:\n%s", app, id, x)
			}
			if x.Reached && len(x.Applied) == 0 {
				t.Fatalf("explanation without applied assignments:\n%s", x)
			}
		}
	}
}

// TestPropModel: the resolver agrees with the naive model on random tenants.
func TestPropModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawTenant(t)
		checkAgainstModel(t, m.build(t, nil), m)
	})
}

// TestPropOrderIndependent (A6): any permutation of the assignments gives the
// same resolution of every device.
func TestPropOrderIndependent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawTenant(t)
		perm := rapid.Permutation(m.asgOrder).Draw(t, "order")
		r1, r2 := m.build(t, nil), m.build(t, perm)
		for _, id := range m.devOrder {
			a, _ := effects(r1, id)
			b, _ := effects(r2, id)
			if !equalEffects(a, b) {
				t.Fatalf("device %s: order %v gives %s, order %v gives %s", id, m.asgOrder, describe(a), perm, describe(b))
			}
		}
	})
}

// TestPropIdempotent (A6): adding a duplicate of an assignment (same app,
// target, intent and settings, another id) changes no resolution. A3 never
// refuses it: the intent is the same.
func TestPropIdempotent(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawTenant(t)
		if len(m.asgOrder) == 0 {
			t.Skip("no assignment to duplicate")
		}
		r := m.build(t, nil)
		before := map[mdm.DeviceID][]Effective{}
		for _, id := range m.devOrder {
			before[id], _ = effects(r, id)
		}
		dup := m.asgs[rapid.SampledFrom(m.asgOrder).Draw(t, "duplicate")]
		dup.ID = "dup"
		if _, err := r.Assign(dup); err != nil {
			t.Fatalf("duplicate refused: %v", err)
		}
		for _, id := range m.devOrder {
			after, _ := effects(r, id)
			if !equalEffects(before[id], after) {
				t.Fatalf("device %s: duplicate %+v changed %s into %s", id, dup, describe(before[id]), describe(after))
			}
		}
	})
}

// TestPropExclusionNeverAdds (A5): adding an exclusion never gives a device an
// app it did not have.
func TestPropExclusionNeverAdds(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawTenant(t)
		r := m.build(t, nil)
		before := map[mdm.DeviceID][]Effective{}
		for _, id := range m.devOrder {
			before[id], _ = effects(r, id)
		}
		g := rapid.SampledFrom(m.groupOrder).Draw(t, "group")
		ex := mdm.Assignment{ID: "ex", App: rapid.SampledFrom(m.appOrder).Draw(t, "app"), Target: mdm.ExclusionTarget(g)}
		for _, id := range m.asgOrder { // the group's intent for the app, if it has one (A3)
			if o := m.asgs[id]; o.App == ex.App && sameTarget(o.Target, ex.Target) {
				ex.Intent = o.Intent
			}
		}
		if _, err := r.Assign(ex); err != nil {
			if m.assignmentValid(ex, "") {
				t.Fatalf("valid exclusion refused: %v", err)
			}
			t.Skip("exclusion refused (A4: a book's device group)")
		}
		for _, id := range m.devOrder {
			after, _ := effects(r, id)
			for _, e := range after {
				if !slices.ContainsFunc(before[id], func(b Effective) bool { return b.App == e.App }) {
					t.Fatalf("device %s: exclusion of %s added %s", id, g, e.App)
				}
			}
		}
	})
}

// TestPropIncremental: after any sequence of directory and assignment changes,
// with resolutions cached between them, every device resolves as a full
// recompute of the model does; every device whose resolution changed is in the
// change's Affected; and the resolver accepts exactly the changes the model says
// are valid.
func TestPropIncremental(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := drawTenant(t)
		r := m.build(t, nil)
		snapshot := func() map[mdm.DeviceID][]Effective {
			s := map[mdm.DeviceID][]Effective{}
			for _, id := range m.devOrder {
				if m.devices[id] != nil {
					s[id] = m.naive(id)
				}
			}
			return s
		}
		for step := range rapid.IntRange(1, 25).Draw(t, "steps") {
			_ = step
			// Warm some caches, so that staleness would show.
			for _, id := range m.devOrder {
				if m.devices[id] != nil && rapid.Bool().Draw(t, "warm") {
					if _, err := r.ResolveDevice(id); err != nil {
						t.Fatal(err)
					}
				}
			}
			if rapid.IntRange(0, 9).Draw(t, "resolveAll") == 0 {
				r.ResolveAll(rapid.IntRange(1, 3).Draw(t, "workers"))
			}
			before := snapshot()
			reachBefore := m.targetedReach()
			af, ok, directory := applyOp(t, r, m)
			if !ok {
				continue
			}
			if directory {
				// D1: a change of members or nesting affects exactly the devices
				// whose set of targeted groups (through the device, or through
				// its primary user) it changed.
				want := m.affectedBetween(reachBefore, m.targetedReach())
				if got := slices.Sorted(slices.Values(idsOf(af))); !slices.Equal(got, want) {
					t.Fatalf("directory change: Affected %v, want %v", got, want)
				}
			}
			after := snapshot()
			for id, want := range after {
				if !equalEffects(before[id], want) {
					i, _ := r.DeviceIndex(id)
					if !af.Contains(i) {
						t.Fatalf("device %s changed (%s → %s) but is not in Affected %v", id, describe(before[id]), describe(want), af.Devices)
					}
				}
			}
			for id := range before {
				if _, still := after[id]; !still {
					i, _ := r.DeviceIndex(id)
					if !af.Contains(i) {
						t.Fatalf("removed device %s is not in Affected", id)
					}
				}
			}
			if !slices.IsSorted(af.Indexes) || len(slices.Compact(slices.Clone(af.Indexes))) != len(af.Indexes) {
				t.Fatalf("Affected not sorted and de-duplicated: %v", af.Indexes)
			}
		}
		checkAgainstModel(t, r, m)
	})
}

// applyOp draws one change, applies it to the resolver and, when the model says
// it is valid, to the model; it fails the test when the resolver's verdict
// differs from the model's. directory is true for changes of group members or
// nesting (AddMember, RemoveMember, PutGroup).
func applyOp(t *rapid.T, r *Resolver, m *model) (af Affected, ok, directory bool) {
	af, ok = applyOp1(t, r, m)
	return af, ok, m.lastOpDirectory
}

func applyOp1(t *rapid.T, r *Resolver, m *model) (Affected, bool) {
	m.lastOpDirectory = false
	liveUsers := func() []mdm.UserID {
		var out []mdm.UserID
		for _, u := range m.userOrder {
			if m.users[u] {
				out = append(out, u)
			}
		}
		return out
	}
	liveDevices := func() []mdm.DeviceID {
		var out []mdm.DeviceID
		for _, d := range m.devOrder {
			if m.devices[d] != nil {
				out = append(out, d)
			}
		}
		return out
	}
	liveGroups := func() []mdm.GroupID {
		var out []mdm.GroupID
		for _, g := range m.groupOrder {
			if m.groups[g] != nil {
				out = append(out, g)
			}
		}
		return out
	}
	inUse := func(id mdm.GroupID) bool { // targeted or nested: DeleteGroup and a kind change refuse it
		for _, a := range m.asgs {
			if a.Target.HasGroup() && a.Target.Group == id {
				return true
			}
		}
		for _, g := range m.groups {
			if g != nil && slices.Contains(g.Groups, id) {
				return true
			}
		}
		return false
	}
	expect := func(err error, valid bool, what string) bool {
		if valid && err != nil {
			t.Fatalf("%s refused: %v", what, err)
		}
		if !valid && err == nil {
			t.Fatalf("%s accepted; the model says it is invalid", what)
		}
		return valid
	}
	switch op := rapid.IntRange(0, 12).Draw(t, "op"); op {
	case 0, 1: // AddMember / RemoveMember
		m.lastOpDirectory = true
		groups := liveGroups()
		if len(groups) == 0 {
			return Affected{}, false
		}
		g := m.groups[rapid.SampledFrom(groups).Draw(t, "group")]
		var member string
		var list *[]string
		users, devices := liveUsers(), liveDevices()
		if g.Kind == mdm.UserMembers {
			if len(users) == 0 {
				return Affected{}, false
			}
			member = string(rapid.SampledFrom(users).Draw(t, "user"))
			list = (*[]string)(nil)
			_ = list
		} else {
			if len(devices) == 0 {
				return Affected{}, false
			}
			member = string(rapid.SampledFrom(devices).Draw(t, "device"))
		}
		has := slices.Contains(g.Users, mdm.UserID(member)) || slices.Contains(g.Devices, mdm.DeviceID(member))
		if op == 0 {
			af, err := r.AddMember(g.ID, member)
			expect(err, true, "AddMember")
			if !has {
				if g.Kind == mdm.UserMembers {
					g.Users = append(g.Users, mdm.UserID(member))
				} else {
					g.Devices = append(g.Devices, mdm.DeviceID(member))
				}
			}
			return af, true
		}
		af, err := r.RemoveMember(g.ID, member)
		if !expect(err, has, "RemoveMember") {
			if !errors.Is(err, ErrNotMember) {
				t.Fatalf("RemoveMember of a non-member: %v", err)
			}
			return af, false
		}
		g.Users = slices.DeleteFunc(g.Users, func(u mdm.UserID) bool { return string(u) == member })
		g.Devices = slices.DeleteFunc(g.Devices, func(d mdm.DeviceID) bool { return string(d) == member })
		return af, true
	case 2: // PutGroup: replace members and nesting
		m.lastOpDirectory = true
		groups := liveGroups()
		if len(groups) == 0 {
			return Affected{}, false
		}
		id := rapid.SampledFrom(groups).Draw(t, "group")
		g := drawGroup(t, m, id, m.groups[id].Kind)
		af, err := r.PutGroup(g)
		expect(err, true, "PutGroup")
		m.groups[id] = &g
		return af, true
	case 3: // PutGroup: a new group nesting existing ones
		m.lastOpDirectory = true
		id := mdm.GroupID(m.id("g"))
		g := drawGroup(t, m, id, mdm.MemberKind(rapid.IntRange(1, 2).Draw(t, "kind")))
		af, err := r.PutGroup(g)
		expect(err, true, "PutGroup new")
		m.groups[id] = &g
		m.groupOrder = append(m.groupOrder, id)
		return af, true
	case 4, 5: // Assign
		a := drawAssignment(t, m)
		af, err := r.Assign(a)
		if !expect(err, m.assignmentValid(a, ""), "Assign "+string(a.ID)) {
			return af, false
		}
		m.asgs[a.ID] = a
		m.asgOrder = append(m.asgOrder, a.ID)
		return af, true
	case 6: // Unassign
		if len(m.asgOrder) == 0 {
			return Affected{}, false
		}
		id := rapid.SampledFrom(m.asgOrder).Draw(t, "assignment")
		got, af, err := r.Unassign(id)
		expect(err, true, "Unassign")
		if got.ID != id {
			t.Fatalf("Unassign returned %s", got.ID)
		}
		delete(m.asgs, id)
		m.asgOrder = slices.DeleteFunc(m.asgOrder, func(x mdm.AssignmentID) bool { return x == id })
		return af, true
	case 7: // ChangeIntent
		if len(m.asgOrder) == 0 {
			return Affected{}, false
		}
		id := rapid.SampledFrom(m.asgOrder).Draw(t, "assignment")
		a := m.asgs[id]
		a.Intent = mdm.Intent(rapid.IntRange(0, 3).Draw(t, "intent"))
		af, err := r.ChangeIntent(id, a.Intent)
		if !expect(err, m.assignmentValid(a, id), "ChangeIntent") {
			return af, false
		}
		m.asgs[id] = a
		return af, true
	case 8: // PutDevice: new, new facts, or a removed device back
		var id mdm.DeviceID
		if rapid.Bool().Draw(t, "existing") {
			id = rapid.SampledFrom(m.devOrder).Draw(t, "device")
		} else {
			id = mdm.DeviceID(m.id("d"))
			m.devOrder = append(m.devOrder, id)
		}
		saved := m.userOrder
		m.userOrder = liveUsers()
		d := drawDevice(t, m, id)
		m.userOrder = saved
		af, err := r.PutDevice(d)
		expect(err, true, "PutDevice")
		m.devices[id] = &d
		return af, true
	case 9: // RemoveDevice
		devices := liveDevices()
		if len(devices) == 0 {
			return Affected{}, false
		}
		id := rapid.SampledFrom(devices).Draw(t, "device")
		af, err := r.RemoveDevice(id)
		expect(err, true, "RemoveDevice")
		m.devices[id] = nil
		for _, g := range m.groups {
			if g == nil {
				continue
			}
			g.Devices = slices.DeleteFunc(g.Devices, func(d mdm.DeviceID) bool { return d == id })
		}
		return af, true
	case 11: // DeleteGroup: refused while targeted or nested (D1, A2)
		m.lastOpDirectory = true
		groups := liveGroups()
		if len(groups) == 0 {
			return Affected{}, false
		}
		id := rapid.SampledFrom(groups).Draw(t, "group")
		err := r.DeleteGroup(id)
		if !expect(err, !inUse(id), "DeleteGroup") {
			if !errors.Is(err, ErrInUse) {
				t.Fatalf("DeleteGroup of a group in use: %v", err)
			}
			return Affected{}, false
		}
		m.groups[id] = nil
		return Affected{}, true
	case 12: // PutGroup of any group id, deleted ones too, with any kind
		m.lastOpDirectory = true
		id := rapid.SampledFrom(m.groupOrder).Draw(t, "group")
		k := mdm.MemberKind(rapid.IntRange(1, 2).Draw(t, "kind"))
		g := drawGroup(t, m, id, k)
		old := m.groups[id]
		af, err := r.PutGroup(g)
		if !expect(err, old == nil || old.Kind == k || !inUse(id), "PutGroup kind") {
			if !errors.Is(err, ErrInUse) {
				t.Fatalf("PutGroup changing the kind of a group in use: %v", err)
			}
			return af, false
		}
		m.groups[id] = &g
		return af, true
	default: // DeleteUser, or add one
		users := liveUsers()
		if len(users) == 0 || rapid.Bool().Draw(t, "addUser") {
			u := mdm.UserID(m.id("u"))
			if rapid.Bool().Draw(t, "deletedUserBack") {
				u = rapid.SampledFrom(m.userOrder).Draw(t, "user")
			}
			if err := r.PutUser(mdm.User{ID: u}); err != nil {
				t.Fatal(err)
			}
			if _, known := m.users[u]; !known {
				m.userOrder = append(m.userOrder, u)
			}
			m.users[u] = true
			return Affected{}, true
		}
		u := rapid.SampledFrom(users).Draw(t, "user")
		af, err := r.DeleteUser(u)
		expect(err, true, "DeleteUser")
		m.users[u] = false
		for _, g := range m.groups {
			if g == nil {
				continue
			}
			g.Users = slices.DeleteFunc(g.Users, func(x mdm.UserID) bool { return x == u })
		}
		for _, d := range m.devices {
			if d != nil && d.PrimaryUser == u {
				d.PrimaryUser = ""
			}
		}
		return af, true
	}
}
