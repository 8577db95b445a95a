package license_test

import (
	"encoding/base64"
	"fmt"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// Two VPP licenses, three iPads: the third is refused and waits (L5). When a
// license frees, the pool names the waiter to push; the store hears only of the
// net changes.
func Example() {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	pools, err := license.NewPools(nil) // mdm.DefaultPolicy()
	if err != nil {
		panic(err)
	}
	key := license.PoolKey{Token: "contoso-vpp", Product: "361309726"} // an adamId
	if _, err := pools.SetCounts(now, key, license.VPPApp, 2, 0); err != nil {
		panic(err)
	}
	for _, d := range []mdm.DeviceID{"ipad-1", "ipad-2", "ipad-3"} {
		res, err := pools.Grant(now, key, license.Request{Device: d, Serial: "SN-" + string(d)})
		if err != nil {
			panic(err)
		}
		fmt.Println(d, res.Outcome, res.Err())
	}
	res, _ := pools.Reclaim(now, key, license.Request{Device: "ipad-1"}, license.Uninstall)
	fmt.Println("ipad-1", res.Outcome, "- push", res.Wake.ID)
	res, _ = pools.Grant(now, key, license.Request{Device: "ipad-3", Serial: "SN-ipad-3"})
	fmt.Printf("ipad-3 %v %+v\n", res.Outcome, res.Stats)
	for _, c := range pools.TakeChanges(nil) {
		fmt.Println(c.Op, c.Product, c.SerialNumber)
	}
	// Output:
	// ipad-1 granted <nil>
	// ipad-2 granted <nil>
	// ipad-3 refused pool contoso-vpp/361309726: device ipad-3: license unavailable, all 2 assigned (L5): it is granted at an evaluation after one is freed or bought
	// ipad-1 reclaimed - push ipad-3
	// ipad-3 granted {Total:2 Assigned:2 Available:0 Retired:0 Overage:0 Waiting:0}
	// associate 361309726 SN-ipad-2
	// associate 361309726 SN-ipad-3
}

// The hot path of a service that grants at every install: a Pool handle per
// app (no pool-key lookup) and a Ref per holder (no holder lookup). A refused
// holder need not ask again while Waits holds (L5).
func ExamplePool_GrantRef() {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	pools, _ := license.NewPools(nil)
	key := license.PoolKey{Token: "contoso-vpp", Product: "361309726"}
	_, _ = pools.SetCounts(now, key, license.VPPApp, 1, 0)
	pool, err := pools.Pool(key)
	if err != nil {
		panic(err)
	}
	a := license.Request{Device: "ipad-1", Serial: "SN-1"}
	b := license.Request{Device: "ipad-2", Serial: "SN-2"}
	res, _ := pool.Grant(now, a) // the first time by id; keep the Ref
	refA := res.Ref
	res, _ = pool.Grant(now, b) // refused: the one license is ipad-1's
	refB := res.Ref
	fmt.Println("ipad-2", res.Outcome, "- waits:", pool.Waits(refB))

	res, _ = pool.ReclaimRef(now, refA, a, license.Uninstall)
	fmt.Println("ipad-1", res.Outcome, "- push", res.Wake.ID, "- ipad-2 waits:", pool.Waits(refB))
	res, _ = pool.GrantRef(now, refB, b)
	fmt.Println("ipad-2", res.Outcome)
	// Output:
	// ipad-2 refused - waits: true
	// ipad-1 reclaimed - push ipad-2 - ipad-2 waits: false
	// ipad-2 granted
}

// A Store for Business assignment that needs more licenses than are left is
// refused with the shortfall and the three remedies (L14).
func ExamplePools_CheckDemand() {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	pools, _ := license.NewPools(nil)
	key := license.PoolKey{Token: "contoso-msfb", Product: "9WZDNCRFJ3TJ"}
	_, _ = pools.SetCounts(now, key, license.StoreOffline, 120, 0)
	fmt.Println(pools.CheckDemand(key, 500))
	// Output:
	// pool contoso-msfb/9WZDNCRFJ3TJ: 500 licenses needed, 120 available (L14): uninstall from some devices, narrow the assignment, or buy 380 more
}

// The store refunds two of five licenses: the two newest grants are revoked
// (L18, the default policy).
func ExamplePools_SetCounts() {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	pools, _ := license.NewPools(nil)
	key := license.PoolKey{Token: "contoso-vpp", Product: "361309726"}
	_, _ = pools.SetCounts(now, key, license.VPPApp, 5, 0)
	for _, d := range []mdm.DeviceID{"d1", "d2", "d3", "d4", "d5"} {
		_, _ = pools.Grant(now, key, license.Request{Device: d})
	}
	res, _ := pools.SetCounts(now.Add(time.Hour), key, license.VPPApp, 3, 2)
	for _, e := range res.Items {
		fmt.Println(e.Outcome, e.Holder, e.Reason)
	}
	fmt.Printf("%+v\n", res.Stats)
	// Output:
	// reclaimed device d5 refund
	// reclaimed device d4 refund
	// {Total:3 Assigned:3 Available:0 Retired:2 Overage:0 Waiting:0}
}

// Parse an sToken: what it says about itself prints, the secret never does (L1).
func ExampleParseToken() {
	sToken := base64.StdEncoding.EncodeToString([]byte(
		`{"token":"c2VjcmV0LXRva2VuLXRleHQ=","expDate":"2026-08-15T18:13:52-0700","orgName":"Contoso"}`))
	tok, err := license.ParseToken(sToken)
	if err != nil {
		panic(err)
	}
	fmt.Println(tok)
	fmt.Printf("%#v\n", tok)
	fmt.Println(tok.State(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	fmt.Println(tok.State(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)))
	_, err = license.ParseToken("bm90IGEgdG9rZW4=")
	fmt.Println(err)
	// Output:
	// sToken(orgName="Contoso", expDate=2026-08-16T01:13:52+0000, token=[redacted])
	// sToken(orgName="Contoso", expDate=2026-08-16T01:13:52+0000, token=[redacted])
	// valid
	// expired
	// sToken does not hold a JSON object with token, expDate and orgName (L1): upload the token file exactly as downloaded from Apple Business Manager or Apple School Manager
}
