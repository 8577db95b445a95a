package storesync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/memsink"
	"github.com/mdmkit/mdmkit/storesync/msfb"
)

const msTok = mdm.TokenID("msfb-1")

var (
	keyOnline  = msfb.ProductKey{ProductID: "9WZDNCRFJ3TJ", SkuID: "0016"}
	keyOffline = msfb.ProductKey{ProductID: "9NBLGGH4NNS1", SkuID: "0010"}
	keySetA    = msfb.ProductKey{ProductID: "9AAAAAAAAAAA", SkuID: "0016"}
	keySetB    = msfb.ProductKey{ProductID: "9BBBBBBBBBBB", SkuID: "0016"}
)

type msWorld struct {
	core   *msfb.Core
	acct   string
	faults *msfb.Faults
	conn   *msfb.Connector
	sink   *memsink.Sink
	sy     *storesync.StoreForBusinessSyncer
}

func newMsWorld(t testing.TB, opts ...msfb.Option) *msWorld {
	t.Helper()
	w := &msWorld{core: msfb.NewCore(), faults: msfb.NewFaults(), sink: memsink.New()}
	w.acct = w.core.AddAccount()
	w.conn = msfb.NewConnector(w.core, w.acct, append([]msfb.Option{msfb.WithFaults(w.faults)}, opts...)...)
	w.sink.AddToken(msTok)
	var err error
	if w.sy, err = storesync.NewStoreForBusinessSyncer(msTok, w.conn, w.sink, ""); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *msWorld) product(t testing.TB, key msfb.ProductKey, lt msfb.LicenseType, seats int64, names map[string]string, related ...msfb.ProductKey) {
	t.Helper()
	must(t, w.core.AddProduct(w.acct, t0, msfb.ProductSpec{Key: key, License: lt, Seats: seats, Names: names,
		Publisher: "Contoso", Related: related}))
}

func (w *msWorld) seats(t testing.TB, key msfb.ProductKey, users ...string) {
	t.Helper()
	res, err := w.core.BulkSeats(w.acct, t0, key, users, msfb.Assign)
	must(t, err)
	if len(res.FailedSeatOperations) > 0 {
		t.Fatalf("seats: %+v", res.FailedSeatOperations)
	}
}

func (w *msWorld) sync(t testing.TB) *storesync.Report {
	t.Helper()
	rep := w.sy.Sync(ctxb, t0)
	if rep.Err != nil {
		t.Fatalf("sync: %v", rep.Err)
	}
	return rep
}

func (w *msWorld) pool(t testing.TB, key msfb.ProductKey) memsink.Pool {
	t.Helper()
	p, ok := w.sink.Pool(memsink.PoolKey{Token: msTok, Product: storesync.StoreForBusinessProductID(key)})
	if !ok {
		t.Fatalf("no pool for %v", key)
	}
	return p
}

// L13, S6, S2: online apps bring their seats (the users this service knows), offline
// apps only their count; a second sync changes nothing.
func TestStoreForBusiness_OnlineAndOffline(t *testing.T) {
	w := newMsWorld(t)
	w.product(t, keyOnline, msfb.Online, 10, map[string]string{"en-us": "Contoso Notes"})
	w.product(t, keyOffline, msfb.Offline, 50, map[string]string{"en-us": "Contoso Kiosk"})
	w.seats(t, keyOnline, "ada@contoso.com", "eve@elsewhere.com")
	w.sink.AddUser("u-ada", "ada@contoso.com")

	r := w.sync(t).Result
	apps := w.sink.Apps()
	if len(apps) != 2 || len(r.AppsAdded) != 2 {
		t.Fatalf("apps %+v", apps)
	}
	byMode := map[mdm.LicenseMode]mdm.App{}
	for _, a := range apps {
		if a.Type != mdm.AppTypeStoreForBusiness {
			t.Fatalf("type %v", a.Type)
		}
		byMode[a.Origin.Licensing] = a
	}
	if byMode[mdm.LicenseOnline].DisplayName != "Contoso Notes" || byMode[mdm.LicenseOffline].DisplayName != "Contoso Kiosk" {
		t.Fatalf("apps %+v", byMode)
	}
	if p := w.pool(t, keyOnline); p.Total != 9 || !slices.Equal(p.Users, []string{"ada@contoso.com"}) {
		t.Fatalf("online pool %+v", p) // eve's seat is another service's (S6)
	}
	if p := w.pool(t, keyOffline); p.Total != 50 || p.Assigned() != 0 {
		t.Fatalf("offline pool %+v", p)
	}
	if rec, _ := w.sink.Token(msTok); rec.Account != "msfb:"+w.acct || rec.Status != mdm.SyncCompleted {
		t.Fatalf("token %+v", rec)
	}
	if again := w.sync(t).Result; again.Changed() {
		t.Fatalf("second sync: %v", again)
	}
	// A product removed from the inventory is gone; its licenses in use keep it.
	must(t, w.core.RemoveProduct(w.acct, t0, keyOnline))
	must(t, w.core.RemoveProduct(w.acct, t0, keyOffline))
	r = w.sync(t).Result
	if len(r.AppsGone) != 1 || len(r.AppsRemoved) != 1 || r.AppsGone[0] != byMode[mdm.LicenseOnline].ID {
		t.Fatalf("gone %v removed %v", r.AppsGone, r.AppsRemoved)
	}
}

// L16: names come in the catalog display language, or the store's fallback; a new
// language renames the entries at the next sync.
func TestStoreForBusiness_DisplayLanguage(t *testing.T) {
	w := newMsWorld(t)
	w.product(t, keyOnline, msfb.Online, 1, map[string]string{"en-us": "Notes", "fr-fr": "Bloc-notes"})
	w.product(t, keyOffline, msfb.Offline, 1, map[string]string{"en-us": "Kiosk"})
	w.sync(t)
	must(t, w.sy.SetLanguage("fr-FR"))
	r := w.sync(t).Result
	if len(r.AppsUpdated) != 1 || w.sy.Language() != "fr-fr" {
		t.Fatalf("updated %v", r.AppsUpdated)
	}
	names := []string{}
	for _, a := range w.sink.Apps() {
		names = append(names, a.DisplayName)
	}
	if !slices.Equal(names, []string{"Kiosk", "Bloc-notes"}) {
		t.Fatalf("names %v", names)
	}
	for _, bad := range []string{"", "french", "f", "fr_FR", "fr-", "12-fr"} {
		var ve *mdm.ValidationError
		if err := w.sy.SetLanguage(bad); !errors.As(err, &ve) || !errors.Is(err, mdm.ErrInvalidSetting) {
			t.Errorf("language %q: %v", bad, err)
		}
	}
	if w.sy.Language() != "fr-fr" {
		t.Fatal("a refused language changed the setting")
	}
}

// L17: related products are one app entry; the entry's licenses are those of the
// whole set.
func TestStoreForBusiness_RelatedSetIsOneEntry(t *testing.T) {
	w := newMsWorld(t)
	w.product(t, keySetA, msfb.Online, 10, map[string]string{"en-us": "Suite"}, keySetB)
	w.product(t, keySetB, msfb.Online, 4, map[string]string{"en-us": "Suite helper"})
	w.seats(t, keySetA, "ada@contoso.com", "bob@contoso.com")
	w.seats(t, keySetB, "ada@contoso.com")
	w.sink.AddUser("u-ada", "ada@contoso.com")
	w.sink.AddUser("u-bob", "bob@contoso.com")
	r := w.sync(t).Result
	if len(r.AppsAdded) != 1 || w.sink.Apps()[0].DisplayName != "Suite" {
		t.Fatalf("apps %+v", w.sink.Apps())
	}
	if p := w.pool(t, keySetA); p.Total != 4 || !slices.Equal(p.Users, []string{"ada@contoso.com"}) {
		t.Fatalf("set pool %+v", p)
	}
}

// L12: the store account, once associated, cannot be switched: a connection to
// another account fails the sync and writes nothing; a second connection to the
// same account is a duplicate.
func TestStoreForBusiness_AccountLock(t *testing.T) {
	w := newMsWorld(t)
	w.product(t, keyOnline, msfb.Online, 1, map[string]string{"en-us": "Notes"})
	w.sync(t)
	other := w.core.AddAccount()
	must(t, w.core.AddProduct(other, t0, msfb.ProductSpec{Key: keyOffline, License: msfb.Offline, Seats: 3, Names: map[string]string{"en-us": "X"}}))
	sy2, err := storesync.NewStoreForBusinessSyncer(msTok, msfb.NewConnector(w.core, other), w.sink, "en-us")
	must(t, err)
	writes := w.sink.Writes()
	rep := sy2.Sync(ctxb, t0)
	var ase *storesync.AccountSwitchError
	if !errors.As(rep.Err, &ase) || !errors.Is(rep.Err, storesync.ErrAccountSwitch) || ase.Associated != "msfb:"+w.acct {
		t.Fatalf("want an account switch error, got %v", rep.Err)
	}
	if w.sink.Writes() != writes {
		t.Fatal("a refused account wrote")
	}
	const tok2 = mdm.TokenID("msfb-2")
	w.sink.AddToken(tok2)
	sy3, err := storesync.NewStoreForBusinessSyncer(tok2, msfb.NewConnector(w.core, w.acct), w.sink, "en-us")
	must(t, err)
	wantTokenState(t, sy3.Sync(ctxb, t0).Err, mdm.TokenDuplicate)
}

// S3 and the fault options: throttling is retried, a truncated page fails the
// sync without writes and the next sync resumes from the recorded continuation
// token, a change mid-paging restarts the read, a slow answer past the timeout
// fails, expired credentials set the token invalid (S4).
func TestStoreForBusiness_Faults(t *testing.T) {
	w := newMsWorld(t, msfb.WithTimeout(10*time.Second))
	for i := range 250 {
		w.product(t, msfb.ProductKey{ProductID: fmt.Sprintf("9P%010d", i), SkuID: "0010"}, msfb.Offline, 1,
			map[string]string{"en-us": fmt.Sprintf("App %d", i)})
	}
	must(t, w.faults.Add(msfb.OpInventory, msfb.Fault{Kind: msfb.FaultRateLimit, RetryAfter: 2 * time.Second}))
	must(t, w.faults.Add(msfb.OpInventory, msfb.Fault{Kind: msfb.FaultTruncated, After: 1}))
	rep := w.sy.Sync(ctxb, t0)
	if !errors.Is(rep.Err, msfb.ErrDecode) || w.sink.Writes() != 0 || w.conn.Waited() != 2*time.Second {
		t.Fatalf("got %v, %d writes, waited %v", rep.Err, w.sink.Writes(), w.conn.Waited())
	}
	calls := w.faults.Calls(msfb.OpInventory)
	rep = w.sync(t)
	if rep.PagesResumed != 1 || w.faults.Calls(msfb.OpInventory)-calls != 2 || len(rep.Result.AppsAdded) != 250 {
		t.Fatalf("resumed %d, %d calls, %d added", rep.PagesResumed, w.faults.Calls(msfb.OpInventory)-calls, len(rep.Result.AppsAdded))
	}

	must(t, w.faults.Add(msfb.OpInventory, msfb.Fault{Kind: msfb.FaultChangeInventory, After: 1}))
	if r := w.sync(t).Result; r.Changed() {
		t.Fatalf("restarted read changed %v", r)
	}
	must(t, w.faults.Add(msfb.OpLocalizedDetails, msfb.Fault{Kind: msfb.FaultSlow, Delay: time.Minute}))
	if rep := w.sy.Sync(ctxb, t0); !errors.Is(rep.Err, msfb.ErrTimeout) {
		t.Fatalf("slow answer: %v", rep.Err)
	}
	must(t, w.faults.Add(msfb.OpInventory, msfb.Fault{Kind: msfb.FaultStatus, Status: 500, Times: 4}))
	if rep := w.sy.Sync(ctxb, t0); !errors.Is(rep.Err, msfb.ErrServer) {
		t.Fatalf("5xx: %v", rep.Err)
	}
	must(t, w.faults.Add(msfb.OpInventory, msfb.Fault{Kind: msfb.FaultUnauthorized}))
	wantTokenState(t, w.sy.Sync(ctxb, t0).Err, mdm.TokenInvalid)
	if st, _ := w.sink.TokenState(msTok); st != mdm.TokenInvalid || len(w.sink.Apps()) != 250 {
		t.Fatalf("state %v, %d apps kept", st, len(w.sink.Apps()))
	}
}

// loopingStore answers like the store, except that the inventory (or an
// online product's seats) names a page already read as the next one. It gives
// up after a hundred pages, so a reader that does not notice fails the test
// instead of looping for ever.
type loopingStore struct {
	*msfb.Connector
	seats bool
	calls int
}

func (s *loopingStore) loop(token string) (string, error) {
	if s.calls++; s.calls > 100 {
		return "", errors.New("loopingStore: the reader did not notice the loop")
	}
	return map[string]string{"": "A", "A": "B", "B": "A"}[token], nil
}

func (s *loopingStore) InventoryPage(ctx context.Context, token string, n int) (*msfb.InventoryResultSet, error) {
	page, err := s.Connector.InventoryPage(ctx, "", n)
	if err != nil || s.seats {
		return page, err
	}
	page.ContinuationToken, err = s.loop(token)
	return page, err
}

func (s *loopingStore) SeatsPage(ctx context.Context, key msfb.ProductKey, token string, n int) (*msfb.SeatDetailsResultSet, error) {
	page, err := s.Connector.SeatsPage(ctx, key, "", n)
	if err != nil || !s.seats {
		return page, err
	}
	page.ContinuationToken, err = s.loop(token)
	return page, err
}

// S3: continuation tokens that loop (a broken store) fail the sync with a
// decode error, and write nothing; the read neither spins nor grows for ever.
func TestStoreForBusiness_ContinuationLoop(t *testing.T) {
	for _, seats := range []bool{false, true} {
		w := newMsWorld(t)
		w.product(t, keyOnline, msfb.Online, 5, map[string]string{"en-us": "Online"})
		w.seats(t, keyOnline, "ada@contoso.com")
		store := &loopingStore{Connector: w.conn, seats: seats}
		sy, err := storesync.NewStoreForBusinessSyncer(msTok, store, w.sink, "")
		must(t, err)
		rep := sy.Sync(ctxb, t0)
		if !errors.Is(rep.Err, msfb.ErrDecode) || store.calls > 3 || len(w.sink.Apps()) != 0 {
			t.Fatalf("seats %v: %v after %d calls, %d apps", seats, rep.Err, store.calls, len(w.sink.Apps()))
		}
	}
}
