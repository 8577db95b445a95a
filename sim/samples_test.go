package sim

import "testing"

// The samples' counts beyond the tenant's states: devices waiting for a
// license (L5) are counted apart from failed installs and agree with the
// pool's waiters (device licensing: one waiter per device); failures by kind
// add up to the failures; the per-state counts never exceed the targeted.
func TestSamples_waitingAndKinds(t *testing.T) {
	rep := runSmall(t)
	sawWaiting := false
	for _, s := range rep.Samples {
		total := 0
		for _, k := range s.FailureKinds {
			total += k.Count
		}
		if uint64(total) != s.Failures {
			t.Errorf("%s: failure kinds add up to %d, failures %d", s.At, total, s.Failures)
		}
		for _, a := range s.Apps {
			if a.WaitingLicense > a.Failed || a.Outdated > a.Installed || a.Installed+a.Pending+a.Failed+a.NotInstalled > a.Targeted {
				t.Errorf("%s %s: %+v", s.At, a.App, a)
			}
			if a.App != "outlook" {
				continue
			}
			sawWaiting = sawWaiting || a.WaitingLicense > 0
			for _, p := range s.Pools {
				if p.App == "outlook" && p.Waiting != a.WaitingLicense {
					t.Errorf("%s: %d devices wait for an outlook license, the pool has %d waiters", s.At, a.WaitingLicense, p.Waiting)
				}
			}
		}
	}
	if !sawWaiting {
		t.Error("no sample counted a device waiting for an outlook license: the pool starts short (50 for about 80 iPhones)")
	}
}
