package assign

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Route is how one assignment reaches a device.
type Route struct {
	Assignment mdm.AssignmentID
	Intent     mdm.Intent
	Target     mdm.Target
	// Kind is the kind of the target: users (through the device's primary user,
	// D3) or devices.
	Kind mdm.MemberKind
	// Groups is the nesting path from the target group down to the group that
	// holds the member directly (D1); empty for All users and All devices.
	Groups []mdm.GroupID
	// Path is the route as text: "group Sales ⊃ group Sales-EU (member: user ada)".
	Path string
}

func (rt Route) String() string {
	verb := rt.Intent.String()
	if rt.Target.IsExclusion() {
		verb = "exclusion"
	}
	return fmt.Sprintf("%s (%s) via %s", rt.Assignment, verb, rt.Path)
}

// Removed is an include that an exclusion of the same kind took away (A5).
type Removed struct {
	Route
	By []Route // the exclusions of the same kind that reached the device
}

// NotApplied is an include that reached the device but does not apply to it.
type NotApplied struct {
	Route
	Rule   string // "D4" or "A4"
	Reason string
}

// Explanation says why a device gets an app (A11).
type Explanation struct {
	Device          mdm.DeviceID
	DeviceName      string
	App             mdm.AppID
	AppName         string
	PrimaryUser     mdm.UserID // "" for a userless device
	PrimaryUserName string
	Enrolled        bool

	// Reached is false when nothing of the app applies to the device; then
	// Effective is zero.
	Reached   bool
	Effective Effective
	// Pairs is the set the A6 table was read with: the (kind, intent) pairs of
	// Applied, plus what A8 implies.
	Pairs Pairs
	// A8 is true when A8 added "available" to a required iOS store app.
	A8 bool
	// Rows lists every A6 row that applies to Pairs (Effective.Row is the one
	// named first).
	Rows []uint8

	Applied    []Route      // assignments that reached the device and count
	Excluded   []Removed    // includes removed by an exclusion
	NotApplied []NotApplied // includes that reached the device but do not apply (D4, A4)
	// Exclusions lists every exclusion that reached the device, including those
	// that had nothing of their kind to remove (A5).
	Exclusions []Route
}

// Explain says why a device gets an app, or why not (A11): every assignment of
// the app that reached the device and through which group and nesting path,
// every include an exclusion removed and which exclusion, those that reached the
// device but do not apply to it, and the A6 row that decided the result.
func (r *Resolver) Explain(device mdm.DeviceID, app mdm.AppID) (*Explanation, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	di, ok := r.findDevice(device)
	if !ok || !r.devices[di].alive {
		return nil, unknownDevice("deviceId", device)
	}
	ai, ok := r.appIdx[app]
	if !ok || !r.apps[ai].alive {
		return nil, unknownApp("appId", app)
	}
	d := r.devices[di]
	ar := &r.apps[ai]
	x := &Explanation{Device: device, DeviceName: d.name, App: app, AppName: ar.name,
		Enrolled: d.flags&devEnrolled != 0}
	if d.primary >= 0 {
		x.PrimaryUser = r.users[d.primary].id
		x.PrimaryUserName = r.users[d.primary].name
	}

	asgs := slices.Clone(ar.assignments)
	slices.SortFunc(asgs, func(a, b int32) int { return strings.Compare(string(r.asgs[a].a.ID), string(r.asgs[b].a.ID)) })
	var includes []Route
	var includeItems []item
	for _, i := range asgs {
		as := &r.asgs[i]
		rt, ok := r.route(as, d)
		if !ok {
			continue
		}
		if as.a.Target.IsExclusion() {
			x.Exclusions = append(x.Exclusions, rt)
			continue
		}
		includes = append(includes, rt)
		includeItems = append(includeItems, as.it)
	}
	var pairs Pairs
	for n, rt := range includes {
		it := includeItems[n]
		switch {
		case !x.Enrolled && (rt.Kind == mdm.DeviceMembers || it.pair != UserAvailableWithoutEnrollment):
			reason := "the device is registered for app protection only (not enrolled): only user-targeted available without enrollment applies"
			if rt.Kind == mdm.DeviceMembers {
				reason = "the device is registered for app protection only (not enrolled): device targets do not reach it"
			}
			x.NotApplied = append(x.NotApplied, NotApplied{Route: rt, Rule: "D4", Reason: reason})
			continue
		case it.flags&itemNeedsCorpAE != 0 && d.flags&devCorpAE == 0:
			x.NotApplied = append(x.NotApplied, NotApplied{Route: rt, Rule: "A4",
				Reason: "available on a device group applies to Android Enterprise fully managed and corporate-owned work-profile devices only; this device is " + d.mode.String()})
			continue
		}
		var by []Route
		for _, e := range x.Exclusions {
			if e.Kind == rt.Kind {
				by = append(by, e)
			}
		}
		if len(by) > 0 {
			x.Excluded = append(x.Excluded, Removed{Route: rt, By: by})
			continue
		}
		x.Applied = append(x.Applied, rt)
		pairs |= it.pair
	}
	if pairs == 0 {
		return x, nil
	}
	if ar.typ == mdm.AppTypeIOSStore {
		p := pairs | (pairs&(UserRequired|DeviceRequired))>>1
		x.A8 = p != pairs
		pairs = p
	}
	x.Pairs = pairs
	x.Rows = Rows(pairs)
	res := r.resolveLocked(di, false)
	if e, ok := res.LookupIndex(AppIndex(ai)); ok {
		x.Reached, x.Effective = true, e
	}
	return x, nil
}

// route finds how assignment as reaches device d, if it does.
func (r *Resolver) route(as *asgRec, d *deviceRec) (Route, bool) {
	rt := Route{Assignment: as.a.ID, Intent: as.a.Intent, Target: as.a.Target, Kind: as.kind}
	if as.kind == mdm.UserMembers && d.primary < 0 {
		return rt, false // D3: user-kind targets reach a device through its primary user only
	}
	var member string
	if as.kind == mdm.UserMembers {
		member = "user " + r.userName(d.primary)
	} else {
		member = "device " + deviceName(d)
	}
	if as.group < 0 {
		if as.kind == mdm.UserMembers {
			rt.Path = "All users (" + member + ", the primary user)"
		} else {
			rt.Path = "All devices (" + member + ")"
		}
		return rt, true
	}
	path := r.groupPath(as.group, as.kind, d)
	if path == nil {
		return rt, false
	}
	var b strings.Builder
	for n, g := range path {
		if n > 0 {
			b.WriteString(" ⊃ ")
		}
		b.WriteString("group ")
		b.WriteString(r.groupName(g))
		rt.Groups = append(rt.Groups, r.groups[g].id)
	}
	b.WriteString(" (member: " + member + ")")
	rt.Path = b.String()
	return rt, true
}

// groupPath returns the shortest nesting path from group g down to a group that
// holds the member (the device's primary user, or the device) directly; among
// paths of one length, the one first in group id order. nil when the member is
// not in g.
func (r *Resolver) groupPath(g int32, kind mdm.MemberKind, d *deviceRec) []int32 {
	holds := func(x int32) bool {
		if kind == mdm.UserMembers {
			return containsSorted(r.groups[x].users, d.primary)
		}
		return containsSorted(d.groups, x)
	}
	prev := map[int32]int32{g: -1}
	queue := []int32{g}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		if holds(x) {
			var path []int32
			for y := x; y >= 0; y = prev[y] {
				path = append(path, y)
			}
			slices.Reverse(path)
			return path
		}
		kids := slices.Clone(r.groups[x].children)
		slices.SortFunc(kids, func(a, b int32) int { return strings.Compare(string(r.groups[a].id), string(r.groups[b].id)) })
		for _, c := range kids {
			if _, seen := prev[c]; !seen {
				prev[c] = x
				queue = append(queue, c)
			}
		}
	}
	return nil
}

func (r *Resolver) groupName(g int32) string {
	if n := r.groups[g].name; n != "" {
		return n
	}
	return string(r.groups[g].id)
}

func (r *Resolver) userName(u int32) string {
	if n := r.users[u].name; n != "" {
		return n
	}
	return string(r.users[u].id)
}

func deviceName(d *deviceRec) string {
	if d.name != "" {
		return d.name
	}
	return string(d.id)
}

// String is the explanation as a person reads it.
func (x *Explanation) String() string {
	var b strings.Builder
	app := string(x.App)
	if x.AppName != "" && x.AppName != app {
		app = x.AppName + " (" + app + ")"
	}
	dev := string(x.Device)
	if x.DeviceName != "" && x.DeviceName != dev {
		dev = x.DeviceName + " (" + dev + ")"
	}
	fmt.Fprintf(&b, "app %s on device %s: ", app, dev)
	if !x.Reached {
		b.WriteString("nothing applies\n")
	} else {
		fmt.Fprintf(&b, "%s\n", x.Effective.Intent)
	}
	user := "no primary user (user-targeted assignments cannot reach it, D3)"
	if x.PrimaryUser != "" {
		user = "primary user " + string(x.PrimaryUser)
		if x.PrimaryUserName != "" && x.PrimaryUserName != string(x.PrimaryUser) {
			user = "primary user " + x.PrimaryUserName + " (" + string(x.PrimaryUser) + ")"
		}
	}
	enr := "enrolled (MDM)"
	if !x.Enrolled {
		enr = "not enrolled (app protection only, D4)"
	}
	fmt.Fprintf(&b, "  device: %s, %s\n", enr, user)
	if x.Reached {
		switch row := x.Effective.Row; row {
		case 0:
			b.WriteString("  conflict: none, one intent reached the device\n")
		case RowPrecedence:
			fmt.Fprintf(&b, "  conflict: %s; %s\n", x.Pairs, RowText(row))
		default:
			fmt.Fprintf(&b, "  conflict: A6 row %d: %s", row, RowText(row))
			var also []string
			for _, n := range x.Rows {
				if n != row {
					also = append(also, fmt.Sprint(n))
				}
			}
			if len(also) > 0 {
				fmt.Fprintf(&b, " (rows %s agree)", strings.Join(also, ", "))
			}
			b.WriteByte('\n')
		}
		if x.A8 {
			b.WriteString("  A8: a required iOS store app is available as well\n")
		}
	}
	if len(x.Applied) > 0 {
		b.WriteString("  assignments that apply:\n")
		for _, rt := range x.Applied {
			fmt.Fprintf(&b, "    %s\n", rt)
		}
	}
	if len(x.Excluded) > 0 {
		b.WriteString("  removed by an exclusion of the same kind (A5):\n")
		for _, rm := range x.Excluded {
			var by []string
			for _, e := range rm.By {
				by = append(by, e.String())
			}
			fmt.Fprintf(&b, "    %s, excluded by %s\n", rm.Route, strings.Join(by, " and "))
		}
	}
	if len(x.NotApplied) > 0 {
		b.WriteString("  reached the device but do not apply:\n")
		for _, na := range x.NotApplied {
			fmt.Fprintf(&b, "    %s: %s (%s)\n", na.Route, na.Reason, na.Rule)
		}
	}
	var idle []string
	for _, e := range x.Exclusions {
		used := false
		for _, rm := range x.Excluded {
			for _, by := range rm.By {
				used = used || by.Assignment == e.Assignment
			}
		}
		if !used {
			kind := "user"
			other := "device"
			if e.Kind == mdm.DeviceMembers {
				kind, other = "device", "user"
			}
			// Nothing of its own kind was there to remove: say why, and
			// name A5 only when an include of the other kind reached.
			why := fmt.Sprintf("no %s-targeted include of the app reached the device", kind)
			if slices.ContainsFunc(x.NotApplied, func(na NotApplied) bool { return na.Kind == e.Kind }) {
				why = fmt.Sprintf("the %s-targeted includes that reached the device do not apply to it", kind)
			}
			if slices.ContainsFunc(x.Applied, func(rt Route) bool { return rt.Kind != e.Kind }) ||
				slices.ContainsFunc(x.Excluded, func(rm Removed) bool { return rm.Kind != e.Kind }) {
				why += fmt.Sprintf("; a %s exclusion does not remove %s-targeted includes (A5)", kind, other)
			}
			if e.Kind == mdm.DeviceMembers && !x.Enrolled {
				why = "device targets do not reach a device that is not enrolled (D4)"
			}
			idle = append(idle, fmt.Sprintf("    %s: %s\n", e, why))
		}
	}
	if len(idle) > 0 {
		b.WriteString("  exclusions that removed nothing:\n")
		for _, s := range idle {
			b.WriteString(s)
		}
	}
	if x.Reached {
		e := &x.Effective
		yes := map[bool]string{true: "yes", false: "no"}
		fmt.Fprintf(&b, "  uninstall on device removal: %s (A12)", yes[e.UninstallOnDeviceRemoval])
		if !e.Deadline.IsZero() {
			fmt.Fprintf(&b, "; deadline %s (T14)", e.Deadline.UTC().Format(time.RFC3339))
		}
		if e.LicenseType != mdm.LicenseDefault {
			fmt.Fprintf(&b, "; %s licensing (L4)", e.LicenseType)
		}
		if e.PreventAutoUpdate {
			b.WriteString("; automatic updates prevented (L9)")
		}
		b.WriteByte('\n')
	}
	return b.String()
}
