package assign

import (
	"slices"

	"github.com/mdmkit/mdmkit/mdm"
)

// Affected is the set of devices whose resolution a change may alter, in device
// index order (the order devices were first added), without duplicates. The same
// enumeration invalidates those devices' cached resolutions, so it is also the
// list of devices to push-notify (T2). It may hold devices whose resolution
// turns out unchanged (a duplicate assignment lists the devices it reaches, an
// exclusion lists its members whether or not they had the app); a change that
// cannot alter any resolution (PutUser, PutApp, a PutDevice that changes none
// of the facts resolution reads, members of groups that nothing targets)
// returns an empty Affected.
type Affected struct {
	Devices []mdm.DeviceID
	Indexes []DeviceIndex // Indexes[i] is the index of Devices[i]
}

// Len is the number of affected devices.
func (a Affected) Len() int { return len(a.Indexes) }

// Contains reports whether the device is in the set.
func (a Affected) Contains(i DeviceIndex) bool {
	_, ok := slices.BinarySearch(a.Indexes, i)
	return ok
}

// beginChange starts collecting the devices a mutation affects.
func (r *Resolver) beginChange() { r.devSeen.reset(len(r.devices)) }

// commitChange bumps the version of every collected device, so that its cached
// resolution is stale, and returns them.
func (r *Resolver) commitChange() Affected {
	b := &r.devSeen
	if len(b.list) == 0 {
		return Affected{}
	}
	r.gen++
	list := b.sorted()
	a := Affected{Devices: make([]mdm.DeviceID, len(list)), Indexes: make([]DeviceIndex, len(list))}
	for k, i := range list {
		d := r.devices[i]
		d.ver = r.gen
		a.Devices[k] = d.id
		a.Indexes[k] = DeviceIndex(i)
	}
	return a
}

// addUserDevices collects the devices whose primary user is u.
func (r *Resolver) addUserDevices(u int32) {
	for _, d := range r.users[u].devices {
		r.devSeen.add(d)
	}
}

// upGroups visits g and every group that (transitively) nests it, each once.
func (r *Resolver) upGroups(m *marks, g int32, visit func(int32)) {
	if !m.visit(g) {
		return
	}
	visit(g)
	for _, p := range r.groups[g].parents {
		r.upGroups(m, p, visit)
	}
}

// downGroups visits g and every group nested in it, each once.
func (r *Resolver) downGroups(m *marks, g int32, visit func(int32)) {
	if !m.visit(g) {
		return
	}
	visit(g)
	for _, c := range r.groups[g].children {
		r.downGroups(m, c, visit)
	}
}

// members returns the users and devices that are members of g, directly or
// through nested groups (D1), sorted and without duplicates.
func (r *Resolver) members(g int32) (users, devices []int32) {
	gr := &r.groups[g]
	return r.membersWith(gr.users, gr.devices, gr.children)
}

// targeted appends to buf, sorted, the groups among direct and their ancestors
// that some assignment targets: what resolution reads of a member's groups.
func (r *Resolver) targeted(direct []int32, buf []int32) []int32 {
	start := len(buf)
	for _, g := range direct {
		buf = append(buf, r.above[g]...)
	}
	slices.Sort(buf[start:])
	return buf[:start+len(slices.Compact(buf[start:]))]
}

// rebuildFlat rebuilds the flat item list of g from its above list.
func (r *Resolver) rebuildFlat(g int32) {
	flat := r.flats[g][:0]
	for _, y := range r.above[g] {
		flat = r.itemsOf(flat, r.groups[y].targeting)
	}
	r.flats[g] = flat
}

// targetingChanged updates the above and flat lists of t and of every group
// nested in it after the assignments targeting t changed; wasTargeted is
// whether some assignment targeted t before. Only those groups have t above
// them, and t itself enters or leaves their above lists only when it becomes
// targeted or untargeted.
func (r *Resolver) targetingChanged(t int32, wasTargeted bool) {
	now := len(r.groups[t].targeting) > 0
	r.marks.reset(len(r.groups))
	r.downGroups(&r.marks, t, func(x int32) {
		if now != wasTargeted {
			r.above[x] = editSorted(r.above[x], t, now)
		}
		r.rebuildFlat(x)
	})
}

// nestingChanged recomputes the above and flat lists of the groups in starts and
// of every group nested in them, after the groups nesting starts changed.
// Nothing else can change: a group's ancestors change only through an edge
// that changed, and every such edge leads into starts. Groups are taken parents
// first, so each reads its parents' lists already up to date, and each is
// computed once: the work is that of one walk down from starts.
func (r *Resolver) nestingChanged(starts []int32) {
	r.marks.reset(len(r.groups))
	var post []int32 // children before parents
	for _, g := range starts {
		post = r.postorderBelow(g, post)
	}
	var buf []int32
	for k := len(post) - 1; k >= 0; k-- {
		x := post[k]
		gr := &r.groups[x]
		buf = buf[:0]
		r.marks2.reset(len(r.groups))
		if len(gr.targeting) > 0 {
			r.marks2.visit(x)
			buf = append(buf, x)
		}
		for _, p := range gr.parents {
			for _, y := range r.above[p] {
				if r.marks2.visit(y) {
					buf = append(buf, y)
				}
			}
		}
		slices.Sort(buf)
		if !slices.Equal(buf, r.above[x]) {
			r.above[x] = slices.Clone(buf) // each group owns its list: editSorted edits in place
			r.rebuildFlat(x)
		}
	}
}

// postorderBelow appends to out g and the groups nested in it that r.marks has
// not marked yet, each after every group nested in it, and marks them.
func (r *Resolver) postorderBelow(g int32, out []int32) []int32 {
	if !r.marks.visit(g) {
		return out
	}
	for _, c := range r.groups[g].children {
		out = r.postorderBelow(c, out)
	}
	return append(out, g)
}

// membershipChange runs mutate, which changes group memberships or nesting, and
// collects the devices of the candidate users and devices whose set of targeted
// groups it changed. Candidates must include every member whose groups mutate
// can change; others are ignored.
func (r *Resolver) membershipChange(users, devices []int32, mutate func()) {
	type span struct{ lo, hi int32 }
	var buf []int32
	uSpans := make([]span, len(users))
	dSpans := make([]span, len(devices))
	for i, u := range users {
		if len(r.users[u].devices) == 0 {
			continue // no device can be affected through this user
		}
		lo := int32(len(buf))
		buf = r.targeted(r.users[u].groups, buf)
		uSpans[i] = span{lo, int32(len(buf))}
	}
	for i, d := range devices {
		lo := int32(len(buf))
		buf = r.targeted(r.devices[d].groups, buf)
		dSpans[i] = span{lo, int32(len(buf))}
	}
	mutate()
	var after []int32
	for i, u := range users {
		ur := &r.users[u]
		if len(ur.devices) == 0 {
			continue
		}
		after = r.targeted(ur.groups, after[:0])
		if s := uSpans[i]; !slices.Equal(after, buf[s.lo:s.hi]) {
			r.addUserDevices(u)
		}
	}
	for i, d := range devices {
		after = r.targeted(r.devices[d].groups, after[:0])
		if s := dSpans[i]; !slices.Equal(after, buf[s.lo:s.hi]) {
			r.devSeen.add(d)
		}
	}
}

// anyTargetedAbove reports whether g or a group nesting it is targeted: only
// then can a membership change of g alter a resolution.
func (r *Resolver) anyTargetedAbove(g int32) bool { return len(r.above[g]) > 0 }
