// Package license benchmarks the license pools (package license) on the issue's
// workload: a grant followed by a release on a pool of 1,000,000 licenses. Half
// the pool is held when the clock starts, so the pool's holder map and records are
// at a realistic size; the benchmark then grants and releases a rotating set of
// devices that the pool has seen before, which is the steady state of a fleet
// whose devices install and uninstall a licensed app.
package license

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

const (
	poolTotal = 1_000_000 // the pool
	prefilled = poolTotal / 2
	rotating  = 1 << 12 // devices granted and released in the loop
)

var now = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

func requests(prefix string, n int) []license.Request {
	out := make([]license.Request, n)
	for i := range out {
		id := fmt.Sprintf("%s-%07d-4c1e-9a7b-2f6d0c3e8a51", prefix, i) // GUID-sized ids
		out[i] = license.Request{Device: mdm.DeviceID(id), Serial: fmt.Sprintf("C02%07dJG5H", i)}
	}
	return out
}

// setup returns pools with one VPP app pool of poolTotal licenses, prefilled
// held, and the rotating requests, each granted and released once so the pool
// knows them.
func setup(b *testing.B, kind license.Kind, user bool) (*license.Pools, license.PoolKey, []license.Request) {
	b.Helper()
	ps, err := license.NewPools(nil)
	if err != nil {
		b.Fatal(err)
	}
	key := license.PoolKey{Token: "6a1f0c2e-0000-4000-8000-00000000vpp1", Product: "361309726"}
	if _, err := ps.SetCounts(now, key, kind, poolTotal, 0); err != nil {
		b.Fatal(err)
	}
	conv := func(rs []license.Request) []license.Request {
		if user {
			for i := range rs {
				rs[i].User, rs[i].Serial = mdm.UserID(rs[i].Device), ""
			}
		}
		return rs
	}
	for _, r := range conv(requests("held", prefilled)) {
		if res, err := ps.Grant(now, key, r); err != nil || res.Outcome != license.Granted {
			b.Fatal(res.Outcome, err)
		}
	}
	rot := conv(requests("rot", rotating))
	for _, r := range rot {
		if _, err := ps.Grant(now, key, r); err != nil {
			b.Fatal(err)
		}
		if _, err := ps.Reclaim(now, key, r, license.Uninstall); err != nil {
			b.Fatal(err)
		}
	}
	ps.TakeChanges(nil)
	return ps, key, rot
}

// BenchmarkGrantRelease: one grant and one release (uninstall reclaim) per
// iteration. Target: ≤ 200 ns together, 0 allocations.
//
//   - vpp-device/key: a VPP device-licensed app through Pools with the pool key,
//     as a caller without a pool handle would; the store outbox records and
//     cancels the associate.
//   - vpp-device/handle: the same through a Pool handle (Pools.Pool), the fast
//     path for a caller that keeps one per app.
//   - vpp-device/ref: the same through a Ref per holder (Result.Ref), the fast
//     path for a caller that keeps one per device and app: no holder lookup.
//   - store-online/handle: a Store for Business online pool (no store outbox).
func BenchmarkGrantRelease(b *testing.B) {
	for _, c := range []struct {
		name   string
		kind   license.Kind
		user   bool
		handle bool
		ref    bool
	}{
		{"vpp-device/key", license.VPPApp, false, false, false},
		{"vpp-device/handle", license.VPPApp, false, true, false},
		{"vpp-device/ref", license.VPPApp, false, true, true},
		{"store-online/handle", license.StoreOnline, true, true, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			ps, key, rot := setup(b, c.kind, c.user)
			p, err := ps.Pool(key)
			if err != nil {
				b.Fatal(err)
			}
			refs := make([]license.Ref, len(rot))
			for j, r := range rot {
				if refs[j], err = p.Ref(r); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC() // setup garbage is not the loop's to collect
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				r, ref := rot[i&(rotating-1)], refs[i&(rotating-1)]
				i++
				var g, rel license.Result
				if c.ref {
					g, _ = p.GrantRef(now, ref, r)
					rel, _ = p.ReclaimRef(now, ref, r, license.Uninstall)
				} else if c.handle {
					g, _ = p.Grant(now, r)
					rel, _ = p.Reclaim(now, r, license.Uninstall)
				} else {
					g, _ = ps.Grant(now, key, r)
					rel, _ = ps.Reclaim(now, key, r, license.Uninstall)
				}
				if g.Outcome != license.Granted || rel.Outcome != license.Reclaimed {
					b.Fatal(g.Outcome, rel.Outcome)
				}
			}
			b.StopTimer()
			if s, _ := p.Stats(); s.Assigned != prefilled || ps.PendingChanges() != 0 {
				b.Fatalf("after the loop: %+v, %d changes pending", s, ps.PendingChanges())
			}
		})
	}
}
