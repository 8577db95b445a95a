package storesync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
	"github.com/mdmkit/mdmkit/storesync/msfb"
)

// Reconcile writes a store snapshot into a tenant (here the in-memory sink): a new
// app, its pool, the license of a known device; the foreign device's license is
// another service's (S6). The same snapshot again changes nothing (S2).
func ExampleReconcile() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sink := memsink.New()
	sink.AddToken("tok-1")
	sink.AddDevice("laptop-7", "C02XK1")
	app := mdm.App{ID: "vpp:tok-1:408709785:ios", DisplayName: "Keynote", Type: mdm.AppTypeIOSVPP,
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok-1", ProductID: "408709785"}}
	snap := &storesync.Snapshot{Store: mdm.StoreAppleVPP, Token: "tok-1",
		Products: []storesync.Product{{ID: "408709785", Apps: []mdm.App{app}, Total: 10}},
		Holdings: []storesync.Holding{{Product: "408709785", Serial: "C02XK1"}, {Product: "408709785", Serial: "OTHER9"}}}
	r, err := storesync.Reconcile(now, sink, snap, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r)
	r, _ = storesync.Reconcile(now, sink, snap, nil)
	fmt.Println(r)
	// Output:
	// sync appleVpp tok-1: added 1 (vpp:tok-1:408709785:ios); pool counts 1 (408709785 0→9); licenses imported 1 (408709785 device C02XK1); foreign (not imported) 1
	// sync appleVpp tok-1: foreign (not imported) 1
}

// An AppleSyncer reads Apple's Apps and Books API (here the in-process fake),
// reconciles, and pushes the license changes the tenant's pools record; a token
// that expires fails the sync with its state recorded (S4).
func ExampleAppleSyncer() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	core := applefake.NewCore(applefake.Config{})
	loc := core.AddLocation("Example School")
	sToken, _ := core.IssueToken(loc, now.AddDate(1, 0, 0))
	_ = core.AddAsset(loc, applefake.AssetSpec{AdamID: "408709785", ProductType: apple.ProductApp, DeviceAssignable: true,
		Revocable: true, SupportedPlatforms: []string{"iOS"}, Total: 10})

	me := apple.MdmInfo{ID: "mdmkit-1", Name: "mdmkit"}
	api := applefake.NewDirect(core, sToken, func() time.Time { return now }, applefake.WithMdmInfo(me))
	sink := memsink.New()
	sink.AddToken("tok-1")
	sink.AddDevice("laptop-7", "C02XK1")
	sy, _ := storesync.NewAppleSyncer("tok-1", api, sink, me)

	fmt.Println(sy.Sync(context.Background(), now).Result)
	// A check-in grants a license; the change goes to Apple with the next push.
	_, _ = sink.Grant(memsink.PoolKey{Token: "tok-1", Product: "408709785"}, "C02XK1", "")
	for _, c := range sink.TakeChanges() {
		_ = sy.Enqueue(storesync.LicenseChange{Token: c.Token, Product: c.Product, Serial: c.Serial})
	}
	push, _ := sy.Push(context.Background(), now)
	fmt.Println(push)
	rec, _ := core.AssetRecord(loc, apple.Asset{AdamID: "408709785"})
	fmt.Println("assigned at Apple:", rec.AssignedCount)
	fmt.Println(sy.Sync(context.Background(), now).Result)

	_ = core.ExpireToken(sToken)
	rep := sy.Sync(context.Background(), now)
	st, _ := sink.TokenState("tok-1")
	fmt.Println("failed:", rep.Err != nil, "token:", st, "apps kept:", len(sink.Apps()))
	// Output:
	// sync appleVpp tok-1: added 1 (vpp:tok-1:408709785:ios); pool counts 1 (408709785 0→10)
	// push: 1 sent in 1 requests, 1 done, 0 failed, 0 waiting
	// assigned at Apple: 1
	// sync appleVpp tok-1: nothing to do
	// failed: true token: expired apps kept: 1
}

// A Runner syncs its jobs every Policy.VPPSyncInterval (twice a day, S1) on its
// clock, and on demand. A mock clock drives it here.
func ExampleRunner() {
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	core := msfb.NewCore()
	acct := core.AddAccount()
	_ = core.AddProduct(acct, clk.Now(), msfb.ProductSpec{Key: msfb.ProductKey{ProductID: "9WZDNCRFJ3TJ", SkuID: "0016"},
		License: msfb.Online, Seats: 25, Names: map[string]string{"en-us": "Contoso Notes", "fr-fr": "Notes Contoso"}})
	sink := memsink.New()
	sink.AddToken("msfb-1")
	job, _ := storesync.NewStoreForBusinessSyncer("msfb-1", msfb.NewConnector(core, acct), sink, "fr-fr")

	reports := make(chan *storesync.Report, 1)
	r := storesync.NewRunner([]storesync.Job{job}, storesync.WithClock(clk), storesync.WithReports(reports))
	r.Start(context.Background())
	defer r.Stop()

	clk.Add(12 * time.Hour)
	rep := <-reports
	fmt.Println(rep.At.Format(time.Kitchen), rep.Result)
	fmt.Println(sink.Apps()[0].DisplayName)

	reps, _ := r.SyncNow(context.Background(), "msfb-1")
	<-reports
	fmt.Println(reps[0].At.Format(time.Kitchen), reps[0].Result)
	// Output:
	// 12:00PM sync microsoftStoreForBusiness msfb-1: added 1 (msfb:msfb-1:9WZDNCRFJ3TJ/0016); pool counts 1 (9WZDNCRFJ3TJ/0016 0→25)
	// Notes Contoso
	// 12:00PM sync microsoftStoreForBusiness msfb-1: nothing to do
}
