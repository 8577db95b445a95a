package storesync_test

import (
	"slices"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/tenant"
)

// The tenant is what a sync writes into (CONTRACTS §4, §5): it implements every
// interface of sink.go without importing storesync.
var (
	_ storesync.Sink      = (*tenant.Tenant)(nil)
	_ storesync.Catalog   = (*tenant.Tenant)(nil)
	_ storesync.Directory = (*tenant.Tenant)(nil)
	_ storesync.Pools     = (*tenant.Tenant)(nil)
	_ storesync.Tokens    = (*tenant.Tenant)(nil)
)

// Issue 6, end to end: licenses bought in the store (the fake), a sync brings the
// app and its pool into a tenant, an assignment reaches four devices, they check
// in; three get a license and the install (L5: the fourth waits, license
// unavailable), the license changes are pushed, and the fake shows the three
// serial numbers as assigned. The devices report the installs; a sync then
// changes nothing (S2). A license freed in the tenant goes back at the store and
// the waiting device gets it at its next check-in.
func TestEndToEnd_TenantAndFakeStore(t *testing.T) {
	now := t0
	core := applefake.NewCore(applefake.Config{})
	loc := core.AddLocation("Example School")
	stoken, err := core.IssueToken(loc, now.AddDate(1, 0, 0))
	must(t, err)
	keynote := apple.Asset{AdamID: "409183694", PricingParam: apple.PricingStandard}
	must(t, core.AddAsset(loc, applefake.AssetSpec{AdamID: keynote.AdamID, ProductType: apple.ProductApp,
		DeviceAssignable: true, Revocable: true, SupportedPlatforms: []string{"iOS"}}))
	must(t, core.BuyLicenses(loc, keynote, 3)) // bought in the store

	tn, err := tenant.New(tenant.Config{})
	must(t, err)
	_, err = tn.AddToken(now, tok)
	must(t, err)
	devs := []mdm.DeviceID{"ipad-1", "ipad-2", "ipad-3", "ipad-4"}
	for i, d := range devs {
		_, err := tn.EnrollDevice(now, mdm.Device{ID: d, SerialNumber: "DMPX" + string(rune('A'+i)), Platform: mdm.PlatformIOS, OSVersion: "17.4"})
		must(t, err)
	}
	api := applefake.NewDirect(core, stoken, func() time.Time { return now }, applefake.WithMdmInfo(me))
	sy, err := storesync.NewAppleSyncer(tok, api, tn, me)
	must(t, err)

	rep := sy.Sync(ctxb, now)
	if rep.Err != nil || len(rep.Result.AppsAdded) != 1 {
		t.Fatalf("first sync: %v", rep)
	}
	app := rep.Result.AppsAdded[0]
	if st, _ := tn.AppStatus(app); !st.HasPool || st.Licenses.Total != 3 || st.Licenses.Assigned != 0 {
		t.Fatalf("app status after sync: %+v", st)
	}
	if status, _, _, ok := tn.SyncStatus(tok); !ok || status != mdm.SyncCompleted {
		t.Fatalf("sync status %v", status)
	}

	now = now.Add(time.Minute)
	_, err = tn.Assign(now, mdm.Assignment{ID: "a-keynote", App: app, Intent: mdm.Required, Target: mdm.AllDevicesTarget(),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseDevice}})
	must(t, err)

	// The devices check in: three installs go out with a license each; the fourth
	// has none (L5).
	var out tenant.CheckInResult
	commands := map[mdm.DeviceID]mdm.Command{}
	now = now.Add(time.Minute)
	for _, d := range devs {
		out.Reset()
		must(t, tn.CheckIn(now, &mdm.Report{Device: d}, &out))
		for _, c := range out.Commands {
			if c.App == app && c.Kind == mdm.CommandInstall {
				commands[d] = c
			}
		}
	}
	if len(commands) != 3 {
		t.Fatalf("install commands %v", commands)
	}
	st, err := tn.DeviceStatus("ipad-4")
	must(t, err)
	if len(st.Apps) != 1 || st.Apps[0].Detail != mdm.DetailLicenseUnavailable {
		t.Fatalf("fourth device: %+v", st)
	}

	// The license changes go to Apple.
	n, err := sy.EnqueueLicenseChanges(tn.TakeLicenseChanges(nil))
	must(t, err)
	push, err := sy.Push(ctxb, now)
	must(t, err)
	if n != 3 || push.Sent != 3 || push.Done != 3 || len(push.Failures) != 0 {
		t.Fatalf("push of %d: %v", n, push)
	}
	rec, _ := core.AssetRecord(loc, keynote)
	var atStore []string
	for _, r := range core.AssignmentRecords(loc) {
		atStore = append(atStore, r.SerialNumber)
	}
	if rec.AssignedCount != 3 || rec.AvailableCount != 0 || !slices.Equal(atStore, []string{"DMPXA", "DMPXB", "DMPXC"}) {
		t.Fatalf("at the store: %+v, %v", rec, atStore)
	}

	// The devices report the installs: the licenses show as assigned, the app as
	// installed.
	now = now.Add(10 * time.Minute)
	for d, c := range commands {
		out.Reset()
		must(t, tn.CheckIn(now, &mdm.Report{Device: d, Inventory: []mdm.InstalledApp{{App: app}},
			Results: []mdm.CommandResult{{Command: c.ID, Kind: c.Kind, App: app, Outcome: mdm.OutcomeSucceeded}}}, &out))
	}
	as, err := tn.AppStatus(app)
	must(t, err)
	if as.Installed != 3 || as.Licenses.Assigned != 3 || as.Licenses.Available != 0 {
		t.Fatalf("app status: %+v", as)
	}
	if r := sy.Sync(ctxb, now); r.Err != nil || r.Result.Changed() || len(r.Result.MissingAtStore) != 0 {
		t.Fatalf("sync after the installs: %v", r)
	}

	// One more license bought in the store: the sync raises the pool's total, the
	// waiting ipad-4 gets it at its next check-in (L5), and the push assigns it at
	// the store.
	must(t, core.BuyLicenses(loc, keynote, 1))
	now = now.Add(time.Hour)
	if r := sy.Sync(ctxb, now); r.Err != nil || len(r.Result.Counts) != 1 || r.Result.Counts[0].Total != 4 {
		t.Fatalf("sync after the purchase: %v", r)
	}
	out.Reset()
	must(t, tn.CheckIn(now, &mdm.Report{Device: "ipad-4"}, &out))
	if len(out.Commands) != 1 || out.Commands[0].App != app || out.Commands[0].Kind != mdm.CommandInstall {
		t.Fatalf("ipad-4 after the purchase: %+v", out.Commands)
	}
	changes := tn.TakeLicenseChanges(nil)
	if len(changes) != 1 || changes[0].Op != license.Associate || changes[0].SerialNumber != "DMPXD" {
		t.Fatalf("license changes %+v", changes)
	}
	_, err = sy.EnqueueLicenseChanges(changes)
	must(t, err)
	if push, err := sy.Push(ctxb, now); err != nil || push.Done != 1 {
		t.Fatalf("push: %v %v", push, err)
	}
	if rec, _ := core.AssetRecord(loc, keynote); rec.AssignedCount != 4 || rec.TotalCount != 4 {
		t.Fatalf("at the store: %+v", rec)
	}
	if r := sy.Sync(ctxb, now); r.Err != nil || r.Result.Changed() {
		t.Fatalf("final sync: %v", r)
	}
}
