package sim

import (
	"math"
	"time"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/mdm"
)

// Default sizes of the built-in scenario (issue 7).
const (
	DefaultDevices = 100_000
	DefaultDays    = 30
	DefaultSeed    = 1
)

// DefaultScenario returns the built-in scenario for a fleet of devices over days:
// a company onboarding its fleet (Windows, iOS, macOS, Android) in three
// enrollment waves, with 20 assigned apps of mixed intents (required,
// available, uninstall, exclusions, and the conflicts they make, A6), an Apple
// VPP token and a Store for Business account whose pools hold fewer licenses
// than the targets need, the default failure rates of device.DefaultProfile, and
// an admin timeline: a new assignment, an intent change, licenses bought, users
// leaving, new versions, a store outage, rate limiting and the VPP token claimed
// by another service and taken back. Every count scales with devices and every
// time with days, so a smaller run keeps the shape; the last change falls at
// two thirds of the run, leaving the rest for everything to converge.
//
// With devices ≤ 0 or days ≤ 0 the defaults apply (100,000 devices, 30 days):
// the scenario bench/fleet measures, cmd/fleetsim's builtin:large. MidScenario
// is the same story at 5,000 devices over 14 days, cmd/fleetsim's default.
func DefaultScenario(devices, days int) *Scenario {
	if devices <= 0 {
		devices = DefaultDevices
	}
	if days <= 0 {
		days = DefaultDays
	}
	n := float64(devices)
	// at places a moment of the 30-day story in a run of days.
	at := func(d float64) Duration {
		return Duration(time.Duration(d * float64(days) / DefaultDays * float64(Day)).Round(time.Minute))
	}
	count := func(share float64) int { return max(1, int(math.Round(share*n))) }
	span := func(d time.Duration) *Duration { x := Duration(d); return &x }
	intent := func(i mdm.Intent) *mdm.Intent { return &i }

	phone := device.DefaultProfile()
	phone.BooksAppProbability = 0.9
	phone.Schedule.NightOffProbability = 0.15 // phones stay on at night, mostly
	phone.Schedule.WeekendOffProbability = 0.1
	phone.Reboot.Every = Duration(14 * Day)
	laptop := device.DefaultProfile()
	laptop.UnmanagedApps = []device.UnmanagedApp{{App: "legacy-tool", Version: "0.9", Probability: 0.2}}

	users := count(0.8)
	s := &Scenario{
		Name: "default",
		Description: "A company onboards its fleet: 20 apps of mixed intents, VPP and Store for Business pools " +
			"short of licenses, default failure rates, and an admin timeline with a store outage and a claimed token.",
		Seed:     DefaultSeed,
		Duration: Duration(time.Duration(days) * Day),
		Fleet: FleetSpec{
			Devices: devices, Users: users, UserlessShare: 0.03, AppleAccountShare: 0.6,
			Platforms: []PlatformSpec{
				{Platform: mdm.PlatformWindows, Share: 0.45, JoinType: mdm.JoinHybrid, Profile: "laptop",
					OSVersions: []VersionShare{{"10.0.22631", 0.6}, {"10.0.19045", 0.35}, {"10.0.10240", 0.05}}},
				{Platform: mdm.PlatformIOS, Share: 0.30, Profile: "phone",
					OSVersions: []VersionShare{{"17.5", 0.7}, {"16.7", 0.25}, {"15.8", 0.05}}},
				{Platform: mdm.PlatformMacOS, Share: 0.08, Profile: "laptop",
					OSVersions: []VersionShare{{"14.5", 0.8}, {"13.6", 0.2}}},
				{Platform: mdm.PlatformAndroidEnterprise, Share: 0.12, Profile: "phone",
					AndroidMode: mdm.AndroidModeFullyManaged, OSVersions: []VersionShare{{"14", 0.7}, {"13", 0.3}}},
				{Platform: mdm.PlatformAndroid, Share: 0.05, Profile: "phone", Ownership: mdm.OwnershipPersonal,
					OSVersions: []VersionShare{{"13", 1}}},
			},
			Groups: []GroupSpec{
				{ID: "sales", Kind: mdm.UserMembers, Share: 0.25},
				{ID: "engineering", Kind: mdm.UserMembers, Share: 0.30},
				{ID: "finance", Kind: mdm.UserMembers, Share: 0.10},
				{ID: "contractors", Kind: mdm.UserMembers, Share: 0.08},
				{ID: "leadership", Kind: mdm.UserMembers, Share: 0.02},
				{ID: "managers", Kind: mdm.UserMembers, Share: 0.05, Groups: []mdm.GroupID{"leadership"}},
				{ID: "windows-devices", Kind: mdm.DeviceMembers, Share: 1, Platforms: []mdm.Platform{mdm.PlatformWindows}},
				{ID: "ios-devices", Kind: mdm.DeviceMembers, Share: 1, Platforms: []mdm.Platform{mdm.PlatformIOS}},
				{ID: "mac-devices", Kind: mdm.DeviceMembers, Share: 1, Platforms: []mdm.Platform{mdm.PlatformMacOS}},
				{ID: "android-enterprise-devices", Kind: mdm.DeviceMembers, Share: 1, Platforms: []mdm.Platform{mdm.PlatformAndroidEnterprise}},
				{ID: "android-devices", Kind: mdm.DeviceMembers, Share: 1, Platforms: []mdm.Platform{mdm.PlatformAndroid}},
			},
			Enrollment: []WaveSpec{
				{At: 0, Over: at(2), Share: 0.6},
				{At: at(2), Over: at(7), Share: 0.3},
				{At: at(9), Over: at(11), Share: 0.1},
			},
		},
		Behavior: BehaviorSpec{Profiles: []ProfileSpec{{Name: "laptop", Profile: laptop}, {Name: "phone", Profile: phone}}},
		Stores: StoresSpec{
			AppleEventLatency: Duration(30 * time.Second),
			VPP:               []VPPTokenSpec{{ID: "vpp-contoso", Location: "Contoso HQ"}},
			StoreForBusiness:  []BusinessStoreSpec{{ID: "msfb-contoso", Account: "contoso.onmicrosoft.com"}},
		},
		Apps: []AppSpec{
			// Windows
			{ID: "m365-windows", Name: "Microsoft 365 Apps", Type: mdm.AppTypeMicrosoft365Windows, Version: "16.0.17531"},
			{ID: "edge-windows", Name: "Microsoft Edge", Type: mdm.AppTypeEdgeWindows, Version: "125.0"},
			{ID: "vpn-client", Name: "Contoso VPN", Type: mdm.AppTypeWin32, Version: "4.2", SizeMB: 60},
			{ID: "erp-client", Name: "ERP Client", Type: mdm.AppTypeWin32, Version: "9.1", SizeMB: 400},
			{ID: "notepad-plus", Name: "Notepad++", Type: mdm.AppTypeWin32, Version: "8.6", SizeMB: 5},
			{ID: "company-portal", Name: "Company Portal", Type: mdm.AppTypeMicrosoftStore, Version: "11.2"},
			{ID: "legacy-tool", Name: "Legacy Tool", Type: mdm.AppTypeWindowsLOB, Version: "0.9", SizeMB: 20},
			{ID: "teams-sfb", Name: "Teams (Store for Business)", Type: mdm.AppTypeStoreForBusiness, Version: "24.1",
				Store: &AppStoreSpec{Token: "msfb-contoso", Product: "9NBLGGH4QGHW", Licenses: count(0.02), Licensing: mdm.LicenseOnline}},
			{ID: "visio-sfb", Name: "Visio Viewer (Store for Business)", Type: mdm.AppTypeStoreForBusiness, Version: "16.0",
				Store: &AppStoreSpec{Token: "msfb-contoso", Product: "9WZDNCRFJ3PV", Licenses: count(0.05), Licensing: mdm.LicenseOffline}},
			// iOS
			{ID: "outlook-ios", Name: "Outlook for iOS", Type: mdm.AppTypeIOSVPP, Version: "4.2420",
				Store: &AppStoreSpec{Token: "vpp-contoso", Product: "951937596", Licenses: count(0.24)}},
			{ID: "keynote-ios", Name: "Keynote", Type: mdm.AppTypeIOSVPP, Version: "14.0",
				Store: &AppStoreSpec{Token: "vpp-contoso", Product: "361285480", Licenses: count(0.02)}},
			{ID: "handbook", Name: "Employee Handbook", Type: mdm.AppTypeVPPBook, Version: "3",
				Store: &AppStoreSpec{Token: "vpp-contoso", Product: "1450273618", Licenses: count(0.05)}},
			{ID: "authenticator-ios", Name: "Authenticator", Type: mdm.AppTypeIOSStore, Version: "6.8"},
			{ID: "intranet-clip", Name: "Intranet (web clip)", Type: mdm.AppTypeIOSWebClip},
			// macOS
			{ID: "m365-mac", Name: "Microsoft 365 for Mac", Type: mdm.AppTypeMicrosoft365MacOS, Version: "16.85"},
			{ID: "defender-mac", Name: "Defender for Endpoint", Type: mdm.AppTypeDefenderMacOS, Version: "101.24"},
			{ID: "xcode-vpp", Name: "Xcode", Type: mdm.AppTypeMacOSVPP, Version: "15.4",
				Store: &AppStoreSpec{Token: "vpp-contoso", Product: "497799835", Licenses: count(0.01)}},
			// Android
			{ID: "outlook-android", Name: "Outlook for Android", Type: mdm.AppTypeManagedGooglePlay, Version: "4.2421"},
			{ID: "authenticator-android", Name: "Authenticator for Android", Type: mdm.AppTypeAndroidStore, Version: "6.24"},
			// Everywhere
			{ID: "intranet-link", Name: "Intranet", Type: mdm.AppTypeWebLink},
		},
		Assignments: []AssignmentSpec{
			{ID: "a-m365-windows", App: "m365-windows", Intent: mdm.Required, Target: "group:windows-devices"},
			{ID: "a-edge-windows", App: "edge-windows", Intent: mdm.Required, Target: "group:windows-devices"},
			{ID: "a-vpn", App: "vpn-client", Intent: mdm.Required, Target: "allUsers"},
			{ID: "a-vpn-contractors", App: "vpn-client", Intent: mdm.Required, Target: "exclude:contractors"},
			{ID: "a-erp-finance", App: "erp-client", Intent: mdm.Required, Target: "group:finance"},
			{ID: "a-erp-sales", App: "erp-client", Intent: mdm.Available, Target: "group:sales"},
			{ID: "a-notepad", App: "notepad-plus", Intent: mdm.Available, Target: "group:engineering"},
			{ID: "a-portal", App: "company-portal", Intent: mdm.Required, Target: "group:windows-devices"},
			{ID: "a-legacy", App: "legacy-tool", Intent: mdm.Uninstall, Target: "group:windows-devices"},
			{ID: "a-teams-sfb", App: "teams-sfb", Intent: mdm.Available, Target: "allUsers"},
			{ID: "a-visio-sfb", App: "visio-sfb", Intent: mdm.Available, Target: "group:finance"},
			{ID: "a-outlook-ios", App: "outlook-ios", Intent: mdm.Required, Target: "group:ios-devices"},
			{ID: "a-keynote", App: "keynote-ios", Intent: mdm.Available, Target: "group:sales", LicenseType: mdm.LicenseUser},
			{ID: "a-handbook", App: "handbook", Intent: mdm.Available, Target: "allUsers"},
			{ID: "a-authenticator-ios", App: "authenticator-ios", Intent: mdm.Required, Target: "allUsers"},
			{ID: "a-authenticator-ios-sales", App: "authenticator-ios", Intent: mdm.Available, Target: "group:sales"},
			{ID: "a-intranet-clip", App: "intranet-clip", Intent: mdm.Required, Target: "group:ios-devices"},
			{ID: "a-m365-mac", App: "m365-mac", Intent: mdm.Required, Target: "group:mac-devices"},
			{ID: "a-defender-mac", App: "defender-mac", Intent: mdm.Required, Target: "group:mac-devices"},
			{ID: "a-xcode", App: "xcode-vpp", Intent: mdm.Available, Target: "group:engineering"},
			{ID: "a-outlook-android", App: "outlook-android", Intent: mdm.Required, Target: "group:android-enterprise-devices"},
			{ID: "a-authenticator-android", App: "authenticator-android", Intent: mdm.Required, Target: "group:android-devices"},
			{ID: "a-intranet-link", App: "intranet-link", Intent: mdm.Available, Target: "allUsers"},
		},
		Faults: FaultsSpec{
			StoreOutages: []OutageSpec{{Token: "vpp-contoso", From: at(5), To: at(5.25)}},
			RateLimits:   []RateLimitSpec{{Token: "vpp-contoso", From: at(9), To: at(9.5), RetryAfter: Duration(time.Minute)}},
			TokenClaims:  []ClaimSpec{{Token: "vpp-contoso", At: at(17), By: "Fabrikam MDM", LoseRecords: true, TakeBackAfter: span(dur(at(1)))}},
		},
		Timeline: []ActionSpec{
			{At: at(3), Action: ActAssign, Assignment: &AssignmentSpec{ID: "a-keynote-leadership", App: "keynote-ios",
				Intent: mdm.Required, Target: "group:leadership", LicenseType: mdm.LicenseUser}},
			{At: at(4), Action: ActChangeIntent, ID: "a-notepad", Intent: intent(mdm.Required)},
			{At: at(6), Action: ActBuyLicenses, App: "outlook-ios", Count: count(0.03)},
			{At: at(8), Action: ActNewVersion, App: "vpn-client", Version: "4.3"},
			{At: at(10), Action: ActUsersLeave, Share: 0.01},
			{At: at(12), Action: ActUnassign, ID: "a-erp-sales"},
			{At: at(13), Action: ActBuyLicenses, App: "outlook-ios", Count: count(0.05)},
			{At: at(14), Action: ActBuyLicenses, App: "teams-sfb", Count: count(0.01)},
			{At: at(16), Action: ActNewVersion, App: "m365-mac", Version: "16.86"},
			{At: at(20), Action: ActChangeIntent, ID: "a-intranet-link", Intent: intent(mdm.Required)},
		},
	}
	return s
}
