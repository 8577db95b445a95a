package sim

import (
	"strings"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
)

// appTable maps the scenario's apps to the catalog's and keeps what the
// simulator tracks per app. Scenario app a is index a of Scenario.Apps.
type appTable struct {
	specs []*AppSpec
	// catalog is the catalog id of each app: its scenario id, or for a synced
	// app the id store sync gave it ("" until the first sync brings it).
	catalog []mdm.AppID
	index   map[mdm.AppID]int32 // catalog id → app
	byID    map[mdm.AppID]int32 // scenario id → app
	// licensed apps have a pool (VPP, Store for Business).
	licensed []bool
	watch    []poolWatch
	// required counts the live assignments with a required intent, by app;
	// others counts those including the app with another intent (an install
	// may then come from the portal rather than the requirement).
	required, others, uninstalls []int
	// reqSince is when the app last became required somewhere: an assignment
	// made required, or an intent changed to required.
	reqSince []eventq.Time
	// storeVersion is the version of a VPP app (not a book) at the App Store
	// now, which store sync brings to the catalog (storesync.WithAppleVersions);
	// a newVersion action changes it.
	storeVersion []string
}

func newAppTable(sc *Scenario) *appTable {
	n := len(sc.Apps)
	t := &appTable{specs: make([]*AppSpec, n), catalog: make([]mdm.AppID, n), index: make(map[mdm.AppID]int32, n),
		byID: make(map[mdm.AppID]int32, n), licensed: make([]bool, n), watch: make([]poolWatch, n),
		required: make([]int, n), others: make([]int, n), uninstalls: make([]int, n), reqSince: make([]eventq.Time, n),
		storeVersion: make([]string, n)}
	for i := range sc.Apps {
		a := &sc.Apps[i]
		t.specs[i] = a
		t.byID[a.ID] = int32(i)
		t.licensed[i] = a.Type.IsSynced()
		if storeVersioned(a.Type) {
			t.storeVersion[i] = a.version()
		}
		if !a.Type.IsSynced() {
			t.bind(i, a.ID)
		}
	}
	return t
}

// storeVersioned reports whether store sync brings the versions of apps of
// type t: Apple's VPP apps (from Apple's content metadata, which the fake
// answers from the scenario); not books, which have none, nor Store for
// Business apps, whose API carries none.
func storeVersioned(t mdm.AppType) bool { return t.IsVPP() && !t.IsBook() }

// bind records the catalog id of app a.
func (t *appTable) bind(a int, id mdm.AppID) {
	t.catalog[a] = id
	t.index[id] = int32(a)
}

// of returns the app of a catalog id.
func (t *appTable) of(id mdm.AppID) (int, bool) {
	a, ok := t.index[id]
	return int(a), ok
}

// scenarioID names an app as the scenario does; an app outside the scenario
// (an unmanaged one the device reports) keeps its id.
func (t *appTable) scenarioID(id mdm.AppID) mdm.AppID {
	if a, ok := t.index[id]; ok {
		return t.specs[a].ID
	}
	return id
}

// removable says whether the company portal offers to uninstall an installed
// app (T7): always Microsoft Store apps, Win32 apps only where the app allows it
// (the scenario's apps never do), and the other types as the platforms' portals
// do for apps they installed.
func (t *appTable) removable(id mdm.AppID) bool {
	a, ok := t.index[id]
	if !ok {
		return false
	}
	switch typ := t.specs[a].Type; {
	case typ == mdm.AppTypeMicrosoftStore || typ == mdm.AppTypeStoreForBusiness:
		return true
	case typ.IsWin32():
		return false
	default:
		return typ.General() == mdm.GeneralStore || typ.General() == mdm.GeneralLOB
	}
}

// ambiguous reports whether an install of app a may have come from the portal:
// it is also offered by an include of another intent.
func (t *appTable) ambiguous(a int) bool { return t.others[a] > 0 }

// count records an assignment of app a with intent coming (+1) or going (-1),
// at now.
func (t *appTable) count(a int, in mdm.Intent, exclusion bool, delta int, now eventq.Time) {
	if exclusion {
		return
	}
	if in == mdm.Required {
		t.required[a] += delta
		if delta > 0 {
			t.reqSince[a] = now
		}
		return
	}
	if in == mdm.Uninstall {
		t.uninstalls[a] += delta
		return
	}
	t.others[a] += delta
}

// intents names the intents of an app's live include assignments, for
// reports: "required", "required, available", "uninstall", "none".
func (t *appTable) intents(a int) string {
	var parts []string
	if t.required[a] > 0 {
		parts = append(parts, "required")
	}
	if t.others[a] > 0 {
		parts = append(parts, "available")
	}
	if t.uninstalls[a] > 0 {
		parts = append(parts, "uninstall")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
