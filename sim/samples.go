package sim

import (
	"cmp"
	"slices"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// What the samples count beyond the tenant's status counts (tenant.AppStatus
// counts by state, not by detail): the (device, app) pairs failed for want of
// a license (L5: the tenant parks a store app that found no free license in
// failed with detail licenseUnavailable, and installs it when one frees), and
// the failures so far by kind, for charts of failures over time.
//
// The waiting pairs are followed through the status changes of every
// check-in, which is where the tenant changes a status; the scenarios never
// delete an app or remove a device, the two admin operations that drop
// statuses without a change.

// waitingState is the per-(device, app) bit set and the per-app counts of
// pairs waiting for a license now.
type waitingState struct {
	bits  []uint64
	byApp []int
}

// trackWaiting follows one status change of device i for scenario app a.
func (m *metrics) trackWaiting(i, a int, c tenant.StateChange) {
	w := &m.waiting
	waits := c.To == mdm.StateFailed && c.Detail == mdm.DetailLicenseUnavailable
	bit := i*m.nApps + a
	if w.bits == nil {
		if !waits {
			return
		}
		w.bits = make([]uint64, len(m.installedOnce)) // a bit per (device, app), as installedOnce
		w.byApp = make([]int, m.nApps)
	}
	had := w.bits[bit/64]&(1<<(bit%64)) != 0
	switch {
	case waits && !had:
		w.bits[bit/64] |= 1 << (bit % 64)
		w.byApp[a]++
	case !waits && had:
		w.bits[bit/64] &^= 1 << (bit % 64)
		w.byApp[a]--
	}
}

// waitingFor is how many pairs of app a wait for a license now.
func (m *metrics) waitingFor(a int) int {
	if m.waiting.byApp == nil {
		return 0
	}
	return m.waiting.byApp[a]
}

// failureKinds counts the status changes into failed and uninstallFailed so
// far, by detail, named as Report.Failures names them, sorted by name so that
// every sample lists the kinds in the same order.
func (m *metrics) failureKinds() []Count {
	var out []Count
	for _, st := range []mdm.InstallState{mdm.StateFailed, mdm.StateUninstallFailed} {
		prefix := "install: "
		if st == mdm.StateUninstallFailed {
			prefix = "uninstall: "
		}
		for d, n := range m.changes[st] {
			if n > 0 {
				out = append(out, Count{Name: prefix + mdm.InstallDetail(d).String(), Count: int(n)})
			}
		}
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Compare(a.Name, b.Name) })
	return out
}
