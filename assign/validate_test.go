package assign

import (
	"slices"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// validationTenant has a user group, a device group and one app of each type
// the rules single out.
func validationTenant(t testing.TB) *fixture {
	f := newFixture(t)
	f.user("u1")
	f.device(mdm.Device{ID: "d1", PrimaryUser: "u1"})
	f.userGroup("users", []mdm.UserID{"u1"})
	f.deviceGroup("devices", []mdm.DeviceID{"d1"})
	for id, typ := range map[mdm.AppID]mdm.AppType{
		"win32": mdm.AppTypeWin32, "catalog": mdm.AppTypeWin32Catalog, "mgp": mdm.AppTypeManagedGooglePlay,
		"aesys": mdm.AppTypeAndroidEnterpriseSystem, "ios": mdm.AppTypeIOSStore, "vpp": mdm.AppTypeIOSVPP,
		"macvpp": mdm.AppTypeMacOSVPP, "book": mdm.AppTypeVPPBook, "msstore": mdm.AppTypeMicrosoftStore,
		"web": mdm.AppTypeWebLink,
	} {
		f.app(id, typ)
	}
	f.ok(f.r.PutApp(&mdm.App{ID: "draft", Type: mdm.AppTypeWin32, State: mdm.NotPublished}))
	f.ok(f.r.PutApp(&mdm.App{ID: "processing", Type: mdm.AppTypeWin32, State: mdm.Processing}))
	return f
}

// refusedNoChange assigns a, expects a refusal with rule and sentinel, and checks
// that nothing changed.
func refusedNoChange(t *testing.T, f *fixture, a mdm.Assignment, rule string, sentinel error) {
	t.Helper()
	before := f.r.Assignments()
	res0, _ := f.r.ResolveDevice("d1")
	af, err := f.r.Assign(a)
	wantRefused(t, err, rule, sentinel)
	if af.Len() != 0 {
		t.Fatalf("refused assignment reported Affected %v", af.Devices)
	}
	if after := f.r.Assignments(); !slices.EqualFunc(before, after, func(x, y mdm.Assignment) bool { return x.ID == y.ID && x.Intent == y.Intent }) {
		t.Fatalf("refused assignment changed the assignments: %v", after)
	}
	res1, _ := f.r.ResolveDevice("d1")
	if res1.Version != res0.Version || !slices.Equal(res0.Effects(), res1.Effects()) {
		t.Fatal("refused assignment changed a resolution")
	}
}

func TestValidateA3(t *testing.T) {
	f := validationTenant(t)
	f.assign("1", "win32", mdm.Required, mdm.GroupTarget("users"))
	refusedNoChange(t, f, mdm.Assignment{ID: "2", App: "win32", Intent: mdm.Available, Target: mdm.GroupTarget("users")}, "A3", mdm.ErrConflictingIntent)
	// An exclusion targets its group too.
	refusedNoChange(t, f, mdm.Assignment{ID: "2", App: "win32", Intent: mdm.Uninstall, Target: mdm.ExclusionTarget("users")}, "A3", mdm.ErrConflictingIntent)
	// All users counts as one group.
	f.assign("3", "win32", mdm.Required, mdm.AllUsersTarget())
	refusedNoChange(t, f, mdm.Assignment{ID: "4", App: "win32", Intent: mdm.Uninstall, Target: mdm.AllUsersTarget()}, "A3", mdm.ErrConflictingIntent)
	// The same intent again is no conflict, nor is another app or group.
	f.assign("5", "win32", mdm.Required, mdm.GroupTarget("users"))
	f.assign("6", "catalog", mdm.Available, mdm.GroupTarget("users"))
	f.assign("7", "win32", mdm.Available, mdm.GroupTarget("devices"))
	// ChangeIntent is checked the same way, against the other assignments.
	_, err := f.r.ChangeIntent("1", mdm.Uninstall)
	wantRefused(t, err, "A3", mdm.ErrConflictingIntent)
	if a, _ := f.r.Assignment("1"); a.Intent != mdm.Required {
		t.Fatal("refused ChangeIntent changed the intent")
	}
	// An id in use is refused.
	refusedNoChange(t, f, mdm.Assignment{ID: "1", App: "catalog", Intent: mdm.Required, Target: mdm.GroupTarget("devices")}, "A2", ErrAssignmentExists)
}

func TestValidateA4(t *testing.T) {
	f := validationTenant(t)
	dev := mdm.GroupTarget("devices")
	// Available on device groups: Win32 and Android Enterprise only.
	for _, app := range []mdm.AppID{"win32", "catalog", "mgp", "aesys"} {
		f.assign(mdm.AssignmentID("ok-"+app), app, mdm.Available, dev)
	}
	for _, app := range []mdm.AppID{"ios", "msstore", "web"} {
		refusedNoChange(t, f, mdm.Assignment{ID: "x", App: app, Intent: mdm.Available, Target: dev}, "A4", ErrTargetNotAllowed)
		refusedNoChange(t, f, mdm.Assignment{ID: "x", App: app, Intent: mdm.Available, Target: mdm.AllDevicesTarget()}, "A4", ErrTargetNotAllowed)
	}
	// VPP apps never take available on device groups.
	for _, app := range []mdm.AppID{"vpp", "macvpp"} {
		ve := wantRefused(t, func() error {
			_, err := f.r.Assign(mdm.Assignment{ID: "x", App: app, Intent: mdm.Available, Target: dev})
			return err
		}(), "A4", ErrTargetNotAllowed)
		if ve.Field != "target" {
			t.Fatalf("field %q", ve.Field)
		}
		f.assign(mdm.AssignmentID("vppreq-"+app), app, mdm.Required, dev) // required is fine
	}
	// Books: user groups only, for every intent, All devices and exclusions too.
	for _, in := range mdm.Intents() {
		refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "book", Intent: in, Target: dev}, "A4", ErrTargetNotAllowed)
		refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "book", Intent: in, Target: mdm.AllDevicesTarget()}, "A4", ErrTargetNotAllowed)
	}
	refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "book", Intent: mdm.Required, Target: mdm.ExclusionTarget("devices")}, "A4", ErrTargetNotAllowed)
	f.assign("book-users", "book", mdm.Required, mdm.GroupTarget("users"))
	f.assign("book-all", "book", mdm.Available, mdm.AllUsersTarget())
	// ChangeIntent to available on a device group is checked too.
	f.assign("ios-req", "ios", mdm.Required, dev)
	_, err := f.r.ChangeIntent("ios-req", mdm.Available)
	wantRefused(t, err, "A4", ErrTargetNotAllowed)
}

func TestValidateD4(t *testing.T) {
	f := validationTenant(t)
	for _, tg := range []mdm.Target{mdm.GroupTarget("devices"), mdm.AllDevicesTarget()} {
		refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "ios", Intent: mdm.AvailableWithoutEnrollment, Target: tg}, "D4", ErrTargetNotAllowed)
	}
	f.assign("ok", "ios", mdm.AvailableWithoutEnrollment, mdm.GroupTarget("users"))
}

func TestValidateC6(t *testing.T) {
	f := validationTenant(t)
	for _, app := range []mdm.AppID{"draft", "processing"} {
		refusedNoChange(t, f, mdm.Assignment{ID: "x", App: app, Intent: mdm.Required, Target: mdm.GroupTarget("users")}, "C6", ErrNotPublished)
	}
	f.ok(f.r.PutApp(&mdm.App{ID: "draft", Type: mdm.AppTypeWin32, State: mdm.Published}))
	f.assign("ok", "draft", mdm.Required, mdm.GroupTarget("users"))
	// Unpublishing later keeps the assignment and its resolution.
	f.ok(f.r.PutApp(&mdm.App{ID: "draft", Type: mdm.AppTypeWin32, State: mdm.Processing}))
	if f.intent("d1", "draft") != iR {
		t.Fatal("an assigned app that goes back to processing keeps its assignments")
	}
}

func TestValidateReferences(t *testing.T) {
	f := validationTenant(t)
	refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "nope", Intent: mdm.Required, Target: mdm.GroupTarget("users")}, "C8", mdm.ErrUnknownApp)
	refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "win32", Intent: mdm.Required, Target: mdm.GroupTarget("nope")}, "D1", ErrUnknownGroup)
	refusedNoChange(t, f, mdm.Assignment{ID: "", App: "win32", Intent: mdm.Required, Target: mdm.GroupTarget("users")}, "ids", mdm.ErrInvalidID)
	refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "win32", Intent: 9, Target: mdm.GroupTarget("users")}, "A1", mdm.ErrUnknownEnum)
	refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "win32", Intent: mdm.Available, Target: mdm.GroupTarget("users"),
		Settings: mdm.AssignmentSettings{Deadline: day}}, "T14", mdm.ErrInvalidSetting)
	refusedNoChange(t, f, mdm.Assignment{ID: "x", App: "win32", Intent: mdm.Required, Target: mdm.GroupTarget("users"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseUser}}, "L4", mdm.ErrInvalidSetting)
	_, err := f.r.ChangeIntent("nope", mdm.Required)
	wantRefused(t, err, "A2", ErrUnknownAssignment)
	_, _, err = f.r.Unassign("nope")
	wantRefused(t, err, "A2", ErrUnknownAssignment)
	// A deadline stays valid only on a required assignment.
	f.assignFull(mdm.Assignment{ID: "dl", App: "win32", Intent: mdm.Required, Target: mdm.GroupTarget("users"),
		Settings: mdm.AssignmentSettings{Deadline: day}})
	_, err = f.r.ChangeIntent("dl", mdm.Available)
	wantRefused(t, err, "T14", mdm.ErrInvalidSetting)
}
