package assign

import (
	"slices"
	"strconv"

	"github.com/mdmkit/mdmkit/mdm"
)

// PutUser adds a user, or updates the display name of a known one. A user's
// groups and devices are set through PutGroup, AddMember and PutDevice, so
// PutUser alters no resolution.
func (r *Resolver) PutUser(u mdm.User) error {
	if err := mdm.CheckID("id", string(u.ID)); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.userIdx[u.ID]
	if !ok {
		i = int32(len(r.users))
		r.users = append(r.users, userRec{id: u.ID})
		r.userIdx[u.ID] = i
	}
	ur := &r.users[i]
	ur.alive = true
	ur.name = u.DisplayName
	return nil
}

// DeleteUser removes a user from the directory and from every group. Devices
// whose primary user it was become userless (D3): user-targeted apps no longer
// reach them. Those devices are the Affected set.
func (r *Resolver) DeleteUser(id mdm.UserID) (Affected, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.userIdx[id]
	if !ok || !r.users[i].alive {
		return Affected{}, unknownUser("id", id)
	}
	r.beginChange()
	ur := &r.users[i]
	for _, g := range ur.groups {
		r.groups[g].users, _ = removeSorted(r.groups[g].users, i)
	}
	ur.setGroups(nil)
	for _, d := range ur.devices {
		r.devSeen.add(d)
		dr := r.devices[d]
		dr.primary = -1
	}
	ur.devices, ur.alive = nil, false
	return r.commitChange(), nil
}

func deviceFlags(d *mdm.Device) uint8 {
	var f uint8
	if d.Enrollment == mdm.EnrolledMDM {
		f |= devEnrolled
	}
	if d.AndroidMode.CorporateManaged() {
		f |= devCorpAE
	}
	return f
}

// PutDevice adds a device or updates its facts. Resolution reads the primary user
// (D3), the enrollment (D4) and the Android Enterprise mode (A4); a change of any
// of them, or a new device, makes the device Affected. The primary user must be
// in the directory.
func (r *Resolver) PutDevice(d mdm.Device) (Affected, error) {
	if err := mdm.CheckID("id", string(d.ID)); err != nil {
		return Affected{}, err
	}
	// The serial number goes to the license pools and the store (S6), which
	// take ids only.
	if d.SerialNumber != "" {
		if err := mdm.CheckID("serialNumber", d.SerialNumber); err != nil {
			return Affected{}, err
		}
	}
	if !d.Enrollment.Valid() {
		return Affected{}, verr("enrollment", d.Enrollment.String(), "D4", mdm.ErrUnknownEnum,
			"is not an enrollment", "use EnrolledMDM or AppProtectionOnly")
	}
	if !d.AndroidMode.Valid() {
		return Affected{}, verr("androidMode", d.AndroidMode.String(), "A4", mdm.ErrUnknownEnum,
			"is not an Android Enterprise mode", "use one of the AndroidMode constants")
	}
	// The other facts of D5 are enums too: a value outside them would match no
	// app's platform or requirement and fail later, quietly.
	if !d.Platform.Valid() {
		return Affected{}, verr("platform", d.Platform.String(), "D5", mdm.ErrUnknownEnum,
			"is not a platform", "use one of the Platform constants")
	}
	if !d.Ownership.Valid() {
		return Affected{}, verr("ownership", d.Ownership.String(), "D5", mdm.ErrUnknownEnum,
			"is not an ownership", "use OwnershipUnknown, OwnershipCorporate or OwnershipPersonal")
	}
	if !d.JoinType.Valid() {
		return Affected{}, verr("joinType", d.JoinType.String(), "D5", mdm.ErrUnknownEnum,
			"is not a join type", "use one of the JoinType constants")
	}
	if !d.Architecture.Valid() {
		return Affected{}, verr("architecture", d.Architecture.String(), "D5", mdm.ErrUnknownEnum,
			"is not a processor architecture", "use one of the Architecture constants")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	primary := int32(-1)
	if d.PrimaryUser != "" {
		u, ok := r.userIdx[d.PrimaryUser]
		if !ok || !r.users[u].alive {
			return Affected{}, unknownUser("primaryUserId", d.PrimaryUser)
		}
		primary = u
	}
	r.beginChange()
	i, ok := r.findDevice(d.ID)
	if !ok {
		i = int32(len(r.devices))
		r.devices = append(r.devices, newDeviceRec(d.ID))
		r.deviceIdx.add(d.ID, i)
		r.devSeen.reset(len(r.devices))
	}
	dr := r.devices[i]
	flags := deviceFlags(&d)
	if !dr.alive || dr.primary != primary || dr.flags != flags {
		r.devSeen.add(i)
	}
	if !dr.alive {
		dr.alive = true
		r.liveDevices++
	}
	if dr.primary != primary {
		if dr.primary >= 0 {
			r.users[dr.primary].devices, _ = removeSorted(r.users[dr.primary].devices, i)
		}
		if primary >= 0 {
			r.users[primary].devices, _ = insertSorted(r.users[primary].devices, i)
		}
	}
	dr.primary, dr.flags, dr.name, dr.mode = primary, flags, d.Name, d.AndroidMode
	return r.commitChange(), nil
}

// RemoveDevice removes a device from the directory and from every group. Its
// cached resolution is dropped; the device itself is the Affected set.
func (r *Resolver) RemoveDevice(id mdm.DeviceID) (Affected, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i, ok := r.findDevice(id)
	if !ok || !r.devices[i].alive {
		return Affected{}, unknownDevice("id", id)
	}
	r.beginChange()
	dr := r.devices[i]
	for _, g := range dr.groups {
		r.groups[g].devices, _ = removeSorted(r.groups[g].devices, i)
	}
	if dr.primary >= 0 {
		r.users[dr.primary].devices, _ = removeSorted(r.users[dr.primary].devices, i)
	}
	dr.setGroups(nil)
	dr.primary, dr.alive = -1, false
	dr.cver.Store(0)
	r.liveDevices--
	r.devSeen.add(i)
	return r.commitChange(), nil
}

// groupKind returns the kind of a live group, for mdm.ValidateGroup.
func (r *Resolver) groupKind(id mdm.GroupID) (mdm.MemberKind, bool) {
	g, ok := r.groupIdx[id]
	if !ok || !r.groups[g].alive {
		return mdm.MemberKindUnknown, false
	}
	return r.groups[g].kind, true
}

// PutGroup creates a group or replaces one: kind, members and nested groups all
// become what g says (D1, checked by mdm.ValidateGroup; members and nested groups
// must exist). Nesting cycles are refused. A group's kind cannot change while an
// assignment targets it or another group nests it. Nesting is changed here, by
// replacing the parent group; AddMember and RemoveMember change users and
// devices. Affected: the devices whose set of targeted groups changed.
func (r *Resolver) PutGroup(g mdm.Group) (Affected, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := mdm.ValidateGroup(&g, r.groupKind); err != nil {
		return Affected{}, err
	}
	users := make([]int32, 0, len(g.Users))
	for n, u := range g.Users {
		i, ok := r.userIdx[u]
		if !ok || !r.users[i].alive {
			return Affected{}, unknownUser("users["+strconv.Itoa(n)+"]", u)
		}
		users = append(users, i)
	}
	devices := make([]int32, 0, len(g.Devices))
	for n, d := range g.Devices {
		i, ok := r.findDevice(d)
		if !ok || !r.devices[i].alive {
			return Affected{}, unknownDevice("devices["+strconv.Itoa(n)+"]", d)
		}
		devices = append(devices, i)
	}
	children := make([]int32, 0, len(g.Groups))
	for _, c := range g.Groups {
		children = append(children, r.groupIdx[c]) // known: ValidateGroup checked
	}
	slices.Sort(users)
	slices.Sort(devices)
	slices.Sort(children)
	users, devices, children = slices.Compact(users), slices.Compact(devices), slices.Compact(children)

	gi, exists := r.groupIdx[g.ID]
	if exists && r.groups[gi].alive {
		old := &r.groups[gi]
		if old.kind != g.Kind && (len(old.targeting) > 0 || len(old.parents) > 0) {
			return Affected{}, verr("kind", g.Kind.String(), "D1", ErrInUse,
				"would change the kind of group "+string(g.ID)+", which an assignment targets or another group nests",
				"remove its assignments and take it out of its parent groups first, or create a new group")
		}
		// A nested group makes a cycle when it is gi or nests gi: when it is
		// among gi and the groups above it.
		r.marks.reset(len(r.groups))
		r.upGroups(&r.marks, gi, func(int32) {})
		for n, id := range g.Groups { // the caller's order, for the field's index
			if c := r.groupIdx[id]; r.marks.has(c) {
				return Affected{}, verr("groups["+strconv.Itoa(n)+"]", string(r.groups[c].id), "D1", ErrNestingCycle,
					"already contains group "+string(g.ID)+", so nesting it would make a cycle",
					"nest groups as a tree or a graph without cycles")
			}
		}
	} else {
		if !exists {
			gi = int32(len(r.groups))
			r.groups = append(r.groups, groupRec{id: g.ID})
			r.flats = append(r.flats, nil)
			r.above = append(r.above, nil)
			r.groupIdx[g.ID] = gi
		}
		r.groups[gi] = groupRec{id: g.ID, alive: true, kind: g.Kind}
	}

	r.beginChange()
	mutate := func() { r.replaceGroup(gi, g, users, devices, children) }
	if r.anyTargetedAbove(gi) {
		oldU, oldD := r.members(gi)
		newU, newD := r.membersWith(users, devices, children)
		r.membershipChange(union(oldU, newU), union(oldD, newD), mutate)
	} else {
		mutate()
	}
	return r.commitChange(), nil
}

// membersWith returns the users and devices of a group that holds these direct
// members and nested groups: its members and those of every group nested in it,
// at any depth (D1), sorted and without duplicates. members uses it for a group
// as it is.
func (r *Resolver) membersWith(users, devices, children []int32) ([]int32, []int32) {
	u := slices.Clone(users)
	d := slices.Clone(devices)
	r.marks.reset(len(r.groups))
	for _, c := range children { // one walk: groups nested in several children count once
		r.downGroups(&r.marks, c, func(x int32) {
			u = append(u, r.groups[x].users...)
			d = append(d, r.groups[x].devices...)
		})
	}
	slices.Sort(u)
	slices.Sort(d)
	return slices.Compact(u), slices.Compact(d)
}

func union(a, b []int32) []int32 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// replaceGroup installs the new members and nesting of group gi and updates
// the above and flat lists of every group whose targeted ancestors changed.
func (r *Resolver) replaceGroup(gi int32, g mdm.Group, users, devices, children []int32) {
	gr := &r.groups[gi]
	for _, u := range gr.users {
		ur := &r.users[u]
		gs, _ := removeSorted(ur.groups, gi)
		ur.setGroups(gs)
	}
	for _, d := range gr.devices {
		gs, _ := removeSorted(r.devices[d].groups, gi)
		r.devices[d].setGroups(gs)
	}
	oldChildren := gr.children
	for _, c := range oldChildren {
		r.groups[c].parents, _ = removeSorted(r.groups[c].parents, gi)
	}
	gr = &r.groups[gi]
	gr.kind, gr.name = g.Kind, g.DisplayName
	gr.users, gr.devices, gr.children = users, devices, children
	for _, u := range users {
		ur := &r.users[u]
		gs, _ := insertSorted(ur.groups, gi)
		ur.setGroups(gs)
	}
	for _, d := range devices {
		gs, _ := insertSorted(r.devices[d].groups, gi)
		r.devices[d].setGroups(gs)
	}
	for _, c := range children {
		r.groups[c].parents, _ = insertSorted(r.groups[c].parents, gi)
	}
	// Groups below gi, before and after, may have gained or lost ancestors:
	// gi and the groups above it. When none of those is targeted, no above or
	// flat list changes (gi's own do not: its parents stay).
	if len(r.above[gi]) > 0 {
		r.nestingChanged(union(oldChildren, children))
	}
}

// AddMember adds a user to a user group or a device to a device group (D1): the
// member id is read by the group's kind. Adding a direct member again changes
// nothing. Nested groups are changed with PutGroup.
func (r *Resolver) AddMember(group mdm.GroupID, member string) (Affected, error) {
	return r.changeMember(group, member, true)
}

// RemoveMember removes a direct member (a user or a device, by the group's kind)
// from a group. A member that is not a direct member is refused (ErrNotMember);
// membership through a nested group is changed on that group.
func (r *Resolver) RemoveMember(group mdm.GroupID, member string) (Affected, error) {
	return r.changeMember(group, member, false)
}

func (r *Resolver) changeMember(group mdm.GroupID, member string, add bool) (Affected, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gi, ok := r.groupIdx[group]
	if !ok || !r.groups[gi].alive {
		return Affected{}, unknownGroup("groupId", group)
	}
	gr := &r.groups[gi]
	var m int32
	var list *[]int32
	var change func(add bool) // the member's own list of groups
	if gr.kind == mdm.UserMembers {
		u, ok := r.userIdx[mdm.UserID(member)]
		if !ok || !r.users[u].alive {
			if d, ok := r.findDevice(mdm.DeviceID(member)); ok && r.devices[d].alive {
				return Affected{}, verr("member", member, "D1", mdm.ErrMixedGroup,
					"is a device; group "+string(group)+" is a user group", "add devices to a device group")
			}
			return Affected{}, unknownUser("member", mdm.UserID(member))
		}
		m, list = u, &gr.users
		change = func(add bool) {
			ur := &r.users[u]
			ur.setGroups(editSorted(ur.groups, gi, add))
		}
	} else {
		d, ok := r.findDevice(mdm.DeviceID(member))
		if !ok || !r.devices[d].alive {
			if u, ok := r.userIdx[mdm.UserID(member)]; ok && r.users[u].alive {
				return Affected{}, verr("member", member, "D1", mdm.ErrMixedGroup,
					"is a user; group "+string(group)+" is a device group", "add users to a user group")
			}
			return Affected{}, unknownDevice("member", mdm.DeviceID(member))
		}
		m, list = d, &gr.devices
		change = func(add bool) {
			dr := r.devices[d]
			dr.setGroups(editSorted(dr.groups, gi, add))
		}
	}
	present := containsSorted(*list, m)
	if add && present {
		return Affected{}, nil
	}
	if !add && !present {
		return Affected{}, verr("member", member, "D1", ErrNotMember,
			"is not a direct member of group "+string(group),
			"remove it from the nested group it belongs to, or list the group with Group()")
	}
	mutate := func() {
		*list = editSorted(*list, m, add)
		change(add)
	}
	r.beginChange()
	if !r.anyTargetedAbove(gi) {
		mutate()
		return r.commitChange(), nil
	}
	if gr.kind == mdm.UserMembers {
		r.membershipChange([]int32{m}, nil, mutate)
	} else {
		r.membershipChange(nil, []int32{m}, mutate)
	}
	return r.commitChange(), nil
}

// DeleteGroup deletes a group. It is refused while an assignment targets the
// group or another group nests it, so deleting never alters a resolution.
func (r *Resolver) DeleteGroup(id mdm.GroupID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	gi, ok := r.groupIdx[id]
	if !ok || !r.groups[gi].alive {
		return unknownGroup("id", id)
	}
	gr := &r.groups[gi]
	if len(gr.targeting) > 0 {
		return verr("id", string(id), "A2", ErrInUse,
			"is targeted by assignment "+string(r.asgs[gr.targeting[0]].a.ID),
			"remove the group's assignments first")
	}
	if len(gr.parents) > 0 {
		return verr("id", string(id), "D1", ErrInUse,
			"is nested in group "+string(r.groups[gr.parents[0]].id),
			"take it out of its parent groups (PutGroup on the parent) first")
	}
	r.replaceGroup(gi, mdm.Group{ID: id, Kind: gr.kind}, nil, nil, nil)
	gr = &r.groups[gi]
	*gr = groupRec{id: id}
	return nil
}

// Group returns a group as the directory holds it now: its direct members and
// nested groups in index order.
func (r *Resolver) Group(id mdm.GroupID) (mdm.Group, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	gi, ok := r.groupIdx[id]
	if !ok || !r.groups[gi].alive {
		return mdm.Group{}, false
	}
	gr := &r.groups[gi]
	g := mdm.Group{ID: id, DisplayName: gr.name, Kind: gr.kind}
	for _, u := range gr.users {
		g.Users = append(g.Users, r.users[u].id)
	}
	for _, d := range gr.devices {
		g.Devices = append(g.Devices, r.devices[d].id)
	}
	for _, c := range gr.children {
		g.Groups = append(g.Groups, r.groups[c].id)
	}
	return g, true
}
