package storesync_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

var (
	t0      = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ctxb    = context.Background()
	me      = apple.MdmInfo{ID: "mdmkit-1", Name: "mdmkit", Metadata: "tenant 1"}
	otherSv = apple.MdmInfo{ID: "other-9", Name: "Other MDM"}

	_ storesync.Sink = (*memsink.Sink)(nil)
)

const tok = mdm.TokenID("tok-1")

// incrementalWorlds makes newWorld's syncers incremental (WithIncrementalSync),
// for TestIncremental_SameAsFullTests.
var incrementalWorlds bool

// world is a fake Apple location, a memsink tenant and a syncer between them.
type world struct {
	core   *applefake.Core
	uid    string
	stoken string
	faults *applefake.Faults
	api    *applefake.Direct
	sink   *memsink.Sink
	sy     *storesync.AppleSyncer
	now    time.Time
}

type worldOpt struct {
	pageSize int
	limits   map[string]int
	latency  time.Duration // applefake.Config.EventLatency
}

func newWorld(t testing.TB, o worldOpt) *world {
	t.Helper()
	w := &world{now: t0}
	w.core = applefake.NewCore(applefake.Config{PageSize: o.pageSize, Limits: o.limits, EventLatency: o.latency})
	w.uid = w.core.AddLocation("Example School")
	var err error
	if w.stoken, err = w.core.IssueToken(w.uid, t0.AddDate(1, 0, 0)); err != nil {
		t.Fatal(err)
	}
	w.faults = applefake.NewFaults()
	w.api = applefake.NewDirect(w.core, w.stoken, func() time.Time { return w.now },
		applefake.WithFaults(w.faults), applefake.WithMdmInfo(me))
	w.sink = memsink.New()
	w.sink.AddToken(tok)
	var opts []storesync.AppleOption
	if incrementalWorlds {
		opts = append(opts, storesync.WithIncrementalSync(0))
	}
	if w.sy, err = storesync.NewAppleSyncer(tok, w.api, w.sink, me, opts...); err != nil {
		t.Fatal(err)
	}
	return w
}

// app adds a device-assignable, revocable app with total licenses.
func (w *world) app(t testing.TB, adam string, total int, platforms ...string) {
	t.Helper()
	must(t, w.core.AddAsset(w.uid, applefake.AssetSpec{AdamID: adam, ProductType: apple.ProductApp, DeviceAssignable: true,
		Revocable: true, SupportedPlatforms: platforms, Total: total}))
}

func (w *world) book(t testing.TB, adam string, total int) {
	t.Helper()
	must(t, w.core.AddAsset(w.uid, applefake.AssetSpec{AdamID: adam, ProductType: apple.ProductBook, Total: total}))
}

// assign associates licenses at the store directly, as this service would have.
func (w *world) assign(t testing.TB, adam string, serials ...string) {
	t.Helper()
	_, err := w.core.Associate(w.now, w.stoken, apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: adam}}, SerialNumbers: serials})
	must(t, err)
}

func (w *world) sync(t testing.TB) *storesync.Report {
	t.Helper()
	rep := w.sy.Sync(ctxb, w.now)
	if rep.Err != nil {
		t.Fatalf("sync: %v", rep.Err)
	}
	return rep
}

func (w *world) pool(t testing.TB, product string) memsink.Pool {
	t.Helper()
	p, ok := w.sink.Pool(memsink.PoolKey{Token: tok, Product: product})
	if !ok {
		t.Fatalf("no pool %s", product)
	}
	return p
}

func (w *world) tokenRec(t testing.TB) memsink.Token {
	t.Helper()
	r, ok := w.sink.Token(tok)
	if !ok {
		t.Fatal("no token")
	}
	return r
}

// storeSerials lists the serial numbers holding a product at the store.
func (w *world) storeSerials(adam string) []string {
	var out []string
	for _, r := range w.core.AssignmentRecords(w.uid) {
		if r.AdamID == adam && r.SerialNumber != "" {
			out = append(out, r.SerialNumber)
		}
	}
	return out
}

// failer is what must needs: *testing.T, *testing.B and *rapid.T.
type failer interface {
	Helper()
	Fatal(args ...any)
}

func must(t failer, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantTokenState(t testing.TB, err error, st mdm.TokenState) {
	t.Helper()
	var tse *storesync.TokenStateError
	if !errors.As(err, &tse) || tse.State != st || !errors.Is(err, storesync.ErrTokenState) {
		t.Fatalf("want token state %v, got %v", st, err)
	}
	// The message names the token and its state once, however many layers
	// learned it (a sync's step and the sync itself).
	if n := strings.Count(err.Error(), "storesync: token "); n != 1 {
		t.Fatalf("the error names the token %d times: %v", n, err)
	}
}
