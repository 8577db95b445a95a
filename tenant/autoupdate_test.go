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
}
