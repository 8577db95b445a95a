package resolvebench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/bench/workload"
	"github.com/mdmkit/mdmkit/mdm"
)

var small = workload.Config{Users: 2_000, Devices: 3_000, Groups: 200, Apps: 100, Assignments: 500, ExclusionShare: 0.10}

func sameEffects(a, b []assign.Effective) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.App != y.App || x.Intent != y.Intent || x.Row != y.Row || x.UninstallOnDeviceRemoval != y.UninstallOnDeviceRemoval ||
			x.LicenseType != y.LicenseType || x.PreventAutoUpdate != y.PreventAutoUpdate || !x.Deadline.Equal(y.Deadline) {
			return false
		}
	}
	return true
}

// TestBaselineAgrees loads a small generated tenant (every value accepted: A3,
// A4, C6, D4 hold in the generator) and checks that assign and the baseline give
// the same resolution for every device, so the benchmarks compare equal work.
func TestBaselineAgrees(t *testing.T) {
	tn := workload.Generate(5, small)
	r, err := Load(tn)
	if err != nil {
		t.Fatal(err)
	}
	b := NewBaseline(tn)
	entries := 0
	for _, d := range tn.Devices {
		res, err := r.ResolveDevice(d.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, want := res.Effects(), b.ResolveDevice(d.ID)
		for i := range got {
			got[i].AppIndex = 0
		}
		if !sameEffects(got, want) {
			t.Fatalf("device %s: assign %v, baseline %v", d.ID, got, want)
		}
		entries += len(got)
	}
	if entries < len(tn.Devices) {
		t.Fatalf("only %d (device, app) pairs: the workload reaches too little", entries)
	}
}

// tenant-L, generated and loaded once per benchmark binary run.
var (
	tenantOnce sync.Once
	tenantL    *workload.Tenant
	loaded     *assign.Resolver
	loadTime   time.Duration
)

func tenant(b *testing.B) (*workload.Tenant, *assign.Resolver) {
	tenantOnce.Do(func() {
		tenantL = workload.TenantL(workload.DefaultSeed)
		start := time.Now()
		r, err := Load(tenantL)
		if err != nil {
			panic(err)
		}
		loadTime = time.Since(start)
		loaded = r
	})
	// Start every benchmark without the garbage of the one before (the baseline's
	// maps, ResolveAll's second resolver): a collection during the loop would
	// take the other core and the caches.
	runtime.GC()
	return tenantL, loaded
}

// sample is the devices the per-device benchmarks visit: spread over the whole
// tenant, the same for every benchmark.
func sample(n int) []assign.DeviceIndex {
	out := make([]assign.DeviceIndex, 0, 4096)
	for i := 0; i < 4096; i++ {
		out = append(out, assign.DeviceIndex((i*7919)%n))
	}
	return out
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// BenchmarkResolveAll resolves all of tenant-L on every core. It also reports
// the memory of the resolved state (resolved-MB: heap after the first full
// resolution minus heap before, both after GC) and of the loaded resolver
// (resolver-MB: heap with the resolver minus heap without it).
func BenchmarkResolveAll(b *testing.B) {
	tn, _ := tenant(b)
	before := heapMB()
	fresh, err := Load(tn)
	if err != nil {
		b.Fatal(err)
	}
	withResolver := heapMB()
	s := fresh.ResolveAll(0)
	resolved := heapMB()
	clock := startProcessCPU()
	runs := 0
	for b.Loop() {
		fresh.ResolveAll(0)
		runs++
	}
	clock.report(b, runs) // CPU time of all workers together
	// Metrics go after the loop: b.Loop resets what was reported before it.
	b.ReportMetric(withResolver-before, "resolver-MB")
	b.ReportMetric(resolved-withResolver, "resolved-MB")
	b.ReportMetric(float64(s.Entries)/float64(s.Devices), "apps/device")
	b.ReportMetric(loadTime.Seconds(), "load-s")
	runtime.KeepAlive(fresh)
}

// BenchmarkResolveDeviceCold resolves one device with nothing cached.
func BenchmarkResolveDeviceCold(b *testing.B) {
	_, r := tenant(b)
	devs := sample(r.NumDeviceIndexes())
	b.ReportAllocs()
	n := 0
	clock := startThreadCPU()
	for b.Loop() {
		if _, err := r.Recompute(devs[n%len(devs)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	clock.report(b, n)
}

// BenchmarkResolveDeviceWarm resolves one device by id with its cache valid:
// the same device again and again (one-device: the code's own cost, everything
// in the CPU cache), and in turn each device of the 4,096 the per-device
// benchmarks visit (sample: what a check-in of a random device costs, with the
// cache misses of a 150,000-device tenant).
func BenchmarkResolveDeviceWarm(b *testing.B) {
	_, r := tenant(b)
	devs := sample(r.NumDeviceIndexes())
	ids := make([]mdm.DeviceID, len(devs))
	for i, d := range devs {
		ids[i] = r.DeviceID(d)
		if _, err := r.ResolveDevice(ids[i]); err != nil {
			b.Fatal(err)
		}
	}
	byID := func(ids []mdm.DeviceID) func(int) (assign.Resolution, error) {
		return func(n int) (assign.Resolution, error) { return r.ResolveDevice(ids[n%len(ids)]) }
	}
	b.Run("one-device", func(b *testing.B) { warm(b, byID(ids[:1])) })
	b.Run("sample", func(b *testing.B) { warm(b, byID(ids)) })
}

// warm runs resolve(0), resolve(1), ... and reads each resolution's length.
func warm(b *testing.B, resolve func(int) (assign.Resolution, error)) {
	b.ReportAllocs()
	n, sink := 0, 0
	clock := startThreadCPU()
	for b.Loop() {
		res, err := resolve(n)
		if err != nil {
			b.Fatal(err)
		}
		sink += res.Len()
		n++
	}
	clock.report(b, n)
	_ = sink
}

// BenchmarkResolveDeviceWarmIndex is the warm sample by device index: the fast
// path for callers that keep indexes (the tenant's check-in).
func BenchmarkResolveDeviceWarmIndex(b *testing.B) {
	_, r := tenant(b)
	devs := sample(r.NumDeviceIndexes())
	for _, d := range devs {
		if _, err := r.ResolveDeviceIndex(d); err != nil {
			b.Fatal(err)
		}
	}
	warm(b, func(n int) (assign.Resolution, error) { return r.ResolveDeviceIndex(devs[n%len(devs)]) })
}

// BenchmarkBaselineResolveDevice resolves the same devices as
// BenchmarkResolveDeviceCold with the baseline, and reports how many times
// faster assign's cold resolution of those devices is, measured in the same run
// (cold-speedup).
func BenchmarkBaselineResolveDevice(b *testing.B) {
	tn, r := tenant(b)
	base := NewBaseline(tn)
	devs := sample(r.NumDeviceIndexes())
	ids := make([]mdm.DeviceID, len(devs))
	for i, d := range devs {
		ids[i] = r.DeviceID(d)
	}
	b.ReportAllocs()
	n := 0
	clock := startThreadCPU()
	for b.Loop() {
		base.ResolveDevice(ids[n%len(ids)])
		n++
	}
	perBase := float64(cpuNow(rusageThread)-clock.start) / float64(n)
	clock.report(b, n)
	// The same devices, cold, in the same run, in thread CPU time as well.
	cold := startThreadCPU()
	const coldN = 20_000
	for k := range coldN {
		if _, err := r.Recompute(devs[k%len(devs)]); err != nil {
			b.Fatal(err)
		}
	}
	perCold := float64(cpuNow(rusageThread)-cold.start) / coldN
	runtime.UnlockOSThread()
	b.ReportMetric(perBase/perCold, "cold-speedup")
}

// BenchmarkResolveDeviceWarmParallel is the warm sample by index from every core
// at once (b.RunParallel): resolutions of different devices take different
// reader locks, so they scale with the cores.
func BenchmarkResolveDeviceWarmParallel(b *testing.B) {
	_, r := tenant(b)
	devs := sample(r.NumDeviceIndexes())
	for _, d := range devs {
		if _, err := r.ResolveDeviceIndex(d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		n := int(next.Add(997))
		for pb.Next() {
			if _, err := r.ResolveDeviceIndex(devs[n%len(devs)]); err != nil {
				b.Error(err)
				return
			}
			n++
		}
	})
}
