package storesync_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

func assoc(product string, serials ...string) []storesync.LicenseChange {
	out := make([]storesync.LicenseChange, len(serials))
	for i, s := range serials {
		out[i] = storesync.LicenseChange{Token: tok, Product: product, Serial: s}
	}
	return out
}

// S5: license changes go to Apple in requests within the service/config limits, one
// product at a time; the store ends with exactly the pools' holders.
func TestPusher_BatchesWithinLimits(t *testing.T) {
	w := newWorld(t, worldOpt{limits: map[string]int{"maxSerialNumbers": 3, "maxClientUserIds": 2}})
	w.app(t, "100", 20)
	w.app(t, "300", 20)
	w.sync(t)
	must(t, w.sy.Enqueue(assoc("100", "S1", "S2", "S3", "S4", "S5", "S6", "S7")...))
	must(t, w.sy.Enqueue(assoc("300", "S1")...))
	res, err := w.sy.Push(ctxb, w.now)
	must(t, err)
	if res.Sent != 8 || len(res.Events) != 4 || res.Done != 8 || res.Waiting != 0 || w.faults.Calls(apple.EndpointAssociate) != 4 {
		t.Fatalf("push %v, %d associate calls", res, w.faults.Calls(apple.EndpointAssociate))
	}
	if got := w.storeSerials("100"); len(got) != 7 {
		t.Fatalf("store %v", got)
	}
	// Users: registered first (9609 otherwise), then associated, 2 per request.
	users := []storesync.LicenseChange{}
	for _, u := range []string{"u1", "u2", "u3"} {
		users = append(users, storesync.LicenseChange{Token: tok, Product: "300", ClientUserID: u})
	}
	must(t, w.sy.Enqueue(users...))
	res, err = w.sy.Push(ctxb, w.now)
	must(t, err)
	if res.Sent != 3 || len(res.Failures) != 0 || w.faults.Calls(apple.EndpointCreateUsers) != 1 || w.faults.Calls(apple.EndpointAssociate) != 6 {
		t.Fatalf("push %v; create %d associate %d", res, w.faults.Calls(apple.EndpointCreateUsers), w.faults.Calls(apple.EndpointAssociate))
	}
}

// L19, S5: the queue keeps the last change per holding, so the store ends where the
// pools were; a release of a license the store never had is done (9619).
func TestPusher_LastChangeWins(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 5)
	w.sync(t)
	must(t, w.sy.Enqueue(assoc("100", "S1", "S2")...))
	must(t, w.sy.Enqueue(storesync.LicenseChange{Token: tok, Product: "100", Serial: "S1", Disassociate: true}))
	if q := w.sy.Pusher().Queued(); len(q) != 2 || !q[1].Disassociate {
		t.Fatalf("queue %v", q)
	}
	res, err := w.sy.Push(ctxb, w.now)
	must(t, err)
	if res.Done != 2 || len(res.Failures) != 0 || !slices.Equal(w.storeSerials("100"), []string{"S2"}) {
		t.Fatalf("push %v store %v", res, w.storeSerials("100"))
	}
}

// L11: what the store refuses for good is reported as data: no license left (9709,
// inside the event), a book is never device-assignable (9628) nor revocable (9607).
func TestPusher_Failures(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 1)
	w.book(t, "200", 5)
	w.sync(t)
	must(t, w.sy.Enqueue(assoc("100", "S1", "S2")...))
	must(t, w.sy.Enqueue(assoc("200", "S3")...))
	must(t, w.sy.Enqueue(storesync.LicenseChange{Token: tok, Product: "200", ClientUserID: "u1", Disassociate: true}))
	res, err := w.sy.Push(ctxb, w.now)
	must(t, err)
	got := map[string]apple.ErrorNumber{}
	for _, f := range res.Failures {
		var ae *apple.APIError
		if !errors.As(f.Err, &ae) {
			t.Fatalf("failure %v is not an *apple.APIError", f)
		}
		got[f.Change.String()] = ae.Number
	}
	want := map[string]apple.ErrorNumber{
		"associate 100 device S2":  apple.ErrNotEnoughLicenses,
		"associate 200 device S3":  apple.ErrDeviceAssignmentNotAllowed,
		"disassociate 200 user u1": apple.ErrLicenseIrrevocable,
	}
	if len(got) != len(want) {
		t.Fatalf("failures %v", res.Failures)
	}
	for k, n := range want {
		if !errors.Is(got[k], n) {
			t.Errorf("%s: got %v, want %v", k, got[k], n)
		}
	}
	if res.Waiting != 0 || res.Done != 1 {
		t.Fatalf("push %v", res)
	}
}

// L11: rate limiting and server errors that outlast the client's retries leave the
// changes queued for the next push; a token that expires stops the push with its
// state recorded, and changes stay queued (S4).
func TestPusher_RetryLaterAndTokenState(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 5)
	w.sync(t)
	must(t, w.faults.Add(apple.EndpointAssociate, applefake.Fault{Kind: applefake.FaultRateLimit, Times: 10}))
	must(t, w.sy.Enqueue(assoc("100", "S1")...))
	res, err := w.sy.Push(ctxb, w.now)
	if !errors.Is(err, apple.ErrRateLimited) || res.Waiting != 1 {
		t.Fatalf("push %v: %v", res, err)
	}
	pushes := 1
	for ; w.sy.Pusher().Len() > 0 && pushes < 10; pushes++ {
		res, err = w.sy.Push(ctxb, w.now)
	}
	// 10 faults; the client sends each request up to 4 times (3 retries).
	if err != nil || pushes != 3 || res.Sent != 1 || !slices.Equal(w.storeSerials("100"), []string{"S1"}) {
		t.Fatalf("after %d pushes: %v, %v", pushes, res, err)
	}

	must(t, w.sy.Enqueue(assoc("100", "S2")...))
	must(t, w.faults.Add(apple.EndpointAssociate, applefake.Fault{Kind: applefake.FaultExpireToken}))
	_, err = w.sy.Push(ctxb, w.now)
	wantTokenState(t, err, mdm.TokenExpired)
	if w.tokenRec(t).State != mdm.TokenExpired || w.sy.Pusher().Len() != 1 {
		t.Fatalf("token %+v queue %d", w.tokenRec(t), w.sy.Pusher().Len())
	}
	if _, err = w.sy.Push(ctxb, w.now); !errors.Is(err, storesync.ErrTokenState) {
		t.Fatalf("push with an expired token: %v", err)
	}
}

// S2: a release waiting to be pushed is not undone by a sync that still sees the
// license at the store; a grant waiting to be pushed is not reported missing.
func TestAppleSyncer_PendingChangesSurviveSync(t *testing.T) {
	w := newWorld(t, worldOpt{})
	w.app(t, "100", 5)
	w.sink.AddDevice("d1", "S1")
	w.sink.AddDevice("d2", "S2")
	w.assign(t, "100", "S1")
	w.sync(t)
	key := memsink.PoolKey{Token: tok, Product: "100"}
	if ok, err := w.sink.Release(key, "S1", ""); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := w.sink.Grant(key, "S2", ""); !ok || err != nil {
		t.Fatal(ok, err)
	}
	for _, c := range w.sink.TakeChanges() {
		must(t, w.sy.Enqueue(storesync.LicenseChange{Token: c.Token, Product: c.Product, Serial: c.Serial,
			ClientUserID: c.ClientUserID, Disassociate: c.Disassociate}))
	}
	// The store stays unreachable for manage calls during this sync.
	must(t, w.faults.Add(apple.EndpointDisassociate, applefake.Fault{Kind: applefake.FaultStatus, Status: 503, Times: 4}))
	rep := w.sync(t)
	if rep.Result.Changed() || len(rep.Result.Held) != 1 || len(rep.Result.MissingAtStore) != 0 {
		t.Fatalf("sync with pending changes: %v", rep.Result)
	}
	if p := w.pool(t, "100"); !slices.Equal(p.Serials, []string{"S2"}) {
		t.Fatalf("pool %+v", p)
	}
	rep = w.sync(t) // the push in this sync gets through
	if rep.Push == nil || rep.Push.Done != 2 || !slices.Equal(w.storeSerials("100"), []string{"S2"}) || rep.Result.Changed() {
		t.Fatalf("second sync: %v; store %v", rep, w.storeSerials("100"))
	}
}

// Enqueue refuses a change it cannot send, whole.
func TestPusher_EnqueueRefusesBadChanges(t *testing.T) {
	w := newWorld(t, worldOpt{})
	bad := [][]storesync.LicenseChange{
		{{Token: "other", Product: "1", Serial: "S"}},
		{{Token: tok, Product: "1"}},
		{{Token: tok, Product: "1", Serial: "S", ClientUserID: "u"}},
		{{Token: tok, Product: "", Serial: "S"}},
		{{Token: tok, Product: "1", Serial: "S"}, {Token: tok, Product: "1", Serial: "bad\x01"}},
	}
	for _, b := range bad {
		var ve *mdm.ValidationError
		if err := w.sy.Enqueue(b...); !errors.As(err, &ve) {
			t.Errorf("%v: %v", b, err)
		}
	}
	if w.sy.Pusher().Len() != 0 {
		t.Fatal("a refused batch was queued in part")
	}
}

// CONTRACTS §3: the changes license.Pools records convert one to one; changes of
// another token stay with their own syncer.
func TestAppleSyncer_EnqueueLicenseChanges(t *testing.T) {
	w := newWorld(t, worldOpt{})
	n, err := w.sy.EnqueueLicenseChanges([]license.Change{
		{Op: license.Associate, Token: tok, Product: "100", SerialNumber: "S1"},
		{Op: license.Disassociate, Token: tok, Product: "200", ClientUserID: "u1"},
		{Op: license.Associate, Token: "other", Product: "100", SerialNumber: "S2"},
		{Op: license.NoOp, Token: tok, Product: "100", SerialNumber: "S3"},
	})
	must(t, err)
	want := []storesync.LicenseChange{{Token: tok, Product: "100", Serial: "S1"},
		{Token: tok, Product: "200", ClientUserID: "u1", Disassociate: true}}
	if got := w.sy.Pusher().Queued(); n != 2 || !slices.Equal(got, want) {
		t.Fatalf("queued %d: %v", n, got)
	}
}

// S5, L19: one change per pair at a time. Apple applies manage requests
// asynchronously, so a release sent while the grant of the same license is still
// being processed could land first; the release waits for the grant's event, and
// the store ends as the pools did.
func TestPusher_OneChangePerPairInFlight(t *testing.T) {
	w := newWorld(t, worldOpt{latency: time.Minute})
	w.app(t, "100", 5)
	w.sync(t)
	must(t, w.sy.Enqueue(assoc("100", "S1", "S2")...))
	res, err := w.sy.Push(ctxb, w.now)
	must(t, err)
	if res.Sent != 2 || w.sy.Pusher().Outstanding() != 1 {
		t.Fatalf("first push %v", res)
	}
	release := storesync.LicenseChange{Token: tok, Product: "100", Serial: "S1", Disassociate: true}
	must(t, w.sy.Enqueue(append(assoc("100", "S3"), release)...))
	res, err = w.sy.Push(ctxb, w.now)
	must(t, err)
	if res.Sent != 1 || res.Waiting != 1 || !slices.Equal(w.sy.Pusher().Queued(), []storesync.LicenseChange{release}) {
		t.Fatalf("second push %v, queued %v", res, w.sy.Pusher().Queued())
	}
	w.now = w.now.Add(2 * time.Minute)
	res, err = w.sy.Push(ctxb, w.now)
	must(t, err)
	if res.Sent != 1 || res.Waiting != 0 {
		t.Fatalf("third push %v", res)
	}
	if got := w.storeSerials("100"); !slices.Equal(got, []string{"S2", "S3"}) {
		t.Fatalf("store %v", got)
	}
}

// eventlessAPI accepts every associate without an event to follow (no event,
// or one with an empty eventId) until it is given an id.
type eventlessAPI struct {
	storesync.AppleAPI
	noEvents bool
	id       string
}

func (a *eventlessAPI) Limits(context.Context) (apple.BatchLimits, error) {
	return apple.DefaultBatchLimits, nil
}

func (a *eventlessAPI) Associate(context.Context, apple.ManageAssetsRequest) ([]apple.EventResponse, error) {
	if a.noEvents {
		return nil, nil
	}
	return []apple.EventResponse{{EventID: a.id}}, nil
}

func (a *eventlessAPI) EventStatus(_ context.Context, id string) (*apple.StatusResponse, error) {
	if err := mdm.CheckID("eventId", id); err != nil {
		return nil, err
	}
	return &apple.StatusResponse{EventStatus: apple.EventComplete}, nil
}

// S5, L19: a request accepted without an event to follow leaves its changes
// queued, to go again at the next push; it never holds them in flight for ever
// nor blocks the pushes after it. After DefaultMaxPushAttempts it is a failure.
func TestPusher_AcceptedWithoutEvent(t *testing.T) {
	for _, noEvents := range []bool{false, true} {
		api := &eventlessAPI{noEvents: noEvents}
		p := storesync.NewPusher(tok, api)
		must(t, p.Enqueue(assoc("100", "S1")...))
		res, err := p.Push(ctxb)
		if err != nil || res.Sent != 0 || res.Waiting != 1 || p.Outstanding() != 0 {
			t.Fatalf("noEvents %v: push %v, %v, %d outstanding", noEvents, res, err, p.Outstanding())
		}
		if dis, ok := p.Pending(storesync.Holding{Product: "100", Serial: "S1"}); !ok || dis {
			t.Fatalf("noEvents %v: S1 pending %v %v", noEvents, dis, ok)
		}
		api.noEvents, api.id = false, "ev-1"
		must(t, p.Enqueue(assoc("100", "S2")...))
		res, err = p.Push(ctxb)
		if err != nil || res.Sent != 2 || res.Done != 2 || res.Waiting != 0 || p.Outstanding() != 0 {
			t.Fatalf("noEvents %v: push %v, %v, %d outstanding", noEvents, res, err, p.Outstanding())
		}
	}
	api := &eventlessAPI{}
	p := storesync.NewPusher(tok, api)
	must(t, p.Enqueue(assoc("100", "S1")...))
	var failures []storesync.PushFailure
	for range storesync.DefaultMaxPushAttempts {
		res, err := p.Push(ctxb)
		must(t, err)
		failures = append(failures, res.Failures...)
	}
	if len(failures) != 1 || !errors.Is(failures[0].Err, apple.ErrDecode) || p.Len() != 0 {
		t.Fatalf("failures %v, %d queued", failures, p.Len())
	}
}

// S5: a pusher made with a nil api (nil, or a nil *apple.Client) does not panic
// at its first push: Push fails with a *mdm.ValidationError wrapping
// mdm.ErrMissingField, and the queue keeps its changes.
func TestPusher_S5_NilAPIRefused(t *testing.T) {
	for name, api := range map[string]storesync.AppleAPI{"nil": nil, "nil *apple.Client": (*apple.Client)(nil)} {
		p := storesync.NewPusher(tok, api)
		must(t, p.Enqueue(assoc("100", "S1")...))
		for range 2 {
			res, err := p.Push(ctxb)
			var ve *mdm.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, mdm.ErrMissingField) || ve.Field != "api" || res == nil || res.Sent != 0 || res.Waiting != 1 {
				t.Fatalf("%s: push %v, %v", name, res, err)
			}
		}
		if dis, ok := p.Pending(storesync.Holding{Product: "100", Serial: "S1"}); !ok || dis || p.Len() != 1 {
			t.Fatalf("%s: the change is no longer queued", name)
		}
	}
}
