package storesync_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
	"github.com/mdmkit/mdmkit/storesync/msfb"
)

// S2: a first sync brings every asset into the catalog (one entry per platform, a
// book as a book), every pool with the store's counts and every license of this
// service's devices; a second sync reports and changes nothing.
func TestAppleSyncer_FromScratchThenIdempotent(t *testing.T) {
	w := newWorld(t, worldOpt{pageSize: 2})
	w.app(t, "100", 5, "iOS", "macOS")
	w.app(t, "300", 2)
	w.book(t, "200", 3)
	w.sink.AddDevice("dev-1", "SER1")
	w.sink.AddDevice("dev-2", "SER2")
	w.assign(t, "100", "SER1", "SER2")

	rep := w.sync(t)
	r := rep.Result
	wantApps := []mdm.AppID{"vpp:tok-1:100:ios", "vpp:tok-1:100:macos", "vpp:tok-1:200:book", "vpp:tok-1:300:ios"}
	if diff := cmp.Diff(wantApps, r.AppsAdded); diff != "" {
		t.Fatalf("added (-want +got):\n%s", diff)
	}
	apps := w.sink.Apps()
	if apps[2].Type != mdm.AppTypeVPPBook || apps[1].Type != mdm.AppTypeMacOSVPP || apps[0].DisplayName != "VPP app 100" {
		t.Fatalf("apps %+v", apps)
	}
	if len(r.Counts) != 3 || len(r.Imported) != 2 {
		t.Fatalf("counts %v imported %v", r.Counts, r.Imported)
	}
	if p := w.pool(t, "100"); p.Total != 5 || !slices.Equal(p.Serials, []string{"SER1", "SER2"}) {
		t.Fatalf("pool %+v", p)
	}
	if p := w.pool(t, "200"); !p.Book || p.Total != 3 {
		t.Fatalf("book pool %+v", p)
	}
	if rec := w.tokenRec(t); rec.Status != mdm.SyncCompleted || rec.Account != "apple:"+w.uid ||
		!slices.Equal(rec.Statuses, []mdm.SyncStatus{mdm.SyncInProgress, mdm.SyncCompleted}) {
		t.Fatalf("token %+v", rec)
	}
	if owner, _ := w.core.Owner(w.uid); owner.ID != me.ID { // the first sync marks the token as ours (L3)
		t.Fatalf("owner %+v", owner)
	}

	writes := w.sink.Writes()
	again := w.sync(t)
	if again.Result.Changed() || w.sink.Writes() != writes {
		t.Fatalf("second sync changed something: %v (writes %d -> %d)", again.Result, writes, w.sink.Writes())
	}
	if !strings.Contains(again.Result.String(), "nothing to do") {
		t.Fatalf("report %q", again.Result)
	}
}

// S2: purchases and refunds update the counts; an app gone from the store stays
// while a license or an assignment references it, and is removed once nothing does;
// an app that comes back is the same app again.
func TestAppleSyncer_StoreChanges(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 2)
	w.app(t, "300", 2)
	w.app(t, "400", 2)
	w.sink.AddDevice("dev-1", "SER1")
	w.assign(t, "100", "SER1")
	w.sync(t)
	w.sink.Reference("vpp:tok-1:300:ios", 1) // an assignment targets 300

	must(t, w.core.BuyLicenses(w.uid, apple.Asset{AdamID: "300"}, 5))
	must(t, w.core.RemoveAsset(w.uid, apple.Asset{AdamID: "100"}))
	must(t, w.core.RemoveAsset(w.uid, apple.Asset{AdamID: "400"}))
	r := w.sync(t).Result
	if !slices.Equal(r.AppsGone, []mdm.AppID{"vpp:tok-1:100:ios"}) || !slices.Equal(r.AppsRemoved, []mdm.AppID{"vpp:tok-1:400:ios"}) {
		t.Fatalf("gone %v removed %v", r.AppsGone, r.AppsRemoved)
	}
	// The license in use stays: a sync never drops one.
	if p := w.pool(t, "100"); !slices.Equal(p.Serials, []string{"SER1"}) {
		t.Fatalf("pool of gone app %+v", p)
	}
	if len(r.Counts) != 1 || r.Counts[0].Product != "300" || r.Counts[0].Total != 7 {
		t.Fatalf("counts %+v", r.Counts)
	}
	if again := w.sync(t).Result; again.Changed() {
		t.Fatalf("second sync: %v", again)
	}
	// The app comes back: the gone flag clears, same id (C8).
	w.app(t, "100", 1)
	r = w.sync(t).Result
	if !slices.Equal(r.AppsUpdated, []mdm.AppID{"vpp:tok-1:100:ios"}) {
		t.Fatalf("updated %v", r.AppsUpdated)
	}
	for _, a := range w.sink.Apps() {
		if a.Origin.GoneFromStore {
			t.Fatalf("still gone: %+v", a)
		}
	}
	// 300 loses its assignment and leaves the store: removed at the next sync.
	must(t, w.core.RemoveAsset(w.uid, apple.Asset{AdamID: "300"}))
	if r := w.sync(t).Result; !slices.Equal(r.AppsGone, []mdm.AppID{"vpp:tok-1:300:ios"}) {
		t.Fatalf("gone %v", r.AppsGone)
	}
	w.sink.Reference("vpp:tok-1:300:ios", -1)
	if r := w.sync(t).Result; !slices.Equal(r.AppsRemoved, []mdm.AppID{"vpp:tok-1:300:ios"}) {
		t.Fatalf("removed %v", r.AppsRemoved)
	}
}

// L18: a refund below what is assigned reaches the pool as an overage; with the
// default policy the pool revokes its newest licenses, and the push takes them
// back at the store, so both end within the total.
func TestAppleSyncer_RefundOverage(t *testing.T) {
	for _, revoke := range []bool{false, true} {
		w := newWorld(t, worldOpt{})
		w.sink.RevokeNewestOnRefund(revoke)
		w.app(t, "100", 3)
		for _, s := range []string{"S1", "S2", "S3"} {
			w.sink.AddDevice(mdm.DeviceID("d-"+s), s)
		}
		w.assign(t, "100", "S1", "S2", "S3")
		w.sync(t)
		must(t, w.core.Refund(w.uid, apple.Asset{AdamID: "100"}, 2))
		r := w.sync(t).Result
		p := w.pool(t, "100")
		if !revoke {
			if p.Total != 1 || p.Retired != 2 || p.Overage() != 2 || !p.Refunded || len(r.Counts) != 1 {
				t.Fatalf("pool %+v counts %+v", p, r.Counts)
			}
			continue
		}
		if !slices.Equal(p.Serials, []string{"S1"}) || p.Overage() != 0 || len(r.Imported) != 0 || len(r.NotImported) != 2 {
			t.Fatalf("pool %+v result %v", p, r)
		}
		for _, c := range w.sink.TakeChanges() {
			must(t, w.sy.Enqueue(storesync.LicenseChange{Token: c.Token, Product: c.Product, Serial: c.Serial, Disassociate: c.Disassociate}))
		}
		rep := w.sync(t)
		if rep.Push.Done != 2 || !slices.Equal(w.storeSerials("100"), []string{"S1"}) || rep.Result.Changed() || len(rep.Result.NotImported) != 0 {
			t.Fatalf("after the push: %v, store %v", rep, w.storeSerials("100"))
		}
	}
}

// S6: licenses the store holds for devices and users this service does not know were
// made by another service: not imported, and not this service's to hand out.
func TestAppleSyncer_ForeignRecordsNotImported(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 10)
	w.sink.AddDevice("dev-1", "MINE")
	w.assign(t, "100", "MINE", "THEIRS1", "THEIRS2")
	r := w.sync(t).Result
	p := w.pool(t, "100")
	if !slices.Equal(p.Serials, []string{"MINE"}) || p.Total != 8 {
		t.Fatalf("pool %+v", p)
	}
	if len(r.Foreign) != 1 || r.Foreign[0].N != 2 || r.Counts[0].StoreTotal != 10 {
		t.Fatalf("foreign %+v counts %+v", r.Foreign, r.Counts)
	}
	if again := w.sync(t).Result; again.Changed() {
		t.Fatalf("second sync %v", again)
	}
}

// S3: a sync that fails part-way (a truncated page) changes nothing and records
// failed; the next sync resumes from the recorded page and completes.
func TestAppleSyncer_FailedSyncResumes(t *testing.T) {
	w := newWorld(t, worldOpt{pageSize: 2})
	for i := range 5 {
		w.app(t, string(rune('a'+i))+"00", 10)
	}
	var serials []string
	for i := range 9 {
		s := "S" + string(rune('0'+i))
		serials = append(serials, s)
		w.sink.AddDevice(mdm.DeviceID("d"+s), s)
	}
	w.assign(t, "a00", serials...)
	must(t, w.faults.Add(apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultTruncated, After: 3}))
	rep := w.sy.Sync(ctxb, w.now)
	if !errors.Is(rep.Err, apple.ErrDecode) || rep.Result != nil {
		t.Fatalf("want a decode failure, got %v", rep)
	}
	if w.sink.Writes() != 0 || len(w.sink.Apps()) != 0 {
		t.Fatalf("failed sync wrote %d", w.sink.Writes())
	}
	if rec := w.tokenRec(t); rec.Status != mdm.SyncFailed || !strings.Contains(rec.Detail, "cannot decode") || rec.State != mdm.TokenValid {
		t.Fatalf("token %+v", rec)
	}
	calls := w.faults.Calls(apple.EndpointAssignments)
	rep = w.sync(t)
	if rep.PagesResumed != 3 || w.faults.Calls(apple.EndpointAssignments)-calls != 2 {
		t.Fatalf("resumed %d pages, read %d assignment pages", rep.PagesResumed, w.faults.Calls(apple.EndpointAssignments)-calls)
	}
	if p := w.pool(t, "a00"); len(p.Serials) != 9 {
		t.Fatalf("pool %+v", p)
	}
	// A resumed read whose data changed in between starts over (S5).
	must(t, w.faults.Add(apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultStatus, Status: 500, After: 2, Times: 4}))
	if rep := w.sy.Sync(ctxb, w.now); rep.Err == nil {
		t.Fatal("want a 5xx failure")
	}
	w.sink.AddDevice("dX", "SX")
	w.assign(t, "b00", "SX")
	rep = w.sync(t)
	if rep.PagesResumed != 2 || len(rep.Result.Imported) != 1 {
		t.Fatalf("resumed %d imported %v", rep.PagesResumed, rep.Result.Imported)
	}
}

// S5: a versionId change mid-paging restarts the read; too many fail the sync
// without writing.
func TestAppleSyncer_VersionChangeMidPaging(t *testing.T) {
	w := newWorld(t, worldOpt{pageSize: 1})
	w.app(t, "100", 1)
	w.app(t, "200", 1)
	w.app(t, "300", 1)
	must(t, w.faults.Add(apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultChangeVersion, After: 1}))
	if r := w.sync(t).Result; len(r.AppsAdded) != 3 {
		t.Fatalf("added %v", r.AppsAdded)
	}
	w2 := newWorld(t, worldOpt{pageSize: 1})
	w2.app(t, "100", 1)
	w2.app(t, "200", 1)
	must(t, w2.faults.Add(apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultChangeVersion, After: 1, Times: 20}))
	rep := w2.sy.Sync(ctxb, w2.now)
	if !errors.Is(rep.Err, apple.ErrVersionChanged) || w2.sink.Writes() != 0 {
		t.Fatalf("got %v, %d writes", rep.Err, w2.sink.Writes())
	}
}

// S4, L1: a token that expires mid-sync fails the sync with its state set; licenses
// and apps stay; later syncs are refused without calling Apple until the state is
// valid again.
func TestAppleSyncer_TokenExpiredOrRevoked(t *testing.T) {
	for _, c := range []struct {
		kind applefake.FaultKind
		want mdm.TokenState
	}{{applefake.FaultExpireToken, mdm.TokenExpired}, {applefake.FaultRevokeToken, mdm.TokenInvalid}} {
		t.Run(c.kind.String(), func(t *testing.T) {
			w := newWorld(t, worldOpt{pageSize: 1})
			w.app(t, "100", 2)
			w.app(t, "200", 2)
			w.sink.AddDevice("d1", "S1")
			w.assign(t, "100", "S1")
			w.sync(t)
			before := w.sink.Writes()
			must(t, w.faults.Add(apple.EndpointAssets, applefake.Fault{Kind: c.kind, After: 1}))
			rep := w.sy.Sync(ctxb, w.now)
			wantTokenState(t, rep.Err, c.want)
			rec := w.tokenRec(t)
			if rec.State != c.want || rec.Status != mdm.SyncFailed || w.sink.Writes() != before {
				t.Fatalf("token %+v, writes %d -> %d", rec, before, w.sink.Writes())
			}
			if p := w.pool(t, "100"); len(p.Serials) != 1 || len(w.sink.Apps()) != 2 {
				t.Fatalf("licenses or apps lost: %+v", p)
			}
			calls := w.faults.Calls(apple.EndpointClientConfig)
			rep = w.sy.Sync(ctxb, w.now)
			wantTokenState(t, rep.Err, c.want)
			if w.faults.Calls(apple.EndpointClientConfig) != calls {
				t.Fatal("a sync with a dead token called Apple")
			}
			if strings.Contains(rep.Err.Error(), w.stoken) {
				t.Fatal("token text in an error (L1)")
			}
		})
	}
}

// L3: another service claims the token mid-sync: assignedToExternalMDM, nothing
// written. TakeBack restores it; what the other service dropped is found missing at
// the store and pushed back (S2: nothing the service recorded is lost).
func TestAppleSyncer_ClaimedAndTakenBack(t *testing.T) {
	w := newWorld(t, worldOpt{pageSize: 1})
	w.app(t, "100", 5)
	w.app(t, "200", 5)
	w.sink.AddDevice("d1", "S1")
	w.sink.AddDevice("d2", "S2")
	w.sync(t) // marks the token as ours
	w.assign(t, "100", "S1", "S2")
	w.sync(t)
	before := w.sink.Writes()
	must(t, w.faults.Add(apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultClaimToken, Claimant: otherSv, LoseRecords: true, After: 1}))
	rep := w.sy.Sync(ctxb, w.now)
	wantTokenState(t, rep.Err, mdm.TokenAssignedToExternalMDM)
	if w.tokenRec(t).State != mdm.TokenAssignedToExternalMDM || w.sink.Writes() != before {
		t.Fatalf("token %+v", w.tokenRec(t))
	}
	if got := w.storeSerials("100"); len(got) != 0 {
		t.Fatalf("the claim should have lost the records: %v", got)
	}
	must(t, w.sy.TakeBack(ctxb, w.now))
	rep = w.sync(t)
	if len(rep.Result.MissingAtStore) != 2 || w.sy.Pusher().Len() != 2 {
		t.Fatalf("missing %v queued %d", rep.Result.MissingAtStore, w.sy.Pusher().Len())
	}
	if p := w.pool(t, "100"); len(p.Serials) != 2 {
		t.Fatalf("pool lost licenses: %+v", p)
	}
	push, err := w.sy.Push(ctxb, w.now)
	must(t, err)
	if push.Sent != 2 || !slices.Equal(w.storeSerials("100"), []string{"S1", "S2"}) {
		t.Fatalf("push %v, store %v", push, w.storeSerials("100"))
	}
	if r := w.sync(t).Result; r.Changed() || len(r.MissingAtStore) != 0 {
		t.Fatalf("after push: %v", r)
	}
}

// L3: a second token of the tenant for the same location is a duplicate: its sync
// stops, its pushes still go through.
func TestAppleSyncer_DuplicateToken(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 5)
	w.sync(t)
	tok2s, err := w.core.IssueToken(w.uid, t0.AddDate(1, 0, 0))
	must(t, err)
	const tok2 = mdm.TokenID("tok-2")
	w.sink.AddToken(tok2)
	w.sink.AddDevice("d1", "S1")
	api2 := applefake.NewDirect(w.core, tok2s, func() time.Time { return w.now }, applefake.WithMdmInfo(me))
	sy2, err := storesync.NewAppleSyncer(tok2, api2, w.sink, me)
	must(t, err)
	rep := sy2.Sync(ctxb, w.now)
	wantTokenState(t, rep.Err, mdm.TokenDuplicate)
	if st, _ := w.sink.TokenState(tok2); st != mdm.TokenDuplicate {
		t.Fatalf("state %v", st)
	}
	must(t, sy2.Enqueue(storesync.LicenseChange{Token: tok2, Product: "100", Serial: "S1"}))
	push, err := sy2.Push(ctxb, w.now)
	if err != nil || push.Sent != 1 || !slices.Equal(w.storeSerials("100"), []string{"S1"}) {
		t.Fatalf("push through a duplicate: %v %v", push, err)
	}
}

// S5, L12: a syncer's constructor refuses an api or a sink that is a nil
// pointer in an interface (a nil *apple.Client, *msfb.Connector, *memsink.Sink),
// as it refuses a nil one, instead of returning a syncer that panics at its
// first sync; and a nil option is no option.
func TestSyncers_S5_NilPointerArgumentsRefused(t *testing.T) {
	s := memsink.New()
	s.AddToken(tok)
	wantNil := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, mdm.ErrMissingField) || !errors.As(err, new(*mdm.ValidationError)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := storesync.NewAppleSyncer(tok, (*apple.Client)(nil), s, me)
	wantNil("apple, nil *apple.Client", err)
	_, err = storesync.NewAppleSyncer(tok, applefake.NewDirect(applefake.NewCore(applefake.Config{}), "x", nil), (*memsink.Sink)(nil), me)
	wantNil("apple, nil *memsink.Sink", err)
	_, err = storesync.NewStoreForBusinessSyncer(tok, (*msfb.Connector)(nil), s, "")
	wantNil("msfb, nil *msfb.Connector", err)
	sy, err := storesync.NewAppleSyncer(tok, applefake.NewDirect(applefake.NewCore(applefake.Config{}), "x", nil), s, me, nil)
	if err != nil || sy == nil {
		t.Errorf("nil option: %v", err)
	}
}
