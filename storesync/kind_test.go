package storesync_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
	"github.com/mdmkit/mdmkit/tenant"
)

// flipAPI reports some assets with another productType than the one they were
// bought as, as Apple's API does once a product's type changed at the store (an
// app that became a book, or the reverse). The fake itself never changes a type.
type flipAPI struct {
	storesync.AppleAPI
	as map[string]apple.ProductType // adamId → the type reported
}

func (f *flipAPI) AssetsPage(ctx context.Context, q apple.AssetsQuery, i int) (*apple.AssetsResponse, error) {
	r, err := f.AppleAPI.AssetsPage(ctx, q, i)
	if err != nil || len(f.as) == 0 {
		return r, err
	}
	c := *r
	c.Assets = slices.Clone(r.Assets)
	for j := range c.Assets {
		if pt, ok := f.as[c.Assets[j].AdamID]; ok {
			c.Assets[j].ProductType = pt
			if pt == apple.ProductBook {
				c.Assets[j].DeviceAssignable, c.Assets[j].Revocable = false, false
			}
		}
	}
	return &c, nil
}

// kindSink is the sink under test with what the test needs beside it: how to
// make a device known, and everything a sync may change in the catalog and the
// pools, as one comparable value (license changes and pushes are drained, so a
// state taken after a sync shows those the sync caused).
type kindSink struct {
	sink      storesync.Sink
	addDevice func(d mdm.DeviceID, serial string)
	state     func() any
}

func memKindSink() kindSink {
	s := memsink.New()
	s.AddToken(tok)
	type state struct {
		Apps    []mdm.App
		Pools   map[memsink.PoolKey]memsink.Pool
		Changes []memsink.Change
		Writes  int
	}
	return kindSink{sink: s, addDevice: s.AddDevice, state: func() any {
		st := state{Apps: s.Apps(), Pools: map[memsink.PoolKey]memsink.Pool{}, Changes: s.TakeChanges(), Writes: s.Writes()}
		for _, k := range s.PoolKeys() {
			st.Pools[k], _ = s.Pool(k)
		}
		return st
	}}
}

func tenantKindSink(t *testing.T, products ...string) kindSink {
	tn, err := tenant.New(tenant.Config{})
	must(t, err)
	_, err = tn.AddToken(t0, tok)
	must(t, err)
	type pool struct {
		Total, Retired  int
		Exists          bool
		Serials, Users  []string
		ByApp           map[mdm.AppID]tenant.AppStatus
		LicenseChanges  []license.Change
		DevicesToNotify []mdm.DeviceID
	}
	return kindSink{sink: tn,
		addDevice: func(d mdm.DeviceID, serial string) {
			_, err := tn.EnrollDevice(t0, mdm.Device{ID: d, SerialNumber: serial, Platform: mdm.PlatformIOS, OSVersion: "17.4"})
			must(t, err)
		},
		state: func() any {
			apps := tn.Apps()
			pools := map[string]pool{}
			for _, p := range products {
				var x pool
				x.Total, x.Retired, x.Exists = tn.PoolCounts(tok, p)
				x.Serials, x.Users = tn.PoolHolders(tok, p)
				pools[p] = x
			}
			byApp := map[mdm.AppID]tenant.AppStatus{}
			for _, a := range apps {
				st, err := tn.AppStatus(a.ID)
				must(t, err)
				byApp[a.ID] = st
			}
			return struct {
				Apps    []mdm.App
				Pools   map[string]pool
				Status  map[mdm.AppID]tenant.AppStatus
				Changes []license.Change
				Pushes  []mdm.DeviceID
			}{apps, pools, byApp, tn.TakeLicenseChanges(nil), tn.DuePushes(t0.Add(time.Hour), nil)}
		}}
}

// S3, S2 (L4, L8): a product whose type the store now reports otherwise (an app
// become a book, or a book become an app) cannot keep its pool: a pool keeps its
// kind. The sync is refused before anything is written — neither the new
// catalog entry nor the other products' counts and licenses of the same sync —
// with a *storesync.ProductKindError naming the product, and every later sync
// fails the same way while the store reports it so. Once it reports the
// product as it was, the sync goes through. Both sinks (the memsink and the
// tenant), both sync modes.
func TestAppleSyncer_S3_ProductKindChangeWritesNothing(t *testing.T) {
	for _, sinkName := range []string{"memsink", "tenant"} {
		for _, incremental := range []bool{false, true} {
			for _, was := range []apple.ProductType{apple.ProductApp, apple.ProductBook} {
				for _, bought := range []bool{false, true} {
					name := fmt.Sprintf("%s/incremental=%v/was=%s/bought=%v", sinkName, incremental, was, bought)
					t.Run(name, func(t *testing.T) { testProductKindChange(t, sinkName, incremental, was, bought) })
				}
			}
		}
	}
}

// bought says whether licenses of the flipping product are bought too: a sync
// then sets its pool's counts, which the tenant's pool refuses (it used to, after
// the new catalog entry was written); without, the catalog entry changed type
// and the pool silently kept the other kind.
func testProductKindChange(t *testing.T, sinkName string, incremental bool, was apple.ProductType, bought bool) {
	now := t0
	core := applefake.NewCore(applefake.Config{PageSize: 2})
	loc := core.AddLocation("Example School")
	stoken, err := core.IssueToken(loc, now.AddDate(1, 0, 0))
	must(t, err)
	// "200" flips; "100" comes before it and "300" after it in every order a
	// sync writes in (products and app ids are sorted).
	for _, adam := range []string{"100", "300"} {
		must(t, core.AddAsset(loc, applefake.AssetSpec{AdamID: adam, ProductType: apple.ProductApp,
			DeviceAssignable: true, Revocable: true, SupportedPlatforms: []string{"iOS"}, Total: 2}))
	}
	spec := applefake.AssetSpec{AdamID: "200", ProductType: was, Total: 2}
	if was == apple.ProductApp {
		spec.DeviceAssignable, spec.Revocable = true, true
	}
	must(t, core.AddAsset(loc, spec))
	assign := func(adam, serial string) {
		_, err := core.Associate(now, stoken, apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: adam}}, SerialNumbers: []string{serial}})
		must(t, err)
	}

	var ks kindSink
	if sinkName == "tenant" {
		ks = tenantKindSink(t, "100", "200", "300")
	} else {
		ks = memKindSink()
	}
	for i, serial := range []string{"SER1", "SER2", "SER3"} {
		ks.addDevice(mdm.DeviceID(fmt.Sprintf("dev-%d", i+1)), serial)
	}
	assign("100", "SER1")
	api := &flipAPI{AppleAPI: applefake.NewDirect(core, stoken, func() time.Time { return now }, applefake.WithMdmInfo(me))}
	var opts []storesync.AppleOption
	if incremental {
		opts = append(opts, storesync.WithIncrementalSync(0))
	}
	sy, err := storesync.NewAppleSyncer(tok, api, ks.sink, me, opts...)
	must(t, err)
	if rep := sy.Sync(ctxb, now); rep.Err != nil {
		t.Fatalf("first sync: %v", rep)
	}

	// At the store: more licenses of the products around the flipping one,
	// and new assignments of them that a sync would import.
	must(t, core.BuyLicenses(loc, apple.Asset{AdamID: "100"}, 1))
	must(t, core.BuyLicenses(loc, apple.Asset{AdamID: "300"}, 1))
	assign("100", "SER2")
	assign("300", "SER3")
	if bought {
		must(t, core.BuyLicenses(loc, apple.Asset{AdamID: "200"}, 1))
	}
	now = now.Add(time.Hour)
	api.as = map[string]apple.ProductType{"200": apple.ProductApp}
	if was == apple.ProductApp {
		api.as["200"] = apple.ProductBook
	}
	before := ks.state()
	for attempt := 1; attempt <= 2; attempt++ {
		rep := sy.Sync(ctxb, now)
		var pke *storesync.ProductKindError
		if !errors.As(rep.Err, &pke) || !errors.Is(rep.Err, storesync.ErrProductKind) || !errors.Is(rep.Err, license.ErrPoolKind) ||
			pke.Product != "200" || pke.Token != tok || !strings.Contains(rep.Err.Error(), "200") {
			t.Fatalf("sync %d with 200 flipped: want a *ProductKindError naming 200, got %v (%v)", attempt, rep.Err, rep)
		}
		if rep.Result != nil && rep.Result.Changed() {
			t.Fatalf("sync %d: a refused sync reports changes: %v", attempt, rep.Result)
		}
		if d := cmp.Diff(before, ks.state(), cmpopts.IgnoreUnexported(memsink.Pool{}), cmpopts.EquateEmpty()); d != "" {
			t.Fatalf("sync %d with 200 flipped changed the sink (-before +after):\n%s", attempt, d)
		}
		now = now.Add(time.Hour)
	}

	// The store reports the product as it was again: the waiting changes land.
	api.as = nil
	rep := sy.Sync(ctxb, now)
	if rep.Err != nil || len(rep.Result.Imported) != 2 || len(rep.Result.Counts) != 2+bit(bought) || len(rep.Result.AppsAdded) != 0 {
		t.Fatalf("sync with 200 as it was: %v", rep)
	}
}

// S3: Reconcile checks every product against its pool before writing: a
// Store for Business product that switched between online and offline
// licensing (L13) is refused whole, as an Apple app become a book is.
func TestReconcile_S3_LicensingModeChangeWritesNothing(t *testing.T) {
	s := memsink.New()
	s.AddToken(tok)
	app := func(product string, mode mdm.LicenseMode) mdm.App {
		return mdm.App{ID: storesync.AppID(mdm.StoreMicrosoftBusiness, tok, product, ""), DisplayName: "App " + product,
			Type: mdm.AppTypeStoreForBusiness, Origin: mdm.StoreOrigin{Store: mdm.StoreMicrosoftBusiness, Token: tok,
				ProductID: product, Licensing: mode}}
	}
	snap := func(total int, mode mdm.LicenseMode) *storesync.Snapshot {
		return &storesync.Snapshot{Store: mdm.StoreMicrosoftBusiness, Token: tok, Products: []storesync.Product{
			{ID: "a", Apps: []mdm.App{app("a", mdm.LicenseOnline)}, Total: total},
			{ID: "b", Apps: []mdm.App{app("b", mode)}, Total: total},
			{ID: "c", Apps: []mdm.App{app("c", mdm.LicenseOffline)}, Total: total},
		}}
	}
	if _, err := storesync.Reconcile(t0, s, snap(1, mdm.LicenseOnline), nil); err != nil {
		t.Fatal(err)
	}
	writes, apps := s.Writes(), s.Apps()
	r, err := storesync.Reconcile(t0, s, snap(2, mdm.LicenseOffline), nil)
	var pke *storesync.ProductKindError
	if !errors.As(err, &pke) || pke.Product != "b" || pke.Pool != license.StoreOnline || pke.Store != license.StoreOffline {
		t.Fatalf("want a *ProductKindError for b, got %v, %v", r, err)
	}
	if s.Writes() != writes || !cmp.Equal(apps, s.Apps()) {
		t.Fatalf("a refused reconciliation wrote %d times", s.Writes()-writes)
	}
	if p, _ := s.Pool(memsink.PoolKey{Token: tok, Product: "a"}); p.Total != 1 {
		t.Fatalf("pool a: %+v", p)
	}
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// S3: the apps of one product share its pool, so they must be of one kind: a
// snapshot giving a product an app and a book is refused whole.
func TestSnapshot_S3_ProductOfOneKind(t *testing.T) {
	s := memsink.New()
	s.AddToken(tok)
	app := func(suffix string, typ mdm.AppType) mdm.App {
		return mdm.App{ID: storesync.AppID(mdm.StoreAppleVPP, tok, "100", suffix), DisplayName: "x", Type: typ,
			Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: tok, ProductID: "100"}}
	}
	snap := &storesync.Snapshot{Store: mdm.StoreAppleVPP, Token: tok, Products: []storesync.Product{
		{ID: "100", Apps: []mdm.App{app("book", mdm.AppTypeVPPBook), app("ios", mdm.AppTypeIOSVPP)}, Total: 1}}}
	_, err := storesync.Reconcile(t0, s, snap, nil)
	var ve *mdm.ValidationError
	if !errors.Is(err, storesync.ErrBadSnapshot) || !errors.As(err, &ve) || ve.Field != "snapshot.products[0].apps[1].type" || s.Writes() != 0 {
		t.Fatalf("a product of two kinds: %v (writes %d)", err, s.Writes())
	}
}
