package applefake_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
)

// benchCore builds a location with n device assignments of one app.
func benchCore(b *testing.B, n int) (*applefake.Core, string) {
	b.Helper()
	core := applefake.NewCore(applefake.Config{})
	uid := core.AddLocation("bench")
	tok, _ := core.IssueToken(uid, expires)
	if err := core.AddAsset(uid, applefake.AssetSpec{AdamID: "1", ProductType: apple.ProductApp, DeviceAssignable: true, Revocable: true, Total: n}); err != nil {
		b.Fatal(err)
	}
	serials := make([]string, 0, 1000)
	for i := range n {
		serials = append(serials, fmt.Sprintf("S%07d", i))
		if len(serials) == 1000 || i == n-1 {
			if _, err := core.Associate(t0, tok, devices(apple.Asset{AdamID: "1"}, serials...)); err != nil {
				b.Fatal(err)
			}
			serials = serials[:0]
		}
	}
	return core, tok
}

// Reading every page of 100,000 assignments through the in-process adapter.
func BenchmarkDirect_ReadAllAssignments100k(b *testing.B) {
	core, tok := benchCore(b, 100_000)
	d := applefake.NewDirect(core, tok, func() time.Time { return t0 })
	b.ReportAllocs()
	for b.Loop() {
		l, err := d.Assignments(ctxb, apple.AssignmentsQuery{})
		if err != nil || len(l.Items) != 100_000 {
			b.Fatal(err)
		}
	}
}

// One associate-and-revoke of 1,000 devices through the adapter (batching included).
func BenchmarkDirect_AssociateDisassociate1k(b *testing.B) {
	core, tok := benchCore(b, 0)
	uid, _ := core.LocationOf(tok)
	if err := core.BuyLicenses(uid, apple.Asset{AdamID: "1"}, 1000); err != nil {
		b.Fatal(err)
	}
	d := applefake.NewDirect(core, tok, func() time.Time { return t0 })
	req := apple.ManageAssetsRequest{Assets: []apple.Asset{{AdamID: "1"}}}
	for i := range 1000 {
		req.SerialNumbers = append(req.SerialNumbers, fmt.Sprintf("S%04d", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Associate(ctxb, req); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Disassociate(ctxb, req); err != nil {
			b.Fatal(err)
		}
	}
}

// A full read after a change, the simulator's pattern (a few license changes
// between two syncs of 100,000 assignments): the core merges the changes into
// its sorted run rather than sorting everything again.
func BenchmarkDirect_ReadAllAfterChange100k(b *testing.B) {
	core, tok := benchCore(b, 100_000)
	uid, _ := core.LocationOf(tok)
	if err := core.BuyLicenses(uid, apple.Asset{AdamID: "1"}, 10); err != nil {
		b.Fatal(err)
	}
	d := applefake.NewDirect(core, tok, func() time.Time { return t0 })
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		// Revoke one holder, grant a new one: 100,000 assignments throughout.
		old, fresh := fmt.Sprintf("S%07d", i), fmt.Sprintf("T%07d", i)
		i++
		if _, err := d.Disassociate(ctxb, devices(apple.Asset{AdamID: "1"}, old)); err != nil {
			b.Fatal(err)
		}
		if _, err := d.Associate(ctxb, devices(apple.Asset{AdamID: "1"}, fresh)); err != nil {
			b.Fatal(err)
		}
		l, err := d.Assignments(ctxb, apple.AssignmentsQuery{})
		if err != nil || len(l.Items) != 100_000 {
			b.Fatal(err, len(l.Items))
		}
	}
}
