package tenant_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// timeRangeTenant is a small tenant with something of everything an operation
// can change: apps (a Win32 pair and a VPP app with its pool), a user, a
// device, groups and assignments.
func timeRangeTenant(t *testing.T) *tenant.Tenant {
	t.Helper()
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	must(ten.AddApp(start, win32App("base")))
	dep := win32App("parent")
	dep.Dependencies = []mdm.Dependency{{App: "base"}}
	must(ten.AddApp(start, dep))
	must(ten.AddApp(start, win32App("spare")))
	must(ten.AddToken(start, "tok"))
	vpp := mdm.App{ID: "vpp", DisplayName: "v", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "1"}}
	if err := ten.UpsertSyncedApp(start, vpp); err != nil {
		t.Fatal(err)
	}
	if err := ten.SetPoolCounts(start, &vpp, 2, 0); err != nil {
		t.Fatal(err)
	}
	must(ten.PutUser(start, mdm.User{ID: "ada", UserPrincipalName: "ada@contoso.com", HasAppleAccount: true}))
	must(ten.EnrollDevice(start, mdm.Device{ID: "pc", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045", PrimaryUser: "ada"}))
	must(ten.PutGroup(start, mdm.Group{ID: "g", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"pc"}}))
	must(ten.PutGroup(start, mdm.Group{ID: "empty", Kind: mdm.DeviceMembers}))
	must(ten.Assign(start, mdm.Assignment{ID: "a", App: "parent", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
		Settings: mdm.DefaultSettings(mdm.AppTypeWin32)}))
	var out tenant.CheckInResult
	if err := ten.CheckIn(start, &mdm.Report{Device: "pc"}, &out); err != nil {
		t.Fatal(err)
	}
	return ten
}

// tenantView is what a caller can read of a tenant.
type tenantView struct {
	Apps        []mdm.App
	Assignments []mdm.Assignment
	Device      tenant.DeviceStatus
	Intent      string
	VPP         tenant.AppStatus
	NextPush    time.Time
	Scheduled   bool
	Token       mdm.TokenState
	Sync        mdm.SyncStatus
	Account     string
	Serial      mdm.DeviceID
}

func viewOf(t *testing.T, ten *tenant.Tenant) tenantView {
	t.Helper()
	v := tenantView{Apps: ten.Apps(), Assignments: ten.Assignments()}
	v.Device, _ = ten.DeviceStatus("pc")
	if in, err := ten.Intent("pc", "parent"); err == nil {
		v.Intent = in.String()
	}
	v.VPP, _ = ten.AppStatus("vpp")
	v.NextPush, v.Scheduled = ten.NextPush()
	v.Token, _ = ten.TokenState("tok")
	v.Sync, _, _, _ = ten.SyncStatus("tok")
	v.Account, _ = ten.StoreAccount("tok")
	v.Serial, _ = ten.DeviceBySerial("pc")
	return v
}

// T1: the tenant records times as Unix nanoseconds (the years 1678 to 2262).
// Every operation that is told the time refuses one outside that range, the
// zero time.Time among them, with ErrTimeRange, as CheckIn does, and changes
// nothing: no push scheduled in 1754, no reinstall cycle anchored at a
// wrapped-around enrollment time, no token expiring at a wrapped-around date.
func TestTenant_T1_OperationsRefuseTimesOutOfRange(t *testing.T) {
	vpp := mdm.App{ID: "vpp", DisplayName: "v", Type: mdm.AppTypeIOSVPP, Version: "2",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "1"}}
	change := func(_ tenant.Change, err error) error { return err }
	ops := []struct {
		name string
		op   func(ten *tenant.Tenant, now time.Time) error
	}{
		{"AddApp", func(ten *tenant.Tenant, now time.Time) error { return change(ten.AddApp(now, win32App("new"))) }},
		{"UpdateApp", func(ten *tenant.Tenant, now time.Time) error {
			a := win32App("base")
			a.Version = "2.0"
			return change(ten.UpdateApp(now, a))
		}},
		{"DeleteApp", func(ten *tenant.Tenant, now time.Time) error { return change(ten.DeleteApp(now, "spare")) }},
		{"PutUser", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.PutUser(now, mdm.User{ID: "ada", UserPrincipalName: "ada@contoso.com"}))
		}},
		{"DeleteUser", func(ten *tenant.Tenant, now time.Time) error { return change(ten.DeleteUser(now, "ada")) }},
		{"EnrollDevice new", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.EnrollDevice(now, mdm.Device{ID: "new", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
		}},
		{"EnrollDevice update", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.EnrollDevice(now, mdm.Device{ID: "pc", Platform: mdm.PlatformWindows, OSVersion: "10.0.22631", PrimaryUser: "ada"}))
		}},
		{"RemoveDevice", func(ten *tenant.Tenant, now time.Time) error { return change(ten.RemoveDevice(now, "pc")) }},
		{"PutGroup", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.PutGroup(now, mdm.Group{ID: "g", Kind: mdm.DeviceMembers}))
		}},
		{"AddMember", func(ten *tenant.Tenant, now time.Time) error { return change(ten.AddMember(now, "empty", "pc")) }},
		{"RemoveMember", func(ten *tenant.Tenant, now time.Time) error { return change(ten.RemoveMember(now, "g", "pc")) }},
		{"DeleteGroup", func(ten *tenant.Tenant, now time.Time) error { return change(ten.DeleteGroup(now, "empty")) }},
		{"Assign", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.Assign(now, mdm.Assignment{ID: "b", App: "base", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
				Settings: mdm.DefaultSettings(mdm.AppTypeWin32)}))
		}},
		{"Unassign", func(ten *tenant.Tenant, now time.Time) error { return change(ten.Unassign(now, "a")) }},
		{"ChangeIntent", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.ChangeIntent(now, "a", mdm.Uninstall))
		}},
		{"DeviceAction", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.DeviceAction(now, tenant.ActionRequest{Device: "pc", App: "parent", Action: tenant.ActionReinstall, Online: true}))
		}},
		{"AddToken", func(ten *tenant.Tenant, now time.Time) error { return change(ten.AddToken(now, "tok-2")) }},
		{"SetTokenExpiry", func(ten *tenant.Tenant, now time.Time) error {
			return change(ten.SetTokenExpiry(now, "tok", start.Add(-time.Hour)))
		}},
		{"DeleteToken", func(ten *tenant.Tenant, now time.Time) error { return change(ten.DeleteToken(now, "tok")) }},
		{"UpsertSyncedApp", func(ten *tenant.Tenant, now time.Time) error { return ten.UpsertSyncedApp(now, vpp) }},
		{"MarkGoneFromStore", func(ten *tenant.Tenant, now time.Time) error {
			_, err := ten.MarkGoneFromStore(now, "vpp")
			return err
		}},
		{"SetPoolCounts", func(ten *tenant.Tenant, now time.Time) error { return ten.SetPoolCounts(now, &vpp, 5, 0) }},
		{"ImportLicense", func(ten *tenant.Tenant, now time.Time) error {
			_, err := ten.ImportLicense(now, "tok", "1", "", "ada")
			return err
		}},
		{"SetTokenState", func(ten *tenant.Tenant, now time.Time) error { return ten.SetTokenState(now, "tok", mdm.TokenExpired) }},
		{"SetSyncStatus", func(ten *tenant.Tenant, now time.Time) error {
			return ten.SetSyncStatus(now, "tok", mdm.SyncCompleted, "")
		}},
		{"BindStoreAccount", func(ten *tenant.Tenant, now time.Time) error { return ten.BindStoreAccount(now, "tok", "location-1") }},
		{"Offered", func(ten *tenant.Tenant, now time.Time) error {
			_, err := ten.Offered(now, "pc", nil)
			return err
		}},
	}
	for _, bad := range []struct {
		name string
		now  time.Time
	}{{"zero time", time.Time{}}, {"year 2300", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		for _, o := range ops {
			t.Run(bad.name+"/"+o.name, func(t *testing.T) {
				ten := timeRangeTenant(t)
				before := viewOf(t, ten)
				if err := o.op(ten, bad.now); !errors.Is(err, tenant.ErrTimeRange) {
					t.Fatalf("err = %v, want %v", err, tenant.ErrTimeRange)
				}
				if d := cmp.Diff(before, viewOf(t, ten)); d != "" {
					t.Fatalf("a refused operation changed the tenant (-before +after):\n%s", d)
				}
				// the same operation at a good time is accepted: the
				// refusal was for the time alone
				if err := o.op(timeRangeTenant(t), start.Add(time.Minute)); err != nil {
					t.Fatalf("at a good time: %v", err)
				}
			})
		}
	}
	// DuePushes, which cannot refuse, hands out nothing and keeps the
	// schedule: the re-notifications of pc's push come at their times.
	ten := timeRangeTenant(t)
	if _, err := ten.DeviceAction(start, tenant.ActionRequest{Device: "pc", App: "parent", Action: tenant.ActionReinstall, Online: true}); err != nil {
		t.Fatal(err)
	}
	before := viewOf(t, ten)
	// 2^64 ns after a time is, in wrapped-around Unix nanoseconds, that time
	wrapped := start.Add(2 * time.Hour).Add(math.MaxInt64).Add(math.MaxInt64).Add(2)
	for _, bad := range []time.Time{{}, time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), wrapped} {
		if got := ten.DuePushes(bad, nil); len(got) != 0 {
			t.Errorf("DuePushes(%v) = %v, want nothing", bad, got)
		}
	}
	if d := cmp.Diff(before, viewOf(t, ten)); d != "" {
		t.Errorf("DuePushes at a bad time changed the schedule (-before +after):\n%s", d)
	}
	// SetTokenExpiry's date is a time the tenant records too.
	if _, err := ten.SetTokenExpiry(time.Date(2262, 6, 1, 0, 0, 0, 0, time.UTC), "tok", time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC)); !errors.Is(err, tenant.ErrTimeRange) {
		t.Fatalf("SetTokenExpiry to 2263: err = %v, want %v", err, tenant.ErrTimeRange)
	}
}

// T14, T1: an assignment's deadline is a time the tenant records (Unix
// nanoseconds), so one that mdm accepts (years 0 to 9999) but the tenant
// cannot hold is refused with ErrTimeRange and changes nothing, instead of
// wrapping to a deadline long passed that forces the install at once.
func TestTenant_T14_DeadlineOutOfRange(t *testing.T) {
	asg := func(year int) mdm.Assignment {
		s := mdm.DefaultSettings(mdm.AppTypeWin32)
		s.Deadline = time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
		return mdm.Assignment{ID: "b", App: "spare", Intent: mdm.Required, Target: mdm.GroupTarget("g"), Settings: s}
	}
	for _, year := range []int{1000, 2300, 9999} {
		ten := timeRangeTenant(t)
		before := viewOf(t, ten)
		if _, err := ten.Assign(start, asg(year)); !errors.Is(err, tenant.ErrTimeRange) {
			t.Fatalf("deadline in %d: err = %v, want %v", year, err, tenant.ErrTimeRange)
		}
		if d := cmp.Diff(before, viewOf(t, ten)); d != "" {
			t.Fatalf("deadline in %d: a refused Assign changed the tenant (-before +after):\n%s", year, d)
		}
	}
	// A far deadline the tenant can hold keeps the app waiting for it (T14).
	ten := timeRangeTenant(t)
	if _, err := ten.Assign(start, asg(2200)); err != nil {
		t.Fatal(err)
	}
	var out tenant.CheckInResult
	if err := ten.CheckIn(start.Add(time.Hour), &mdm.Report{Device: "pc"}, &out); err != nil {
		t.Fatal(err)
	}
	st, err := ten.DeviceStatus("pc")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range st.Apps {
		if a.App == "spare" && a.State != mdm.StateAvailable {
			t.Fatalf("spare with a deadline in 2200: state %v, want %v", a.State, mdm.StateAvailable)
		}
	}
}
