package assign

import (
	"strings"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// exclusionTenant: user u1 with enrolled device d1 in user group "users" nested
// in "all-staff", device group "devices" nested in "fleet"; exclusion groups
// "ex-users" (u1) and "ex-devices" (d1); a second user u2 with d2 in the same
// include groups but in no exclusion group.
func exclusionTenant(t testing.TB) *fixture {
	f := newFixture(t)
	f.user("u1")
	f.user("u2")
	f.device(mdm.Device{ID: "d1", PrimaryUser: "u1"})
	f.device(mdm.Device{ID: "d2", PrimaryUser: "u2"})
	f.userGroup("users", []mdm.UserID{"u1", "u2"})
	f.userGroup("all-staff", nil, "users")
	f.deviceGroup("devices", []mdm.DeviceID{"d1", "d2"})
	f.deviceGroup("fleet", nil, "devices")
	f.userGroup("ex-users-inner", []mdm.UserID{"u1"})
	f.userGroup("ex-users", nil, "ex-users-inner")
	f.deviceGroup("ex-devices", []mdm.DeviceID{"d1"})
	f.app("app", mdm.AppTypeWin32)
	return f
}

// TestA5 covers include and exclusion of both kinds, through nesting, and All
// users / All devices.
func TestA5(t *testing.T) {
	cases := []struct {
		name    string
		include mdm.Target
		exclude mdm.GroupID
		removed bool
	}{
		{"user include, user exclusion", mdm.GroupTarget("users"), "ex-users", true},
		{"nested user include, nested user exclusion", mdm.GroupTarget("all-staff"), "ex-users", true},
		{"All users, user exclusion", mdm.AllUsersTarget(), "ex-users", true},
		{"device include, device exclusion", mdm.GroupTarget("devices"), "ex-devices", true},
		{"nested device include, device exclusion", mdm.GroupTarget("fleet"), "ex-devices", true},
		{"All devices, device exclusion", mdm.AllDevicesTarget(), "ex-devices", true},
		// A5: a device exclusion does not remove an app targeted through users,
		// and a user exclusion does not remove one targeted through devices.
		{"user include, device exclusion", mdm.GroupTarget("users"), "ex-devices", false},
		{"All users, device exclusion", mdm.AllUsersTarget(), "ex-devices", false},
		{"device include, user exclusion", mdm.GroupTarget("devices"), "ex-users", false},
		{"All devices, user exclusion", mdm.AllDevicesTarget(), "ex-users", false},
	}
	for _, c := range cases {
		for _, exFirst := range []bool{false, true} {
			name := c.name
			if exFirst {
				name += "/exclusion first"
			}
			t.Run(name, func(t *testing.T) {
				f := exclusionTenant(t)
				ex := mdm.Assignment{ID: "ex", App: "app", Intent: mdm.Required, Target: mdm.ExclusionTarget(c.exclude)}
				in := mdm.Assignment{ID: "in", App: "app", Intent: mdm.Required, Target: c.include}
				if exFirst {
					f.assignFull(ex)
					f.assignFull(in)
				} else {
					f.assignFull(in)
					f.assignFull(ex)
				}
				_, got := f.effective("d1", "app")
				if got == c.removed {
					t.Fatalf("A5: app present on d1 = %v, want %v", got, !c.removed)
				}
				if _, ok := f.effective("d2", "app"); !ok {
					t.Fatal("A5: d2 is in no exclusion group and lost the app")
				}
				x, err := f.r.Explain("d1", "app")
				f.ok(err)
				if c.removed != (len(x.Excluded) == 1) {
					t.Fatalf("explanation lists %d removed includes:\n%s", len(x.Excluded), x)
				}
				if c.removed && (x.Excluded[0].By[0].Assignment != "ex" || !strings.Contains(x.String(), "excluded by ex (exclusion)")) {
					t.Fatalf("explanation does not name the exclusion:\n%s", x)
				}
				if !c.removed && !strings.Contains(x.String(), "exclusions that removed nothing") {
					t.Fatalf("explanation does not say the exclusion removed nothing:\n%s", x)
				}
			})
		}
	}
}

// TestA5KeepsOtherKind: with a user include and a device include, a device
// exclusion removes only the device-kind part (A6 row 6 becomes a single pair).
func TestA5KeepsOtherKind(t *testing.T) {
	f := exclusionTenant(t)
	f.assign("u", "app", mdm.Available, mdm.GroupTarget("users"))
	f.assign("d", "app", mdm.Required, mdm.GroupTarget("devices"))
	if got := f.intent("d1", "app"); got != iRA {
		t.Fatalf("before the exclusion: %s, want required and available (A6 row 6)", got)
	}
	f.assign("ex", "app", mdm.Required, mdm.ExclusionTarget("ex-devices"))
	e, _ := f.effective("d1", "app")
	if e.Intent != iA || e.Row != 0 {
		t.Fatalf("A5: device exclusion left %s row %d, want available row 0", e.Intent, e.Row)
	}
	if got := f.intent("d2", "app"); got != iRA {
		t.Fatalf("d2, not excluded: %s", got)
	}
}

// TestA5ExclusionIntentIrrelevant: an exclusion removes includes of its kind
// whatever their intents.
func TestA5ExclusionIntentIrrelevant(t *testing.T) {
	f := exclusionTenant(t)
	f.assign("a", "app", mdm.Available, mdm.GroupTarget("users"))
	f.assign("u", "app", mdm.Uninstall, mdm.AllUsersTarget())
	f.assign("ex", "app", mdm.Required, mdm.ExclusionTarget("ex-users"))
	if _, ok := f.effective("d1", "app"); ok {
		t.Fatal("A5: the user exclusion should remove every user-kind include")
	}
}

// TestA11IdleExclusionReason: an exclusion that removed nothing is explained by
// what actually reached the device. A5's "does not remove includes of the other
// kind" is the reason only when such an include applies; otherwise nothing of
// its kind reached the device, or what reached it does not apply (D4, A4).
func TestA11IdleExclusionReason(t *testing.T) {
	a5 := "a user exclusion does not remove device-targeted includes (A5)"
	cases := []struct {
		name    string
		setup   func(f *fixture)
		want    string
		wantNot string
	}{
		{"no include at all", func(f *fixture) {}, "no user-targeted include of the app reached the device", a5},
		{"device include only", func(f *fixture) {
			f.assign("in", "app", mdm.Required, mdm.GroupTarget("devices"))
		}, a5, ""},
		{"user include not applied (D4)", func(f *fixture) {
			f.device(mdm.Device{ID: "d1", PrimaryUser: "u1", Enrollment: mdm.AppProtectionOnly})
			f.assign("in", "app", mdm.Required, mdm.GroupTarget("users"))
		}, "the user-targeted includes that reached the device do not apply to it", a5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := exclusionTenant(t)
			f.assign("ex", "app", mdm.Required, mdm.ExclusionTarget("ex-users"))
			c.setup(f)
			x, err := f.r.Explain("d1", "app")
			f.ok(err)
			s := x.String()
			if !strings.Contains(s, "exclusions that removed nothing") || !strings.Contains(s, c.want) ||
				(c.wantNot != "" && strings.Contains(s, c.wantNot)) {
				t.Fatalf("want %q (and not %q) in:\n%s", c.want, c.wantNot, s)
			}
		})
	}
}
