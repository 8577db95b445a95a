package memsink_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func vppApp(product string, book bool) *mdm.App {
	a := &mdm.App{ID: mdm.AppID("vpp:t:" + product), DisplayName: product, Type: mdm.AppTypeIOSVPP,
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "t", ProductID: product}}
	if book {
		a.Type = mdm.AppTypeVPPBook
	}
	return a
}

// L18, L19, L8: grants stop at the total, twice is once, books are never
// released; a refund revokes the newest holders (the default policy) with their
// changes, or only reports the overage; imports never go over the total.
func TestSink_Pools(t *testing.T) {
	s := memsink.New()
	s.AddDevice("d1", "S1")
	s.AddDevice("d2", "S2")
	s.AddDevice("d3", "S3")
	key := memsink.PoolKey{Token: "t", Product: "p"}
	// as the tenant: no pool for a token the sink does not know (L7, L2), nor
	// for no app
	if err := s.SetPoolCounts(now, vppApp("p", false), 2, 0); !errors.Is(err, memsink.ErrRefused) {
		t.Fatalf("pool of an unknown token: %v", err)
	}
	if err := s.SetPoolCounts(now, nil, 2, 0); !errors.Is(err, memsink.ErrRefused) {
		t.Fatalf("pool of a nil app: %v", err)
	}
	if _, ok := s.Pool(key); ok {
		t.Fatal("a refused SetPoolCounts made a pool")
	}
	s.AddToken("t")
	if err := s.SetPoolCounts(now, vppApp("p", false), 2, 0); err != nil {
		t.Fatal(err)
	}
	for _, sn := range []string{"S1", "S1", "S2"} {
		if _, err := s.Grant(key, sn, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Grant(key, "S3", ""); !errors.Is(err, memsink.ErrRefused) {
		t.Fatalf("grant over the total: %v", err)
	}
	if ok, _ := s.ImportLicense(now, "t", "p", "d3", ""); ok {
		t.Fatal("import over the total")
	}
	if err := s.SetPoolCounts(now, vppApp("p", false), 1, 1); err != nil {
		t.Fatal(err)
	}
	p, _ := s.Pool(key)
	changes := s.TakeChanges()
	if !slices.Equal(p.Serials, []string{"S1"}) || len(changes) != 3 || !changes[2].Disassociate || changes[2].Serial != "S2" {
		t.Fatalf("refund: %+v, changes %+v", p, changes)
	}
	s.RevokeNewestOnRefund(false)
	if err := s.SetPoolCounts(now, vppApp("p", false), 0, 2); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Pool(key); p.Overage() != 1 || !p.Refunded {
		t.Fatalf("report-only refund: %+v", p)
	}
	book := memsink.PoolKey{Token: "t", Product: "b"}
	if err := s.SetPoolCounts(now, vppApp("b", true), 1, 0); err != nil {
		t.Fatal(err)
	}
	s.AddUser("u1", "u1")
	if ok, err := s.ImportLicense(now, "t", "b", "", "u1"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, err := s.Release(book, "", "u1"); !errors.Is(err, memsink.ErrRefused) {
		t.Fatalf("released a book: %v", err)
	}
	if ok, _ := s.Drop(book, "", "u1"); !ok {
		t.Fatal("drop")
	}
}

// S3, L8: as the tenant's pools, a pool keeps the kind it was made with: counts
// set through an app of another kind (an app become a book) are refused and
// change nothing; PoolKind tells the kind, so a sync can check first.
func TestSink_PoolKeepsItsKind(t *testing.T) {
	s := memsink.New()
	s.AddToken("t")
	if _, ok := s.PoolKind("t", "p"); ok {
		t.Fatal("kind of a pool that does not exist")
	}
	if err := s.SetPoolCounts(now, vppApp("p", false), 2, 0); err != nil {
		t.Fatal(err)
	}
	w := s.Writes()
	if err := s.SetPoolCounts(now, vppApp("p", true), 3, 0); !errors.Is(err, memsink.ErrRefused) {
		t.Fatalf("counts through a book for an app's pool: %v", err)
	}
	p, _ := s.Pool(memsink.PoolKey{Token: "t", Product: "p"})
	if k, ok := s.PoolKind("t", "p"); !ok || k != license.VPPApp || p.Kind != license.VPPApp || p.Book || p.Total != 2 || s.Writes() != w {
		t.Fatalf("after a refused kind change: %v %v %+v, writes %d -> %d", k, ok, p, w, s.Writes())
	}
}

// S2: a gone app stays while referenced or licensed, flagged once; removed when
// nothing references it.
func TestSink_MarkGoneFromStore(t *testing.T) {
	s := memsink.New()
	a := vppApp("p", false)
	if err := s.UpsertSyncedApp(now, *a); err != nil {
		t.Fatal(err)
	}
	s.Reference(a.ID, 1)
	w := s.Writes()
	for range 2 {
		if removed, err := s.MarkGoneFromStore(now, a.ID); removed || err != nil {
			t.Fatal(removed, err)
		}
	}
	if s.Writes() != w+1 || !s.Apps()[0].Origin.GoneFromStore {
		t.Fatalf("writes %d -> %d, apps %+v", w, s.Writes(), s.Apps())
	}
	s.Reference(a.ID, -1)
	if removed, err := s.MarkGoneFromStore(now, a.ID); !removed || err != nil || len(s.Apps()) != 0 {
		t.Fatal(removed, err)
	}
}

// S6: a device or user removed from the directory is no longer this service's;
// the removals are counted for an incremental syncer (storesync.DirectoryChanges).
func TestRemoveFromDirectory(t *testing.T) {
	s := memsink.New()
	s.AddDevice("d1", "SER1")
	s.AddUser("u1", "cu1")
	s.RemoveDevice("d1")
	s.RemoveDevice("d1") // not there any more: not counted again
	s.RemoveUser("u1")
	if _, ok := s.DeviceBySerial("SER1"); ok {
		t.Fatal("removed device still known by its serial")
	}
	if _, ok := s.UserByClientUserID("cu1"); ok {
		t.Fatal("removed user still known by its clientUserId")
	}
	if d, u := s.DirectoryRemovals(); d != 1 || u != 1 {
		t.Fatalf("removals %d devices, %d users", d, u)
	}
}
