package storesync_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

// S1–S5 over the wire: an AppleSyncer with the real *apple.Client against the
// fake's http.Handler on 127.0.0.1: a first sync with a rate-limited and a
// truncated page (resumed), a license push in batches, the token expiring (S4).
// Waits before retries are recorded, never slept.
func TestAppleSyncer_OverHTTP(t *testing.T) {
	core := applefake.NewCore(applefake.Config{PageSize: 2, Limits: map[string]int{"maxSerialNumbers": 2}})
	uid := core.AddLocation("Loopback School")
	stoken, err := core.IssueToken(uid, t0.AddDate(1, 0, 0))
	must(t, err)
	for _, a := range []string{"100", "200", "300"} {
		must(t, core.AddAsset(uid, applefake.AssetSpec{AdamID: a, ProductType: apple.ProductApp, DeviceAssignable: true,
			Revocable: true, SupportedPlatforms: []string{"iOS"}, Total: 5}))
	}
	for _, serials := range [][]string{{"S1", "S2"}, {"S3"}} {
		_, err = core.Associate(t0, stoken, apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: "100"}}, SerialNumbers: serials})
		must(t, err)
	}
	mock := clock.NewMock()
	mock.Set(t0)
	faults := applefake.NewFaults()
	srv := httptest.NewServer(applefake.NewHandler(core, applefake.WithClock(mock), applefake.WithFaults(faults)))
	defer srv.Close()
	var waits []time.Duration
	client, err := apple.New(stoken, apple.WithBaseURL(srv.URL+"/mdm/v2"), apple.WithHTTPClient(srv.Client()),
		apple.WithMdmInfo(me), apple.WithClock(mock), apple.WithTimeout(2*time.Second),
		apple.WithWait(func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }))
	must(t, err)
	sink := memsink.New()
	sink.AddToken(tok)
	for _, s := range []string{"S1", "S2", "S3", "S4", "S5", "S6"} {
		sink.AddDevice(mdm.DeviceID("d-"+s), s)
	}
	sy, err := storesync.NewAppleSyncer(tok, client, sink, me)
	must(t, err)

	must(t, faults.Add(apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultRateLimit, RetryAfter: 3 * time.Second}))
	must(t, faults.Add(apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultTruncated, After: 1}))
	rep := sy.Sync(ctxb, t0)
	if !errors.Is(rep.Err, apple.ErrDecode) || sink.Writes() != 0 || !slices.Equal(waits, []time.Duration{3 * time.Second}) {
		t.Fatalf("first attempt: %v, %d writes, waits %v", rep.Err, sink.Writes(), waits)
	}
	rep = sy.Sync(ctxb, t0)
	if rep.Err != nil || rep.PagesResumed != 1 || len(rep.Result.AppsAdded) != 3 || len(rep.Result.Imported) != 3 {
		t.Fatalf("resumed sync: %v", rep)
	}
	for _, s := range []string{"S4", "S5", "S6"} {
		if ok, err := sink.Grant(memsink.PoolKey{Token: tok, Product: "200"}, s, ""); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	for _, c := range sink.TakeChanges() {
		must(t, sy.Enqueue(storesync.LicenseChange{Token: c.Token, Product: c.Product, Serial: c.Serial}))
	}
	push, err := sy.Push(ctxb, t0)
	if err != nil || push.Sent != 3 || len(push.Events) != 2 || push.Done != 3 {
		t.Fatalf("push: %v %v", push, err)
	}
	if r := sy.Sync(ctxb, t0); r.Err != nil || r.Result.Changed() {
		t.Fatalf("after push: %v", r)
	}
	must(t, core.ExpireToken(stoken))
	rep = sy.Sync(ctxb, t0)
	wantTokenState(t, rep.Err, mdm.TokenExpired)
	if strings.Contains(rep.Err.Error(), stoken[:16]) {
		t.Fatal("token text in an error (L1)")
	}
	if p, _ := sink.Pool(memsink.PoolKey{Token: tok, Product: "200"}); len(p.Serials) != 3 {
		t.Fatalf("licenses lost: %+v", p)
	}
}

// S5, S2, S3: a GET assets page that is the JSON "{}" (no "assets" at all) is not
// an empty store: the sync fails with an apple.ErrDecode and writes nothing, so
// no app is marked gone or removed. A page with "assets": [] still empties the
// store.
func TestAppleSyncer_S5_AssetsPageWithoutAssetsWritesNothing(t *testing.T) {
	core := applefake.NewCore(applefake.Config{})
	uid := core.AddLocation("Loopback School")
	stoken, err := core.IssueToken(uid, t0.AddDate(1, 0, 0))
	must(t, err)
	must(t, core.AddAsset(uid, applefake.AssetSpec{AdamID: "100", ProductType: apple.ProductApp, DeviceAssignable: true,
		Revocable: true, SupportedPlatforms: []string{"iOS"}, Total: 5}))
	mock := clock.NewMock()
	mock.Set(t0)
	fake := applefake.NewHandler(core, applefake.WithClock(mock))
	var assetsBody string // when set, GET assets answers it instead of the fake
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if assetsBody != "" && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/assets") {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, assetsBody)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	defer srv.Close()
	client, err := apple.New(stoken, apple.WithBaseURL(srv.URL+"/mdm/v2"), apple.WithHTTPClient(srv.Client()),
		apple.WithMdmInfo(me), apple.WithClock(mock), apple.WithTimeout(2*time.Second))
	must(t, err)
	sink := memsink.New()
	sink.AddToken(tok)
	sy, err := storesync.NewAppleSyncer(tok, client, sink, me)
	must(t, err)
	if rep := sy.Sync(ctxb, t0); rep.Err != nil || len(rep.Result.AppsAdded) != 1 {
		t.Fatalf("first sync: %v", rep)
	}
	writes, apps := sink.Writes(), sink.Apps()

	for _, body := range []string{`{}`, `{"currentPageIndex":0,"size":0,"totalPages":1,"versionId":"v9"}`} {
		assetsBody = body
		rep := sy.Sync(ctxb, t0)
		if !errors.Is(rep.Err, apple.ErrDecode) || !strings.Contains(rep.Err.Error(), `"assets"`) {
			t.Fatalf("assets page %s: want an apple.ErrDecode naming \"assets\", got %v", body, rep)
		}
		if sink.Writes() != writes || !slices.EqualFunc(apps, sink.Apps(), func(a, b mdm.App) bool { return a.ID == b.ID && a.Origin == b.Origin }) {
			t.Fatalf("assets page %s changed the sink: %v", body, rep)
		}
	}
	assetsBody = `{"assets":[],"currentPageIndex":0,"size":0,"totalPages":1,"versionId":"v9"}`
	if rep := sy.Sync(ctxb, t0); rep.Err != nil || len(rep.Result.AppsRemoved) != 1 {
		t.Fatalf("an empty store: %v", rep)
	}
}
