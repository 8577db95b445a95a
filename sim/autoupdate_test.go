package sim

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// L9 and T4 through the scenario format: Apple publishes a new version of a
// required VPP app (newVersion), the next store sync brings it, and the iPads
// holding the old one are updated, unless the assignment prevents automatic
// updates (preventAutoUpdate) and the token allows that
// (stores.vpp[].allowPreventAutoUpdate).
func TestRun_L9_PreventAutoUpdate(t *testing.T) {
	no := false
	for _, c := range []struct {
		prevent bool
		allow   *bool
		updates bool
	}{
		{prevent: false, updates: true},
		{prevent: true, updates: false},
		{prevent: true, allow: &no, updates: true},
	} {
		t.Run(fmt.Sprintf("prevent=%v/tokenAllows=%v", c.prevent, c.allow == nil), func(t *testing.T) {
			const n = 40
			sc := quietScenario(n, 4, quietProfile())
			sc.Fleet.Platforms = []PlatformSpec{{Platform: mdm.PlatformIOS, Share: 1, OSVersions: []VersionShare{{"17.4", 1}}}}
			sc.Apps = []AppSpec{{ID: "notes", Type: mdm.AppTypeIOSVPP, Version: "1.0",
				Store: &AppStoreSpec{Token: "vpp", Licenses: n}}}
			sc.Stores.VPP = []VPPTokenSpec{{ID: "vpp", AllowPreventAutoUpdate: c.allow}}
			sc.Assignments = []AssignmentSpec{{ID: "a", App: "notes", Intent: mdm.Required, Target: "allDevices",
				PreventAutoUpdate: c.prevent}}
			sc.Timeline = []ActionSpec{{At: Duration(2 * Day), Action: ActNewVersion, App: "notes", Version: "1.1"}}
			rep, err := Run(context.Background(), sc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Commands.Install != n {
				t.Fatalf("%d installs, want one per iPad:\n%s", rep.Commands.Install, text(rep))
			}
			want := uint64(0)
			if c.updates {
				want = n
			}
			if rep.Commands.Update != want {
				t.Fatalf("%d updates sent, want %d:\n%s", rep.Commands.Update, want, text(rep))
			}
			// the devices held back on the old version are counted (samples.go)
			if out := rep.PerApp[0].Outdated; out != n-int(want) {
				t.Fatalf("%d iPads outdated at the end, want %d:\n%s", out, n-int(want), text(rep))
			}
		})
	}
}

// C4: newVersion takes VPP apps (the App Store has the version, and store sync
// brings it) and apps added by hand; books and Store for Business apps have no
// version store sync brings, so it refuses them, naming the field.
func TestValidate_newVersionOfSyncedApps(t *testing.T) {
	for _, c := range []struct {
		typ mdm.AppType
		ok  bool
	}{
		{mdm.AppTypeIOSVPP, true},
		{mdm.AppTypeMacOSVPP, true},
		{mdm.AppTypeVPPBook, false},
		{mdm.AppTypeStoreForBusiness, false},
	} {
		sc := quietScenario(10, 4, quietProfile())
		app := AppSpec{ID: "x", Type: c.typ, Store: &AppStoreSpec{Token: "vpp", Licenses: 10}}
		sc.Stores.VPP = []VPPTokenSpec{{ID: "vpp"}}
		if c.typ == mdm.AppTypeStoreForBusiness {
			sc.Stores = StoresSpec{StoreForBusiness: []BusinessStoreSpec{{ID: "vpp"}}}
			app.Store.Licensing = mdm.LicenseOnline
		}
		sc.Apps = append(sc.Apps, app)
		sc.Timeline = []ActionSpec{{At: Duration(Day), Action: ActNewVersion, App: "x", Version: "2.0"}}
		err := sc.Validate()
		var se *ScenarioError
		switch {
		case c.ok && err != nil:
			t.Errorf("%v: %v", c.typ, err)
		case !c.ok && (!errors.As(err, &se) || se.Errors[0].Field != "timeline[0].app"):
			t.Errorf("%v: %v, want an error naming timeline[0].app", c.typ, err)
		}
	}
}
