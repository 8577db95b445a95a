package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/mdm"
)

// TestRun_rapid draws whole small scenarios — fleet size and mix, groups,
// apps, license pools, failure and offline rates, store faults, an admin
// timeline — and runs each: no safety invariant may break (T1, T8, L18) and
// every device online enough must converge by the end (liveness). On a
// failure rapid shrinks the scenario and the test prints it as a file to
// reproduce with fleetsim -scenario (DESIGN: the VOPR way).
func TestRun_rapid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := drawScenario(t)
		if err := sc.Validate(); err != nil {
			t.Fatalf("drew an invalid scenario: %v", err)
		}
		rep, err := Run(context.Background(), sc, Options{})
		if err != nil {
			b, _ := json.MarshalIndent(sc, "", "  ")
			t.Fatalf("%v\n\nscenario (save as a file and run fleetsim -scenario FILE):\n%s\n\n%s", err, b, text(rep))
		}
	})
}

func drawScenario(t *rapid.T) *Scenario {
	days := rapid.IntRange(2, 9).Draw(t, "days")
	devices := rapid.IntRange(1, 60).Draw(t, "devices")
	sc := &Scenario{Name: "rapid", Seed: rapid.Uint64().Draw(t, "seed"), Duration: Duration(time.Duration(days) * Day),
		SampleEvery: Duration(12 * time.Hour)}
	fl := &sc.Fleet
	fl.Devices = devices
	fl.Users = rapid.IntRange(1, 40).Draw(t, "users")
	fl.UserlessShare = rapid.SampledFrom([]float64{0, 0.1, 0.5}).Draw(t, "userless")
	fl.AppleAccountShare = rapid.SampledFrom([]float64{0, 0.5, 1}).Draw(t, "appleAccounts")
	plats := rapid.SliceOfNDistinct(rapid.SampledFrom([]mdm.Platform{mdm.PlatformWindows, mdm.PlatformIOS,
		mdm.PlatformMacOS, mdm.PlatformAndroidEnterprise}), 1, 4, rapid.ID[mdm.Platform]).Draw(t, "platforms")
	for k, p := range plats {
		share := 1 / float64(len(plats))
		if k == len(plats)-1 {
			share = 1 - share*float64(len(plats)-1)
		}
		ps := PlatformSpec{Platform: p, Share: share, OSVersions: []VersionShare{{"17.0", 0.5}, {"10.0.19045", 0.5}}}
		if p == mdm.PlatformWindows {
			ps.JoinType = mdm.JoinHybrid
		}
		fl.Platforms = append(fl.Platforms, ps)
	}
	fl.Groups = []GroupSpec{
		{ID: "g1", Kind: mdm.UserMembers, Share: rapid.Float64Range(0.05, 1).Draw(t, "g1")},
		{ID: "g2", Kind: mdm.UserMembers, Share: 0.5, Groups: []mdm.GroupID{"g1"}},
		{ID: "d1", Kind: mdm.DeviceMembers, Share: rapid.Float64Range(0.1, 1).Draw(t, "d1")},
	}
	enrollDays := rapid.IntRange(0, days-1).Draw(t, "enrollOver")
	fl.Enrollment = []WaveSpec{{At: 0, Over: Duration(time.Duration(enrollDays) * Day), Share: 1}}

	// Behaviour: failure and offline rates.
	p := device.DefaultProfile()
	p.Install.FailureProbability = rapid.Float64Range(0, 0.3).Draw(t, "failure")
	p.Install.RetryProbability = rapid.Float64Range(0, 0.1).Draw(t, "retry")
	p.Install.PendingRebootProbability = rapid.Float64Range(0, 0.1).Draw(t, "reboot")
	p.Install.StuckProbability = rapid.Float64Range(0, 0.05).Draw(t, "stuck")
	p.NotNowProbability = rapid.Float64Range(0, 0.2).Draw(t, "notNow")
	p.Schedule.NightOffProbability = rapid.Float64Range(0, 1).Draw(t, "nightOff")
	p.Schedule.AbsenceEvery = Duration(time.Duration(rapid.IntRange(0, 20).Draw(t, "absenceDays")) * Day)
	p.User.PortalInstallEvery = Duration(time.Duration(rapid.IntRange(0, 5).Draw(t, "portalDays")) * Day)
	p.User.RemoveEvery = Duration(time.Duration(rapid.IntRange(0, 5).Draw(t, "removeDays")) * Day)
	p.User.LeaveAfter = Duration(time.Duration(rapid.IntRange(0, 30).Draw(t, "leaveDays")) * Day)
	sc.Behavior.Profiles = []ProfileSpec{{Name: "default", Profile: p}}

	// Apps: one of each kind the fleet can take, pools short or not.
	licenses := func(label string) int { return rapid.IntRange(0, devices+5).Draw(t, label) }
	sc.Stores.VPP = []VPPTokenSpec{{ID: "vpp"}}
	sc.Stores.StoreForBusiness = []BusinessStoreSpec{{ID: "msfb"}}
	sc.Apps = []AppSpec{
		{ID: "win", Type: mdm.AppTypeWin32},
		{ID: "ios-lob", Type: mdm.AppTypeIOSLOB},
		{ID: "web", Type: mdm.AppTypeWebLink},
		{ID: "vpp-app", Type: mdm.AppTypeIOSVPP, Store: &AppStoreSpec{Token: "vpp", Licenses: licenses("vppLicenses")}},
		{ID: "sfb", Type: mdm.AppTypeStoreForBusiness, Store: &AppStoreSpec{Token: "msfb", Licenses: licenses("sfbLicenses"), Licensing: mdm.LicenseOffline}},
	}
	targets := []string{"allUsers", "allDevices", "group:g1", "group:g2", "group:d1", "exclude:g1"}
	intents := []mdm.Intent{mdm.Required, mdm.Available, mdm.Uninstall}
	n := 0
	drawAssignment := func(label string) AssignmentSpec {
		n++
		return AssignmentSpec{ID: mdm.AssignmentID(fmt.Sprintf("a%d", n)),
			App:    rapid.SampledFrom([]mdm.AppID{"win", "ios-lob", "web", "vpp-app", "sfb"}).Draw(t, label+".app"),
			Intent: rapid.SampledFrom(intents).Draw(t, label+".intent"), Target: rapid.SampledFrom(targets).Draw(t, label+".target")}
	}
	// Faults.
	if rapid.Bool().Draw(t, "outage") {
		from := Duration(time.Duration(rapid.IntRange(1, days*24-2).Draw(t, "outageFrom")) * time.Hour)
		sc.Faults.StoreOutages = []OutageSpec{{Token: "vpp", From: from, To: from + Duration(time.Hour)}}
	}
	if rapid.Bool().Draw(t, "claim") {
		at := Duration(time.Duration(rapid.IntRange(1, days*24-2).Draw(t, "claimAt")) * time.Hour)
		back := Duration(time.Hour)
		sc.Faults.TokenClaims = []ClaimSpec{{Token: "vpp", At: at, LoseRecords: rapid.Bool().Draw(t, "lose"), TakeBackAfter: &back}}
	}
	// The admin timeline, assignments first: an action the product refuses
	// (A3, A4, L14) is recorded in the report and the run goes on, so drawing
	// them is fine; the point is what the accepted ones do.
	at := Duration(0)
	var live []mdm.AssignmentID
	for k := range rapid.IntRange(0, 4).Draw(t, "assignments") {
		as := drawAssignment(fmt.Sprintf("setup%d", k))
		sc.Timeline = append(sc.Timeline, ActionSpec{At: 0, Action: ActAssign, Assignment: &as})
		live = append(live, as.ID)
	}
	for k := range rapid.IntRange(0, 6).Draw(t, "actions") {
		at += Duration(time.Duration(rapid.IntRange(1, 24).Draw(t, "gap")) * time.Hour)
		if at > sc.Duration {
			break
		}
		label := fmt.Sprintf("action%d", k)
		a := ActionSpec{At: at}
		switch kind := rapid.SampledFrom([]ActionKind{ActAssign, ActUnassign, ActChangeIntent, ActBuyLicenses, ActRefund,
			ActUsersLeave, ActNewVersion, ActSync}).Draw(t, label); kind {
		case ActAssign:
			as := drawAssignment(label)
			a.Action, a.Assignment = kind, &as
			live = append(live, as.ID)
		case ActUnassign, ActChangeIntent:
			if len(live) == 0 {
				continue
			}
			j := rapid.IntRange(0, len(live)-1).Draw(t, label+".which")
			a.Action, a.ID = kind, live[j]
			if kind == ActUnassign {
				live = append(live[:j], live[j+1:]...)
			} else {
				in := rapid.SampledFrom(intents).Draw(t, label+".intent")
				a.Intent = &in
			}
		case ActBuyLicenses, ActRefund:
			a.Action, a.App, a.Count = kind, rapid.SampledFrom([]mdm.AppID{"vpp-app", "sfb"}).Draw(t, label+".app"), rapid.IntRange(1, 10).Draw(t, label+".count")
		case ActUsersLeave:
			a.Action, a.Count = kind, rapid.IntRange(1, 3).Draw(t, label+".count")
		case ActNewVersion:
			a.Action, a.App, a.Version = kind, rapid.SampledFrom([]mdm.AppID{"win", "ios-lob"}).Draw(t, label+".app"), fmt.Sprintf("2.%d", k)
		case ActSync:
			a.Action = kind
		}
		sc.Timeline = append(sc.Timeline, a)
	}
	return sc
}
