package applefake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
)

var (
	t0      = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	expires = t0.AddDate(1, 0, 0)

	appA     = apple.Asset{AdamID: "100", PricingParam: apple.PricingStandard} // device-assignable, revocable
	bookB    = apple.Asset{AdamID: "200", PricingParam: apple.PricingStandard} // a book: user-only, irrevocable
	userAppC = apple.Asset{AdamID: "300", PricingParam: apple.PricingStandard} // an app licensed to users only

	mdmkit = apple.MdmInfo{ID: "mdmkit-1", Name: "mdmkit", Metadata: "tenant 1"}
	other  = apple.MdmInfo{ID: "other-9", Name: "Other MDM"}
)

type fixture struct {
	core  *applefake.Core
	uid   string
	token string
}

// newFixture builds a location with three assets and one token.
func newFixture(t *testing.T, cfg applefake.Config) *fixture {
	t.Helper()
	c := applefake.NewCore(cfg)
	uid := c.AddLocation("Example School")
	tok, err := c.IssueToken(uid, expires)
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.AddAsset(uid, applefake.AssetSpec{AdamID: "100", ProductType: apple.ProductApp, DeviceAssignable: true,
		Revocable: true, SupportedPlatforms: []string{"iOS", "macOS"}, Total: 2}))
	must(t, c.AddAsset(uid, applefake.AssetSpec{AdamID: "200", ProductType: apple.ProductBook, Total: 3}))
	must(t, c.AddAsset(uid, applefake.AssetSpec{AdamID: "300", ProductType: apple.ProductApp, Revocable: true, Total: 5}))
	return &fixture{core: c, uid: uid, token: tok}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// counts returns assigned, available, total of an asset.
func (f *fixture) counts(t *testing.T, a apple.Asset) [3]int {
	t.Helper()
	r, ok := f.core.AssetRecord(f.uid, a)
	if !ok {
		t.Fatalf("no asset %v", a)
	}
	return [3]int{r.AssignedCount, r.AvailableCount, r.TotalCount}
}

func (f *fixture) status(t *testing.T, ev *apple.EventResponse) *apple.StatusResponse {
	t.Helper()
	st, err := f.core.EventStatus(t0, f.token, ev.EventID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) createUsers(t *testing.T, ids ...string) {
	t.Helper()
	req := apple.ManageUsersRequest{}
	for _, id := range ids {
		req.Users = append(req.Users, apple.RequestUser{ClientUserID: id, Email: id + "@example.org"})
	}
	ev, err := f.core.CreateUsers(t0, f.token, req)
	if err != nil {
		t.Fatal(err)
	}
	if st := f.status(t, ev); st.EventStatus != apple.EventComplete {
		t.Fatalf("create users: %+v", st)
	}
}

func devices(a apple.Asset, serials ...string) apple.ManageAssetsRequest {
	return apple.ManageAssetsRequest{Assets: []apple.Asset{a}, SerialNumbers: serials}
}

func users(a apple.Asset, ids ...string) apple.ManageAssetsRequest {
	return apple.ManageAssetsRequest{Assets: []apple.Asset{a}, ClientUserIDs: ids}
}

// wantAPIError checks err is an *apple.APIError with number n and status.
func wantAPIError(t *testing.T, err error, n apple.ErrorNumber, status int) *apple.APIError {
	t.Helper()
	var ae *apple.APIError
	if !errors.As(err, &ae) || ae.Number != n || ae.StatusCode != status || !errors.Is(err, n) {
		t.Fatalf("want error %d (HTTP %d), got %v", n, status, err)
	}
	return ae
}

type timeT = time.Time

var ctxb = context.Background()
