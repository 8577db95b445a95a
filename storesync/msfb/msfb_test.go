package msfb_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/storesync/msfb"
)

var (
	t0   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ctxb = context.Background()
	on   = msfb.ProductKey{ProductID: "9WZDNCRFJ3TJ", SkuID: "0016"}
	off  = msfb.ProductKey{ProductID: "9NBLGGH4NNS1", SkuID: "0010"}
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func newStore(t *testing.T) (*msfb.Core, string) {
	t.Helper()
	c := msfb.NewCore()
	a := c.AddAccount()
	must(t, c.AddProduct(a, t0, msfb.ProductSpec{Key: on, License: msfb.Online, Seats: 2,
		Names: map[string]string{"en-us": "Notes", "de-de": "Notizen"}, Fallback: "en-us", Publisher: "Contoso"}))
	must(t, c.AddProduct(a, t0, msfb.ProductSpec{Key: off, License: msfb.Offline, Seats: 5, Names: map[string]string{"en-us": "Kiosk"}}))
	return c, a
}

func wantStatus(t *testing.T, err error, status int, sentinel error) {
	t.Helper()
	var e *msfb.Error
	if !errors.As(err, &e) || e.Status != status || !errors.Is(err, sentinel) {
		t.Fatalf("want HTTP %d (%v), got %v", status, sentinel, err)
	}
}

// L13: online seats are assigned to users within the capacity of a restricted
// product; offline products have no seats (409); a removed product leaves the
// inventory's active entries.
func TestCore_Seats(t *testing.T) {
	c, a := newStore(t)
	res, err := c.BulkSeats(a, t0, on, []string{"ada@contoso.com", "bob@contoso.com", "eve@contoso.com", "nobody"}, msfb.Assign)
	must(t, err)
	if len(res.SeatDetails) != 2 || len(res.FailedSeatOperations) != 2 || res.FailedSeatOperations[0].FailureReason != "No seats available" {
		t.Fatalf("bulk %+v", res)
	}
	if _, err := c.Seats(a, off, "", 0); err == nil {
		t.Fatal("seats of an offline product")
	} else {
		wantStatus(t, err, http.StatusConflict, msfb.ErrNotOnline)
	}
	inv, err := c.Inventory(a, "", 0)
	must(t, err)
	if len(inv.InventoryEntries) != 2 || inv.InventoryEntries[1].AvailableSeats != 0 || inv.InventoryEntries[0].AvailableSeats != 5 {
		t.Fatalf("inventory %+v", inv)
	}
	_, err = c.BulkSeats(a, t0, on, []string{"ada@contoso.com"}, msfb.Reclaim)
	must(t, err)
	if got := c.SeatHolders(a, on); !slices.Equal(got, []string{"bob@contoso.com"}) {
		t.Fatalf("holders %v", got)
	}
	must(t, c.RemoveProduct(a, t0, on))
	inv, _ = c.Inventory(a, "", 0)
	if inv.InventoryEntries[1].Status != msfb.Removed || len(c.SeatHolders(a, on)) != 0 {
		t.Fatalf("removed %+v", inv.InventoryEntries[1])
	}
	if _, err := c.BulkSeats(a, t0, on, []string{"ada@contoso.com"}, msfb.Assign); err == nil {
		t.Fatal("seat of a removed product")
	}
}

// Paging: continuation tokens of an older inventory are refused (400), so a reader
// starts over; bad page sizes are refused.
func TestCore_Continuation(t *testing.T) {
	c, a := newStore(t)
	p0, err := c.Inventory(a, "", 1)
	must(t, err)
	if p0.ContinuationToken == "" || len(p0.InventoryEntries) != 1 {
		t.Fatalf("page 0 %+v", p0)
	}
	must(t, c.Touch(a))
	_, err = c.Inventory(a, p0.ContinuationToken, 1)
	wantStatus(t, err, http.StatusBadRequest, msfb.ErrInvalidParameters)
	for _, bad := range []string{"x", "v1", "v1.-1", "v1.a", "1.1"} {
		if _, err := c.Inventory(a, bad, 1); !errors.Is(err, msfb.ErrInvalidParameters) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	if _, err := c.Inventory(a, "", msfb.MaxResults+1); !errors.Is(err, msfb.ErrInvalidParameters) {
		t.Errorf("maxResults: %v", err)
	}
	if _, err := c.Inventory("nobody", "", 0); !errors.Is(err, msfb.ErrUnauthorized) {
		t.Errorf("unknown account: %v", err)
	}
}

// L16: localized details in the asked language, or the fallback.
func TestCore_LocalizedDetails(t *testing.T) {
	c, a := newStore(t)
	for lang, want := range map[string]string{"de-DE": "Notizen", "en-us": "Notes", "ja-jp": "Notes"} {
		d, err := c.LocalizedDetails(a, on, lang)
		must(t, err)
		if d.DisplayName != want || d.Publisher.PublisherName != "Contoso" {
			t.Errorf("%s: %+v", lang, d)
		}
	}
	if _, err := c.LocalizedDetails(a, msfb.ProductKey{ProductID: "x", SkuID: "y"}, "en-us"); !errors.Is(err, msfb.ErrNotFound) {
		t.Errorf("unknown product: %v", err)
	}
}

// The connector retries throttling and 5xx within its bound, adding up the
// Retry-After it skipped; it gives up past it; faults count calls.
func TestConnector_Faults(t *testing.T) {
	c, a := newStore(t)
	f := msfb.NewFaults()
	conn := msfb.NewConnector(c, a, msfb.WithFaults(f), msfb.WithMaxRetries(2))
	must(t, f.Add(msfb.OpInventory, msfb.Fault{Kind: msfb.FaultRateLimit, RetryAfter: 3 * time.Second, Times: 2}))
	if _, err := conn.InventoryPage(ctxb, "", 0); err != nil || conn.Waited() != 6*time.Second || f.Calls(msfb.OpInventory) != 3 {
		t.Fatalf("err %v waited %v calls %d", err, conn.Waited(), f.Calls(msfb.OpInventory))
	}
	must(t, f.Add(msfb.OpSeats, msfb.Fault{Kind: msfb.FaultStatus, Times: 3}))
	_, err := conn.SeatsPage(ctxb, on, "", 0)
	var e *msfb.Error
	if !errors.As(err, &e) || e.Attempts != 3 || !errors.Is(err, msfb.ErrServer) {
		t.Fatalf("5xx: %v", err)
	}
	for _, bad := range []struct {
		op string
		f  msfb.Fault
	}{{"nope", msfb.Fault{Kind: msfb.FaultStatus}}, {msfb.OpSeats, msfb.Fault{Kind: 99}},
		{msfb.OpSeats, msfb.Fault{Kind: msfb.FaultStatus, Status: 200}}, {msfb.OpSeats, msfb.Fault{Kind: msfb.FaultSlow, Delay: -1}}} {
		if err := f.Add(bad.op, bad.f); !errors.Is(err, msfb.ErrAdmin) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
	ctx, cancel := context.WithCancel(ctxb)
	cancel()
	if _, err := conn.ProductDetails(ctx, on); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// The decoders refuse what the reference does not allow, with a typed error.
func TestDecode(t *testing.T) {
	good := msfb.InventoryResultSet{InventoryEntries: []msfb.InventoryEntryDetails{{ProductKey: on, SeatCapacity: 3,
		AvailableSeats: 1, LicenseType: msfb.Online, DistributionPolicy: msfb.Restricted, Status: msfb.Active}}}
	b, _ := json.Marshal(good)
	if got, err := msfb.DecodeInventory(b); err != nil || got.InventoryEntries[0] != good.InventoryEntries[0] {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	for _, bad := range []string{
		`{"inventoryEntries":[{"productKey":{"productId":"a","skuId":"b"},"licenseType":"both","status":"active"}]}`,
		`{"inventoryEntries":[{"productKey":{"productId":"a","skuId":"b"},"licenseType":"online","status":"gone"}]}`,
		`{"inventoryEntries":[{"productKey":{"productId":"a"},"licenseType":"online","status":"active"}]}`,
		`{"inventoryEntries":[{"productKey":{"productId":"a","skuId":"b"},"licenseType":"online","status":"active","seatCapacity":1,"availableSeats":2}]}`,
		`{"inventoryEntries":[{"productKey":{"productId":"a","skuId":"b"},"licenseType":"online","status":"active","distributionPolicy":"x"}]}`,
		`{"inventoryEntries":[`,
	} {
		if _, err := msfb.DecodeInventory([]byte(bad)); !errors.Is(err, msfb.ErrDecode) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	if _, err := msfb.DecodeSeats([]byte(`{"seats":[{"assignedTo":"","state":"active"}]}`)); !errors.Is(err, msfb.ErrDecode) {
		t.Errorf("seat without user: %v", err)
	}
	if s, err := msfb.DecodeSeats([]byte(`{"seats":[{"assignedTo":"a@b","state":"revoked"}],"continuationToken":"v1.1"}`)); err != nil || s.ContinuationToken != "v1.1" {
		t.Errorf("seats: %v %+v", err, s)
	}
}
