package storesync

import (
	"context"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/memsink"
)

// S5: news an incremental syncer cannot keep (more pool changes between two
// syncs than maxBacklog) is forgotten, and the next sync reads everything.
func TestIncremental_BacklogOverflowReadsEverything(t *testing.T) {
	defer func(n int) { maxBacklog = n }(maxBacklog)
	maxBacklog = 4
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	core := applefake.NewCore(applefake.Config{})
	uid := core.AddLocation("backlog")
	stoken, err := core.IssueToken(uid, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := core.AddAsset(uid, applefake.AssetSpec{AdamID: "100", ProductType: apple.ProductApp, DeviceAssignable: true,
		Revocable: true, Total: 10}); err != nil {
		t.Fatal(err)
	}
	me := apple.MdmInfo{ID: "mdmkit-t", Name: "mdmkit"}
	sink := memsink.New()
	sink.AddToken("tok")
	sy, err := NewAppleSyncer("tok", applefake.NewDirect(core, stoken, func() time.Time { return now }, applefake.WithMdmInfo(me)),
		sink, me, WithIncrementalSync(0))
	if err != nil {
		t.Fatal(err)
	}
	sync := func() *Report {
		t.Helper()
		rep := sy.Sync(context.Background(), now)
		if rep.Err != nil {
			t.Fatal(rep.Err)
		}
		return rep
	}
	sync()
	if rep := sync(); rep.FullRead {
		t.Fatalf("second sync read everything: %q", rep.Resync)
	}
	for i := range 5 {
		d := mdm.DeviceID(rune('a' + i))
		sink.AddDevice(d, "S"+string(d))
		if err := sy.Enqueue(LicenseChange{Token: "tok", Product: "100", Serial: "S" + string(d)}); err != nil {
			t.Fatal(err)
		}
	}
	if rep := sync(); !rep.FullRead || rep.Resync != "too much news since the last sync to keep" {
		t.Fatalf("after the overflow: full %v (%q)", rep.FullRead, rep.Resync)
	}
	if rep := sync(); rep.FullRead {
		t.Fatalf("the sync after read everything again: %q", rep.Resync)
	}
}
