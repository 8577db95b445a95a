package sim

import (
	"context"
	"strings"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// A run where no required app reaches a device has no compliance to report:
// the summary says so rather than "0.0%", which reads as nothing installed.
func TestReport_WriteText_nothingRequired(t *testing.T) {
	sc := &Scenario{Name: "none", Seed: 1, Duration: Duration(Day),
		Fleet: FleetSpec{Devices: 3, UserlessShare: 1,
			Platforms: []PlatformSpec{{Platform: mdm.PlatformWindows, Share: 1,
				OSVersions: []VersionShare{{Version: "10.0.22631", Share: 1}}}},
			Enrollment: []WaveSpec{{Share: 1}}},
		Apps:        []AppSpec{{ID: "vpn", Type: mdm.AppTypeWin32}},
		Assignments: []AssignmentSpec{{ID: "a", App: "vpn", Intent: mdm.Available, Target: "allDevices"}},
	}
	rep, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "compliance at the end: no required (device, app) statuses\n") {
		t.Fatalf("summary:\n%s", b.String())
	}
}
