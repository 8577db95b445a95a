package mdm

import (
	"errors"
	"testing"
	"time"
)

// A1, A2, L4, T14, A12: assignment validation that needs no tenant state.
func TestValidateAssignment(t *testing.T) {
	vpp := validApp(AppTypeIOSVPP)
	book := validApp(AppTypeVPPBook)
	w := validApp(AppTypeWin32)
	base := func(app *App) Assignment {
		return Assignment{ID: "as", App: app.ID, Intent: Required, Target: GroupTarget("g")}
	}
	cases := []struct {
		name string
		app  *App
		mut  func(*Assignment)
		want error
		rule string
	}{
		{"valid", &w, nil, nil, ""},
		{"all users", &w, func(a *Assignment) { a.Target = AllUsersTarget() }, nil, ""},
		{"exclusion", &w, func(a *Assignment) { a.Target = ExclusionTarget("g2") }, nil, ""},
		{"no id", &w, func(a *Assignment) { a.ID = "" }, ErrInvalidID, ""},
		{"no app", nil, func(a *Assignment) { a.App = "" }, ErrInvalidID, ""},
		{"other app", &w, func(a *Assignment) { a.App = "other" }, ErrInvalidTarget, ""},
		{"bad intent", &w, func(a *Assignment) { a.Intent = 4 }, ErrUnknownEnum, "A1"},
		{"no target", &w, func(a *Assignment) { a.Target = Target{} }, ErrInvalidTarget, "A2"},
		{"group target without group", &w, func(a *Assignment) { a.Target = Target{Kind: TargetGroup} }, ErrInvalidID, ""},
		{"all devices with group", &w, func(a *Assignment) { a.Target = Target{Kind: TargetAllDevices, Group: "g"} }, ErrInvalidTarget, "A2"},
		{"user licensing on VPP", &vpp, func(a *Assignment) { a.Settings.LicenseType = LicenseUser }, nil, ""},
		{"license type on Win32", &w, func(a *Assignment) { a.Settings.LicenseType = LicenseDevice }, ErrInvalidSetting, "L4"},
		{"device licensing on a book", &book, func(a *Assignment) { a.Settings.LicenseType = LicenseDevice }, ErrInvalidSetting, "L4"},
		{"unknown license type", &vpp, func(a *Assignment) { a.Settings.LicenseType = 9 }, ErrUnknownEnum, "L4"},
		{"deadline on required", &w, func(a *Assignment) { a.Settings.Deadline = time.Unix(1e9, 0) }, nil, ""},
		{"deadline on available", &w, func(a *Assignment) { a.Intent = Available; a.Settings.Deadline = time.Unix(1e9, 0) }, ErrInvalidSetting, "T14"},
		{"grace at two weeks", &w, func(a *Assignment) { a.Settings.RestartGracePeriod = MaxRestartGracePeriod }, nil, ""},
		{"grace over two weeks", &w, func(a *Assignment) { a.Settings.RestartGracePeriod = MaxRestartGracePeriod + time.Minute }, ErrInvalidSetting, "T14"},
		{"negative grace", &w, func(a *Assignment) { a.Settings.RestartGracePeriod = -time.Minute }, ErrInvalidSetting, "T14"},
	}
	for _, c := range cases {
		app := c.app
		var a Assignment
		if app != nil {
			a = base(app)
		} else {
			a = base(&w)
		}
		if c.mut != nil {
			c.mut(&a)
		}
		err := ValidateAssignment(&a, app)
		if c.want == nil {
			if err != nil {
				t.Errorf("%s: refused: %v", c.name, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.Is(err, c.want) || !errors.As(err, &ve) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
			continue
		}
		if c.rule != "" && ve.Rule != c.rule {
			t.Errorf("%s: rule %q, want %q", c.name, ve.Rule, c.rule)
		}
	}
}

// A12: uninstall on device removal defaults by type; unset reads as yes.
func TestUninstallOnDeviceRemovalDefaults(t *testing.T) {
	want := map[AppType]bool{
		AppTypeWin32: true, AppTypeWindowsLOB: true, AppTypeIOSLOB: true, AppTypeMacOSDMG: true,
		AppTypeIOSStore: false, AppTypeAndroidStore: false, AppTypeIOSVPP: false, AppTypeVPPBook: false,
		AppTypeIOSBuiltIn: false, AppTypeAndroidBuiltIn: false, AppTypeStoreForBusiness: false,
	}
	for typ, w := range want {
		s := DefaultSettings(typ)
		if got := s.UninstallsOnDeviceRemoval(); got != w {
			t.Errorf("%v default = %v, want %v", typ, got, w)
		}
	}
	if s := DefaultSettings(AppTypeVPPBook); s.LicenseType != LicenseUser {
		t.Errorf("book default license type = %v, want user (L4)", s.LicenseType)
	}
	if s := DefaultSettings(AppTypeIOSVPP); s.LicenseType != LicenseDevice {
		t.Errorf("VPP app default license type = %v, want device (L4)", s.LicenseType)
	}
	for _, typ := range AppTypes() {
		app := validApp(typ)
		as := Assignment{ID: "a", App: app.ID, Intent: Required, Target: AllDevicesTarget(), Settings: DefaultSettings(typ)}
		if typ.IsBook() {
			as.Target = AllUsersTarget()
		}
		if err := ValidateAssignment(&as, &app); err != nil {
			t.Errorf("%v: default settings refused: %v", typ, err)
		}
	}
	var unset AssignmentSettings
	if !unset.UninstallsOnDeviceRemoval() {
		t.Error("unset must read as yes, as in Graph")
	}
}

// L4: books default to user licensing, apps to device licensing.
func TestLicenseTypeEffective(t *testing.T) {
	if got := LicenseDefault.Effective(AppTypeVPPBook); got != LicenseUser {
		t.Errorf("book default = %v", got)
	}
	if got := LicenseDefault.Effective(AppTypeIOSVPP); got != LicenseDevice {
		t.Errorf("app default = %v", got)
	}
	if got := LicenseUser.Effective(AppTypeIOSVPP); got != LicenseUser {
		t.Errorf("explicit user = %v", got)
	}
}

// A4, A9: Android Enterprise modes.
func TestAndroidEnterpriseMode(t *testing.T) {
	for _, c := range []struct {
		m                   AndroidEnterpriseMode
		corporate, removeOn bool
	}{
		{AndroidModeNone, false, false},
		{AndroidModePersonallyOwnedWorkProfile, false, false},
		{AndroidModeCorporateOwnedWorkProfile, true, true},
		{AndroidModeFullyManaged, true, true},
		{AndroidModeDedicated, false, true},
	} {
		if c.m.CorporateManaged() != c.corporate || c.m.UninstallsOnUnassign() != c.removeOn {
			t.Errorf("%v: corporate %v unassign-removes %v", c.m, c.m.CorporateManaged(), c.m.UninstallsOnUnassign())
		}
	}
}

func TestCompareVersions(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "1.0.0", 0}, {"", "0", 0},
		{"1.2", "1.10", -1}, {"10.0.19045", "10.0.10586", 1}, {"17.4.1", "17.4", 1},
		{"2.0.0-beta", "2.0.0-rc", -1}, {"01.2", "1.2", 0}, {"1.a", "1.b", -1}, {"1.9", "1.a", -1},
	}
	for _, c := range cases {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareVersions(c.b, c.a); got != -c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d (antisymmetry)", c.b, c.a, got, -c.want)
		}
	}
	sink := 0
	if n := testing.AllocsPerRun(100, func() { sink += CompareVersions("10.0.19045.1", "10.0.19045.2") }); n != 0 {
		t.Errorf("CompareVersions allocates %v times", n)
	}
}

// P: the defaults are the documented ones and validate; broken fields are named.
func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	if err := p.Validate(); err != nil {
		t.Fatalf("default policy invalid: %v", err)
	}
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"ReinstallWindow (T3)", p.ReinstallWindow, 24 * time.Hour},
		{"ReevaluationCycle (T3)", p.ReevaluationCycle, 7 * 24 * time.Hour},
		{"RetryAttempts (T5)", p.RetryAttempts, 3},
		{"RetryInterval (T5)", p.RetryInterval, 5 * time.Minute},
		{"StuckInstallThreshold (T6)", p.StuckInstallThreshold, 2 * time.Hour},
		{"VPPSyncInterval (S1)", p.VPPSyncInterval, 12 * time.Hour},
		{"UtilizationAlertThreshold (L10)", p.UtilizationAlertThreshold, 0.5},
		{"TokenLifetime (L1)", p.TokenLifetime, 365 * 24 * time.Hour},
		{"UserLicenseDeviceCap (L4)", p.UserLicenseDeviceCap, 5},
		{"DependencyLimit (C9)", p.DependencyLimit, 100},
		{"SupersedenceGraphLimit (C10)", p.SupersedenceGraphLimit, 11},
		{"SupersedingPerAppLimit (C10)", p.SupersedingPerAppLimit, 10},
		{"TokenDeletionRevokes (L7)", p.TokenDeletionRevokes, true},
		{"StoreForBusinessOversubscription (L14)", p.StoreForBusinessOversubscription, false},
		{"VPPOversubscription (L5)", p.VPPOversubscription, true},
		{"PushRenotifications (T2)", p.PushRenotifications, 3},
		{"RestartGracePeriod (T14)", p.RestartGracePeriod, 1440 * time.Minute},
		{"MaxTokens (L2)", p.MaxTokens, 3000},
		{"TrialStorageLimit (C3)", p.TrialStorageLimit, 2 * GiB},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	bad := []func(*Policy){
		func(p *Policy) { p.ReinstallWindow = 0 },
		func(p *Policy) { p.AppleCheckIn.Steady = -time.Hour },
		func(p *Policy) { p.UtilizationAlertThreshold = 0 },
		func(p *Policy) { p.UtilizationAlertThreshold = 1.5 },
		func(p *Policy) { p.CheckInJitter = 1 },
		func(p *Policy) { p.RetryAttempts = 0 },
		func(p *Policy) { p.PushRenotifications = -1 },
		func(p *Policy) { p.RestartGracePeriod = 15 * 24 * time.Hour },
		func(p *Policy) { p.OtherCheckIn.SecondUntil = time.Minute },
		func(p *Policy) { p.TrialStorageLimit = 0 },
	}
	for i, mut := range bad {
		q := DefaultPolicy()
		mut(&q)
		if err := q.Validate(); !errors.Is(err, ErrInvalidPolicy) {
			t.Errorf("bad policy %d: err = %v", i, err)
		}
	}
	var zero Policy
	if zero.Validate() == nil {
		t.Error("the zero Policy must not validate")
	}
}
