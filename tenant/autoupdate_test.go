package tenant

import (
	"fmt"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// L9: VPP apps update automatically for required and available assignments;
// an assignment may prevent automatic updates only where the token allows it.
// Each case installs version 1 of a VPP app on an iPad, publishes version 2
// and checks in: the update goes unless the assignment prevents it and the
// token allows that. Turning the token's permission off then pushes the device
// and updates a prevented app at its next check-in.
func TestTenant_L9_PreventAutoUpdate(t *testing.T) {
	for _, intent := range []mdm.Intent{mdm.Required, mdm.Available} {
		for _, prevent := range []bool{false, true} {
			for _, allows := range []bool{true, false} {
				name := fmt.Sprintf("%v/prevent=%v/tokenAllows=%v", intent, prevent, allows)
				t.Run(name, func(t *testing.T) {
					updates := !prevent || !allows
					ten, app, now, must := vppPair(t, 2)
					must(ten.Unassign(now, "a"))
					target := mdm.GroupTarget("g")
					if intent == mdm.Available {
						// A4, T7: available to the user group of the iPad's primary user
						must(ten.PutUser(now, mdm.User{ID: "ada"}))
						must(ten.EnrollDevice(now, mdm.Device{ID: "ipad-a", Platform: mdm.PlatformIOS, OSVersion: "17.4", PrimaryUser: "ada"}))
						must(ten.PutGroup(now, mdm.Group{ID: "users", Kind: mdm.UserMembers, Users: []mdm.UserID{"ada"}}))
						target = mdm.GroupTarget("users")
					}
					must(ten.Assign(now, mdm.Assignment{ID: "a", App: "vpp", Intent: intent, Target: target,
						Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseDevice, PreventAutoUpdate: prevent}}))
					if !allows {
						ch, err := ten.SetTokenUpdatePrevention(now, "tok", false)
						if err != nil || len(ch.Notify) != 0 {
							t.Fatalf("SetTokenUpdatePrevention: %+v, %v; want no device to push (none holds the app)", ch, err)
						}
					}
					if got, ok := ten.TokenUpdatePrevention("tok"); !ok || got != allows {
						t.Fatalf("TokenUpdatePrevention = %v, %v; want %v, true", got, ok, allows)
					}
					var out CheckInResult
					inv := []mdm.InstalledApp(nil)
					checkIn := func() {
						t.Helper()
						now = now.Add(time.Minute)
						if err := ten.CheckIn(now, &mdm.Report{Device: "ipad-a", Inventory: inv}, &out); err != nil {
							t.Fatal(err)
						}
					}
					// Version 1 goes on: sent by the service (required) or
					// asked for from the portal (available).
					if intent == mdm.Available {
						checkIn()
						now = now.Add(time.Minute)
						if err := ten.CheckIn(now, &mdm.Report{Device: "ipad-a",
							Requests: []mdm.PortalRequest{{App: "vpp", Action: mdm.PortalInstall}}}, &out); err != nil {
							t.Fatal(err)
						}
					} else {
						checkIn()
					}
					if len(out.Commands) != 1 || out.Commands[0].Kind != mdm.CommandInstall {
						t.Fatalf("first install: commands %v", out.Commands)
					}
					id := out.Commands[0].ID
					inv = []mdm.InstalledApp{{App: "vpp", Version: "1"}}
					now = now.Add(time.Minute)
					if err := ten.CheckIn(now, &mdm.Report{Device: "ipad-a", Inventory: inv,
						Results: []mdm.CommandResult{{Command: id, Kind: mdm.CommandInstall, App: "vpp", Outcome: mdm.OutcomeSucceeded}}}, &out); err != nil {
						t.Fatal(err)
					}

					app.Version = "2"
					if err := ten.UpsertSyncedApp(now, app); err != nil {
						t.Fatal(err)
					}
					checkIn()
					sentUpdate := len(out.Commands) == 1 && out.Commands[0].Kind == mdm.CommandUpdate
					if sentUpdate != updates || (!updates && len(out.Commands) != 0) {
						t.Fatalf("after version 2: commands %v, want an update: %v", out.Commands, updates)
					}
					if updates {
						return
					}
					ds, _ := ten.DeviceStatus("ipad-a")
					st := ds.Apps
					if len(st) != 1 || st[0].State != mdm.StateInstalled || st[0].Detail != mdm.DetailUpdateAvailable {
						t.Fatalf("prevented: status %+v, want installed, update available", st)
					}
					// The token stops allowing it: the device is pushed and updated.
					ch, err := ten.SetTokenUpdatePrevention(now, "tok", false)
					if err != nil || len(ch.Notify) != 1 || ch.Notify[0] != "ipad-a" {
						t.Fatalf("SetTokenUpdatePrevention(false): %+v, %v; want ipad-a pushed", ch, err)
					}
					checkIn()
					if len(out.Commands) != 1 || out.Commands[0].Kind != mdm.CommandUpdate {
						t.Fatalf("after the token stopped allowing prevention: commands %v, want an update", out.Commands)
					}
				})
			}
		}
	}
}

// L9: the token setting is a token's: an unknown token or a time the tenant
// cannot record is refused and changes nothing; setting what is already set
// pushes no one.
func TestTenant_L9_SetTokenUpdatePreventionErrors(t *testing.T) {
	ten, _, now, _ := vppPair(t, 1)
	if _, err := ten.SetTokenUpdatePrevention(now, "nope", false); err == nil {
		t.Fatal("an unknown token was accepted")
	}
	if _, ok := ten.TokenUpdatePrevention("nope"); ok {
		t.Fatal("an unknown token has a setting")
	}
	if _, err := ten.SetTokenUpdatePrevention(time.Time{}, "tok", false); err == nil {
		t.Fatal("the zero time was accepted")
	}
	epoch := ten.epoch
	if ch, err := ten.SetTokenUpdatePrevention(now, "tok", true); err != nil || len(ch.Notify) != 0 || ten.epoch != epoch {
		t.Fatalf("setting the default again: %+v, %v, epoch moved %v", ch, err, ten.epoch != epoch)
	}
	if allows, ok := ten.TokenUpdatePrevention("tok"); !ok || !allows {
		t.Fatal("a refused call changed the setting")
	}
	// a token without VPP apps (a Store for Business account): nothing to
	// evaluate again
	if _, err := ten.AddToken(now, "msfb"); err != nil {
		t.Fatal(err)
	}
	if ch, err := ten.SetTokenUpdatePrevention(now, "msfb", false); err != nil || len(ch.Notify) != 0 || ten.epoch != epoch {
		t.Fatalf("a token without VPP apps: %+v, %v, epoch moved %v", ch, err, ten.epoch != epoch)
	}
	if allows, _ := ten.TokenUpdatePrevention("msfb"); allows {
		t.Fatal("the setting of a token without VPP apps was not kept")
	}
}

// installRequired checks dev in until version v of the required app id is
// installed (install sent, result and inventory reported), and returns the time.
func installRequired(t *testing.T, ten *Tenant, now time.Time, id mdm.AppID, dev mdm.DeviceID, v string) time.Time {
	t.Helper()
	var out CheckInResult
	now = now.Add(time.Minute)
	if err := ten.CheckIn(now, &mdm.Report{Device: dev}, &out); err != nil {
		t.Fatal(err)
	}
	var cmd *mdm.Command
	for i := range out.Commands {
		if out.Commands[i].App == id {
			cmd = &out.Commands[i]
		}
	}
	if cmd == nil || cmd.Kind != mdm.CommandInstall {
		t.Fatalf("first install of %s: commands %v", id, out.Commands)
	}
	now = now.Add(time.Minute)
	if err := ten.CheckIn(now, &mdm.Report{Device: dev, Inventory: []mdm.InstalledApp{{App: id, Version: v}},
		Results: []mdm.CommandResult{{Command: cmd.ID, Kind: mdm.CommandInstall, App: id, Outcome: mdm.OutcomeSucceeded}}}, &out); err != nil {
		t.Fatal(err)
	}
	return now
}

// T4, C4: a VPP app's catalog version comes from the App Store lookup
// (storesync.WithAppleVersions), while the device updates App Store apps by
// itself. A device that reports a version newer than the catalog's (the lookup
// lags) is current: the service does not send it an "update" to the older
// version. (Found by review.)
func TestTenant_T4_NewerStoreVersionOnDeviceIsCurrent(t *testing.T) {
	ten, _, now, _ := vppPair(t, 2)
	now = installRequired(t, ten, now, "vpp", "ipad-a", "1")
	var out CheckInResult
	now = now.Add(time.Minute)
	if err := ten.CheckIn(now, &mdm.Report{Device: "ipad-a", Inventory: []mdm.InstalledApp{{App: "vpp", Version: "2"}}}, &out); err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Commands {
		if c.Kind == mdm.CommandUpdate {
			t.Fatalf("device reports 2, catalog says 1: the service sent %v (a downgrade)", c)
		}
	}
	ds, _ := ten.DeviceStatus("ipad-a")
	if st := ds.Apps[0]; st.Detail == mdm.DetailUpdateAvailable {
		t.Fatalf("device newer than the catalog reported as %+v", st)
	}
}

// L9, L8: books are updated by their store, not through assignments
// (license.AutoUpdates): a required book whose catalog version changes is
// sent no update. (Found by review: it fell into the generic T4 path.)
func TestTenant_L9_BooksNotUpdatedThroughAssignments(t *testing.T) {
	ten, must := tenantRig(t)
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	book := mdm.App{ID: "book", DisplayName: "b", Type: mdm.AppTypeVPPBook, Version: "1",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "2"}}
	must(ten.AddToken(now, "tok"))
	if err := ten.UpsertSyncedApp(now, book); err != nil {
		t.Fatal(err)
	}
	if err := ten.SetPoolCounts(now, &book, 5, 0); err != nil {
		t.Fatal(err)
	}
	must(ten.PutUser(now, mdm.User{ID: "ada", HasAppleAccount: true}))
	must(ten.EnrollDevice(now, mdm.Device{ID: "ipad", Platform: mdm.PlatformIOS, OSVersion: "17.4", PrimaryUser: "ada", HasBooksApp: true}))
	must(ten.PutGroup(now, mdm.Group{ID: "u", Kind: mdm.UserMembers, Users: []mdm.UserID{"ada"}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a", App: "book", Intent: mdm.Required, Target: mdm.GroupTarget("u"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseUser, PreventAutoUpdate: true}}))
	now = installRequired(t, ten, now, "book", "ipad", "1")
	book.Version = "2"
	if err := ten.UpsertSyncedApp(now, book); err != nil {
		t.Fatal(err)
	}
	var out CheckInResult
	now = now.Add(time.Minute)
	if err := ten.CheckIn(now, &mdm.Report{Device: "ipad", Inventory: []mdm.InstalledApp{{App: "book", Version: "1"}}}, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Commands) != 0 {
		t.Fatalf("a required book with PreventAutoUpdate (token allows it) was sent %v", out.Commands)
	}
}
