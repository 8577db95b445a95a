package assign

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// mediumTenant builds a deterministic tenant of a few hundred devices with
// nested groups, exclusions and every intent, for concurrency and ResolveAll
// tests.
func mediumTenant(t testing.TB, seed uint64) (*Resolver, []mdm.DeviceID, []mdm.GroupID) {
	rng := rand.New(rand.NewPCG(seed, 1))
	f := newFixture(t)
	const users, devices, groups, apps, asgs = 120, 200, 30, 25, 150
	for u := range users {
		f.user(mdm.UserID(fmt.Sprintf("u%03d", u)))
	}
	var devIDs []mdm.DeviceID
	for d := range devices {
		dev := mdm.Device{ID: mdm.DeviceID(fmt.Sprintf("d%03d", d))}
		if rng.IntN(10) > 0 {
			dev.PrimaryUser = mdm.UserID(fmt.Sprintf("u%03d", rng.IntN(users)))
		}
		if rng.IntN(10) == 0 {
			dev.Enrollment = mdm.AppProtectionOnly
		}
		if rng.IntN(4) == 0 {
			dev.Platform, dev.AndroidMode = mdm.PlatformAndroidEnterprise, mdm.AndroidEnterpriseMode(1+rng.IntN(4))
		}
		f.device(dev)
		devIDs = append(devIDs, dev.ID)
	}
	var gIDs []mdm.GroupID
	kinds := map[mdm.GroupID]mdm.MemberKind{}
	for g := range groups {
		id := mdm.GroupID(fmt.Sprintf("g%02d", g))
		grp := mdm.Group{ID: id, Kind: mdm.MemberKind(1 + g%2)}
		for range 5 + rng.IntN(30) {
			if grp.Kind == mdm.UserMembers {
				grp.Users = append(grp.Users, mdm.UserID(fmt.Sprintf("u%03d", rng.IntN(users))))
			} else {
				grp.Devices = append(grp.Devices, devIDs[rng.IntN(devices)])
			}
		}
		for _, c := range gIDs { // earlier groups only: no cycles
			if kinds[c] == grp.Kind && rng.IntN(8) == 0 {
				grp.Groups = append(grp.Groups, c)
			}
		}
		_, err := f.r.PutGroup(grp)
		f.ok(err)
		gIDs = append(gIDs, id)
		kinds[id] = grp.Kind
	}
	types := []mdm.AppType{mdm.AppTypeWin32, mdm.AppTypeIOSStore, mdm.AppTypeManagedGooglePlay, mdm.AppTypeIOSVPP}
	for a := range apps {
		f.app(mdm.AppID(fmt.Sprintf("app%02d", a)), types[a%len(types)])
	}
	for n := 0; n < asgs; n++ {
		a := mdm.Assignment{ID: mdm.AssignmentID(fmt.Sprintf("as%03d", n)), App: mdm.AppID(fmt.Sprintf("app%02d", rng.IntN(apps))),
			Intent: mdm.Intent(rng.IntN(4))}
		switch k := rng.IntN(20); {
		case k == 0:
			a.Target = mdm.AllUsersTarget()
		case k == 1:
			a.Target = mdm.AllDevicesTarget()
		case k < 5:
			a.Target = mdm.ExclusionTarget(gIDs[rng.IntN(groups)])
		default:
			a.Target = mdm.GroupTarget(gIDs[rng.IntN(groups)])
		}
		f.r.Assign(a) // some are refused (A3, A4, D4); that is fine here
	}
	return f.r, devIDs, gIDs
}

func allEffects(t testing.TB, r *Resolver, ids []mdm.DeviceID) map[mdm.DeviceID][]Effective {
	out := map[mdm.DeviceID][]Effective{}
	for _, id := range ids {
		res, err := r.ResolveDevice(id)
		if err != nil {
			continue
		}
		out[id] = res.Effects()
	}
	return out
}

// TestResolveAllDeterministic: ResolveAll gives the same summary and the same
// resolutions for any number of workers and any GOMAXPROCS, and the same as
// per-device resolution.
func TestResolveAllDeterministic(t *testing.T) {
	r0, ids, _ := mediumTenant(t, 1)
	want := allEffects(t, r0, ids)
	var first Summary
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, procs := range []int{1, 2, 4} {
		runtime.GOMAXPROCS(procs)
		for _, workers := range []int{0, 1, 2, 3, 8} {
			r, _, _ := mediumTenant(t, 1)
			s := r.ResolveAll(workers)
			if first.Devices == 0 {
				first = s
				if s.Devices != len(ids) || s.Entries == 0 {
					t.Fatalf("summary %+v", s)
				}
			} else if s != first {
				t.Fatalf("GOMAXPROCS %d, %d workers: summary %+v, want %+v", procs, workers, s, first)
			}
			got := allEffects(t, r, ids)
			for _, id := range ids {
				if !equalEffects(got[id], want[id]) {
					t.Fatalf("GOMAXPROCS %d, %d workers: device %s differs", procs, workers, id)
				}
			}
		}
	}
	// A different tenant gives a different digest.
	r2, _, _ := mediumTenant(t, 2)
	if r2.ResolveAll(2).Digest == first.Digest {
		t.Fatal("digest does not tell tenants apart")
	}
}

// TestWarmResolveAllocatesNothing: a cached resolution is returned and read
// without allocating.
func TestWarmResolveAllocatesNothing(t *testing.T) {
	r, ids, _ := mediumTenant(t, 3)
	r.ResolveAll(2)
	id := ids[7]
	idx, _ := r.DeviceIndex(id)
	sink := 0
	allocs := testing.AllocsPerRun(200, func() {
		res, err := r.ResolveDevice(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range res.All() {
			sink += int(e.Intent)
		}
		res2, _ := r.ResolveDeviceIndex(idx)
		for i := range res2.Len() {
			sink += int(res2.At(i).Row)
		}
		_, _ = res.Lookup("app03")
	})
	if allocs != 0 {
		t.Fatalf("warm resolution allocates %v times", allocs)
	}
	_ = sink
}

// TestConcurrentSameDevice: many goroutines resolve and explain the same device
// at once, with and without a valid cache; all see the same result (-race).
func TestConcurrentSameDevice(t *testing.T) {
	r, ids, _ := mediumTenant(t, 4)
	want := allEffects(t, r, ids)
	idx, _ := r.DeviceIndex(ids[3])
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 300 {
				var res Resolution
				var err error
				switch (g + n) % 3 {
				case 0:
					res, err = r.ResolveDevice(ids[3])
				case 1:
					res, err = r.ResolveDeviceIndex(idx)
				default:
					res, err = r.Recompute(idx) // replaces the cached entry under the others' feet
				}
				if err != nil || !equalEffects(res.Effects(), want[ids[3]]) {
					errs <- fmt.Sprintf("goroutine %d: %v %s", g, err, describe(res.Effects()))
					return
				}
				if n%50 == 0 {
					if _, err := r.Explain(ids[3], "app01"); err != nil {
						errs <- err.Error()
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestConcurrentMutations: mutations interleave with resolutions, explanations
// and ResolveAll from other goroutines (-race); afterwards every cached
// resolution equals a recompute.
func TestConcurrentMutations(t *testing.T) {
	r, ids, groups := mediumTenant(t, 5)
	r.ResolveAll(2)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := ids[rng.IntN(len(ids))]
				switch n % 20 {
				case 0:
					r.ResolveAll(2)
				case 1:
					r.Explain(id, mdm.AppID(fmt.Sprintf("app%02d", rng.IntN(25))))
				default:
					if res, err := r.ResolveDevice(id); err == nil {
						_ = res.Effects()
					}
				}
			}
		}()
	}
	rng := rand.New(rand.NewPCG(77, 7))
	for n := range 400 {
		g := groups[rng.IntN(len(groups))]
		switch n % 6 {
		case 0, 1:
			grp, _ := r.Group(g)
			if grp.Kind == mdm.UserMembers {
				r.AddMember(g, fmt.Sprintf("u%03d", rng.IntN(120)))
			} else {
				r.AddMember(g, string(ids[rng.IntN(len(ids))]))
			}
		case 2:
			if grp, _ := r.Group(g); len(grp.Users) > 0 {
				r.RemoveMember(g, string(grp.Users[0]))
			} else if len(grp.Devices) > 0 {
				r.RemoveMember(g, string(grp.Devices[0]))
			}
		case 3:
			r.Assign(mdm.Assignment{ID: mdm.AssignmentID(fmt.Sprintf("c%03d", n)), App: mdm.AppID(fmt.Sprintf("app%02d", rng.IntN(25))),
				Intent: mdm.Intent(rng.IntN(4)), Target: mdm.GroupTarget(g)})
		case 4:
			if as := r.Assignments(); len(as) > 0 {
				r.Unassign(as[rng.IntN(len(as))].ID)
			}
		case 5:
			if as := r.Assignments(); len(as) > 0 {
				r.ChangeIntent(as[rng.IntN(len(as))].ID, mdm.Intent(rng.IntN(4)))
			}
		}
	}
	close(stop)
	wg.Wait()
	for _, id := range ids {
		cached, err := r.ResolveDevice(id)
		if err != nil {
			t.Fatal(err)
		}
		fresh, _ := r.Recompute(cached.Index)
		if !equalEffects(cached.Effects(), fresh.Effects()) {
			t.Fatalf("device %s: cached %s, recomputed %s", id, describe(cached.Effects()), describe(fresh.Effects()))
		}
	}
}
