package assign

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

func TestPutGroupRules(t *testing.T) {
	f := newFixture(t)
	f.user("u1")
	f.device(mdm.Device{ID: "d1", PrimaryUser: "u1"})
	f.userGroup("a", []mdm.UserID{"u1"})
	f.userGroup("b", nil, "a")
	f.userGroup("c", nil, "b")
	f.deviceGroup("devs", []mdm.DeviceID{"d1"})

	// D1: nesting cycles are refused, directly and through levels.
	_, err := f.r.PutGroup(mdm.Group{ID: "a", Kind: mdm.UserMembers, Groups: []mdm.GroupID{"c"}})
	wantRefused(t, err, "D1", ErrNestingCycle)
	// The error names the nested group by its place in the caller's list.
	f.userGroup("z", nil)
	_, err = f.r.PutGroup(mdm.Group{ID: "a", Kind: mdm.UserMembers, Groups: []mdm.GroupID{"z", "c"}})
	if ve := wantRefused(t, err, "D1", ErrNestingCycle); ve.Field != "groups[1]" || ve.Value != "c" {
		t.Fatalf("cycle through c, groups[1]: field %q, value %q", ve.Field, ve.Value)
	}
	_, err = f.r.PutGroup(mdm.Group{ID: "a", Kind: mdm.UserMembers, Groups: []mdm.GroupID{"a"}})
	wantRefused(t, err, "D1", mdm.ErrInvalidTarget) // mdm.ValidateGroup: the group itself
	// D1: no mixed kinds, no user group nesting a device group.
	_, err = f.r.PutGroup(mdm.Group{ID: "x", Kind: mdm.UserMembers, Groups: []mdm.GroupID{"devs"}})
	wantRefused(t, err, "D1", mdm.ErrMixedGroup)
	_, err = f.r.PutGroup(mdm.Group{ID: "x", Kind: mdm.UserMembers, Devices: []mdm.DeviceID{"d1"}})
	wantRefused(t, err, "D1", mdm.ErrMixedGroup)
	// Members and nested groups must exist.
	_, err = f.r.PutGroup(mdm.Group{ID: "x", Kind: mdm.UserMembers, Users: []mdm.UserID{"ghost"}})
	ve := wantRefused(t, err, "D3", ErrUnknownUser)
	if ve.Field != "users[0]" {
		t.Fatalf("field %q", ve.Field)
	}
	_, err = f.r.PutGroup(mdm.Group{ID: "x", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"ghost"}})
	wantRefused(t, err, "D3", ErrUnknownDevice)
	_, err = f.r.PutGroup(mdm.Group{ID: "x", Kind: mdm.UserMembers, Groups: []mdm.GroupID{"ghost"}})
	wantRefused(t, err, "D1", mdm.ErrInvalidTarget)
	if _, ok := f.r.Group("x"); ok {
		t.Fatal("a refused group was created")
	}
	// A kind change is refused while the group is nested or targeted.
	_, err = f.r.PutGroup(mdm.Group{ID: "a", Kind: mdm.DeviceMembers})
	wantRefused(t, err, "D1", ErrInUse)
	f.app("app", mdm.AppTypeWin32)
	f.assign("1", "app", mdm.Required, mdm.GroupTarget("c"))
	_, err = f.r.PutGroup(mdm.Group{ID: "c", Kind: mdm.DeviceMembers})
	wantRefused(t, err, "D1", ErrInUse)
	if g, _ := f.r.Group("a"); g.Kind != mdm.UserMembers || len(g.Users) != 1 {
		t.Fatalf("refused PutGroup changed group a: %+v", g)
	}
	if f.intent("d1", "app") != iR {
		t.Fatal("D1: u1 is in a ⊂ b ⊂ c, which is targeted")
	}
	x, err := f.r.Explain("d1", "app")
	f.ok(err)
	if got := x.Applied[0].Path; got != "group c ⊃ group b ⊃ group a (member: user u1)" {
		t.Fatalf("path %q", got)
	}
}

func TestDeleteGroup(t *testing.T) {
	f := newFixture(t)
	f.user("u1")
	f.userGroup("inner", []mdm.UserID{"u1"})
	f.userGroup("outer", nil, "inner")
	f.app("app", mdm.AppTypeWin32)
	f.assign("1", "app", mdm.Required, mdm.GroupTarget("outer"))
	wantRefused(t, f.r.DeleteGroup("outer"), "A2", ErrInUse)
	wantRefused(t, f.r.DeleteGroup("inner"), "D1", ErrInUse)
	wantRefused(t, f.r.DeleteGroup("nope"), "D1", ErrUnknownGroup)
	_, _, err := f.r.Unassign("1")
	f.ok(err)
	f.ok(f.r.DeleteGroup("outer"))
	f.ok(f.r.DeleteGroup("inner"))
	if _, ok := f.r.Group("inner"); ok {
		t.Fatal("deleted group still there")
	}
	// A group may be created again under the same id.
	f.userGroup("inner", []mdm.UserID{"u1"})
	if g, ok := f.r.Group("inner"); !ok || len(g.Users) != 1 {
		t.Fatal("recreated group")
	}
}

func TestMembers(t *testing.T) {
	f := newFixture(t)
	f.user("u1")
	f.device(mdm.Device{ID: "d1", PrimaryUser: "u1"})
	f.device(mdm.Device{ID: "d2", PrimaryUser: "u1"})
	f.userGroup("users", nil)
	f.deviceGroup("devs", nil)
	f.app("app", mdm.AppTypeWin32)
	f.assign("1", "app", mdm.Required, mdm.GroupTarget("users"))

	af, err := f.r.AddMember("users", "u1")
	f.ok(err)
	if strings.Join(idsOf(af), ",") != "d1,d2" {
		t.Fatalf("AddMember Affected = %v, want the user's devices", af.Devices)
	}
	if af, err := f.r.AddMember("users", "u1"); err != nil || af.Len() != 0 {
		t.Fatalf("adding a member again: %v %v", af.Devices, err)
	}
	_, err = f.r.AddMember("users", "d1")
	wantRefused(t, err, "D1", mdm.ErrMixedGroup)
	_, err = f.r.AddMember("devs", "u1")
	wantRefused(t, err, "D1", mdm.ErrMixedGroup)
	_, err = f.r.AddMember("users", "ghost")
	wantRefused(t, err, "D3", ErrUnknownUser)
	_, err = f.r.AddMember("ghost", "u1")
	wantRefused(t, err, "D1", ErrUnknownGroup)
	// An untargeted group: no device is affected.
	if af, err := f.r.AddMember("devs", "d1"); err != nil || af.Len() != 0 {
		t.Fatalf("member of an untargeted group: %v %v", af.Devices, err)
	}
	_, err = f.r.RemoveMember("devs", "d2")
	wantRefused(t, err, "D1", ErrNotMember)
	af, err = f.r.RemoveMember("users", "u1")
	f.ok(err)
	if af.Len() != 2 {
		t.Fatalf("RemoveMember Affected = %v", af.Devices)
	}
	if _, ok := f.effective("d1", "app"); ok {
		t.Fatal("removed member still gets the app")
	}
}

func TestUsersAndDevices(t *testing.T) {
	f := newFixture(t)
	_, err := f.r.PutDevice(mdm.Device{ID: "d1", PrimaryUser: "ghost"})
	wantRefused(t, err, "D3", ErrUnknownUser)
	_, err = f.r.PutDevice(mdm.Device{ID: "d1", Enrollment: 7})
	wantRefused(t, err, "D4", mdm.ErrUnknownEnum)
	_, err = f.r.PutDevice(mdm.Device{ID: ""})
	wantRefused(t, err, "ids", mdm.ErrInvalidID)
	_, err = f.r.PutDevice(mdm.Device{ID: "d1", SerialNumber: strings.Repeat("S", 300)})
	wantRefused(t, err, "ids", mdm.ErrInvalidID)
	// D5: the device's facts are enums; a value outside them is refused.
	for _, d := range []mdm.Device{
		{ID: "d1", Platform: 200}, {ID: "d1", Ownership: 9}, {ID: "d1", JoinType: 9}, {ID: "d1", Architecture: 9},
	} {
		_, err = f.r.PutDevice(d)
		wantRefused(t, err, "D5", mdm.ErrUnknownEnum)
	}
	if f.r.NumDevices() != 0 {
		t.Fatal("a refused device was added")
	}
	f.user("u1")
	if af := f.device(mdm.Device{ID: "d1", PrimaryUser: "u1"}); af.Len() != 1 {
		t.Fatal("a new device is affected")
	}
	if af := f.device(mdm.Device{ID: "d1", PrimaryUser: "u1", OSVersion: "11"}); af.Len() != 0 {
		t.Fatal("a fact resolution does not read changes nothing")
	}
	f.userGroup("users", []mdm.UserID{"u1"})
	f.app("app", mdm.AppTypeWin32)
	f.assign("1", "app", mdm.Required, mdm.GroupTarget("users"))
	if f.intent("d1", "app") != iR {
		t.Fatal("setup")
	}
	// Deleting the user makes the device userless (D3).
	af, err := f.r.DeleteUser("u1")
	f.ok(err)
	if af.Len() != 1 {
		t.Fatalf("DeleteUser Affected = %v", af.Devices)
	}
	if _, ok := f.effective("d1", "app"); ok {
		t.Fatal("the deleted user's app still reaches the device")
	}
	if g, _ := f.r.Group("users"); len(g.Users) != 0 {
		t.Fatal("deleted user still in a group")
	}
	_, err = f.r.DeleteUser("u1")
	wantRefused(t, err, "D3", ErrUnknownUser)
	// Removing a device; its index stays when it comes back.
	i, _ := f.r.DeviceIndex("d1")
	af, err = f.r.RemoveDevice("d1")
	f.ok(err)
	if af.Len() != 1 || af.Indexes[0] != i {
		t.Fatalf("RemoveDevice Affected = %v", af)
	}
	_, err = f.r.ResolveDevice("d1")
	wantRefused(t, err, "D3", ErrUnknownDevice)
	_, err = f.r.ResolveDeviceIndex(i)
	wantRefused(t, err, "D3", ErrUnknownDevice)
	_, err = f.r.ResolveDeviceIndex(99)
	wantRefused(t, err, "D3", ErrUnknownDevice)
	f.device(mdm.Device{ID: "d1"})
	if j, _ := f.r.DeviceIndex("d1"); j != i || f.r.DeviceID(i) != "d1" {
		t.Fatal("a device keeps its index")
	}
}

func TestApps(t *testing.T) {
	f := newFixture(t)
	f.user("u1")
	f.userGroup("users", []mdm.UserID{"u1"})
	f.app("app", mdm.AppTypeWin32)
	f.assign("1", "app", mdm.Required, mdm.GroupTarget("users"))
	wantRefused(t, f.r.RemoveApp("app"), "C5", ErrInUse)
	wantRefused(t, f.r.PutApp(&mdm.App{ID: "app", Type: mdm.AppTypeIOSStore}), "A4", ErrInUse)
	wantRefused(t, f.r.PutApp(&mdm.App{ID: "app", Type: 0}), "C2", mdm.ErrUnknownEnum)
	wantRefused(t, f.r.PutApp(nil), "C8", mdm.ErrMissingField)
	wantRefused(t, f.r.RemoveApp("nope"), "C8", mdm.ErrUnknownApp)
	a, _, err := f.r.Unassign("1")
	f.ok(err)
	if a.ID != "1" || a.App != "app" {
		t.Fatalf("Unassign returned %+v", a)
	}
	f.ok(f.r.PutApp(&mdm.App{ID: "app", Type: mdm.AppTypeIOSStore}))
	f.ok(f.r.RemoveApp("app"))
	_, err = f.r.Assign(mdm.Assignment{ID: "2", App: "app", Intent: mdm.Required, Target: mdm.GroupTarget("users")})
	wantRefused(t, err, "C8", mdm.ErrUnknownApp)
	if i, ok := f.r.AppIndex("app"); !ok || f.r.AppID(i) != "app" {
		t.Fatal("an app keeps its index")
	}
}

// TestResolutionSortedByAppID: apps come in id order whatever the order they
// were added in.
func TestResolutionSortedByAppID(t *testing.T) {
	f := newFixture(t)
	f.device(mdm.Device{ID: "d1"})
	ids := []mdm.AppID{"m", "c", "x", "a", "q"}
	for k, id := range ids {
		f.app(id, mdm.AppTypeWin32)
		f.assign(mdm.AssignmentID(id), id, mdm.Required, mdm.AllDevicesTarget())
		if k == 2 {
			f.r.ResolveDevice("d1") // a cached resolution stays sorted as apps are added
		}
	}
	res, _ := f.r.ResolveDevice("d1")
	var got []string
	for _, e := range res.All() {
		got = append(got, string(e.App))
	}
	if strings.Join(got, "") != "acmqx" {
		t.Fatalf("order %v", got)
	}
	if e, ok := res.Lookup("q"); !ok || e.App != "q" {
		t.Fatal("Lookup")
	}
	if _, ok := res.Lookup("b"); ok {
		t.Fatal("Lookup of an absent app")
	}
}

func TestResolutionAccessors(t *testing.T) {
	f := newFixture(t)
	if s := f.r.ResolveAll(4); s.Devices != 0 || s.Entries != 0 {
		t.Fatalf("empty tenant: %+v", s)
	}
	f.device(mdm.Device{ID: "d1"})
	f.app("b", mdm.AppTypeWin32)
	f.app("a", mdm.AppTypeWin32)
	f.assignFull(mdm.Assignment{ID: "1", App: "a", Intent: mdm.Required, Target: mdm.AllDevicesTarget(),
		Settings: mdm.AssignmentSettings{Deadline: day}})
	f.assign("2", "b", mdm.Uninstall, mdm.AllDevicesTarget())
	res, _ := f.r.ResolveDevice("d1")
	ai, _ := f.r.AppIndex("a")
	bi, _ := f.r.AppIndex("b")
	if res.Len() != 2 || res.AppIndexAt(0) != ai || res.AppIndexAt(1) != bi || res.IntentAt(1) != iU {
		t.Fatalf("accessors: %v", res.Effects())
	}
	if e, ok := res.LookupIndex(bi); !ok || e.App != "b" {
		t.Fatal("LookupIndex")
	}
	if _, ok := res.LookupIndex(99); ok {
		t.Fatal("LookupIndex of an absent app")
	}
	if e := res.At(0); !e.Deadline.Equal(day) || e.AppIndex != ai {
		t.Fatalf("At(0) = %+v", e)
	}
	for i, e := range res.All() {
		if i == 0 && e.App != "a" {
			t.Fatal("All")
		}
		break
	}
	if f.r.NumDevices() != 1 || f.r.NumDeviceIndexes() != 1 || f.r.NumAppIndexes() != 2 || f.r.AppID(7) != "" || f.r.DeviceID(-1) != "" {
		t.Fatal("counts")
	}
	if got := f.r.AppAssignments("a"); len(got) != 1 || got[0].ID != "1" {
		t.Fatalf("AppAssignments = %v", got)
	}
	if f.r.AppAssignments("zz") != nil {
		t.Fatal("AppAssignments of an unknown app")
	}
	_, err := f.r.Explain("d1", "zz")
	wantRefused(t, err, "C8", mdm.ErrUnknownApp)
	_, err = f.r.Explain("zz", "a")
	wantRefused(t, err, "D3", ErrUnknownDevice)
	_, err = f.r.Recompute(42)
	wantRefused(t, err, "D3", ErrUnknownDevice)
}

// TestManyGroups: a member of more groups than its record keeps inline still
// gets every app, as groups come and go.
func TestManyGroups(t *testing.T) {
	f := newFixture(t)
	f.user("u1")
	f.device(mdm.Device{ID: "d1", PrimaryUser: "u1"})
	for k := range 9 {
		ug, dg := mdm.GroupID(fmt.Sprintf("u%d", k)), mdm.GroupID(fmt.Sprintf("d%d", k))
		f.userGroup(ug, nil)
		f.deviceGroup(dg, nil)
		ua, da := mdm.AppID(fmt.Sprintf("ua%d", k)), mdm.AppID(fmt.Sprintf("da%d", k))
		f.app(ua, mdm.AppTypeWin32)
		f.app(da, mdm.AppTypeWin32)
		f.assign(mdm.AssignmentID(ua), ua, mdm.Required, mdm.GroupTarget(ug))
		f.assign(mdm.AssignmentID(da), da, mdm.Required, mdm.GroupTarget(dg))
	}
	count := func() int {
		res, err := f.r.ResolveDevice("d1")
		f.ok(err)
		return res.Len()
	}
	for k := range 9 {
		_, err := f.r.AddMember(mdm.GroupID(fmt.Sprintf("u%d", k)), "u1")
		f.ok(err)
		_, err = f.r.AddMember(mdm.GroupID(fmt.Sprintf("d%d", k)), "d1")
		f.ok(err)
		if got := count(); got != 2*(k+1) {
			t.Fatalf("in %d groups of each kind: %d apps", k+1, got)
		}
	}
	for k := range 9 {
		_, err := f.r.RemoveMember(mdm.GroupID(fmt.Sprintf("u%d", k)), "u1")
		f.ok(err)
		_, err = f.r.RemoveMember(mdm.GroupID(fmt.Sprintf("d%d", k)), "d1")
		f.ok(err)
		if got := count(); got != 2*(8-k) {
			t.Fatalf("in %d groups of each kind: %d apps", 8-k, got)
		}
	}
}
