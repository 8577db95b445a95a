package storesync_test

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/msfb"
	"github.com/mdmkit/mdmkit/tenant"
)

// Store for Business, end to end into a tenant (L13, S2, S6): the store names a
// user by user principal name, the tenant by user id; the sink speaks the
// store's names both ways, so that a seat the store shows for one of the
// tenant's users is imported once and then matches the pool at every sync. An
// online app takes a seat per installing user (L13); the store assigns the seat
// when the user installs, and a sync afterwards finds the store and the pool in
// agreement. Offline licenses are the service's own: the store lists no holder
// for them, and neither does the pool.
func TestEndToEnd_TenantAndStoreForBusiness(t *testing.T) {
	now := t0
	core := msfb.NewCore()
	acct := core.AddAccount()
	teams := msfb.ProductKey{ProductID: "9WZDNCRFJ3TJ", SkuID: "0016"}
	board := msfb.ProductKey{ProductID: "9NBLGGH4NNS1", SkuID: "0010"}
	must(t, core.AddProduct(acct, now, msfb.ProductSpec{Key: teams, License: msfb.Online, Seats: 3,
		Names: map[string]string{"en-us": "Teams"}, Publisher: "Contoso"}))
	must(t, core.AddProduct(acct, now, msfb.ProductSpec{Key: board, License: msfb.Offline, Seats: 10,
		Names: map[string]string{"en-us": "Whiteboard"}, Publisher: "Contoso"}))
	// ada holds a seat already; eve is not a user of this tenant (S6)
	if res, err := core.BulkSeats(acct, now, teams, []string{"ada@contoso.com", "eve@fabrikam.com"}, msfb.Assign); err != nil ||
		len(res.FailedSeatOperations) != 0 {
		t.Fatalf("seats: %v %+v", err, res)
	}

	const msfbTok = mdm.TokenID("msfb-contoso")
	tn, err := tenant.New(tenant.Config{})
	must(t, err)
	_, err = tn.AddToken(now, msfbTok)
	must(t, err)
	for _, u := range []mdm.User{{ID: "u-ada", UserPrincipalName: "ada@contoso.com"}, {ID: "u-bob", UserPrincipalName: "bob@contoso.com"}} {
		_, err := tn.PutUser(now, u)
		must(t, err)
	}
	devs := []mdm.DeviceID{"pc-ada", "pc-bob"}
	for i, d := range devs {
		_, err := tn.EnrollDevice(now, mdm.Device{ID: d, PrimaryUser: []mdm.UserID{"u-ada", "u-bob"}[i], Platform: mdm.PlatformWindows,
			OSVersion: "10.0.19045", JoinType: mdm.JoinWorkplace, SerialNumber: "PF" + string(rune('A'+i))})
		must(t, err)
	}
	_, err = tn.PutGroup(now, mdm.Group{ID: "staff", Kind: mdm.UserMembers, Users: []mdm.UserID{"u-ada", "u-bob"}})
	must(t, err)
	sy, err := storesync.NewStoreForBusinessSyncer(msfbTok, msfb.NewConnector(core, acct), tn, "")
	must(t, err)
	teamsApp := storesync.AppID(mdm.StoreMicrosoftBusiness, msfbTok, storesync.StoreForBusinessProductID(teams), "")
	boardApp := storesync.AppID(mdm.StoreMicrosoftBusiness, msfbTok, storesync.StoreForBusinessProductID(board), "")

	quiet := func(what string, r *storesync.Report) {
		t.Helper()
		if r.Err != nil || r.Result.Changed() || len(r.Result.NotImported) != 0 || len(r.Result.MissingAtStore) != 0 {
			t.Fatalf("%s: %v; not imported %v, missing at the store %v", what, r, r.Result.NotImported, r.Result.MissingAtStore)
		}
	}

	// The first sync: both apps and pools; ada's seat is imported under her
	// user principal name; eve's is another organisation's user and shrinks
	// the pool (S6).
	rep := sy.Sync(ctxb, now)
	if rep.Err != nil || len(rep.Result.AppsAdded) != 2 {
		t.Fatalf("first sync: %v", rep)
	}
	if len(rep.Result.Imported) != 1 || rep.Result.Imported[0].ClientUserID != "ada@contoso.com" {
		t.Fatalf("imported %v", rep.Result.Imported)
	}
	if u, ok := tn.UserByClientUserID("ada@contoso.com"); !ok || u != "u-ada" {
		t.Fatalf("UserByClientUserID(ada@contoso.com) = %q, %v", u, ok)
	}
	if _, users := tn.PoolHolders(msfbTok, storesync.StoreForBusinessProductID(teams)); !slices.Equal(users, []string{"ada@contoso.com"}) {
		t.Fatalf("PoolHolders: users %v, want the store's names", users)
	}
	if st, _ := tn.AppStatus(teamsApp); st.Licenses.Total != 2 || st.Licenses.Assigned != 1 {
		t.Fatalf("teams pool after the first sync: %+v", st.Licenses)
	}
	// S2: the same store again changes nothing and finds nothing amiss.
	now = now.Add(time.Hour)
	quiet("second sync", sy.Sync(ctxb, now))

	// Both apps required: Teams to the staff (a seat per installing user, L13),
	// Whiteboard to every device (offline: a license per device).
	for _, a := range []mdm.Assignment{
		{ID: "a-teams", App: teamsApp, Intent: mdm.Required, Target: mdm.GroupTarget("staff"), Settings: mdm.DefaultSettings(mdm.AppTypeStoreForBusiness)},
		{ID: "a-board", App: boardApp, Intent: mdm.Required, Target: mdm.AllDevicesTarget(), Settings: mdm.DefaultSettings(mdm.AppTypeStoreForBusiness)},
	} {
		_, err := tn.Assign(now, a)
		must(t, err)
	}
	var out tenant.CheckInResult
	sent := map[mdm.DeviceID][]mdm.Command{}
	for _, d := range devs {
		must(t, tn.CheckIn(now, &mdm.Report{Device: d}, &out))
		sent[d] = slices.Clone(out.Commands)
		if len(out.Commands) != 2 {
			t.Fatalf("%s: commands %v, changes %v", d, out.Commands, out.Changes)
		}
	}
	// The store assigns bob's seat as he installs; the devices report the
	// installs.
	if _, err := core.BulkSeats(acct, now, teams, []string{"bob@contoso.com"}, msfb.Assign); err != nil {
		t.Fatal(err)
	}
	now = now.Add(10 * time.Minute)
	for _, d := range devs {
		rep := mdm.Report{Device: d}
		for _, c := range sent[d] {
			rep.Results = append(rep.Results, mdm.CommandResult{Command: c.ID, Kind: c.Kind, App: c.App, Outcome: mdm.OutcomeSucceeded})
			rep.Inventory = append(rep.Inventory, mdm.InstalledApp{App: c.App})
		}
		slices.SortFunc(rep.Inventory, func(a, b mdm.InstalledApp) int { return cmp.Compare(a.App, b.App) })
		must(t, tn.CheckIn(now, &rep, &out))
	}
	for _, app := range []mdm.AppID{teamsApp, boardApp} {
		if st, _ := tn.AppStatus(app); st.Installed != 2 || st.Licenses.Assigned != 2 {
			t.Fatalf("%s: installed %d, licenses %+v", app, st.Installed, st.Licenses)
		}
	}
	if _, users := tn.PoolHolders(msfbTok, storesync.StoreForBusinessProductID(teams)); !slices.Equal(users, []string{"ada@contoso.com", "bob@contoso.com"}) {
		t.Fatalf("PoolHolders: users %v", users)
	}
	if serials, users := tn.PoolHolders(msfbTok, storesync.StoreForBusinessProductID(board)); len(serials)+len(users) != 0 {
		t.Fatalf("PoolHolders of the offline pool: %v %v, want none (the store lists no offline holder)", serials, users)
	}
	// The store and the pools agree.
	now = now.Add(time.Hour)
	quiet("sync after the installs", sy.Sync(ctxb, now))
}
