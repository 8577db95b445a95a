// Package reconcile_test measures store reconciliation (issue 6): a store of
// 10,000 assets and 1,000,000 assignments written into an empty catalog and empty
// pools: storesync/memsink (an in-memory Sink) and a tenant.Tenant.
package reconcile_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
	"github.com/mdmkit/mdmkit/tenant"
)

const (
	numAssets      = 10_000
	numAssignments = 1_000_000
	appsPerDevice  = 10
	numDevices     = numAssignments / appsPerDevice // each device holds 10 apps: 100 per asset
	token          = mdm.TokenID("bench-token")
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func adamID(i int) string       { return fmt.Sprint(400_000_000 + i) }
func serial(d int) string       { return fmt.Sprintf("C02%07d", d) }
func device(d int) mdm.DeviceID { return mdm.DeviceID(fmt.Sprintf("dev-%07d", d)) }

// store returns what GET assets and GET assignments return for the location:
// 10,000 apps of 150 licenses each, every fifth on iOS and macOS, and 1,000,000
// device assignments (device d holds assets d·10 … d·10+9 mod 10,000).
func store() ([]apple.ResponseAsset, []apple.Assignment) {
	assets := make([]apple.ResponseAsset, numAssets)
	for i := range assets {
		plat := []string{"iOS"}
		if i%5 == 0 {
			plat = append(plat, "macOS")
		}
		assets[i] = apple.ResponseAsset{AdamID: adamID(i), PricingParam: apple.PricingStandard, ProductType: apple.ProductApp,
			AssignedCount: 100, AvailableCount: 50, TotalCount: 150, DeviceAssignable: true, Revocable: true, SupportedPlatforms: plat}
	}
	assigns := make([]apple.Assignment, 0, numAssignments)
	for d := range numDevices {
		for k := range appsPerDevice {
			assigns = append(assigns, apple.Assignment{AdamID: adamID((d*appsPerDevice + k) % numAssets),
				PricingParam: apple.PricingStandard, SerialNumber: serial(d)})
		}
	}
	return assets, assigns
}

// newSink is an empty catalog and empty pools, with the tenant's 100,000 devices
// known by serial number (S6: only they are imported).
func newSink() *memsink.Sink {
	s := memsink.New()
	s.AddToken(token)
	for d := range numDevices {
		s.AddDevice(device(d), serial(d))
	}
	return s
}

// peakHeap samples runtime.MemStats.HeapAlloc while f runs and returns the highest
// value seen above the value before f.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	peak.Store(base)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	runtime.ReadMemStats(&ms)
	if ms.HeapAlloc > peak.Load() {
		peak.Store(ms.HeapAlloc)
	}
	return peak.Load() - base
}

// BenchmarkReconcile: the listings of 10,000 assets and 1,000,000 assignments
// become a snapshot (AppleSnapshot: sort, validate) and are reconciled into an
// empty catalog and empty pools: 12,000 apps, 10,000 pools, 1,000,000 licenses
// imported. Issue 6: ≤ 2 s.
func BenchmarkReconcile(b *testing.B) {
	assets, assigns := store()
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		sink := newSink()
		b.StartTimer()
		p := peakHeap(func() {
			snap := storesync.AppleSnapshot(token, "apple:bench", assets, assigns, nil)
			r, err := storesync.Reconcile(now, sink, snap, nil)
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Imported) != numAssignments || len(r.AppsAdded) != numAssets+numAssets/5 || len(r.Counts) != numAssets {
				b.Fatalf("imported %d, added %d, pools %d", len(r.Imported), len(r.AppsAdded), len(r.Counts))
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkReconcile_Tenant: the same reconciliation into a tenant.Tenant (the
// real sink: license.Pools behind it) with the 100,000 devices enrolled.
func BenchmarkReconcile_Tenant(b *testing.B) {
	if testing.Short() {
		b.Skip("enrolls 100,000 devices")
	}
	assets, assigns := store()
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		tn := newTenant(b)
		b.StartTimer()
		p := peakHeap(func() {
			snap := storesync.AppleSnapshot(token, "apple:bench", assets, assigns, nil)
			r, err := storesync.Reconcile(now, tn, snap, nil)
			if err != nil {
				b.Fatal(err)
			}
			if len(r.Imported) != numAssignments || len(r.AppsAdded) != numAssets+numAssets/5 {
				b.Fatalf("imported %d, added %d", len(r.Imported), len(r.AppsAdded))
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

func newTenant(b *testing.B) *tenant.Tenant {
	tn, err := tenant.New(tenant.Config{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := tn.AddToken(now, token); err != nil {
		b.Fatal(err)
	}
	for d := range numDevices {
		if _, err := tn.EnrollDevice(now, mdm.Device{ID: device(d), SerialNumber: serial(d), Platform: mdm.PlatformIOS, OSVersion: "17.4"}); err != nil {
			b.Fatal(err)
		}
	}
	return tn
}

// BenchmarkReconcile_Resync: the same store reconciled a second time: nothing
// changes (S2); the cost is the comparison.
func BenchmarkReconcile_Resync(b *testing.B) {
	assets, assigns := store()
	sink := newSink()
	snap := storesync.AppleSnapshot(token, "apple:bench", assets, assigns, nil)
	if _, err := storesync.Reconcile(now, sink, snap, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := storesync.Reconcile(now, sink, snap, nil)
		if err != nil || r.Changed() {
			b.Fatal(err, r)
		}
	}
}

// BenchmarkReconcile_SyncThroughFake: a whole AppleSyncer.Sync of the same store
// held by applefake's Core and read through its Direct adapter (2,000 pages of
// 500 assignments, 20 of assets), into an empty tenant.
func BenchmarkReconcile_SyncThroughFake(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-assignment fake")
	}
	api, me := fakeStore(b)
	b.ReportAllocs()
	var peak uint64
	for b.Loop() {
		b.StopTimer()
		sink := newSink()
		sy, err := storesync.NewAppleSyncer(token, api, sink, me)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		p := peakHeap(func() {
			rep := sy.Sync(context.Background(), now)
			if rep.Err != nil || len(rep.Result.Imported) != numAssignments {
				b.Fatal(rep)
			}
		})
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// fakeStore is applefake's Core holding the store above, read through its
// Direct adapter.
func fakeStore(b *testing.B) (*applefake.Direct, apple.MdmInfo) {
	core := applefake.NewCore(applefake.Config{})
	uid := core.AddLocation("bench")
	stoken, err := core.IssueToken(uid, now.AddDate(1, 0, 0))
	if err != nil {
		b.Fatal(err)
	}
	assets, assigns := store()
	for _, a := range assets {
		if err := core.AddAsset(uid, applefake.AssetSpec{AdamID: a.AdamID, ProductType: a.ProductType, DeviceAssignable: true,
			Revocable: true, SupportedPlatforms: a.SupportedPlatforms, Total: a.TotalCount}); err != nil {
			b.Fatal(err)
		}
	}
	// Associate device by device's batch of serials per asset, as a service would.
	bySerials := map[string][]string{}
	for _, as := range assigns {
		bySerials[as.AdamID] = append(bySerials[as.AdamID], as.SerialNumber)
	}
	for _, a := range assets {
		if _, err := core.Associate(now, stoken, apple.ManageAssetsRequest{Assets: []apple.Asset{a.Asset()}, SerialNumbers: bySerials[a.AdamID]}); err != nil {
			b.Fatal(err)
		}
	}
	me := apple.MdmInfo{ID: "mdmkit-bench", Name: "mdmkit"}
	api := applefake.NewDirect(core, stoken, func() time.Time { return now }, applefake.WithMdmInfo(me))
	// The fake merges its new assignments into its order on the first read
	// after a change: do that here, so the figure is the sync's.
	if _, err := api.AssignmentsPage(context.Background(), apple.AssignmentsQuery{}, 0); err != nil {
		b.Fatal(err)
	}
	return api, me
}

// BenchmarkSync_Steady: the periodic sync of a tenant already in step with the
// store of 1,000,000 assignments, after 100 grants and 100 releases in its pools
// since the last sync (given to the syncer, pushed by the sync, then read back):
// a full sync reads and compares everything; an incremental one
// (storesync.WithIncrementalSync) reads the assignments made since the last
// versionId and compares the licenses that changed.
func BenchmarkSync_Steady(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-assignment fake")
	}
	for _, mode := range []string{"full", "incremental"} {
		b.Run(mode, func(b *testing.B) {
			api, me := fakeStore(b)
			sink := newSink()
			var opts []storesync.AppleOption
			if mode == "incremental" {
				opts = append(opts, storesync.WithIncrementalSync(1000*time.Hour))
			}
			sy, err := storesync.NewAppleSyncer(token, api, sink, me, opts...)
			if err != nil {
				b.Fatal(err)
			}
			if rep := sy.Sync(context.Background(), now); rep.Err != nil {
				b.Fatal(rep.Err)
			}
			var granted []memsink.PoolKey // the last op's grants, released by the next
			grantees := make([]int, 0, 100)
			op := 0
			b.ReportAllocs()
			for b.Loop() {
				// Device d holds assets d·10 … d·10+9; it gets asset d·10+10 (50
				// licenses are free of each) and gives it back an op later.
				for i, key := range granted {
					if ok, err := sink.Release(key, serial(grantees[i]), ""); !ok || err != nil {
						b.Fatal("release", ok, err)
					}
				}
				granted, grantees = granted[:0], grantees[:0]
				for i := range 100 {
					d := (op*100 + i) % numDevices
					key := memsink.PoolKey{Token: token, Product: adamID((d*appsPerDevice + appsPerDevice) % numAssets)}
					if ok, err := sink.Grant(key, serial(d), ""); !ok || err != nil {
						b.Fatal("grant", ok, err)
					}
					granted, grantees = append(granted, key), append(grantees, d)
				}
				op++
				for _, c := range sink.TakeChanges() {
					if err := sy.Enqueue(storesync.LicenseChange{Token: c.Token, Product: c.Product, Serial: c.Serial, Disassociate: c.Disassociate}); err != nil {
						b.Fatal(err)
					}
				}
				rep := sy.Sync(context.Background(), now)
				if rep.Err != nil || rep.Result.Changed() || rep.Push == nil || rep.Push.Sent != 100+min(op-1, 1)*100 {
					b.Fatal(rep)
				}
			}
		})
	}
}
