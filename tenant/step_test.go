package tenant

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
	"pgregory.net/rapid"
)

// T1: reportValid, the check-in's shortcut for mdm.Report.Validate, never
// passes a report Validate refuses (a duplicate, a bad id), and passes every
// sorted inventory of good ids, whether or not they are the device's records.
// An unsorted one it may leave to Validate (false: not sure).
func TestReportValid(t *testing.T) {
	cat := newCatalog()
	ids := make([]mdm.AppID, 12)
	for i := range ids {
		ids[i] = mdm.AppID(fmt.Sprintf("app-%02d", i))
		a := mdm.App{ID: ids[i], DisplayName: string(ids[i]), Type: mdm.AppTypeWin32, Version: "1.0",
			Package: mdm.Package{FileName: "x.intunewin", Size: mdm.MiB}}
		cat.put(int32(i), &a)
	}
	rapid.Check(t, func(rt *rapid.T) {
		var d deviceState
		for i := range ids {
			if rapid.Bool().Draw(rt, "record") {
				d.ensure(cat, int32(i))
			}
		}
		pick := rapid.SampledFrom(append(slices.Clone(ids), "foreign-a", "foreign-b", "bad id", ""))
		inv := make([]mdm.InstalledApp, rapid.IntRange(0, 10).Draw(rt, "n"))
		for i := range inv {
			inv[i] = mdm.InstalledApp{App: pick.Draw(rt, "app"), Version: "1.0"}
		}
		sorted := rapid.Bool().Draw(rt, "sorted")
		if sorted {
			slices.SortFunc(inv, func(a, b mdm.InstalledApp) int { return cmp.Compare(a.App, b.App) })
			inv = slices.CompactFunc(inv, func(a, b mdm.InstalledApp) bool { return a.App == b.App })
		}
		r := &mdm.Report{Device: "pc", Inventory: inv}
		err := r.Validate()
		got := d.reportValid(cat, r)
		if got && err != nil {
			rt.Fatalf("reportValid passes %v, Validate says %v", inv, err)
		}
		if !got && err == nil && sorted {
			rt.Fatalf("reportValid refuses %v, which Validate passes", inv)
		}
	})
}
