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
// failed with detail licenseUnavailable, and installs it when one frees), the
// pairs installed in an older version than the catalog's (installed with
// detail updateAvailable: an update not sent yet, or held back, L9), and the
// failures so far by kind, for charts of failures over time.
//
// The pairs are followed through the status changes of every check-in, which
// is where the tenant changes a status; the scenarios never delete an app or
// remove a device, the two admin operations that drop statuses without a
// change.

// pairSet is the (device, app) pairs whose status is one (state, detail) now:
// a bit per pair and the count per app.
type pairSet struct {
	state  mdm.InstallState
	detail mdm.InstallDetail
	bits   []uint64
	byApp  []int
}

// track follows one status change of device i for scenario app a; the bit
// set, a bit per (device, app) as metrics.installedOnce, is made at the first
// pair that enters.
func (p *pairSet) track(m *metrics, i, a int, c tenant.StateChange) {
	in := c.To == p.state && c.Detail == p.detail
	if p.bits == nil {
		if !in {
			return
		}
		p.bits = make([]uint64, len(m.installedOnce))
		p.byApp = make([]int, m.nApps)
	}
	bit := i*m.nApps + a
	had := p.bits[bit/64]&(1<<(bit%64)) != 0
	switch {
	case in && !had:
		p.bits[bit/64] |= 1 << (bit % 64)
		p.byApp[a]++
	case !in && had:
		p.bits[bit/64] &^= 1 << (bit % 64)
		p.byApp[a]--
	}
}

// of is how many pairs of app a are in the set now.
func (p *pairSet) of(a int) int {
	if p.byApp == nil {
		return 0
	}
	return p.byApp[a]
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
