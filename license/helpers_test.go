package license_test

import (
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

var (
	appKey  = license.PoolKey{Token: "tok-1", Product: "361309726"}
	bookKey = license.PoolKey{Token: "tok-1", Product: "book-1"}
	onKey   = license.PoolKey{Token: "msfb", Product: "9WZDNCRFJ3TJ"}
	offKey  = license.PoolKey{Token: "msfb", Product: "9NBLGGH4NNS1"}
)

func newPools(t testing.TB, edit func(*mdm.Policy)) *license.Pools {
	t.Helper()
	p := mdm.DefaultPolicy()
	if edit != nil {
		edit(&p)
	}
	ps, err := license.NewPools(&p)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func setCounts(t testing.TB, ps *license.Pools, k license.PoolKey, kind license.Kind, total int) license.CountsResult {
	t.Helper()
	r, err := ps.SetCounts(t0, k, kind, total, 0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func dev(id string) license.Request { return license.Request{Device: mdm.DeviceID(id)} }

func usr(user, device string) license.Request {
	return license.Request{User: mdm.UserID(user), Device: mdm.DeviceID(device), License: mdm.LicenseUser}
}

func grant(t testing.TB, ps *license.Pools, k license.PoolKey, r license.Request) license.Result {
	t.Helper()
	res, err := ps.Grant(t0, k, r)
	if err != nil {
		t.Fatalf("grant %+v: %v", r, err)
	}
	return res
}

func reclaim(t testing.TB, ps *license.Pools, k license.PoolKey, r license.Request, why license.Reason) license.Result {
	t.Helper()
	res, err := ps.Reclaim(t0, k, r, why)
	if err != nil {
		t.Fatalf("reclaim %+v %v: %v", r, why, err)
	}
	return res
}

func stats(t testing.TB, ps *license.Pools, k license.PoolKey) license.Stats {
	t.Helper()
	s, err := ps.Stats(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantOutcome(t testing.TB, res license.Result, o license.Outcome) {
	t.Helper()
	if res.Outcome != o {
		t.Fatalf("outcome %v (refusal %v, kept %v), want %v", res.Outcome, res.Refusal, res.Kept, o)
	}
}

func wantStats(t testing.TB, got, want license.Stats) {
	t.Helper()
	if got != want {
		t.Fatalf("stats %+v, want %+v", got, want)
	}
}
