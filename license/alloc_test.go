package license_test

import (
	"runtime"
	"testing"

	"github.com/mdmkit/mdmkit/license"
)

// The hot path allocates nothing in steady state: a grant and a release of a
// device license (with its store change recorded and cancelled), a user license
// covering and uncovering a device, a refused grant of a holder already waiting,
// and the same through a pool handle and a Ref.
func TestHotPath_NoAllocations(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 3)
	setCounts(t, ps, onKey, license.StoreOnline, 3)
	grant(t, ps, appKey, dev("full-1"))
	grant(t, ps, appKey, usr("ada", "a1"))
	p, _ := ps.Pool(appKey)
	d := license.Request{Device: "d1", Serial: "SN-1"}
	u := usr("ada", "a2")
	on := license.Request{User: "bob"}
	ref, err := p.Ref(d)
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"device by key": func() {
			grant(t, ps, appKey, d)
			reclaim(t, ps, appKey, d, license.Uninstall)
		},
		"device by handle": func() {
			_, _ = p.Grant(t0, d)
			_, _ = p.Reclaim(t0, d, license.Uninstall)
		},
		"device by ref": func() {
			_, _ = p.GrantRef(t0, ref, d)
			_, _ = p.ReclaimRef(t0, ref, d, license.Uninstall)
		},
		"user license covers a device": func() {
			wantOutcome(t, grant(t, ps, appKey, u), license.Covered)
			wantOutcome(t, reclaim(t, ps, appKey, u, license.Uninstall), license.Uncovered)
		},
		"store online": func() {
			grant(t, ps, onKey, on)
			reclaim(t, ps, onKey, on, license.Uninstall)
		},
		"refused while waiting": func() {
			grant(t, ps, appKey, d)
			wantOutcome(t, grant(t, ps, appKey, dev("waiter")), license.Refused)
			reclaim(t, ps, appKey, d, license.Uninstall)
		},
	} {
		f() // first use creates the holder's record
		if n := totalAllocs(500, f); n != 0 {
			t.Errorf("%s: %d allocations in 500 runs", name, n)
		}
	}
}

// totalAllocs counts every allocation of runs calls of f. testing.AllocsPerRun
// rounds the mean down, which would hide a buffer that grows now and then.
func totalAllocs(runs int, f func()) uint64 {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return after.Mallocs - before.Mallocs
}
