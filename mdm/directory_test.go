package mdm

import (
	"errors"
	"testing"
)

// D1: a group holds users or devices, never both; nested groups share its kind.
func TestValidateGroup(t *testing.T) {
	kinds := map[GroupID]MemberKind{"users-child": UserMembers, "devices-child": DeviceMembers}
	kindOf := func(g GroupID) (MemberKind, bool) { k, ok := kinds[g]; return k, ok }
	cases := []struct {
		name string
		g    Group
		want error
	}{
		{"user group", Group{ID: "g", Kind: UserMembers, Users: []UserID{"u1", "u2"}, Groups: []GroupID{"users-child"}}, nil},
		{"device group", Group{ID: "g", Kind: DeviceMembers, Devices: []DeviceID{"d1"}, Groups: []GroupID{"devices-child"}}, nil},
		{"empty group", Group{ID: "g", Kind: DeviceMembers}, nil},
		{"device in user group", Group{ID: "g", Kind: UserMembers, Users: []UserID{"u1"}, Devices: []DeviceID{"d1"}}, ErrMixedGroup},
		{"user in device group", Group{ID: "g", Kind: DeviceMembers, Users: []UserID{"u1"}}, ErrMixedGroup},
		{"no kind", Group{ID: "g", Users: []UserID{"u1"}}, ErrMixedGroup},
		{"device group nested in user group", Group{ID: "g", Kind: UserMembers, Groups: []GroupID{"devices-child"}}, ErrMixedGroup},
		{"user group nested in device group", Group{ID: "g", Kind: DeviceMembers, Groups: []GroupID{"users-child"}}, ErrMixedGroup},
		{"unknown nested group", Group{ID: "g", Kind: UserMembers, Groups: []GroupID{"nope"}}, ErrInvalidTarget},
		{"nests itself", Group{ID: "g", Kind: UserMembers, Groups: []GroupID{"g"}}, ErrInvalidTarget},
		{"empty member id", Group{ID: "g", Kind: UserMembers, Users: []UserID{""}}, ErrInvalidID},
		{"empty id", Group{Kind: UserMembers}, ErrInvalidID},
	}
	for _, c := range cases {
		err := ValidateGroup(&c.g, kindOf)
		if c.want == nil && err != nil {
			t.Errorf("%s: refused: %v", c.name, err)
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
		if errors.Is(c.want, ErrMixedGroup) {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Rule != "D1" {
				t.Errorf("%s: error %v does not name rule D1", c.name, err)
			}
		}
	}
	// Without a lookup the nested kinds are not checked, but the shape still is.
	g := Group{ID: "g", Kind: UserMembers, Groups: []GroupID{"devices-child"}}
	if err := ValidateGroup(&g, nil); err != nil {
		t.Errorf("nil lookup: %v", err)
	}
}

// T11, L16, L8: requirement rules against device facts.
func TestApp_Evaluate(t *testing.T) {
	dev := Device{ID: "d", Platform: PlatformWindows, OSVersion: "10.0.19045", JoinType: JoinEntra,
		Architecture: ArchX64, FreeDiskMB: 10_000, MemoryMB: 8192, CPUs: 4, CPUSpeedMHz: 2400}
	w := validApp(AppTypeWin32)
	cases := []struct {
		name string
		app  func() App
		dev  func(Device) Device
		want InstallDetail
	}{
		{"all met", func() App { return w }, nil, DetailNone},
		{"wrong platform", func() App { return validApp(AppTypeIOSLOB) }, nil, DetailPlatformNotApplicable},
		{"web link everywhere", func() App { return validApp(AppTypeWebLink) }, nil, DetailNone},
		{"os too old", func() App { a := w; a.Requirements.MinOSVersion = "10.0.22000"; return a }, nil, DetailMinimumOSVersionNotMet},
		{"os at minimum", func() App { a := w; a.Requirements.MinOSVersion = "10.0.19045"; return a }, nil, DetailNone},
		{"architecture", func() App { a := w; a.Requirements.Architectures = []Architecture{ArchARM64}; return a }, nil, DetailArchitectureNotValid},
		{"architecture listed", func() App {
			a := w
			a.Requirements.Architectures = []Architecture{ArchX86, ArchX64}
			return a
		}, nil, DetailNone},
		{"disk", func() App { a := w; a.Requirements.MinFreeDiskMB = 10_001; return a }, nil, DetailMinimumDiskSpaceNotMet},
		{"memory", func() App { a := w; a.Requirements.MinMemoryMB = 16384; return a }, nil, DetailMinimumPhysicalMemoryNotMet},
		{"cpus", func() App { a := w; a.Requirements.MinCPUs = 8; return a }, nil, DetailMinimumLogicalProcessorCountNotMet},
		{"cpu speed", func() App { a := w; a.Requirements.MinCPUSpeedMHz = 3000; return a }, nil, DetailMinimumCPUSpeedNotMet},
		// L16: Store for Business needs Windows 10 1511 and an AD or workplace join.
		{"msfb entra joined", func() App { return validApp(AppTypeStoreForBusiness) }, nil, DetailJoinTypeNotMet},
		{"msfb workplace joined", func() App { return validApp(AppTypeStoreForBusiness) },
			func(d Device) Device { d.JoinType = JoinWorkplace; return d }, DetailNone},
		{"msfb before 1511", func() App { return validApp(AppTypeStoreForBusiness) },
			func(d Device) Device { d.JoinType = JoinAD; d.OSVersion = "10.0.10240"; return d }, DetailMinimumOSVersionNotMet},
		// L8: a book needs the Books app.
		{"book without Books", func() App { return validApp(AppTypeVPPBook) },
			func(d Device) Device { d.Platform = PlatformIOS; d.OSVersion = "17.0"; return d }, DetailBooksAppMissing},
		{"book with Books", func() App { return validApp(AppTypeVPPBook) },
			func(d Device) Device { d.Platform = PlatformIOS; d.HasBooksApp = true; return d }, DetailNone},
	}
	for _, c := range cases {
		a := c.app()
		d := dev
		if c.dev != nil {
			d = c.dev(d)
		}
		got := a.Evaluate(&d)
		if got != c.want {
			t.Errorf("%s: Evaluate = %v, want %v", c.name, got, c.want)
		}
		if got != DetailNone && !got.IsRequirementNotMet() {
			t.Errorf("%s: %v is not classed as a requirement failure", c.name, got)
		}
	}
}

// T2: cadence phases after enrollment.
func TestCheckInCadence(t *testing.T) {
	p := DefaultPolicy()
	other := p.CheckInCadence(PlatformWindows)
	apple := p.CheckInCadence(PlatformIOS)
	cases := []struct {
		c     CheckInCadence
		since int // minutes since enrollment
		want  int // minutes
	}{
		{other, 0, 3}, {other, 14, 3}, {other, 15, 15}, {other, 119, 15}, {other, 120, 480},
		{apple, 0, 15}, {apple, 59, 15}, {apple, 60, 480},
	}
	for _, c := range cases {
		if got := c.c.Interval(minutes(c.since)); got != minutes(c.want) {
			t.Errorf("Interval(%d min) = %v, want %d min", c.since, got, c.want)
		}
	}
	if p.CheckInCadence(PlatformMacOS) != apple || p.CheckInCadence(PlatformAndroid) != other {
		t.Error("macOS must follow the Apple cadence and Android the other one")
	}
}

// D5: each enum of a device's facts knows its own range: its last constant is
// valid, the next value is not (assign refuses it on PutDevice).
func TestDeviceEnums_Valid(t *testing.T) {
	cases := []struct {
		name        string
		last, after bool
	}{
		{"Platform", PlatformWindows.Valid(), (PlatformWindows + 1).Valid()},
		{"Architecture", ArchARM64.Valid(), (ArchARM64 + 1).Valid()},
		{"Ownership", OwnershipPersonal.Valid(), (OwnershipPersonal + 1).Valid()},
		{"JoinType", JoinWorkplace.Valid(), (JoinWorkplace + 1).Valid()},
		{"Enrollment", AppProtectionOnly.Valid(), (AppProtectionOnly + 1).Valid()},
		{"AndroidEnterpriseMode", AndroidModeDedicated.Valid(), (AndroidModeDedicated + 1).Valid()},
	}
	for _, c := range cases {
		if !c.last || c.after {
			t.Errorf("%s: last constant valid %v, the next value valid %v", c.name, c.last, c.after)
		}
	}
}
