package msfb_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/mdmkit/mdmkit/storesync/msfb"
)

// The inventory decoder never panics; what it accepts keeps the reference's rules
// and survives a round trip; what it refuses is a *msfb.DecodeError.
func FuzzDecodeInventory(f *testing.F) {
	f.Add([]byte(`{"continuationToken":"v1.25","inventoryEntries":[{"productKey":{"productId":"9WZDNCRFJ3TJ","skuId":"0016"},` +
		`"seatCapacity":10,"availableSeats":3,"lastModified":"2026-03-01T12:00:00Z","licenseType":"online",` +
		`"distributionPolicy":"restricted","status":"active"}]}`))
	f.Add([]byte(`{"inventoryEntries":[{"productKey":{"productId":"a","skuId":"b"},"licenseType":"offline","status":"removed"}]}`))
	f.Add([]byte(`{"inventoryEntries":[`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		inv, err := msfb.DecodeInventory(b)
		if err != nil {
			var de *msfb.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, msfb.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, e := range inv.InventoryEntries {
			if e.AvailableSeats > e.SeatCapacity || e.AvailableSeats < 0 || e.ProductKey.ProductID == "" {
				t.Fatalf("accepted %+v", e)
			}
		}
		again, err := json.Marshal(inv)
		if err != nil {
			t.Fatal(err)
		}
		inv2, err := msfb.DecodeInventory(again)
		if err != nil || !reflect.DeepEqual(normalize(inv), normalize(inv2)) {
			t.Fatalf("round trip: %v\n%+v\n%+v", err, inv, inv2)
		}
	})
}

// normalize makes an empty and a nil list compare equal, and drops monotonic
// clock readings, which JSON does not carry.
func normalize(r *msfb.InventoryResultSet) msfb.InventoryResultSet {
	out := *r
	out.InventoryEntries = append([]msfb.InventoryEntryDetails{}, r.InventoryEntries...)
	for i := range out.InventoryEntries {
		out.InventoryEntries[i].LastModified = out.InventoryEntries[i].LastModified.Round(0)
	}
	return out
}

// The seats decoder never panics and refuses seats without a user or a state.
func FuzzDecodeSeats(f *testing.F) {
	f.Add([]byte(`{"seats":[{"assignedTo":"ada@contoso.com","dateAssigned":"2026-03-01T12:00:00Z","state":"active",` +
		`"productKey":{"productId":"9WZDNCRFJ3TJ","skuId":"0016"}}],"continuationToken":"v2.100"}`))
	f.Add([]byte(`{"seats":[{"assignedTo":"","state":"active"}]}`))
	f.Add([]byte(`{"seats":`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := msfb.DecodeSeats(b)
		if err != nil {
			if !errors.Is(err, msfb.ErrDecode) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, seat := range s.Seats {
			if seat.AssignedTo == "" || seat.State != msfb.SeatActive && seat.State != msfb.SeatRevoked {
				t.Fatalf("accepted %+v", seat)
			}
		}
	})
}
