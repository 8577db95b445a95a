package tenant

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// C4, S2: store sync upserts thousands of apps into a catalog; each upsert must
// cost the app, not the catalog. A synced app (any app that is not Win32) has no
// dependency or supersedence edge of its own and cannot be the target of one
// (C9, C10: both ends are Win32), so adding, changing or dropping it leaves
// every other entry as it is: the same entries, not rebuilt copies.
func TestCatalog_SyncedUpsertIsIncremental(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ten, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ten.AddToken(now, "tok"); err != nil {
		t.Fatal(err)
	}
	w := func(id string) mdm.App {
		return mdm.App{ID: mdm.AppID(id), DisplayName: id, Type: mdm.AppTypeWin32, Version: "1.0",
			Package: mdm.Package{FileName: id + ".intunewin", Size: mdm.MiB}}
	}
	a, b, c := w("a"), w("b"), w("c")
	b.Dependencies = []mdm.Dependency{{App: "a"}}
	c.Supersedes = []mdm.Supersedence{{App: "a", Kind: mdm.Replace}}
	for _, x := range []mdm.App{a, b, c} {
		if _, err := ten.AddApp(now, x); err != nil {
			t.Fatal(err)
		}
	}
	vpp := func(n int, version string) mdm.App {
		id := fmt.Sprintf("vpp-%d", n)
		return mdm.App{ID: mdm.AppID(id), DisplayName: id, Type: mdm.AppTypeIOSVPP, Version: version,
			Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: fmt.Sprint(400000000 + n)}}
	}
	if err := ten.UpsertSyncedApp(now, vpp(1, "1.0")); err != nil {
		t.Fatal(err)
	}
	before := append([]*appEntry(nil), ten.cat.apps...)
	steps := []struct {
		what string
		do   func() error
	}{
		{"a new synced app", func() error { return ten.UpsertSyncedApp(now, vpp(2, "1.0")) }},
		{"a new version of a synced app", func() error { return ten.UpsertSyncedApp(now, vpp(1, "2.0")) }},
		{"a synced app gone from the store", func() error { _, err := ten.MarkGoneFromStore(now, "vpp-2"); return err }},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		for i, e := range before {
			if e == nil || e.id == "vpp-1" {
				continue
			}
			if ten.cat.apps[i] != e {
				t.Fatalf("%s: the entry of %s was rebuilt", s.what, e.id)
			}
		}
	}
	// the derived edges are still those of the Win32 apps
	ea, _ := ten.cat.lookup("a")
	eb, _ := ten.cat.lookup("b")
	ec, _ := ten.cat.lookup("c")
	if len(eb.closure) != 1 || eb.closure[0].app != ea.idx || len(ea.above) != 1 || ea.above[0] != ec.idx ||
		len(ec.below) != 1 || ec.below[0].app != ea.idx {
		t.Fatalf("edges: b.closure %v, a.above %v, c.below %v", eb.closure, ea.above, ec.below)
	}
	e1, _ := ten.cat.lookup("vpp-1")
	if e1.version != "2.0" || !e1.hasPool || e1.pool.product != "400000001" {
		t.Fatalf("vpp-1 entry: %+v", e1)
	}
	if _, ok := ten.cat.lookup("vpp-2"); ok {
		t.Fatal("vpp-2 is unreferenced and gone from the store: it should be deleted")
	}
	// C9: a Win32 app still cannot depend on a synced app
	d := w("d")
	d.Dependencies = []mdm.Dependency{{App: "vpp-1"}}
	if _, err := ten.AddApp(now, d); !errors.Is(err, mdm.ErrDependencyNotWin32) {
		t.Fatalf("a dependency on a VPP app: err = %v, want ErrDependencyNotWin32", err)
	}
}
