package storesync_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

// rapidAssets are the store's products: two apps (one on iOS and macOS) and a book.
var rapidAssets = []struct {
	adam string
	book bool
	plat []string
}{{"a1", false, []string{"iOS"}}, {"a2", false, []string{"iOS", "macOS"}}, {"b1", true, nil}}

const rapidTok = mdm.TokenID("tok-r")

// rapidWorld is the state one property run builds.
type rapidWorld struct {
	core    *applefake.Core
	uid     string
	stoken  string
	now     time.Time
	faults  *applefake.Faults
	sink    *memsink.Sink
	sy      *storesync.AppleSyncer
	present map[string]bool // assets the store lists
	claimed bool
	// held is every license the pools held after the last step; a step may only
	// remove one through Release or Drop (never lose an assignment).
	held map[memsink.PoolKey][]string
	// overAt records, per asset, that a refund took the store's total below what
	// is assigned: the one time assigned may exceed total (L18).
	refunded map[string]bool
}

var (
	ourSerials     = []string{"s1", "s2", "s3"}
	foreignSerials = []string{"f1", "f2"}
	ourUsers       = []string{"u1", "u2"}
	foreignUsers   = []string{"fu1"}
)

func newRapidWorld(t *rapid.T, opts ...storesync.AppleOption) *rapidWorld {
	w := &rapidWorld{now: t0, present: map[string]bool{}, held: map[memsink.PoolKey][]string{}, refunded: map[string]bool{}}
	w.core = applefake.NewCore(applefake.Config{PageSize: 2, Limits: map[string]int{"maxSerialNumbers": 2, "maxClientUserIds": 2}})
	w.uid = w.core.AddLocation("rapid")
	var err error
	if w.stoken, err = w.core.IssueToken(w.uid, t0.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	for _, a := range rapidAssets {
		spec := applefake.AssetSpec{AdamID: a.adam, ProductType: apple.ProductApp, DeviceAssignable: true, Revocable: true,
			SupportedPlatforms: a.plat, Total: rapid.IntRange(0, 3).Draw(t, "total-"+a.adam)}
		if a.book {
			spec.ProductType, spec.DeviceAssignable, spec.Revocable = apple.ProductBook, false, false
		}
		if err := w.core.AddAsset(w.uid, spec); err != nil {
			t.Fatal(err)
		}
		w.present[a.adam] = true
	}
	// Users another service registered, for its own user licenses.
	if _, err := w.core.CreateUsers(w.now, w.stoken, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "fu1"}}}); err != nil {
		t.Fatal(err)
	}
	w.faults = applefake.NewFaults()
	api := applefake.NewDirect(w.core, w.stoken, func() time.Time { return w.now }, applefake.WithFaults(w.faults), applefake.WithMdmInfo(me))
	w.sink = newRapidSink()
	if w.sy, err = storesync.NewAppleSyncer(rapidTok, api, w.sink, me, opts...); err != nil {
		t.Fatal(err)
	}
	return w
}

func newRapidSink() *memsink.Sink {
	s := memsink.New()
	s.AddToken(rapidTok)
	for _, sn := range ourSerials {
		s.AddDevice(mdm.DeviceID("dev-"+sn), sn)
	}
	for _, u := range ourUsers {
		s.AddUser(mdm.UserID(u), u)
	}
	return s
}

// syncOnce drains the pools' changes into the push queue and syncs; a grant the
// store refused for good is dropped, as the tenant does (the store never had it).
func (w *rapidWorld) syncOnce(t *rapid.T, sy *storesync.AppleSyncer) *storesync.Report {
	w.drain(t, sy)
	rep := sy.Sync(ctxb, w.now)
	// A refund below the holders revokes the newest (L18, the default policy):
	// the pools record those releases during the sync.
	w.drain(t, sy)
	if rep.Push != nil {
		for _, f := range rep.Push.Failures {
			if !f.Change.Disassociate {
				key := memsink.PoolKey{Token: rapidTok, Product: f.Change.Product}
				if _, err := w.sink.Drop(key, f.Change.Serial, f.Change.ClientUserID); err != nil {
					t.Fatal(err)
				}
				// A pool change without a license change: an incremental
				// syncer must read the pools again.
				sy.RequireFullResync()
				w.forget(key, f.Change.Serial+f.Change.ClientUserID)
			}
		}
	}
	return rep
}

// drawSubject draws a store subject, this service's or another's: a user for a
// book (L8), a device or a user otherwise.
func drawSubject(t *rapid.T, book bool) (serial, user string) {
	if book || rapid.Bool().Draw(t, "user") {
		return "", rapid.SampledFrom(append(append([]string(nil), ourUsers...), foreignUsers...)).Draw(t, "clientUserId")
	}
	return rapid.SampledFrom(append(append([]string(nil), ourSerials...), foreignSerials...)).Draw(t, "serial"), ""
}

// drain moves the pools' recorded changes to the push queue; a release recorded
// there is a legitimate removal of a license.
func (w *rapidWorld) drain(t *rapid.T, sy *storesync.AppleSyncer) {
	for _, c := range w.sink.TakeChanges() {
		if err := sy.Enqueue(storesync.LicenseChange{Token: c.Token, Product: c.Product, Serial: c.Serial,
			ClientUserID: c.ClientUserID, Disassociate: c.Disassociate}); err != nil {
			t.Fatal(err)
		}
		if c.Disassociate {
			w.forget(memsink.PoolKey{Token: c.Token, Product: c.Product}, c.Serial+c.ClientUserID)
		}
	}
}

func (w *rapidWorld) forget(key memsink.PoolKey, subject string) {
	w.held[key] = slices.DeleteFunc(w.held[key], func(s string) bool { return s == subject })
}

func holders(p memsink.Pool) []string {
	out := append(append([]string(nil), p.Serials...), p.Users...)
	slices.Sort(out)
	return out
}

// check runs after every step: no license the pools held is lost; the pools and
// the store keep L18; after a successful sync each pool's total is the store's less
// what other services hold (S6).
func (w *rapidWorld) check(t *rapid.T) {
	for key, was := range w.held {
		p, _ := w.sink.Pool(key)
		have := holders(p)
		for _, s := range was {
			if _, ok := slices.BinarySearch(have, s); !ok {
				t.Fatalf("pool %v lost %s: had %v, has %v", key, s, was, have)
			}
		}
	}
	for _, key := range w.sink.PoolKeys() {
		p, _ := w.sink.Pool(key)
		if p.Assigned() > p.Total && !p.Refunded {
			t.Fatalf("L18: pool %v holds %d of %d without a refund", key, p.Assigned(), p.Total)
		}
		w.held[key] = holders(p)
	}
	for _, a := range rapidAssets {
		r, ok := w.core.AssetRecord(w.uid, apple.Asset{AdamID: a.adam})
		if !ok {
			continue
		}
		if r.AssignedCount <= r.TotalCount {
			w.refunded[a.adam] = false
		} else if !w.refunded[a.adam] {
			t.Fatalf("L18 at the store: %s has %d assigned of %d", a.adam, r.AssignedCount, r.TotalCount)
		}
	}
}

// L18, S2, S3, S6: random store changes interleaved with random faults never break
// L18 and never lose a license the pools hold; once the faults stop, syncs
// converge, and the tenant then equals one synced from scratch.
func TestSync_RandomChangesAndFaults(t *testing.T) {
	t.Run("full", func(t *testing.T) { randomChangesAndFaults(t) })
	t.Run("incremental", func(t *testing.T) { randomChangesAndFaults(t, storesync.WithIncrementalSync(3*time.Hour)) })
}

func randomChangesAndFaults(t *testing.T, opts ...storesync.AppleOption) {
	rapid.Check(t, func(t *rapid.T) {
		w := newRapidWorld(t, opts...)
		assetGen := rapid.SampledFrom(rapidAssets)
		endpoints := []apple.Endpoint{apple.EndpointClientConfig, apple.EndpointAssets, apple.EndpointAssignments,
			apple.EndpointAssociate, apple.EndpointDisassociate, apple.EndpointEventStatus, apple.EndpointCreateUsers}
		t.Repeat(map[string]func(*rapid.T){
			"buy": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				if w.present[a.adam] {
					must(t, w.core.BuyLicenses(w.uid, apple.Asset{AdamID: a.adam}, rapid.IntRange(1, 3).Draw(t, "n")))
				}
			},
			"refund": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				r, ok := w.core.AssetRecord(w.uid, apple.Asset{AdamID: a.adam})
				if !ok || r.TotalCount == 0 {
					return
				}
				n := rapid.IntRange(1, r.TotalCount).Draw(t, "n")
				// A book refunded below its holders keeps an overage forever (L8):
				// an import from scratch could not rebuild it (it never assigns over
				// the total), so the property keeps books within their holders.
				if a.book && r.TotalCount-n < r.AssignedCount {
					return
				}
				must(t, w.core.Refund(w.uid, apple.Asset{AdamID: a.adam}, n))
				if r.TotalCount-n < r.AssignedCount {
					w.refunded[a.adam] = true
				}
			},
			"storeAssign": func(t *rapid.T) { // another service, or this one earlier
				a := assetGen.Draw(t, "asset")
				serial, user := drawSubject(t, a.book)
				req := apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: a.adam}}}
				if serial != "" {
					req.SerialNumbers = []string{serial}
				} else {
					req.ClientUserIDs = []string{user}
				}
				_, _ = w.core.Associate(w.now, w.stoken, req) // refused when absent or full: fine
			},
			"storeRevoke": func(t *rapid.T) { // an administrator at Apple
				a := assetGen.Draw(t, "asset")
				serial, user := drawSubject(t, a.book)
				req := apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: a.adam}}, SerialNumbers: []string{serial}, ClientUserIDs: []string{user}}
				if serial == "" {
					req.SerialNumbers = nil
				} else {
					req.ClientUserIDs = nil
				}
				_, _ = w.core.Disassociate(w.now, w.stoken, req)
			},
			"grant": func(t *rapid.T) { // a check-in installs: the pools grant
				a := assetGen.Draw(t, "asset")
				serial, user := "", ""
				if a.book || rapid.Bool().Draw(t, "user") {
					user = rapid.SampledFrom(ourUsers).Draw(t, "user")
				} else {
					serial = rapid.SampledFrom(ourSerials).Draw(t, "serial")
				}
				_, _ = w.sink.Grant(memsink.PoolKey{Token: rapidTok, Product: a.adam}, serial, user)
			},
			"release": func(t *rapid.T) { // an uninstall intent reclaims (L7)
				key := memsink.PoolKey{Token: rapidTok, Product: assetGen.Draw(t, "asset").adam}
				p, ok := w.sink.Pool(key)
				if !ok || p.Book || p.Assigned() == 0 {
					return
				}
				all := holders(p)
				s := rapid.SampledFrom(all).Draw(t, "holder")
				serial, user := s, ""
				if slices.Contains(p.Users, s) {
					serial, user = "", s
				}
				if ok, err := w.sink.Release(key, serial, user); !ok || err != nil {
					t.Fatalf("release %s: %v %v", s, ok, err)
				}
				w.forget(key, s)
			},
			"removeAsset": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				if w.present[a.adam] {
					must(t, w.core.RemoveAsset(w.uid, apple.Asset{AdamID: a.adam}))
					w.present[a.adam] = false
					w.refunded[a.adam] = false
				}
			},
			"addAssetBack": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				if w.present[a.adam] {
					return
				}
				spec := applefake.AssetSpec{AdamID: a.adam, ProductType: apple.ProductApp, DeviceAssignable: true, Revocable: true,
					SupportedPlatforms: a.plat, Total: rapid.IntRange(0, 3).Draw(t, "total")}
				if a.book {
					spec.ProductType, spec.DeviceAssignable, spec.Revocable = apple.ProductBook, false, false
				}
				must(t, w.core.AddAsset(w.uid, spec))
				w.present[a.adam] = true
			},
			"fault": func(t *rapid.T) {
				kinds := []applefake.FaultKind{applefake.FaultStatus, applefake.FaultRateLimit, applefake.FaultErrorInBody,
					applefake.FaultTruncated, applefake.FaultChangeVersion, applefake.FaultSlow}
				ft := applefake.Fault{Kind: rapid.SampledFrom(kinds).Draw(t, "kind"), After: rapid.IntRange(0, 4).Draw(t, "after"),
					Times: rapid.IntRange(1, 5).Draw(t, "times")}
				if ft.Kind == applefake.FaultErrorInBody {
					ft.Number = rapid.SampledFrom([]apple.ErrorNumber{apple.ErrInternal, apple.ErrRateLimited, apple.ErrNotFound}).Draw(t, "number")
				}
				must(t, w.faults.Add(rapid.SampledFrom(endpoints).Draw(t, "endpoint"), ft))
			},
			"claim": func(t *rapid.T) { // another service takes the token (L3)
				if !w.claimed {
					must(t, w.core.ClaimToken(w.stoken, otherSv, rapid.Bool().Draw(t, "loseRecords")))
					w.claimed = true
				}
			},
			"takeBack": func(t *rapid.T) {
				if w.claimed && w.sy.TakeBack(ctxb, w.now) == nil {
					w.claimed = false
				}
			},
			"sync": func(t *rapid.T) {
				w.now = w.now.Add(time.Hour)
				rep := w.syncOnce(t, w.sy)
				if rep.Err == nil && !w.claimed {
					w.checkTotals(t, rep.Result)
				}
			},
			"": w.check,
		})
		w.converge(t)
	})
}

// checkTotals: every product the store lists has a pool whose total is the store's
// less what other services' records hold (S6).
func (w *rapidWorld) checkTotals(t *rapid.T, r *storesync.Result) {
	foreign := map[string]int{}
	for _, f := range r.Foreign {
		foreign[f.Product] = f.N
	}
	for _, a := range rapidAssets {
		rec, ok := w.core.AssetRecord(w.uid, apple.Asset{AdamID: a.adam})
		if !ok {
			continue
		}
		p, ok := w.sink.Pool(memsink.PoolKey{Token: rapidTok, Product: a.adam})
		if !ok || p.Total != max(0, rec.TotalCount-foreign[a.adam]) {
			t.Fatalf("S6: pool of %s has total %d; store total %d, foreign %d", a.adam, p.Total, rec.TotalCount, foreign[a.adam])
		}
	}
}

// converge stops the faults (a new adapter without them), takes the token back,
// syncs until nothing is left to do, then compares the tenant with one synced from
// scratch: same apps of the products the store lists, same pools.
func (w *rapidWorld) converge(t *rapid.T) {
	api := applefake.NewDirect(w.core, w.stoken, func() time.Time { return w.now }, applefake.WithMdmInfo(me))
	sy, err := storesync.NewAppleSyncer(rapidTok, api, w.sink, me)
	must(t, err)
	must(t, sy.Enqueue(w.sy.Pusher().Queued()...))
	if st, _ := w.sink.TokenState(rapidTok); w.claimed || st != mdm.TokenValid {
		must(t, sy.TakeBack(ctxb, w.now))
	}
	settled := false
	for i := 0; i < 8 && !settled; i++ {
		w.now = w.now.Add(time.Hour)
		rep := w.syncOnce(t, sy)
		if rep.Err != nil {
			t.Fatalf("clean sync %d: %v", i, rep.Err)
		}
		w.check(t)
		r := rep.Result
		settled = !r.Changed() && len(r.MissingAtStore) == 0 && len(r.Held) == 0 &&
			sy.Pusher().Len() == 0 && (rep.Push == nil || len(rep.Push.Failures) == 0) && w.sink.PendingChanges() == 0
	}
	if !settled {
		t.Fatal("syncs did not settle once the faults stopped")
	}
	scratch := newRapidSink()
	fresh, err := storesync.NewAppleSyncer(rapidTok, api, scratch, me)
	must(t, err)
	if rep := fresh.Sync(ctxb, w.now); rep.Err != nil {
		t.Fatalf("sync from scratch: %v", rep.Err)
	}
	var kept []mdm.App
	for _, a := range w.sink.Apps() {
		if !a.Origin.GoneFromStore {
			kept = append(kept, a)
		}
	}
	if diff := cmp.Diff(scratch.Apps(), kept, cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("apps differ from a sync from scratch (-scratch +synced):\n%s", diff)
	}
	for _, a := range rapidAssets {
		if !w.present[a.adam] {
			continue
		}
		key := memsink.PoolKey{Token: rapidTok, Product: a.adam}
		want, _ := scratch.Pool(key)
		got, _ := w.sink.Pool(key)
		if fmt.Sprint(want.Total, want.Retired, want.Serials, want.Users) != fmt.Sprint(got.Total, got.Retired, got.Serials, got.Users) {
			t.Fatalf("pool %s differs from a sync from scratch: scratch %+v, synced %+v", a.adam, want, got)
		}
	}
}
