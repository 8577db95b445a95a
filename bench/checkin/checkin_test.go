package checkin

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

const (
	steadyDevices = 10_000 // enough devices that their records do not all sit in cache
	targetedApps  = 20     // the steady device
)

// BenchmarkCheckInSteady: a device with 20 targeted apps, all installed, checks
// in with its complete inventory; there is nothing to do (issue 5: ≤ 2 µs and
// ≤ 2 allocations; aim ≤ 400 ns and 0). Devices are checked in round-robin, a
// minute of virtual time apart.
func BenchmarkCheckInSteady(b *testing.B) {
	f, err := New(Options{Devices: steadyDevices, Apps: targetedApps})
	if err != nil {
		b.Fatal(err)
	}
	var out tenant.CheckInResult
	now := f.Now.Add(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(f.Reports)
		if err := f.Tenant.CheckIn(now, &f.Reports[k], &out); err != nil {
			b.Fatal(err)
		}
		if len(out.Commands) != 0 {
			b.Fatalf("steady check-in sent %d commands", len(out.Commands))
		}
		if k == len(f.Reports)-1 {
			now = now.Add(time.Minute)
		}
	}
}

// BenchmarkCheckInSteadyRef is BenchmarkCheckInSteady through a DeviceRef (the
// index fast path a simulator keeps per device): no lookup of the device by id.
func BenchmarkCheckInSteadyRef(b *testing.B) {
	f, err := New(Options{Devices: steadyDevices, Apps: targetedApps})
	if err != nil {
		b.Fatal(err)
	}
	refs := make([]tenant.DeviceRef, len(f.Devices))
	for i, d := range f.Devices {
		refs[i], _ = f.Tenant.DeviceRef(d)
	}
	var out tenant.CheckInResult
	now := f.Now.Add(time.Hour)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % len(f.Reports)
		if err := f.Tenant.CheckInRef(now, refs[k], &f.Reports[k], &out); err != nil {
			b.Fatal(err)
		}
		if k == len(f.Reports)-1 {
			now = now.Add(time.Minute)
		}
	}
}

// largeDevices is the simulator's default fleet: at this size a device's state
// is cold when its check-in comes, as it is inside the simulator.
const largeDevices = 100_000

var (
	largeOnce sync.Once
	large     *Fixture
	largeRefs []tenant.DeviceRef
	largeErr  error
)

// largeFixture builds the 100,000-device fixture once for the benchmarks that
// share it (about half a minute).
func largeFixture(b *testing.B) (*Fixture, []tenant.DeviceRef) {
	largeOnce.Do(func() {
		large, largeErr = New(Options{Devices: largeDevices, Apps: targetedApps})
		if largeErr != nil {
			return
		}
		largeRefs = make([]tenant.DeviceRef, len(large.Devices))
		for i, d := range large.Devices {
			largeRefs[i], _ = large.Tenant.DeviceRef(d)
		}
	})
	if largeErr != nil {
		b.Fatal(largeErr)
	}
	return large, largeRefs
}

// BenchmarkCheckInSteadyRefLarge is BenchmarkCheckInSteadyRef on the
// simulator's fleet size, 100,000 devices, in a random order (a fixed
// permutation), as events come in a simulation: every check-in finds the
// tenant's state of its device cold. The caller's side is as warm as the
// simulator's: the devices' refs and ids are read in sequence (the simulator
// prefetches its own next device), and the report is one reused buffer holding
// the inventory every fixture device has (a virtual device writes its report
// into a reused buffer). With prefetch, the caller hints the next device
// (DeviceRef.Prefetch) before checking in the current one, as the simulator
// can: its queue knows the next event's device.
func BenchmarkCheckInSteadyRefLarge(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100,000-device fixture")
	}
	f, refs := largeFixture(b)
	rng := rand.New(rand.NewPCG(1, 2))
	type slot struct {
		ref tenant.DeviceRef
		id  mdm.DeviceID
	}
	slots := make([]slot, len(refs))
	for j, k := range rng.Perm(len(refs)) {
		slots[j] = slot{refs[k], f.Devices[k]}
	}
	rep := mdm.Report{Inventory: f.Reports[0].Inventory}
	for _, prefetch := range []bool{false, true} {
		name := "random"
		if prefetch {
			name = "random+prefetch"
		}
		b.Run(name, func(b *testing.B) {
			var out tenant.CheckInResult
			now := f.Now.Add(time.Hour)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % len(slots)
				if prefetch {
					slots[(j+1)%len(slots)].ref.Prefetch()
				}
				s := &slots[j]
				rep.Device = s.id
				if err := f.Tenant.CheckInRef(now, s.ref, &rep, &out); err != nil {
					b.Fatal(err)
				}
				if len(out.Commands)+len(out.Changes) != 0 {
					b.Fatalf("steady check-in: %v %v", out.Commands, out.Changes)
				}
				if j == len(slots)-1 {
					now = now.Add(time.Minute)
				}
			}
		})
	}
}

// BenchmarkCheckInInstall: a device with 20 installed apps and one required VPP
// app waiting for a license checks in after the pool got licenses: the pool
// grants one and the install goes out (L5). Every device does this once, so the
// benchmark runs in rounds of fresh fixtures, built with the timer stopped.
func BenchmarkCheckInInstall(b *testing.B) {
	const round = 2048
	var out tenant.CheckInResult
	b.ReportAllocs()
	b.StopTimer()
	for done := 0; done < b.N; {
		f, err := New(Options{Devices: round, Apps: targetedApps, StoreApp: true})
		if err != nil {
			b.Fatal(err)
		}
		vpp, _ := f.Tenant.App(mdm.AppID(guid("v", 0)))
		if err := f.Tenant.SetPoolCounts(f.Now, &vpp, round, 0); err != nil {
			b.Fatal(err)
		}
		now := f.Now.Add(time.Hour)
		n := min(round, b.N-done)
		b.StartTimer()
		for k := 0; k < n; k++ {
			if err := f.Tenant.CheckIn(now, &f.Reports[k], &out); err != nil {
				b.Fatal(err)
			}
			if len(out.Commands) != 1 {
				b.Fatalf("install check-in sent %d commands, want 1", len(out.Commands))
			}
		}
		b.StopTimer()
		done += n
	}
}

// BenchmarkCheckInParallel: steady check-ins of distinct devices from
// GOMAXPROCS goroutines at once; each goroutine owns a slice of the devices, as
// a server's handlers would serve different devices.
func BenchmarkCheckInParallel(b *testing.B) {
	f, err := New(Options{Devices: steadyDevices, Apps: targetedApps})
	if err != nil {
		b.Fatal(err)
	}
	now := f.Now.Add(time.Hour)
	var next atomic.Int64
	stride := runtime.GOMAXPROCS(0) // RunParallel starts this many goroutines
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var out tenant.CheckInResult
		// goroutine g takes the devices ≡ g modulo stride: no two goroutines
		// share a device, and together they cycle through all of them.
		g := int(next.Add(1)-1) % stride
		k := g
		for pb.Next() {
			if err := f.Tenant.CheckIn(now, &f.Reports[k], &out); err != nil {
				b.Error(err)
				return
			}
			k += stride
			if k >= len(f.Reports) {
				k = g
			}
		}
	})
}

// TestFixtureSteady checks the fixture: after it, a check-in of every device
// sends nothing and allocates nothing.
func TestFixtureSteady(t *testing.T) {
	f, err := New(Options{Devices: 50, Apps: targetedApps})
	if err != nil {
		t.Fatal(err)
	}
	var out tenant.CheckInResult
	now := f.Now.Add(time.Hour)
	allocs := testing.AllocsPerRun(200, func() {
		for k := range f.Reports {
			if err := f.Tenant.CheckIn(now, &f.Reports[k], &out); err != nil {
				t.Fatal(err)
			}
			if len(out.Commands)+len(out.Changes) != 0 {
				t.Fatalf("steady check-in: %v %v", out.Commands, out.Changes)
			}
		}
	})
	if allocs != 0 {
		t.Fatalf("steady check-in allocates %.1f times per round", allocs)
	}
}

// BenchmarkTenantMemory reports the heap a steady device costs the tenant:
// its state, its 20 records and its inventory fingerprint, plus its share of
// the directory (user, group membership, resolver entry and cached resolution).
// The fixture's own reports are not counted.
func BenchmarkTenantMemory(b *testing.B) {
	const n = 20_000
	for i := 0; i < b.N; i++ {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		f, err := New(Options{Devices: n, Apps: targetedApps})
		if err != nil {
			b.Fatal(err)
		}
		f.Reports = nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/device")
		runtime.KeepAlive(f)
	}
}
