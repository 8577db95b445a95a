package assign

import (
	"strings"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// TestD4Unenrolled: an app-protection-only device gets user-targeted
// availableWithoutEnrollment only; "available" means "available for enrolled
// devices" (A1), and device targets never reach it.
func TestD4Unenrolled(t *testing.T) {
	f := newFixture(t)
	f.user("u1")
	f.device(mdm.Device{ID: "mam", PrimaryUser: "u1", Enrollment: mdm.AppProtectionOnly, Platform: mdm.PlatformIOS})
	f.device(mdm.Device{ID: "mdm", PrimaryUser: "u1", Platform: mdm.PlatformIOS})
	f.userGroup("users", []mdm.UserID{"u1"})
	f.userGroup("users2", []mdm.UserID{"u1"})
	f.deviceGroup("devices", []mdm.DeviceID{"mam", "mdm"})
	for _, a := range []mdm.AppID{"awoe", "avail", "req", "uninst", "dev", "mixed"} {
		f.app(a, mdm.AppTypeAndroidStore)
	}
	f.assign("1", "awoe", mdm.AvailableWithoutEnrollment, mdm.GroupTarget("users"))
	f.assign("2", "avail", mdm.Available, mdm.GroupTarget("users"))
	f.assign("3", "req", mdm.Required, mdm.AllUsersTarget())
	f.assign("4", "uninst", mdm.Uninstall, mdm.GroupTarget("users"))
	f.assign("5", "dev", mdm.Required, mdm.AllDevicesTarget())
	f.assign("6", "mixed", mdm.AvailableWithoutEnrollment, mdm.GroupTarget("users"))
	f.assign("7", "mixed", mdm.Uninstall, mdm.GroupTarget("devices"))
	f.assign("8", "mixed", mdm.Required, mdm.GroupTarget("users2"))

	res, err := f.r.ResolveDevice("mam")
	f.ok(err)
	var got []string
	for _, e := range res.All() {
		got = append(got, string(e.App)+"="+e.Intent.String())
	}
	want := "awoe=available without enrollment mixed=available without enrollment"
	if strings.Join(got, " ") != want {
		t.Fatalf("D4: unenrolled device got %v, want %s", got, want)
	}
	// The enrolled device of the same user gets everything.
	res, err = f.r.ResolveDevice("mdm")
	f.ok(err)
	if res.Len() != 6 {
		t.Fatalf("enrolled device got %d apps, want 6", res.Len())
	}
	x, err := f.r.Explain("mam", "mixed")
	f.ok(err)
	if len(x.NotApplied) != 2 || x.NotApplied[0].Rule != "D4" || x.Effective.Intent != iW {
		t.Fatalf("explanation should list two D4 refusals:\n%s", x)
	}
	if !strings.Contains(x.String(), "device targets do not reach it") {
		t.Fatalf("explanation does not say why:\n%s", x)
	}
}

// TestD3PrimaryUser (D2, D3): All users and All devices need no group, and
// user-targeted apps reach a device only through its primary
// user; a userless device gets device-targeted apps only.
func TestD3PrimaryUser(t *testing.T) {
	f := newFixture(t)
	f.user("u1")
	f.user("u2")
	f.device(mdm.Device{ID: "d1", PrimaryUser: "u1"})
	f.device(mdm.Device{ID: "kiosk"})
	f.userGroup("users", []mdm.UserID{"u1", "u2"})
	f.app("app", mdm.AppTypeWin32)
	f.app("all", mdm.AppTypeWin32)
	f.app("dev", mdm.AppTypeWin32)
	f.assign("1", "app", mdm.Required, mdm.GroupTarget("users"))
	f.assign("2", "all", mdm.Required, mdm.AllUsersTarget())
	f.assign("3", "dev", mdm.Required, mdm.AllDevicesTarget())
	if f.intent("d1", "app") != iR || f.intent("d1", "all") != iR || f.intent("d1", "dev") != iR {
		t.Fatal("D3: d1 should get all three apps")
	}
	res, _ := f.r.ResolveDevice("kiosk")
	if res.Len() != 1 || res.At(0).App != "dev" {
		t.Fatalf("D3: userless device got %v, want dev only", res.Effects())
	}
	// Changing the primary user moves the user-targeted apps.
	af := f.device(mdm.Device{ID: "kiosk", PrimaryUser: "u2"})
	if af.Len() != 1 || af.Devices[0] != "kiosk" {
		t.Fatalf("Affected = %v, want kiosk", af.Devices)
	}
	if res, _ := f.r.ResolveDevice("kiosk"); res.Len() != 3 {
		t.Fatalf("after setting the primary user: %v", res.Effects())
	}
}

// TestA4AndroidEnterpriseAtResolution: a device-group "available" of an Android
// Enterprise app is accepted for any device group and applies to fully managed
// and COPE devices only.
func TestA4AndroidEnterpriseAtResolution(t *testing.T) {
	f := newFixture(t)
	modes := map[mdm.DeviceID]mdm.AndroidEnterpriseMode{
		"cobo": mdm.AndroidModeFullyManaged, "cope": mdm.AndroidModeCorporateOwnedWorkProfile,
		"byod": mdm.AndroidModePersonallyOwnedWorkProfile, "kiosk": mdm.AndroidModeDedicated,
	}
	var ids []mdm.DeviceID
	for _, id := range []mdm.DeviceID{"byod", "cobo", "cope", "kiosk"} {
		f.device(mdm.Device{ID: id, Platform: mdm.PlatformAndroidEnterprise, AndroidMode: modes[id]})
		ids = append(ids, id)
	}
	f.deviceGroup("android", ids)
	f.app("mgp", mdm.AppTypeManagedGooglePlay)
	af := f.assign("1", "mgp", mdm.Available, mdm.GroupTarget("android"))
	if strings.Join(idsOf(af), ",") != "cobo,cope" {
		t.Fatalf("Affected = %v, want the corporate devices only", af.Devices)
	}
	for id, mode := range modes {
		_, ok := f.effective(id, "mgp")
		if ok != mode.CorporateManaged() {
			t.Errorf("A4: %s (%s) has the app = %v", id, mode, ok)
		}
	}
	x, err := f.r.Explain("byod", "mgp")
	f.ok(err)
	if len(x.NotApplied) != 1 || x.NotApplied[0].Rule != "A4" || x.Reached {
		t.Fatalf("explanation should list an A4 non-application:\n%s", x)
	}
	// A change of mode makes the device affected and changes the result.
	af = f.device(mdm.Device{ID: "byod", Platform: mdm.PlatformAndroidEnterprise, AndroidMode: mdm.AndroidModeFullyManaged})
	if af.Len() != 1 {
		t.Fatalf("mode change Affected = %v", af.Devices)
	}
	if _, ok := f.effective("byod", "mgp"); !ok {
		t.Fatal("A4: the now fully managed device should get the app")
	}
}

func idsOf(a Affected) []string {
	var out []string
	for _, d := range a.Devices {
		out = append(out, string(d))
	}
	return out
}

// TestA8 : a required iOS store app is available as well, from either kind;
// other app types are not.
func TestA8(t *testing.T) {
	f := rowTenant(t)
	f.app("ios2", mdm.AppTypeIOSStore)
	f.app("vpp", mdm.AppTypeIOSLOB)
	f.assign("1", "ios", mdm.Required, mdm.GroupTarget("gu1"))
	f.assign("2", "ios2", mdm.Required, mdm.GroupTarget("gd1"))
	f.assign("3", "vpp", mdm.Required, mdm.GroupTarget("gu1"))
	for _, app := range []mdm.AppID{"ios", "ios2"} {
		e, _ := f.effective("d1", app)
		if e.Intent != iRA || e.Row != 0 {
			t.Errorf("A8: %s is %s row %d, want required and available, row 0", app, e.Intent, e.Row)
		}
	}
	if got := f.intent("d1", "vpp"); got != iR {
		t.Errorf("A8 applies to iOS store apps only; iOS LOB got %s", got)
	}
	x, err := f.r.Explain("d1", "ios")
	f.ok(err)
	if !x.A8 || !strings.Contains(x.String(), "A8") {
		t.Fatalf("explanation does not mention A8:\n%s", x)
	}
}

// TestSettingsAggregation: A12 (uninstall on removal only if all agree, unset =
// yes), T14 (earliest deadline), L4 (license type), L9 (prevent auto-update).
func TestSettingsAggregation(t *testing.T) {
	f := rowTenant(t)
	f.app("lob", mdm.AppTypeWin32)
	f.app("vpp", mdm.AppTypeIOSVPP)
	early, late := day, day.Add(48*3600e9)
	f.assignFull(mdm.Assignment{ID: "1", App: "lob", Intent: mdm.Required, Target: mdm.GroupTarget("gu1"),
		Settings: mdm.AssignmentSettings{Deadline: late}})
	f.assignFull(mdm.Assignment{ID: "2", App: "lob", Intent: mdm.Required, Target: mdm.GroupTarget("gd1"),
		Settings: mdm.AssignmentSettings{Deadline: early, UninstallOnDeviceRemoval: boolp(true)}})
	e, _ := f.effective("d1", "lob")
	if !e.UninstallOnDeviceRemoval || !e.Deadline.Equal(early) {
		t.Fatalf("A12/T14: got uninstall=%v deadline=%v; want true (unset and true), %v", e.UninstallOnDeviceRemoval, e.Deadline, early)
	}
	f.assignFull(mdm.Assignment{ID: "3", App: "lob", Intent: mdm.Available, Target: mdm.GroupTarget("gu2"),
		Settings: mdm.AssignmentSettings{UninstallOnDeviceRemoval: boolp(false)}})
	if e, _ := f.effective("d1", "lob"); e.UninstallOnDeviceRemoval {
		t.Fatal("A12: one assignment says no, so the app must stay on removal")
	}
	// The excluded assignment's settings do not count.
	f.userGroup("ex", []mdm.UserID{"u1"})
	f.assign("4", "lob", mdm.Required, mdm.ExclusionTarget("ex"))
	if e, _ := f.effective("d1", "lob"); !e.UninstallOnDeviceRemoval || e.Intent != iR {
		t.Fatalf("after excluding the user-kind assignments: %+v", e)
	}

	// L4: device licensing from the required assignment wins over user licensing
	// from an available one; L9: prevent only when all required/available agree.
	f.assignFull(mdm.Assignment{ID: "v1", App: "vpp", Intent: mdm.Available, Target: mdm.GroupTarget("gu1"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseUser, PreventAutoUpdate: true}})
	e, _ = f.effective("d1", "vpp")
	if e.LicenseType != mdm.LicenseUser || !e.PreventAutoUpdate {
		t.Fatalf("L4/L9 single: %+v", e)
	}
	f.assignFull(mdm.Assignment{ID: "v2", App: "vpp", Intent: mdm.Required, Target: mdm.GroupTarget("gu2"),
		Settings: mdm.AssignmentSettings{PreventAutoUpdate: true}}) // default license: device (L4)
	e, _ = f.effective("d1", "vpp")
	if e.LicenseType != mdm.LicenseDevice || !e.PreventAutoUpdate || e.Intent != iRA {
		t.Fatalf("L4/L9 required device + available user: %+v", e)
	}
	f.assignFull(mdm.Assignment{ID: "v3", App: "vpp", Intent: mdm.Required, Target: mdm.GroupTarget("gd1")})
	if e, _ := f.effective("d1", "vpp"); e.PreventAutoUpdate {
		t.Fatal("L9: one assignment allows automatic updates, so they are not prevented")
	}
	if e, _ := f.effective("d1", "win32"); e.LicenseType != mdm.LicenseDefault {
		t.Fatal("L4 applies to VPP apps only")
	}
}
