package storesync_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

// S2, S3, S5, S6 in the incremental mode: every syncer and push test passes with
// an incremental syncer too.
func TestIncremental_SameAsFullTests(t *testing.T) {
	tests := map[string]func(*testing.T){
		"FromScratchThenIdempotent": TestAppleSyncer_FromScratchThenIdempotent,
		"StoreChanges":              TestAppleSyncer_StoreChanges,
		"RefundOverage":             TestAppleSyncer_RefundOverage,
		"ForeignRecordsNotImported": TestAppleSyncer_ForeignRecordsNotImported,
		"VersionChangeMidPaging":    TestAppleSyncer_VersionChangeMidPaging,
		"TokenExpiredOrRevoked":     TestAppleSyncer_TokenExpiredOrRevoked,
		"DuplicateToken":            TestAppleSyncer_DuplicateToken,
	}
	incrementalWorlds = true
	defer func() { incrementalWorlds = false }()
	for name, f := range tests {
		t.Run(name, f)
	}
}

// twin is one side of TestIncremental_SameAsFull: a store, a tenant and a syncer.
type twin struct {
	core   *applefake.Core
	uid    string
	stoken string
	sink   *memsink.Sink
	sy     *storesync.AppleSyncer
	noted  []license.Change // noted before a sync, waiting for the next drain
	seq    uint64           // the last license.Change.Seq given
}

func newTwin(t *rapid.T, totals []int, latency time.Duration, now *time.Time, opts ...storesync.AppleOption) *twin {
	w := &twin{core: applefake.NewCore(applefake.Config{PageSize: 2, EventLatency: latency,
		Limits: map[string]int{"maxSerialNumbers": 2, "maxClientUserIds": 2}})}
	w.uid = w.core.AddLocation("twin")
	var err error
	w.stoken, err = w.core.IssueToken(w.uid, t0.AddDate(1, 0, 0))
	must(t, err)
	for i, a := range rapidAssets {
		must(t, w.core.AddAsset(w.uid, rapidSpec(a.adam, totals[i])))
	}
	_, err = w.core.CreateUsers(*now, w.stoken, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "fu1"}}})
	must(t, err)
	api := applefake.NewDirect(w.core, w.stoken, func() time.Time { return *now }, applefake.WithMdmInfo(me))
	w.sink = newRapidSink()
	w.sy, err = storesync.NewAppleSyncer(rapidTok, api, w.sink, me, opts...)
	must(t, err)
	return w
}

func rapidSpec(adam string, total int) applefake.AssetSpec {
	for _, a := range rapidAssets {
		if a.adam != adam {
			continue
		}
		spec := applefake.AssetSpec{AdamID: a.adam, ProductType: apple.ProductApp, DeviceAssignable: true, Revocable: true,
			SupportedPlatforms: a.plat, Total: total}
		if a.book {
			spec.ProductType, spec.DeviceAssignable, spec.Revocable = apple.ProductBook, false, false
		}
		return spec
	}
	panic("no asset " + adam)
}

// drain gives the pools' recorded changes to the syncer, as a deployment does.
func (w *twin) drain(t *rapid.T) {
	cs := append(w.noted, w.changes()...)
	w.noted = nil
	if _, err := w.sy.EnqueueLicenseChanges(cs); err != nil {
		t.Fatal(err)
	}
}

// note tells the syncer about the pools' recorded changes without queueing them
// for the push (NoteLicenseChanges), keeping them for the next drain, as the
// simulator does before a sync between two pushes.
func (w *twin) note() {
	cs := w.changes()
	w.sy.NoteLicenseChanges(cs)
	w.noted = append(w.noted, cs...)
}

// changes drains the pools' recorded changes as license.Changes, numbered as
// license.Pools numbers them.
func (w *twin) changes() []license.Change {
	var out []license.Change
	for _, c := range w.sink.TakeChanges() {
		op := license.Associate
		if c.Disassociate {
			op = license.Disassociate
		}
		w.seq++
		out = append(out, license.Change{Seq: w.seq, Op: op, Token: c.Token, Product: c.Product, SerialNumber: c.Serial, ClientUserID: c.ClientUserID})
	}
	return out
}

// dropRefused takes back the grants the store refused for good, as a tenant does:
// a pool change without a license change, so the incremental syncer is told to
// read everything next time.
func (w *twin) dropRefused(t *rapid.T, push *storesync.PushResult) {
	if push == nil {
		return
	}
	for _, f := range push.Failures {
		if !f.Change.Disassociate {
			_, err := w.sink.Drop(memsink.PoolKey{Token: rapidTok, Product: f.Change.Product}, f.Change.Serial, f.Change.ClientUserID)
			must(t, err)
			w.sy.RequireFullResync()
		}
	}
}

// state is everything a sync can change, for comparing the twins.
func (w *twin) state() string {
	var b strings.Builder
	for _, k := range w.sink.PoolKeys() {
		p, _ := w.sink.Pool(k)
		fmt.Fprintf(&b, "pool %v: total %d retired %d serials %v users %v refunded %v\n", k.Product, p.Total, p.Retired, p.Serials, p.Users, p.Refunded)
	}
	for _, a := range w.sink.Apps() {
		fmt.Fprintf(&b, "app %s gone %v %q\n", a.ID, a.Origin.GoneFromStore, a.DisplayName)
	}
	tr, _ := w.sink.Token(rapidTok)
	fmt.Fprintf(&b, "token %v %v %q; writes %d; queued %v\n", tr.State, tr.Status, tr.Detail, w.sink.Writes(), w.sy.Pusher().Queued())
	for _, r := range w.core.AssignmentRecords(w.uid) {
		fmt.Fprintf(&b, "store %+v\n", r)
	}
	return b.String()
}

// S2, S5, S6: an incremental syncer does exactly what a full one does. Two
// identical worlds take the same random store changes, pool grants and releases,
// claims and take-backs; one syncs in the full mode, the other incrementally (a
// full read only when it must, or every fullEvery); after every sync and push
// their reports, tenants and stores are the same. Records an administrator at
// Apple removes are seen through the asset counts (exactly, when no push is in
// flight: EventLatency 0).
func TestIncremental_SameAsFull(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := t0
		totals := make([]int, len(rapidAssets))
		for i, a := range rapidAssets {
			totals[i] = rapid.IntRange(0, 3).Draw(t, "total-"+a.adam)
		}
		latency := rapid.SampledFrom([]time.Duration{0, 30 * time.Second}).Draw(t, "latency")
		// The pools' changes reach the syncers before each sync queued for the
		// push, or only noted, the push taking them later.
		noteOnly := rapid.Bool().Draw(t, "noteOnly")
		every := rapid.SampledFrom([]time.Duration{3 * time.Hour, 1000 * time.Hour}).Draw(t, "fullEvery")
		full := newTwin(t, totals, latency, &now)
		inc := newTwin(t, totals, latency, &now, storesync.WithIncrementalSync(every))
		both := []*twin{full, inc}
		present := map[string]bool{"a1": true, "a2": true, "b1": true}
		assetGen := rapid.SampledFrom(rapidAssets)
		claimed := false
		outOfBand := false // records removed at the store by somebody else since the last sync
		fullReads, syncs := 0, 0
		compare := func(t *rapid.T, what string, a, b any) {
			if d := gocmp.Diff(a, b, cmpopts.EquateEmpty()); d != "" {
				t.Fatalf("%s: full and incremental differ (-full +incremental):\n%s", what, d)
			}
		}
		manage := func(serial, user, adam string) apple.ManageAssetsRequest {
			req := apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: adam}}}
			if serial != "" {
				req.SerialNumbers = []string{serial}
			} else {
				req.ClientUserIDs = []string{user}
			}
			return req
		}
		actions := map[string]func(*rapid.T){
			"buy": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				n := rapid.IntRange(1, 3).Draw(t, "n")
				for _, w := range both {
					if present[a.adam] {
						must(t, w.core.BuyLicenses(w.uid, apple.Asset{AdamID: a.adam}, n))
					}
				}
			},
			"refund": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				r, ok := full.core.AssetRecord(full.uid, apple.Asset{AdamID: a.adam})
				if !ok || r.TotalCount == 0 {
					return
				}
				n := rapid.IntRange(1, r.TotalCount).Draw(t, "n")
				for _, w := range both {
					must(t, w.core.Refund(w.uid, apple.Asset{AdamID: a.adam}, n))
				}
			},
			"storeAssign": func(t *rapid.T) { // another service, or this one earlier
				a := assetGen.Draw(t, "asset")
				serial, user := drawSubject(t, a.book)
				for _, w := range both {
					_, _ = w.core.Associate(now, w.stoken, manage(serial, user, a.adam))
				}
			},
			"storeRevoke": func(t *rapid.T) { // an administrator at Apple
				if latency != 0 {
					return // with pushes in flight the counts may hide it for a sync
				}
				a := assetGen.Draw(t, "asset")
				serial, user := drawSubject(t, a.book)
				for _, w := range both {
					_, _ = w.core.Disassociate(now, w.stoken, manage(serial, user, a.adam))
				}
				outOfBand = true
			},
			"grant": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				serial, user := "", ""
				if a.book || rapid.Bool().Draw(t, "user") {
					user = rapid.SampledFrom(ourUsers).Draw(t, "user")
				} else {
					serial = rapid.SampledFrom(ourSerials).Draw(t, "serial")
				}
				for _, w := range both {
					_, _ = w.sink.Grant(memsink.PoolKey{Token: rapidTok, Product: a.adam}, serial, user)
				}
			},
			"release": func(t *rapid.T) {
				key := memsink.PoolKey{Token: rapidTok, Product: assetGen.Draw(t, "asset").adam}
				p, ok := full.sink.Pool(key)
				if !ok || p.Book || p.Assigned() == 0 {
					return
				}
				s := rapid.SampledFrom(holders(p)).Draw(t, "holder")
				serial, user := s, ""
				if slices.Contains(p.Users, s) {
					serial, user = "", s
				}
				for _, w := range both {
					if ok, err := w.sink.Release(key, serial, user); !ok || err != nil {
						t.Fatalf("release %s: %v %v", s, ok, err)
					}
				}
			},
			"removeAsset": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				if !present[a.adam] {
					return
				}
				if r, _ := full.core.AssetRecord(full.uid, apple.Asset{AdamID: a.adam}); latency != 0 && r.AssignedCount > 0 {
					return // its records go with it: as storeRevoke
				}
				for _, w := range both {
					must(t, w.core.RemoveAsset(w.uid, apple.Asset{AdamID: a.adam}))
				}
				outOfBand = true
				present[a.adam] = false
			},
			"addAssetBack": func(t *rapid.T) {
				a := assetGen.Draw(t, "asset")
				if present[a.adam] {
					return
				}
				n := rapid.IntRange(0, 3).Draw(t, "total")
				for _, w := range both {
					must(t, w.core.AddAsset(w.uid, rapidSpec(a.adam, n)))
				}
				present[a.adam] = true
			},
			"enroll": func(t *rapid.T) { // a device another service licensed joins this one
				s := rapid.SampledFrom(foreignSerials).Draw(t, "serial")
				for _, w := range both {
					w.sink.AddDevice(mdm.DeviceID("dev-"+s), s)
				}
			},
			"leave": func(t *rapid.T) { // a device or a user leaves the directory: its store records are no longer this service's
				if rapid.Bool().Draw(t, "user") {
					u := rapid.SampledFrom(ourUsers).Draw(t, "user")
					for _, w := range both {
						w.sink.RemoveUser(mdm.UserID(u))
					}
					return
				}
				s := rapid.SampledFrom(append(append([]string(nil), ourSerials...), foreignSerials...)).Draw(t, "serial")
				for _, w := range both {
					w.sink.RemoveDevice(mdm.DeviceID("dev-" + s))
				}
			},
			"claim": func(t *rapid.T) {
				if claimed {
					return
				}
				lose := rapid.Bool().Draw(t, "loseRecords")
				for _, w := range both {
					must(t, w.core.ClaimToken(w.stoken, otherSv, lose))
				}
				outOfBand = outOfBand || lose
				claimed = true
			},
			"takeBack": func(t *rapid.T) {
				if !claimed {
					return
				}
				for _, w := range both {
					must(t, w.sy.TakeBack(ctxb, now))
				}
				claimed = false
			},
			"push": func(t *rapid.T) { // between syncs, as the simulator pushes hourly
				now = now.Add(time.Hour)
				var res [2]string
				for i, w := range both {
					w.drain(t)
					push, err := w.sy.Push(ctxb, now)
					res[i] = fmt.Sprint(push, err)
					w.dropRefused(t, push)
				}
				compare(t, "push", res[0], res[1])
			},
		}
		sync := func(t *rapid.T) {
			now = now.Add(time.Hour)
			var reps [2]*storesync.Report
			for i, w := range both {
				if noteOnly {
					w.note() // told, not pushed: the next push takes them
				} else {
					w.drain(t)
				}
				reps[i] = w.sy.Sync(ctxb, now)
				w.drain(t) // the L18 revocations of the sync
				w.dropRefused(t, reps[i].Push)
			}
			t.Logf("FULL %v %+v\nINC %v %+v", reps[0].FullRead, reps[0].Result, reps[1].FullRead, reps[1].Result)
			compare(t, "error", fmt.Sprint(reps[0].Err), fmt.Sprint(reps[1].Err))
			compare(t, "result", reps[0].Result, reps[1].Result)
			compare(t, "push", fmt.Sprint(reps[0].Push), fmt.Sprint(reps[1].Push))
			syncs++
			if reps[1].FullRead {
				fullReads++
			}
			// The view follows this service's own pushes (their events): only
			// a change made by somebody else at the store makes it count
			// differently from the store.
			if strings.Contains(reps[1].Resync, "the store counts") && !outOfBand {
				t.Fatalf("incremental sync read everything (%s), but nobody else changed the store", reps[1].Resync)
			}
			if reps[1].Err == nil {
				outOfBand = false
			}
		}
		actions["sync"], actions["sync2"], actions["sync3"] = sync, sync, sync
		actions["push2"] = actions["push"]
		actions[""] = func(t *rapid.T) { compare(t, "state", full.state(), inc.state()) }
		t.Repeat(actions)
		t.Logf("%d syncs, %d full reads", syncs, fullReads)
	})
}

// countingSink counts the sink reads a full reconciliation makes for every record.
type countingSink struct {
	*memsink.Sink
	holders, lookups int
}

func (c *countingSink) PoolHolders(token mdm.TokenID, product string) ([]string, []string) {
	c.holders++
	return c.Sink.PoolHolders(token, product)
}

func (c *countingSink) DeviceBySerial(serial string) (mdm.DeviceID, bool) {
	c.lookups++
	return c.Sink.DeviceBySerial(serial)
}

// incWorld is a world whose syncer is incremental, over a counting sink.
func incWorld(t *testing.T, every time.Duration) (*world, *countingSink) {
	t.Helper()
	w := newWorld(t, worldOpt{pageSize: 2})
	cs := &countingSink{Sink: w.sink}
	sy, err := storesync.NewAppleSyncer(tok, w.api, cs, me, storesync.WithIncrementalSync(every))
	must(t, err)
	w.sy = sy
	w.app(t, "100", 20)
	w.app(t, "200", 20)
	for i := range 9 {
		s := fmt.Sprintf("S%d", i)
		w.sink.AddDevice(mdm.DeviceID("d"+s), s)
		w.assign(t, "100", s)
	}
	return w, cs
}

// S5: after a first full sync, a sync reads the assignments made since the last
// versionId and reconciles only them: one page, no pool's holders, no lookups of
// the records it already knows; it imports what is new, as a full sync would.
func TestIncremental_ReadsOnlyWhatChanged(t *testing.T) {
	w, cs := incWorld(t, 0)
	rep := w.sync(t)
	if !rep.FullRead || rep.Resync != "first sync" || len(rep.Result.Imported) != 9 || cs.holders != 2 {
		t.Fatalf("first sync: full %v (%q), imported %d, %d PoolHolders", rep.FullRead, rep.Resync, len(rep.Result.Imported), cs.holders)
	}
	w.sink.AddDevice("dNEW", "SNEW")
	w.assign(t, "200", "SNEW")
	cs.holders, cs.lookups = 0, 0
	w.now = w.now.Add(12 * time.Hour)
	rep = w.sync(t)
	// Assets: 2 items on one page; the delta: one assignment.
	if rep.FullRead || rep.PagesRead != 2 || !slices.Equal(rep.Result.Imported, []storesync.Holding{{Product: "200", Serial: "SNEW"}}) {
		t.Fatalf("incremental sync: full %v, %d pages, imported %v", rep.FullRead, rep.PagesRead, rep.Result.Imported)
	}
	// SNEW only: when read, when reconciled (as a full reconciliation looks up
	// every record) and to import it.
	if cs.holders != 0 || cs.lookups != 3 {
		t.Fatalf("incremental sync read %d pools' holders and looked up %d serials", cs.holders, cs.lookups)
	}
	if p := w.pool(t, "200"); !slices.Equal(p.Serials, []string{"SNEW"}) {
		t.Fatalf("pool %+v", p)
	}
	if again := w.sync(t); again.FullRead || again.Result.Changed() {
		t.Fatalf("third sync: %v", again)
	}
}

// S5, S2: an incremental syncer reads everything again when its view may be
// wrong: periodically, when the store no longer knows the versionId (9721), when
// somebody else removed records (the asset counts differ), after the token was
// taken back (L3), and when asked; each time with the result of a full sync.
func TestIncremental_FullResyncs(t *testing.T) {
	w, _ := incWorld(t, 24*time.Hour)
	w.sync(t)
	w.assign(t, "200", "S0") // made by this service, now that the token is its (L3)
	step := func(want string) *storesync.Report {
		t.Helper()
		w.now = w.now.Add(13 * time.Hour)
		rep := w.sync(t)
		if !strings.Contains(rep.Resync, want) || rep.FullRead != (want != "") {
			t.Fatalf("want a full read for %q, got full %v (%q)", want, rep.FullRead, rep.Resync)
		}
		return rep
	}
	step("")
	step("periodic") // 26 h after the first
	must(t, w.faults.Add(apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultErrorInBody, Number: apple.ErrInvalidVersionID}))
	step("9721")
	// An administrator at Apple revokes two licenses: the pool keeps them and the
	// sync reports them missing at the store (S2: never dropped).
	_, err := w.core.Disassociate(w.now, w.stoken, apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: "100"}}, SerialNumbers: []string{"S1", "S2"}})
	must(t, err)
	rep := step("the store counts 7 assignments, the view 9")
	if len(rep.Result.MissingAtStore) != 2 {
		t.Fatalf("missing %v", rep.Result.MissingAtStore)
	}
	must(t, w.core.ClaimToken(w.stoken, otherSv, true))
	w.now = w.now.Add(time.Hour)
	wantTokenState(t, w.sy.Sync(ctxb, w.now).Err, mdm.TokenAssignedToExternalMDM)
	must(t, w.sy.TakeBack(ctxb, w.now))
	rep = step("taken back")
	if !slices.Equal(rep.Result.MissingAtStore, []storesync.Holding{{Product: "200", Serial: "S0"}}) {
		t.Fatalf("after the claim: missing %v", rep.Result.MissingAtStore)
	}
	w.sy.RequireFullResync()
	step("RequireFullResync")
}

// S3 in the incremental mode: a delta read that fails part-way changes nothing;
// the next sync resumes it from its page.
func TestIncremental_FailedDeltaResumes(t *testing.T) {
	w, _ := incWorld(t, 0)
	w.sync(t)
	for i := range 5 {
		s := fmt.Sprintf("T%d", i)
		w.sink.AddDevice(mdm.DeviceID("d"+s), s)
		w.assign(t, "200", s)
	}
	before := w.sink.Writes()
	must(t, w.faults.Add(apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultStatus, Status: 500, After: 2, Times: 4}))
	if rep := w.sy.Sync(ctxb, w.now); rep.Err == nil || w.sink.Writes() != before {
		t.Fatalf("want a 5xx failure and no write, got %v, %d writes", rep.Err, w.sink.Writes()-before)
	}
	rep := w.sync(t)
	if rep.FullRead || rep.PagesResumed != 2 || len(rep.Result.Imported) != 5 {
		t.Fatalf("full %v, resumed %d, imported %v", rep.FullRead, rep.PagesResumed, rep.Result.Imported)
	}
}
