package tenant_test

import (
	"errors"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

func newTenant(t *testing.T, cfg tenant.Config) *tenant.Tenant {
	t.Helper()
	ten, err := tenant.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ten
}

func win32App(id string) mdm.App {
	return mdm.App{ID: mdm.AppID(id), DisplayName: id, Type: mdm.AppTypeWin32, Version: "1.0",
		Package: mdm.Package{FileName: id + ".intunewin", Size: mdm.MiB}}
}

func ok(t *testing.T) func(tenant.Change, error) {
	return func(_ tenant.Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Admin operations refuse bad input with a typed error naming the rule, and a
// refused operation changes nothing.
func TestTenant_AdminRefusals(t *testing.T) {
	now := start
	base := func(t *testing.T, cfg tenant.Config) *tenant.Tenant {
		ten := newTenant(t, cfg)
		must := ok(t)
		must(ten.AddApp(now, win32App("base")))
		dep := win32App("parent")
		dep.Dependencies = []mdm.Dependency{{App: "base"}}
		must(ten.AddApp(now, dep))
		must(ten.EnrollDevice(now, mdm.Device{ID: "pc", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
		must(ten.PutGroup(now, mdm.Group{ID: "g", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"pc"}}))
		must(ten.Assign(now, mdm.Assignment{ID: "a", App: "parent", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
			Settings: mdm.DefaultSettings(mdm.AppTypeWin32)}))
		return ten
	}
	cases := []struct {
		name string
		rule string
		cfg  tenant.Config
		op   func(*tenant.Tenant) error
		is   error
	}{
		{"C3 trial storage", "C3", tenant.Config{Trial: true}, func(ten *tenant.Tenant) error {
			a := win32App("big")
			a.Package.Size = 3 * mdm.GiB
			_, err := ten.AddApp(now, a)
			return err
		}, mdm.ErrTrialStorage},
		{"C4 store app by hand", "C4", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.AddApp(now, mdm.App{ID: "vpp", DisplayName: "v", Type: mdm.AppTypeIOSVPP,
				Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "t", ProductID: "1"}})
			return err
		}, mdm.ErrStoreSynced},
		{"C5 delete assigned", "C5", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.DeleteApp(now, "parent")
			return err
		}, assign.ErrInUse},
		{"C5 delete a dependency", "C5", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.DeleteApp(now, "base")
			return err
		}, tenant.ErrAppInUse},
		{"C8 id exists", "C8", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.AddApp(now, win32App("base"))
			return err
		}, tenant.ErrAppExists},
		{"C8 type change", "C8", tenant.Config{}, func(ten *tenant.Tenant) error {
			a := win32App("base")
			a.Type, a.Package = mdm.AppTypeWindowsLOB, mdm.Package{FileName: "b.msi", Size: mdm.MiB}
			_, err := ten.UpdateApp(now, a)
			return err
		}, tenant.ErrTypeChange},
		{"C9 dependency cycle", "C9", tenant.Config{}, func(ten *tenant.Tenant) error {
			a := win32App("base")
			a.Dependencies = []mdm.Dependency{{App: "parent"}}
			_, err := ten.UpdateApp(now, a)
			return err
		}, mdm.ErrDependencyCycle},
		{"A3 second intent for a group", "A3", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.Assign(now, mdm.Assignment{ID: "b", App: "parent", Intent: mdm.Uninstall, Target: mdm.GroupTarget("g"),
				Settings: mdm.DefaultSettings(mdm.AppTypeWin32)})
			return err
		}, mdm.ErrConflictingIntent},
		{"T12 uninstall of an app not installed", "T12", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.DeviceAction(now, tenant.ActionRequest{Device: "pc", App: "parent", Action: tenant.ActionUninstall, Online: true})
			return err
		}, tenant.ErrNotInstalled},
		{"T12 required needs the device online", "T12", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.DeviceAction(now, tenant.ActionRequest{Device: "pc", App: "parent", Action: tenant.ActionInstall})
			return err
		}, tenant.ErrDeviceOffline},
		{"T13 unknown device", "T13", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.RemoveDevice(now, "nope")
			return err
		}, tenant.ErrUnknownDevice},
		{"A6 intent on an unknown device", "A6", tenant.Config{}, func(ten *tenant.Tenant) error {
			_, err := ten.Intent("nope", "parent")
			return err
		}, tenant.ErrUnknownDevice},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ten := base(t, c.cfg)
			before := snapshot(t, ten)
			err := c.op(ten)
			if !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
			if after := snapshot(t, ten); after != before {
				t.Fatalf("a refused operation changed the tenant:\n%s\n→\n%s", before, after)
			}
		})
	}
}

// snapshot renders what a caller can see of a tenant.
func snapshot(t *testing.T, ten *tenant.Tenant) string {
	t.Helper()
	s := ""
	for _, a := range ten.Apps() {
		s += string(a.ID) + " " + a.Type.String() + " " + a.Version + "\n"
	}
	for _, a := range ten.Assignments() {
		s += string(a.ID) + " " + a.Intent.String() + "\n"
	}
	if st, err := ten.DeviceStatus("pc"); err == nil {
		for _, a := range st.Apps {
			s += string(a.App) + " " + a.State.String() + "\n"
		}
	}
	return s
}

// L14: an assignment that would need more Store for Business licenses than are
// available is refused with a *license.ShortfallError naming need, available and
// short, and the three remedies; nothing changes. With oversubscription allowed
// by policy it is accepted.
func TestTenant_L14_Shortfall(t *testing.T) {
	for _, allow := range []bool{false, true} {
		pol := mdm.DefaultPolicy()
		pol.StoreForBusinessOversubscription = allow
		ten := newTenant(t, tenant.Config{Policy: pol})
		must := ok(t)
		now := start
		must(ten.AddToken(now, "msfb"))
		app := mdm.App{ID: "wb", DisplayName: "wb", Type: mdm.AppTypeStoreForBusiness,
			Origin: mdm.StoreOrigin{Store: mdm.StoreMicrosoftBusiness, Token: "msfb", ProductID: "9MSPC6MP8FM4", Licensing: mdm.LicenseOffline}}
		if err := ten.UpsertSyncedApp(now, app); err != nil {
			t.Fatal(err)
		}
		if err := ten.SetPoolCounts(now, &app, 1, 0); err != nil {
			t.Fatal(err)
		}
		g := mdm.Group{ID: "g", Kind: mdm.DeviceMembers}
		for _, d := range []mdm.DeviceID{"pc-1", "pc-2", "pc-3"} {
			must(ten.EnrollDevice(now, mdm.Device{ID: d, Platform: mdm.PlatformWindows, OSVersion: "10.0.19045", JoinType: mdm.JoinAD}))
			g.Devices = append(g.Devices, d)
		}
		must(ten.PutGroup(now, g))
		_, err := ten.Assign(now, mdm.Assignment{ID: "a", App: "wb", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
			Settings: mdm.DefaultSettings(app.Type)})
		var se *license.ShortfallError
		if allow {
			if err != nil {
				t.Fatalf("oversubscription allowed: %v", err)
			}
			continue
		}
		if !errors.As(err, &se) || !errors.Is(err, license.ErrShortfall) {
			t.Fatalf("err = %v, want a ShortfallError", err)
		}
		if se.Need != 3 || se.Available != 1 || se.Short != 2 {
			t.Fatalf("shortfall %+v, want need 3, available 1, short 2", se)
		}
		if n := len(ten.Assignments()); n != 0 {
			t.Fatalf("a refused assignment left %d assignments", n)
		}
	}
}

// T2: a push not answered is sent again PushRenotifications times,
// PushRenotifyInterval apart; a check-in answers it.
func TestTenant_T2_Renotify(t *testing.T) {
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	now := start
	must(ten.AddApp(now, win32App("a")))
	must(ten.EnrollDevice(now, mdm.Device{ID: "pc", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	must(ten.EnrollDevice(now, mdm.Device{ID: "pc-2", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	must(ten.PutGroup(now, mdm.Group{ID: "g", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"pc", "pc-2"}}))
	ch, err := ten.Assign(now, mdm.Assignment{ID: "a", App: "a", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
		Settings: mdm.DefaultSettings(mdm.AppTypeWin32)})
	if err != nil || len(ch.Notify) != 2 {
		t.Fatalf("notify %v, %v", ch.Notify, err)
	}
	// pc-2 answers at once
	var out tenant.CheckInResult
	if err := ten.CheckIn(now, &mdm.Report{Device: "pc-2"}, &out); err != nil {
		t.Fatal(err)
	}
	pol := mdm.DefaultPolicy()
	var got []time.Duration
	for tick := now; tick.Before(now.Add(2 * time.Hour)); tick = tick.Add(time.Minute) {
		for _, d := range ten.DuePushes(tick, nil) {
			if d != "pc" {
				t.Fatalf("re-notified %s, which answered", d)
			}
			got = append(got, tick.Sub(now))
		}
	}
	want := []time.Duration{}
	for i := 1; i <= pol.PushRenotifications; i++ {
		want = append(want, time.Duration(i)*pol.PushRenotifyInterval)
	}
	if len(got) != len(want) {
		t.Fatalf("re-notifications at %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("re-notifications at %v, want %v", got, want)
		}
	}
	if _, ok := ten.NextPush(); ok {
		t.Fatal("a push still scheduled after the last re-notification")
	}
}

// L7: removing a device from management keeps its VPP device license; a user
// deleted loses their user licenses (L15), and books are kept (L8).
func TestTenant_L7_Reclaim(t *testing.T) {
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	now := start
	must(ten.AddToken(now, "tok"))
	app := mdm.App{ID: "vpp", DisplayName: "v", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "1"}}
	book := mdm.App{ID: "book", DisplayName: "b", Type: mdm.AppTypeVPPBook, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "2"}}
	for _, a := range []mdm.App{app, book} {
		if err := ten.UpsertSyncedApp(now, a); err != nil {
			t.Fatal(err)
		}
		if err := ten.SetPoolCounts(now, &a, 5, 0); err != nil {
			t.Fatal(err)
		}
	}
	must(ten.PutUser(now, mdm.User{ID: "ada", HasAppleAccount: true}))
	must(ten.EnrollDevice(now, mdm.Device{ID: "ipad", Platform: mdm.PlatformIOS, OSVersion: "17.4", PrimaryUser: "ada", HasBooksApp: true}))
	must(ten.PutGroup(now, mdm.Group{ID: "u", Kind: mdm.UserMembers, Users: []mdm.UserID{"ada"}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a1", App: "vpp", Intent: mdm.Required, Target: mdm.GroupTarget("u"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseUser}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a2", App: "book", Intent: mdm.Required, Target: mdm.GroupTarget("u"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseUser}}))
	var out tenant.CheckInResult
	if err := ten.CheckIn(now, &mdm.Report{Device: "ipad"}, &out); err != nil || len(out.Commands) != 2 {
		t.Fatalf("%v %v", out.Commands, err)
	}
	ch, err := ten.DeleteUser(now, "ada")
	if err != nil {
		t.Fatal(err)
	}
	outcome := map[string]license.Outcome{}
	for _, l := range ch.Licenses {
		outcome[l.Key.Product] = l.Outcome
	}
	if outcome["1"] != license.Reclaimed || outcome["2"] != license.Kept {
		t.Fatalf("user deleted: %+v, want the app's license reclaimed and the book's kept", ch.Licenses)
	}
	for id, want := range map[mdm.AppID]int{"vpp": 0, "book": 1} {
		if st, _ := ten.AppStatus(id); st.Licenses.Assigned != want {
			t.Errorf("%s: %d licenses assigned, want %d", id, st.Licenses.Assigned, want)
		}
	}
}

// L5, L7: the tenant keeps each store app's pool handle. A deleted token takes
// its pools with it (handles to them stop working); when the token comes back
// and sync creates the pool again, a waiting device is granted from the new
// pool, not refused through the old handle.
func TestTenant_L5_PoolAfterTokenDeleted(t *testing.T) {
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	now := start
	app := mdm.App{ID: "vpp", DisplayName: "v", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "1"}}
	sync := func(total int) {
		t.Helper()
		if err := ten.UpsertSyncedApp(now, app); err != nil {
			t.Fatal(err)
		}
		if err := ten.SetPoolCounts(now, &app, total, 0); err != nil {
			t.Fatal(err)
		}
	}
	must(ten.AddToken(now, "tok"))
	sync(1)
	for _, d := range []mdm.DeviceID{"ipad-a", "ipad-b"} {
		must(ten.EnrollDevice(now, mdm.Device{ID: d, Platform: mdm.PlatformIOS, OSVersion: "17.4"}))
	}
	must(ten.PutGroup(now, mdm.Group{ID: "g", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"ipad-a", "ipad-b"}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a", App: "vpp", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseDevice}}))
	var out tenant.CheckInResult
	checkIn := func(d mdm.DeviceID, commands int) {
		t.Helper()
		if err := ten.CheckIn(now, &mdm.Report{Device: d}, &out); err != nil || len(out.Commands) != commands {
			t.Fatalf("%s: commands %v, changes %v, err %v; want %d commands", d, out.Commands, out.Changes, err, commands)
		}
	}
	checkIn("ipad-a", 1)
	checkIn("ipad-b", 0) // L5: the one license is ipad-a's
	// The token goes, and with it the pool (its license revoked, L7).
	must(ten.DeleteToken(now, "tok"))
	now = now.Add(time.Hour)
	checkIn("ipad-b", 0)
	if st, _ := ten.AppStatus("vpp"); st.HasPool {
		t.Fatalf("a pool after its token was deleted: %+v", st.Licenses)
	}
	// The token comes back and sync creates the pool again, with room.
	must(ten.AddToken(now, "tok"))
	sync(2)
	now = now.Add(time.Hour)
	checkIn("ipad-b", 1)
	if st, _ := ten.AppStatus("vpp"); !st.HasPool || st.Licenses.Assigned != 1 {
		t.Fatalf("the new pool: %+v", st.Licenses)
	}
}

// storesync's Sink, as the tenant implements it: synced apps keep what the
// admin set (C4), gone apps stay while referenced (S2), a store account cannot
// be switched (L12), imports are not pushed back (S6).
func TestTenant_Sink(t *testing.T) {
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	now := start
	must(ten.AddToken(now, "tok"))
	app := mdm.App{ID: "vpp", DisplayName: "Maps", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "361309726"}}
	if err := ten.UpsertSyncedApp(now, app); err != nil {
		t.Fatal(err)
	}
	// the admin adds a category; a sync with a new version keeps it (C4)
	a, _ := ten.App("vpp")
	a.Categories = []string{"Travel"}
	a.DisplayName = "renamed by hand"
	must(ten.UpdateApp(now, a))
	app.Version = "2"
	if err := ten.UpsertSyncedApp(now, app); err != nil {
		t.Fatal(err)
	}
	got, _ := ten.App("vpp")
	if got.Version != "2" || got.DisplayName != "Maps" || len(got.Categories) != 1 {
		t.Fatalf("after sync: %+v", got)
	}
	if apps, _ := ten.SyncedApps("tok"); len(apps) != 1 || apps[0].ID != "vpp" {
		t.Fatalf("SyncedApps: %v", apps)
	}
	// S2: referenced → kept, flagged; unreferenced → deleted
	must(ten.EnrollDevice(now, mdm.Device{ID: "ipad", Platform: mdm.PlatformIOS, OSVersion: "17.4", SerialNumber: "F9FA001"}))
	must(ten.PutGroup(now, mdm.Group{ID: "g", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"ipad"}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a", App: "vpp", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
		Settings: mdm.DefaultSettings(app.Type)}))
	if removed, err := ten.MarkGoneFromStore(now, "vpp"); err != nil || removed {
		t.Fatalf("referenced app: removed=%v %v", removed, err)
	}
	if a, _ := ten.App("vpp"); !a.Origin.GoneFromStore {
		t.Fatal("a gone app is not flagged")
	}
	must(ten.Unassign(now, "a"))
	if removed, err := ten.MarkGoneFromStore(now, "vpp"); err != nil || !removed {
		t.Fatalf("unreferenced app: removed=%v %v", removed, err)
	}
	// S6: the directory by serial and clientUserId
	if d, ok := ten.DeviceBySerial("F9FA001"); !ok || d != "ipad" {
		t.Fatalf("DeviceBySerial: %v %v", d, ok)
	}
	must(ten.PutUser(now, mdm.User{ID: "ada", UserPrincipalName: "ada@contoso.com"}))
	if u, ok := ten.UserByClientUserID("ada@contoso.com"); !ok || u != "ada" {
		t.Fatalf("UserByClientUserID(upn): %v %v", u, ok)
	}
	// pools: counts, imports (not pushed), holders
	if err := ten.UpsertSyncedApp(now, app); err != nil {
		t.Fatal(err)
	}
	if err := ten.SetPoolCounts(now, &app, 2, 1); err != nil {
		t.Fatal(err)
	}
	if total, retired, ok := ten.PoolCounts("tok", "361309726"); !ok || total != 2 || retired != 1 {
		t.Fatalf("PoolCounts: %d %d %v", total, retired, ok)
	}
	if imported, err := ten.ImportLicense(now, "tok", "361309726", "ipad", ""); err != nil || !imported {
		t.Fatalf("ImportLicense: %v %v", imported, err)
	}
	if imported, err := ten.ImportLicense(now, "tok", "361309726", "ipad", ""); err != nil || imported {
		t.Fatalf("ImportLicense again (L19): %v %v", imported, err)
	}
	if serials, users := ten.PoolHolders("tok", "361309726"); len(serials) != 1 || serials[0] != "F9FA001" || len(users) != 0 {
		t.Fatalf("PoolHolders: %v %v", serials, users)
	}
	if ch := ten.TakeLicenseChanges(nil); len(ch) != 0 {
		t.Fatalf("an import was recorded for the push: %v", ch)
	}
	// S6, L13: Store for Business knows users by user principal name; the
	// holders come back under the name the store gave, which leads back to
	// the user. An offline pool lists no holder: the store lists none.
	must(ten.AddToken(now, "msfb"))
	for _, lic := range []mdm.LicenseMode{mdm.LicenseOnline, mdm.LicenseOffline} {
		ms := mdm.App{ID: mdm.AppID("msfb-" + lic.String()), DisplayName: "Teams", Type: mdm.AppTypeStoreForBusiness,
			Origin: mdm.StoreOrigin{Store: mdm.StoreMicrosoftBusiness, Token: "msfb", ProductID: "9WZDNCRFJ3TJ/" + lic.String(), Licensing: lic}}
		if err := ten.UpsertSyncedApp(now, ms); err != nil {
			t.Fatal(err)
		}
		if err := ten.SetPoolCounts(now, &ms, 5, 0); err != nil {
			t.Fatal(err)
		}
	}
	u, _ := ten.UserByClientUserID("ada@contoso.com")
	if imported, err := ten.ImportLicense(now, "msfb", "9WZDNCRFJ3TJ/online", "", u); err != nil || !imported {
		t.Fatalf("ImportLicense of a seat: %v %v", imported, err)
	}
	if serials, users := ten.PoolHolders("msfb", "9WZDNCRFJ3TJ/online"); len(serials) != 0 || len(users) != 1 || users[0] != "ada@contoso.com" {
		t.Fatalf("PoolHolders of a Store for Business online pool: %v %v, want ada's user principal name", serials, users)
	}
	if imported, err := ten.ImportLicense(now, "msfb", "9WZDNCRFJ3TJ/offline", "ipad", ""); err != nil || !imported {
		t.Fatalf("ImportLicense offline: %v %v", imported, err)
	}
	if serials, users := ten.PoolHolders("msfb", "9WZDNCRFJ3TJ/offline"); len(serials)+len(users) != 0 {
		t.Fatalf("PoolHolders of a Store for Business offline pool: %v %v, want none", serials, users)
	}
	// tokens: state, sync status, account binding (L12)
	if err := ten.SetTokenState(now, "tok", mdm.TokenExpired); err != nil {
		t.Fatal(err)
	}
	if s, ok := ten.TokenState("tok"); !ok || s != mdm.TokenExpired {
		t.Fatalf("TokenState: %v %v", s, ok)
	}
	if err := ten.SetSyncStatus(now, "tok", mdm.SyncFailed, "token expired"); err != nil {
		t.Fatal(err)
	}
	if s, detail, _, ok := ten.SyncStatus("tok"); !ok || s != mdm.SyncFailed || detail != "token expired" {
		t.Fatalf("SyncStatus: %v %q", s, detail)
	}
	if err := ten.BindStoreAccount(now, "tok", "location-1"); err != nil {
		t.Fatal(err)
	}
	if err := ten.BindStoreAccount(now, "tok", "location-2"); !errors.Is(err, tenant.ErrAccountSwitch) {
		t.Fatalf("L12: switching accounts: %v", err)
	}
	if tok, ok := ten.TokenOfStoreAccount("location-1"); !ok || tok != "tok" {
		t.Fatalf("TokenOfStoreAccount: %v %v", tok, ok)
	}
	if _, ok := ten.TokenState("other"); ok {
		t.Fatal("an unknown token has a state")
	}
}

// requiredPC is a tenant at start with one Windows device, pc, in device group
// g, to which Win32 app a is assigned as required.
func requiredPC(t *testing.T) (*tenant.Tenant, func(tenant.Change, error), time.Time) {
	t.Helper()
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	must(ten.AddApp(start, win32App("a")))
	must(ten.EnrollDevice(start, mdm.Device{ID: "pc", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	must(ten.PutGroup(start, mdm.Group{ID: "g", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"pc"}}))
	must(ten.Assign(start, mdm.Assignment{ID: "a", App: "a", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
		Settings: mdm.DefaultSettings(mdm.AppTypeWin32)}))
	return ten, must, start
}

// A DeviceRef checks in like the device's id and dies with the device.
func TestTenant_DeviceRef(t *testing.T) {
	ten, must, now := requiredPC(t)
	ref, found := ten.DeviceRef("pc")
	if !found {
		t.Fatal("no ref for an enrolled device")
	}
	var out tenant.CheckInResult
	if err := ten.CheckInRef(now, ref, &mdm.Report{Device: "pc"}, &out); err != nil || len(out.Commands) != 1 {
		t.Fatalf("CheckInRef: %v %v", out.Commands, err)
	}
	if err := ten.CheckInRef(now, ref, &mdm.Report{Device: "other"}, &out); !errors.Is(err, tenant.ErrUnknownDevice) {
		t.Fatalf("a report naming another device: %v", err)
	}
	must(ten.RemoveDevice(now, "pc"))
	must(ten.EnrollDevice(now, mdm.Device{ID: "pc", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	if err := ten.CheckInRef(now, ref, &mdm.Report{Device: "pc"}, &out); !errors.Is(err, tenant.ErrUnknownDevice) {
		t.Fatalf("a ref to a removed device: %v", err)
	}
	if err := ten.CheckInRef(now, tenant.DeviceRef{}, &mdm.Report{Device: "pc"}, &out); !errors.Is(err, tenant.ErrUnknownDevice) {
		t.Fatalf("the zero ref: %v", err)
	}
}

// S6: the store knows a device by its serial number alone, so two managed
// devices cannot share one (the device id stands in for a missing serial). A
// second device under a serial in use is refused and changes nothing; the
// first keeps its serial, also after the refusal.
func TestTenant_S6_SerialInUse(t *testing.T) {
	now := start
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	must(ten.EnrollDevice(now, mdm.Device{ID: "a", SerialNumber: "S1", Platform: mdm.PlatformIOS}))
	must(ten.EnrollDevice(now, mdm.Device{ID: "c", Platform: mdm.PlatformIOS}))
	for _, d := range []mdm.Device{
		{ID: "b", SerialNumber: "S1", Platform: mdm.PlatformIOS}, // a's serial
		{ID: "d", SerialNumber: "c", Platform: mdm.PlatformIOS},  // c's id, its serial
		{ID: "c", SerialNumber: "S1", Platform: mdm.PlatformIOS}, // a managed device taking a's
	} {
		if _, err := ten.EnrollDevice(now, d); !errors.Is(err, tenant.ErrSerialInUse) {
			t.Fatalf("EnrollDevice(%s, serial %s): err = %v, want ErrSerialInUse", d.ID, d.Serial(), err)
		}
	}
	if _, err := ten.DeviceStatus("b"); !errors.Is(err, tenant.ErrUnknownDevice) {
		t.Fatalf("a refused device was enrolled: %v", err)
	}
	kept := []tenant.AppState{{App: "kept"}}
	if got, err := ten.AppendAppStates(kept, "b"); !errors.Is(err, tenant.ErrUnknownDevice) || len(got) != 1 || got[0].App != "kept" {
		t.Fatalf("AppendAppStates of an unknown device = %v, %v; want the buffer as it was and ErrUnknownDevice", got, err)
	}
	// the same device keeps its serial; a device may change to a free one
	must(ten.EnrollDevice(now, mdm.Device{ID: "a", SerialNumber: "S1", Platform: mdm.PlatformIOS, OSVersion: "17.0"}))
	must(ten.EnrollDevice(now, mdm.Device{ID: "b", SerialNumber: "S2", Platform: mdm.PlatformIOS}))
	must(ten.RemoveDevice(now, "b"))
	for serial, want := range map[string]mdm.DeviceID{"S1": "a", "c": "c"} {
		if got, found := ten.DeviceBySerial(serial); !found || got != want {
			t.Fatalf("DeviceBySerial(%s) = %q, %v; want %s", serial, got, found, want)
		}
	}
}

// S6: Store for Business knows a user by the user principal name alone, so two
// users cannot share one. A second user under a name in use is refused and
// changes nothing; the first keeps it when the refused user changes theirs.
func TestTenant_S6_UserPrincipalNameInUse(t *testing.T) {
	now := start
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	must(ten.PutUser(now, mdm.User{ID: "a", UserPrincipalName: "x@contoso.com"}))
	must(ten.PutUser(now, mdm.User{ID: "b", UserPrincipalName: "y@contoso.com"}))
	for _, u := range []mdm.User{{ID: "c", UserPrincipalName: "x@contoso.com"}, {ID: "b", UserPrincipalName: "x@contoso.com"}} {
		if _, err := ten.PutUser(now, u); !errors.Is(err, tenant.ErrUPNInUse) {
			t.Fatalf("PutUser(%s, %s): err = %v, want ErrUPNInUse", u.ID, u.UserPrincipalName, err)
		}
	}
	if _, found := ten.UserByClientUserID("c"); found {
		t.Fatal("a refused user was added")
	}
	// the same user keeps its name; a user may change to a free one
	must(ten.PutUser(now, mdm.User{ID: "a", UserPrincipalName: "x@contoso.com", DisplayName: "A"}))
	must(ten.PutUser(now, mdm.User{ID: "b", UserPrincipalName: "z@contoso.com"}))
	must(ten.DeleteUser(now, "b"))
	for upn, want := range map[string]mdm.UserID{"x@contoso.com": "a"} {
		if got, found := ten.UserByClientUserID(upn); !found || got != want {
			t.Fatalf("UserByClientUserID(%s) = %q, %v; want %s", upn, got, found, want)
		}
	}
	if _, found := ten.UserByClientUserID("y@contoso.com"); found {
		t.Fatal("a user principal name given up still names its user")
	}
}

// T1: what no check-in can be is refused with a typed error, not a panic or a
// nonsense record: a nil report or result, the zero time, a time past 2262.
func TestTenant_CheckInArgs(t *testing.T) {
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	must(ten.EnrollDevice(start, mdm.Device{ID: "d", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	must(ten.AddApp(start, mdm.App{ID: "vpn", DisplayName: "VPN", Type: mdm.AppTypeWin32, Version: "1",
		Package: mdm.Package{FileName: "vpn.intunewin", Size: mdm.MiB}}))
	must(ten.Assign(start, mdm.Assignment{ID: "a", App: "vpn", Intent: mdm.Required, Target: mdm.AllDevicesTarget(),
		Settings: mdm.DefaultSettings(mdm.AppTypeWin32)}))
	ref, found := ten.DeviceRef("d")
	if !found {
		t.Fatal("no ref")
	}
	var out tenant.CheckInResult
	rep := &mdm.Report{Device: "d"}
	cases := []struct {
		name string
		now  time.Time
		r    *mdm.Report
		out  *tenant.CheckInResult
		want error
	}{
		{"nil report", start, nil, &out, mdm.ErrMissingField},
		{"nil result", start, rep, nil, mdm.ErrMissingField},
		{"zero time", time.Time{}, rep, &out, tenant.ErrTimeRange},
		{"year 2300", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), rep, &out, tenant.ErrTimeRange},
	}
	for _, c := range cases {
		if err := ten.CheckIn(c.now, c.r, c.out); !errors.Is(err, c.want) {
			t.Errorf("CheckIn, %s: err = %v, want %v", c.name, err, c.want)
		}
		if err := ten.CheckInRef(c.now, ref, c.r, c.out); !errors.Is(err, c.want) {
			t.Errorf("CheckInRef, %s: err = %v, want %v", c.name, err, c.want)
		}
	}
	// Nothing was recorded or sent: the first good check-in sends the install.
	if err := ten.CheckIn(start, rep, &out); err != nil {
		t.Fatalf("a good check-in after the refusals: %v", err)
	}
	if len(out.Commands) != 1 || out.Commands[0].ID != 1 {
		t.Fatalf("the first good check-in sent %v, want cmd-1 install", out.Commands)
	}
}

// L18: SetPoolCounts with no app is refused with a typed error, not a panic.
func TestTenant_SetPoolCounts_NilApp(t *testing.T) {
	ten := newTenant(t, tenant.Config{})
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("SetPoolCounts(nil) panicked: %v", r)
			}
		}()
		err = ten.SetPoolCounts(start, nil, 1, 0)
	}()
	if !errors.Is(err, mdm.ErrMissingField) {
		t.Fatalf("err = %v, want %v", err, mdm.ErrMissingField)
	}
}

// L7, L2: a pool belongs to a token the tenant knows. SetPoolCounts for a token
// never added, or one deleted (a sync that was running when the admin deleted
// it), is refused and creates no pool: a pool there would grant licenses
// through a token DeleteToken can no longer reach, past the token limit.
func TestTenant_L7_PoolOfUnknownToken(t *testing.T) {
	ten := newTenant(t, tenant.Config{})
	must := ok(t)
	must(ten.AddToken(start, "tok"))
	gone := mdm.App{ID: "gone", DisplayName: "g", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "1"}}
	if err := ten.UpsertSyncedApp(start, gone); err != nil {
		t.Fatal(err)
	}
	must(ten.DeleteToken(start, "tok"))
	never := mdm.App{ID: "never", DisplayName: "n", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "other", ProductID: "2"}}
	if err := ten.UpsertSyncedApp(start, never); err != nil {
		t.Fatal(err)
	}
	for _, a := range []mdm.App{gone, never} {
		if err := ten.SetPoolCounts(start, &a, 5, 0); !errors.Is(err, license.ErrUnknownToken) {
			t.Errorf("%s: err = %v, want %v", a.ID, err, license.ErrUnknownToken)
		}
		if _, _, found := ten.PoolCounts(a.Origin.Token, a.Origin.ProductID); found {
			t.Errorf("%s: a pool was created under token %s, which the tenant does not know", a.ID, a.Origin.Token)
		}
		if st, err := ten.AppStatus(a.ID); err != nil || st.HasPool {
			t.Errorf("%s: status %+v, %v; want no pool", a.ID, st, err)
		}
	}
}

// T2: NextPush is the time DuePushes next has a device, also after a device
// was removed and enrolled again under its id: the pushes scheduled for it
// before the removal are forgotten with it.
func TestTenant_T2_NextPushAfterReenrollment(t *testing.T) {
	ten, must, now := requiredPC(t) // the assignment pushes pc
	must(ten.RemoveDevice(now, "pc"))
	now = now.Add(10 * time.Minute)
	must(ten.EnrollDevice(now, mdm.Device{ID: "pc", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	must(ten.AddMember(now, "g", "pc")) // pushes pc again
	want := now.Add(mdm.DefaultPolicy().PushRenotifyInterval)
	at, scheduled := ten.NextPush()
	if !scheduled || !at.Equal(want) {
		t.Fatalf("NextPush = %v, %v; want %v, the re-notification of the push after the enrollment", at, scheduled, want)
	}
	if got := ten.DuePushes(at, nil); len(got) != 1 || got[0] != "pc" {
		t.Fatalf("DuePushes(NextPush) = %v, want [pc]", got)
	}
}
