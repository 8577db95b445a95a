package mdm

import "testing"

// T9, L4, L13: the details the tenant's check-in engine reports when it sends
// nothing for a required app: a superseding app is on the device (Graph's
// supersedingAppsDetected), user licensing without the user's Apple account
// (Graph's userIsNotLoggedIntoAppStore), a user license on a device without a
// primary user. Each encodes by its name and decodes back.
func TestInstallDetail_CheckInDetails(t *testing.T) {
	for d, want := range map[InstallDetail]string{
		DetailSupersedingAppsDetected:   "supersedingAppsDetected",
		DetailUserNotLoggedIntoAppStore: "userIsNotLoggedIntoAppStore",
		DetailNoPrimaryUser:             "noPrimaryUser",
	} {
		b, err := d.MarshalText()
		if err != nil || string(b) != want {
			t.Errorf("%d: MarshalText = %q, %v; want %q", d, b, err, want)
		}
		var back InstallDetail
		if err := back.UnmarshalText([]byte(want)); err != nil || back != d {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v", want, back, err, d)
		}
		if d.IsRequirementNotMet() {
			t.Errorf("%s is not a T11 requirement", d)
		}
	}
}
