package tenant

import (
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// vppPair returns a tenant with a VPP app whose pool has total licenses,
// required on two iPads (ipad-a, ipad-b) with device licensing; the app, the
// time and a check for admin calls.
func vppPair(t *testing.T, total int) (*Tenant, mdm.App, time.Time, func(Change, error)) {
	t.Helper()
	return vppPairAt(t, total, time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
}

// vppPairAt is vppPair set up at now.
func vppPairAt(t *testing.T, total int, now time.Time) (*Tenant, mdm.App, time.Time, func(Change, error)) {
	t.Helper()
	ten, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	must := func(_ Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	app := mdm.App{ID: "vpp", DisplayName: "v", Type: mdm.AppTypeIOSVPP, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "1"}}
	must(ten.AddToken(now, "tok"))
	if err := ten.UpsertSyncedApp(now, app); err != nil {
		t.Fatal(err)
	}
	if err := ten.SetPoolCounts(now, &app, total, 0); err != nil {
		t.Fatal(err)
	}
	for _, d := range []mdm.DeviceID{"ipad-a", "ipad-b"} {
		must(ten.EnrollDevice(now, mdm.Device{ID: d, Platform: mdm.PlatformIOS, OSVersion: "17.4"}))
	}
	must(ten.PutGroup(now, mdm.Group{ID: "g", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"ipad-a", "ipad-b"}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a", App: "vpp", Intent: mdm.Required, Target: mdm.GroupTarget("g"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseDevice}}))
	return ten, app, now, must
}

// L5, L19: a check-in grants and reclaims through the device's license.Ref in
// the pool, remembered from its first grant. A Ref is only a hint: one that
// names another holder (here, another device's) is refused by the pool, and the
// grant falls back to the lookup and remembers the right Ref.
func TestTenant_LicenseRefs(t *testing.T) {
	ten, _, now, must := vppPair(t, 2)
	e, _ := ten.cat.lookup("vpp")
	refOf := func(id mdm.DeviceID) license.Ref { return ten.device(id).licRef(e.idx) }
	var out CheckInResult
	checkIn := func(d mdm.DeviceID, r *mdm.Report) {
		t.Helper()
		if err := ten.CheckIn(now, r, &out); err != nil {
			t.Fatal(err)
		}
	}

	checkIn("ipad-b", &mdm.Report{Device: "ipad-b"})
	rb := refOf("ipad-b")
	if rb.IsZero() || len(out.Commands) != 1 {
		t.Fatalf("ipad-b: ref %v, commands %v; want a Ref and an install", rb, out.Commands)
	}
	// ipad-a is given ipad-b's Ref: the pool refuses it, the grant looks
	// ipad-a up instead, and ipad-a keeps its own Ref from then on.
	ten.device("ipad-a").setLicRef(e.idx, rb)
	checkIn("ipad-a", &mdm.Report{Device: "ipad-a"})
	ra := refOf("ipad-a")
	if len(out.Commands) != 1 || ra.IsZero() || ra == rb {
		t.Fatalf("ipad-a: ref %v (ipad-b's %v), commands %v; want its own Ref and an install", ra, rb, out.Commands)
	}
	if st, _ := ten.AppStatus("vpp"); st.Licenses.Assigned != 2 {
		t.Fatalf("%d licenses assigned, want 2 (one per device)", st.Licenses.Assigned)
	}
	// The uninstall reclaims through the Ref: ipad-a's license, not ipad-b's.
	must(ten.Unassign(now, "a"))
	must(ten.Assign(now, mdm.Assignment{ID: "u", App: "vpp", Intent: mdm.Uninstall, Target: mdm.GroupTarget("g"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseDevice}}))
	now = now.Add(time.Minute)
	checkIn("ipad-a", &mdm.Report{Device: "ipad-a", Inventory: []mdm.InstalledApp{{App: "vpp", Version: "1"}}})
	if len(out.Commands) != 1 || out.Commands[0].Kind != mdm.CommandUninstall {
		t.Fatalf("ipad-a: commands %v, want an uninstall", out.Commands)
	}
	pool := ten.poolOf(e)
	for _, c := range []struct {
		d    mdm.DeviceID
		held bool
	}{{"ipad-a", false}, {"ipad-b", true}} {
		if got, err := pool.Holds(license.Request{Device: c.d}); err != nil || got != c.held {
			t.Errorf("%s holds a license: %v (%v), want %v", c.d, got, err, c.held)
		}
	}
}

// L5: a device refused a license asks again at every check-in, in effect: its
// check-ins skip the evaluation only while its pool still has no license for
// it (license.Pool.Waits); the first check-in after one frees gets it, and an
// admin's forced evaluation is not skipped.
func TestTenant_LicenseWaitSkipsEvaluation(t *testing.T) {
	ten, app, now, must := vppPair(t, 1)
	var out CheckInResult
	checkIn := func(d mdm.DeviceID, commands int) {
		t.Helper()
		now = now.Add(time.Hour)
		if err := ten.CheckIn(now, &mdm.Report{Device: d}, &out); err != nil || len(out.Commands) != commands {
			t.Fatalf("%s: commands %v, err %v; want %d", d, out.Commands, err, commands)
		}
	}
	b := ten.device("ipad-b")
	evaluatedAt := func() int64 { return b.nextEval } // while it waits: the time of its last evaluation

	checkIn("ipad-a", 1)
	checkIn("ipad-b", 0) // refused: waits
	if b.lic == nil || len(b.lic.waits) != 1 {
		t.Fatalf("ipad-b waits on %v, want its pool", b.lic)
	}
	first := evaluatedAt()
	checkIn("ipad-b", 0)
	if evaluatedAt() != first {
		t.Fatal("a check-in while nothing is free evaluated the device")
	}
	// An admin's reevaluation is not skipped.
	must(ten.DeviceAction(now, ActionRequest{Device: "ipad-b", App: "vpp", Action: ActionReevaluate, Online: true}))
	checkIn("ipad-b", 0)
	if evaluatedAt() != now.UnixNano() { // checkIn stamps the check-in with now
		t.Fatal("a forced evaluation was skipped")
	}
	// A license bought: the next check-in evaluates and gets it.
	if err := ten.SetPoolCounts(now, &app, 2, 0); err != nil {
		t.Fatal(err)
	}
	checkIn("ipad-b", 1)
	if len(b.lic.waits) != 0 {
		t.Fatalf("ipad-b granted still waits on %v", b.lic.waits)
	}
}

// T12, L5: an admin's forced evaluation ends a license wait whatever the
// time of the refused check-in, the Unix epoch and before included: the force
// is a value no check-in time can take (forceEval), not 0, which a review
// found equal to a wait begun at the epoch. T14: a required app without a
// deadline installs at once, before 1970 too (noDeadline, not 0).
func TestTenant_LicenseWaitForcedAtEpoch(t *testing.T) {
	for _, at := range []time.Time{time.Unix(0, 0).UTC(), time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)} {
		ten, _, now, must := vppPairAt(t, 1, at)
		must(ten.AddApp(now, mdm.App{ID: "lob", DisplayName: "lob", Type: mdm.AppTypeIOSLOB, Version: "1",
			Package: mdm.Package{FileName: "lob.ipa", Size: mdm.MiB}}))
		var out CheckInResult
		checkIn := func(d mdm.DeviceID, at time.Time, commands int) {
			t.Helper()
			if err := ten.CheckIn(at, &mdm.Report{Device: d}, &out); err != nil || len(out.Commands) != commands {
				t.Fatalf("%s at %s: commands %v, err %v; want %d", d, at, out.Commands, err, commands)
			}
		}
		checkIn("ipad-a", now, 1) // the one license
		checkIn("ipad-b", now, 0) // refused: waits
		must(ten.DeviceAction(now, ActionRequest{Device: "ipad-b", App: "lob", Action: ActionInstall, Online: true}))
		checkIn("ipad-b", now.Add(time.Hour), 1) // the admin's install
	}
}

// L1, L5: a waiting device's skip ends at the expDate of its own pool's token,
// not of any token: a token past its date and kept does not send every waiter
// of every other pool back to a full evaluation at each check-in.
func TestTenant_LicenseWaitEndsAtItsTokensDate(t *testing.T) {
	ten, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	must := func(_ Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	devs := []mdm.DeviceID{"ipad-a", "ipad-b", "ipad-c"}
	for _, d := range devs {
		must(ten.EnrollDevice(now, mdm.Device{ID: d, Platform: mdm.PlatformIOS, OSVersion: "17.4"}))
	}
	// app x (token x) reaches a and b, app y (token y) a and c: one license each
	for _, c := range []struct{ app, group string }{{"x", "ipad-b"}, {"y", "ipad-c"}} {
		tok := mdm.TokenID("tok-" + c.app)
		must(ten.AddToken(now, tok))
		app := mdm.App{ID: mdm.AppID(c.app), DisplayName: c.app, Type: mdm.AppTypeIOSVPP, Version: "1",
			Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: tok, ProductID: "1"}}
		if err := ten.UpsertSyncedApp(now, app); err != nil {
			t.Fatal(err)
		}
		if err := ten.SetPoolCounts(now, &app, 1, 0); err != nil {
			t.Fatal(err)
		}
		g := mdm.GroupID("g-" + c.app)
		must(ten.PutGroup(now, mdm.Group{ID: g, Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"ipad-a", mdm.DeviceID(c.group)}}))
		must(ten.Assign(now, mdm.Assignment{ID: mdm.AssignmentID("a-" + c.app), App: app.ID, Intent: mdm.Required,
			Target: mdm.GroupTarget(g), Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseDevice}}))
	}
	var out CheckInResult
	for _, d := range devs { // a takes both licenses; b waits on x, c on y
		if err := ten.CheckIn(now, &mdm.Report{Device: d}, &out); err != nil {
			t.Fatal(err)
		}
	}
	must(ten.SetTokenExpiry(now, "tok-x", now.Add(2*time.Hour)))
	markC := ten.device("ipad-c").nextEval
	now = now.Add(3 * time.Hour)
	for _, d := range []mdm.DeviceID{"ipad-b", "ipad-c"} {
		if err := ten.CheckIn(now, &mdm.Report{Device: d}, &out); err != nil {
			t.Fatal(err)
		}
	}
	if c := ten.device("ipad-c"); c.nextEval != markC || len(c.lic.waits) != 1 {
		t.Error("ipad-c, waiting on token y's pool, was evaluated when token x's date passed")
	}
	// b was evaluated: its grant now meets token x's date (L1)
	b := ten.device("ipad-b")
	e, _ := ten.cat.lookup("x")
	p, _ := b.find(ten.cat, e.id)
	if r := b.recs[p]; r.detail != mdm.DetailTokenNotValid {
		t.Errorf("ipad-b's x: %v/%v, want failed/tokenNotValid (L1)", r.state, r.detail)
	}
}
