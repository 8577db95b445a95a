package assign

import (
	"slices"

	"github.com/mdmkit/mdmkit/mdm"
)

// Affected is the set of devices whose resolution a change may alter, in device
// index order (the order devices were first added), without duplicates. The same
// enumeration invalidates those devices' cached resolutions, so it is also the
// list of devices to push-notify (T2). A change that alters no resolution returns
// an empty Affected.
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
	r.marks.reset(len(r.groups))
	r.downGroups(&r.marks, g, func(x int32) {
		users = append(users, r.groups[x].users...)
		devices = append(devices, r.groups[x].devices...)
	})
	slices.Sort(users)
	slices.Sort(devices)
	return slices.Compact(users), slices.Compact(devices)
}

// targeted appends to buf, sorted, the groups among direct and their ancestors
// that some assignment targets: what resolution reads of a member's groups.
func (r *Resolver) targeted(direct []int32, buf []int32) []int32 {
	start := len(buf)
	r.marks2.reset(len(r.groups))
	for _, g := range direct {
		r.upGroups(&r.marks2, g, func(x int32) {
			if len(r.groups[x].targeting) > 0 {
				buf = append(buf, x)
			}
		})
	}
	slices.Sort(buf[start:])
	return buf
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
func (r *Resolver) anyTargetedAbove(g int32) bool {
	found := false
	r.marks.reset(len(r.groups))
	r.upGroups(&r.marks, g, func(x int32) {
		if len(r.groups[x].targeting) > 0 {
			found = true
		}
	})
	return found
}
