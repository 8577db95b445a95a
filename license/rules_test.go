package license_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// L4: device licensing is the default for VPP apps; a user license covers up to
// Policy.UserLicenseDeviceCap of the user's devices; books take user licensing
// only.
func TestRules_L4_LicenseTypes(t *testing.T) {
	ps := newPools(t, func(p *mdm.Policy) { p.UserLicenseDeviceCap = 2 })
	setCounts(t, ps, appKey, license.VPPApp, 10)
	setCounts(t, ps, bookKey, license.VPPBook, 10)

	res := grant(t, ps, appKey, dev("d1")) // L4: default is device licensing
	wantOutcome(t, res, license.Granted)
	if res.Holder != (license.Holder{Kind: license.DeviceHolder, ID: "d1"}) {
		t.Fatalf("holder %v", res.Holder)
	}
	for _, c := range []struct {
		name string
		r    license.Request
		want license.Outcome
		ref  license.Refusal
	}{
		{"first device of the user takes a license", usr("ada", "a1"), license.Granted, 0},
		{"second device is covered by the same license", usr("ada", "a2"), license.Covered, 0},
		{"the same device again is already held", usr("ada", "a2"), license.AlreadyHeld, 0},
		{"a third device is over the cap of 2", usr("ada", "a3"), license.Refused, license.DeviceCap},
	} {
		res := grant(t, ps, appKey, c.r)
		if res.Outcome != c.want || res.Refusal != c.ref {
			t.Fatalf("%s: %v/%v", c.name, res.Outcome, res.Refusal)
		}
		if c.ref == license.DeviceCap && !errors.Is(res.Err(), license.ErrDeviceCap) {
			t.Fatalf("%s: err %v", c.name, res.Err())
		}
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 10, Assigned: 2, Available: 8}) // d1 and ada

	// L4: books take user licensing only.
	_, err := ps.Grant(t0, bookKey, license.Request{Device: "d1", License: mdm.LicenseDevice})
	var ve *mdm.ValidationError
	if !errors.Is(err, license.ErrPoolKind) || !errors.As(err, &ve) || ve.Rule != "L4" {
		t.Fatalf("book with device licensing: %v", err)
	}
	wantOutcome(t, grant(t, ps, bookKey, license.Request{User: "ada", Device: "a1"}), license.Granted)
	// User licensing needs the user; a user grant needs the device it is for.
	for _, r := range []license.Request{{Device: "a1", License: mdm.LicenseUser}, {User: "ada", License: mdm.LicenseUser}} {
		if _, err := ps.Grant(t0, appKey, r); !errors.Is(err, mdm.ErrMissingField) {
			t.Fatalf("%+v: %v", r, err)
		}
	}
}

// L4: migration from device to user licensing never happens; from user to device
// only for required assignments. Refusals are typed and change nothing.
func TestRules_L4_Migration(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 3)
	setCounts(t, ps, bookKey, license.VPPBook, 3)
	grant(t, ps, appKey, usr("ada", "a1"))
	grant(t, ps, appKey, usr("ada", "a2"))
	grant(t, ps, appKey, dev("d1"))
	grant(t, ps, bookKey, usr("ada", "a1"))
	before := stats(t, ps, appKey)
	refused := []struct {
		name   string
		key    license.PoolKey
		to     mdm.LicenseType
		intent mdm.Intent
	}{
		{"device to user never", appKey, mdm.LicenseUser, mdm.Required},
		{"user to device not for available", appKey, mdm.LicenseDevice, mdm.Available},
		{"user to device not for uninstall", appKey, mdm.LicenseDevice, mdm.Uninstall},
		{"books stay on user licensing", bookKey, mdm.LicenseDevice, mdm.Required},
	}
	for _, c := range refused {
		_, err := ps.Migrate(t0, c.key, usr("ada", "a1"), c.to, c.intent)
		var ve *mdm.ValidationError
		if !errors.Is(err, license.ErrMigration) || !errors.As(err, &ve) || ve.Rule != "L4" {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	wantStats(t, stats(t, ps, appKey), before)
	ps.TakeChanges(nil)

	// ada's license covers a1 and a2: a1 moves to a device license, which needs a
	// free license (1 of 3 is free).
	m, err := ps.Migrate(t0, appKey, usr("ada", "a1"), mdm.LicenseDevice, mdm.Required)
	if err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, m.User, license.Uncovered)
	wantOutcome(t, m.Device, license.Granted)
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 3, Assigned: 3})
	// a2 is ada's last device: her license is reclaimed and a2 takes it, so the
	// move needs no free license.
	m, err = ps.Migrate(t0, appKey, usr("ada", "a2"), mdm.LicenseDevice, mdm.Required)
	if err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, m.User, license.Reclaimed)
	wantOutcome(t, m.Device, license.Granted)
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 3, Assigned: 3})
	got := ps.TakeChanges(nil)
	want := []license.Change{
		{Op: license.Associate, SerialNumber: "a1"},
		{Op: license.Disassociate, ClientUserID: "ada", Reason: license.Migrated},
		{Op: license.Associate, SerialNumber: "a2"},
	}
	if d := cmp.Diff(want, stripChanges(got)); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}
	// Nothing left to migrate.
	m, err = ps.Migrate(t0, appKey, usr("ada", "a2"), mdm.LicenseDevice, mdm.Required)
	if err != nil || m.User.Outcome != license.NotHeld {
		t.Fatalf("%+v %v", m, err)
	}
}

// L4: with no free license, a migration that needs one is refused and changes
// nothing.
func TestRules_L4_MigrationNeedsFreeLicense(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 1)
	grant(t, ps, appKey, usr("ada", "a1"))
	grant(t, ps, appKey, usr("ada", "a2"))
	m, err := ps.Migrate(t0, appKey, usr("ada", "a1"), mdm.LicenseDevice, mdm.Required)
	if err != nil || m.Device.Outcome != license.Refused || m.Device.Refusal != license.Unavailable {
		t.Fatalf("%+v %v", m, err)
	}
	if ok, _ := ps.Holds(appKey, usr("ada", "a1")); !ok {
		t.Fatal("a refused migration must leave the user license on the device")
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 1, Assigned: 1})
}

// L4, L5, L10: migrating a user's last device when that device already holds a
// device license of its own frees the user's license like any release: the
// earliest waiter is woken and the alert follows the count.
func TestRules_L4_MigrationOfDeviceHoldingItsOwnLicense(t *testing.T) {
	ps := newPools(t, func(p *mdm.Policy) { p.UtilizationAlertThreshold = 1 })
	setCounts(t, ps, appKey, license.VPPApp, 2)
	grant(t, ps, appKey, usr("ada", "a1"))
	grant(t, ps, appKey, dev("a1"))
	wantOutcome(t, grant(t, ps, appKey, dev("b1")), license.Refused) // b1 waits
	if got := ps.Alerting(); len(got) != 1 {
		t.Fatalf("alerting %v", got)
	}
	ps.TakeChanges(nil)
	m, err := ps.Migrate(t0, appKey, usr("ada", "a1"), mdm.LicenseDevice, mdm.Required)
	if err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, m.User, license.Reclaimed)
	wantOutcome(t, m.Device, license.AlreadyHeld)
	after := license.Stats{Total: 2, Assigned: 1, Available: 1, Waiting: 1}
	wantStats(t, stats(t, ps, appKey), after)
	wantStats(t, m.User.Stats, after)
	wantStats(t, m.Device.Stats, after)
	if m.User.Wake != (license.Holder{Kind: license.DeviceHolder, ID: "b1"}) {
		t.Fatalf("wake %v, want device b1", m.User.Wake)
	}
	if m.User.Alert != license.AlertCleared || len(ps.Alerting()) != 0 {
		t.Fatalf("alert %v, alerting %v", m.User.Alert, ps.Alerting())
	}
	got := ps.TakeChanges(nil)
	want := []license.Change{{Op: license.Disassociate, ClientUserID: "ada", Reason: license.Migrated}}
	if d := cmp.Diff(want, stripChanges(got)); d != "" {
		t.Fatalf("changes (-want +got):\n%s", d)
	}
}

// L5: VPP oversubscription: the first N that ask get a license, the rest are
// refused with "license unavailable" and wait; a freed license wakes the
// earliest waiter, but is not reserved for it.
func TestRules_L5_Oversubscription(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 2)
	for i, d := range []string{"d1", "d2", "d3", "d4", "d5"} {
		res := grant(t, ps, appKey, dev(d))
		if i < 2 {
			wantOutcome(t, res, license.Granted)
			continue
		}
		if res.Outcome != license.Refused || res.Refusal != license.Unavailable {
			t.Fatalf("%s: %v/%v", d, res.Outcome, res.Refusal)
		}
		var re *license.RefusedError
		if err := res.Err(); !errors.Is(err, license.ErrLicenseUnavailable) || !errors.As(err, &re) ||
			!strings.Contains(err.Error(), "license unavailable") {
			t.Fatalf("%s: %v", d, err)
		}
	}
	// Asking again keeps one place in line.
	grant(t, ps, appKey, dev("d3"))
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 2, Assigned: 2, Waiting: 3})
	p, _ := ps.Pool(appKey)
	w, _ := p.Waiting()
	if d := cmp.Diff([]license.Holder{{license.DeviceHolder, "d3"}, {license.DeviceHolder, "d4"}, {license.DeviceHolder, "d5"}}, w); d != "" {
		t.Fatal(d)
	}

	// A license frees: the earliest waiter, d3, is named to be pushed.
	res := reclaim(t, ps, appKey, dev("d1"), license.Uninstall)
	if res.Wake != (license.Holder{Kind: license.DeviceHolder, ID: "d3"}) {
		t.Fatalf("wake %v", res.Wake)
	}
	// First come, first served: d5 asks before d3 and gets it (L5)...
	wantOutcome(t, grant(t, ps, appKey, dev("d5")), license.Granted)
	// ...d3, refused again, keeps its place at the head; the next free license
	// wakes it again.
	grant(t, ps, appKey, dev("d3"))
	res = reclaim(t, ps, appKey, dev("d2"), license.Revoke)
	if res.Wake.ID != "d3" {
		t.Fatalf("wake %v", res.Wake)
	}
	wantOutcome(t, grant(t, ps, appKey, dev("d3")), license.Granted)
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 2, Assigned: 2, Waiting: 1})

	// Bought licenses wake as many waiters as there are new licenses.
	grant(t, ps, appKey, dev("d6"))
	cr := setCounts(t, ps, appKey, license.VPPApp, 5)
	if d := cmp.Diff([]license.Waiter{{Key: appKey, Holder: license.Holder{license.DeviceHolder, "d4"}},
		{Key: appKey, Holder: license.Holder{license.DeviceHolder, "d6"}}}, cr.Wake); d != "" {
		t.Fatal(d)
	}
	// An uninstall intent ends a wait.
	wantOutcome(t, reclaim(t, ps, appKey, dev("d6"), license.Uninstall), license.Withdrawn)
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 5, Assigned: 2, Available: 3, Waiting: 1})
}

// L5: Waits says when asking again for a refused holder would be refused again
// and change nothing: while no license is free, the holder has not been told
// of one, and the token can assign. Each step below changes one of those.
func TestRules_L5_Waits(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 1)
	p, _ := ps.Pool(appKey)
	wantOutcome(t, grant(t, ps, appKey, dev("d1")), license.Granted)
	held := grant(t, ps, appKey, dev("d1")).Ref
	w := grant(t, ps, appKey, dev("d2"))
	check := func(step string, want bool) {
		t.Helper()
		if got := p.Waits(w.Ref); got != want {
			t.Fatalf("%s: Waits = %v, want %v", step, got, want)
		}
	}
	check("refused, nothing free", true)
	if p.Waits(held) {
		t.Fatal("a holder of a license waits")
	}
	grant(t, ps, appKey, dev("d2"))
	check("asked again", true)
	// a license frees: d2 is told (woken) and must ask
	if r := reclaim(t, ps, appKey, dev("d1"), license.Uninstall); r.Wake.ID != "d2" {
		t.Fatalf("wake %v", r.Wake)
	}
	check("a license free, d2 told", false)
	wantOutcome(t, grant(t, ps, appKey, dev("d3")), license.Granted) // first come, first served
	check("told, the license taken by another", false)
	grant(t, ps, appKey, dev("d2")) // refused again: back among the untold
	check("refused again", true)
	// the token cannot assign: a grant would be refused for another reason
	if err := ps.SetTokenState("tok-1", mdm.TokenExpired); err != nil {
		t.Fatal(err)
	}
	check("token expired", false)
	if err := ps.SetTokenState("tok-1", mdm.TokenValid); err != nil {
		t.Fatal(err)
	}
	check("token valid again", true)
	// bought licenses wake d2
	setCounts(t, ps, appKey, license.VPPApp, 2)
	check("a license bought", false)
	wantOutcome(t, grant(t, ps, appKey, dev("d2")), license.Granted)
	check("granted", false)
	// a stale Ref and a deleted pool wait for nothing
	if p.Waits(license.Ref{}) {
		t.Fatal("the zero Ref waits")
	}
	w = grant(t, ps, appKey, dev("d4"))
	check("d4 refused", true)
	if _, err := ps.DeleteToken(t0, "tok-1"); err != nil {
		t.Fatal(err)
	}
	check("pool deleted", false)
}

// L6: an available app consumes a license only when the install starts:
// checking an assignment's demand consumes nothing; Grant does.
func TestRules_L6_LicenseAtInstall(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 10)
	for range 3 {
		if err := ps.CheckDemand(appKey, 500); err != nil { // VPP oversubscription allowed
			t.Fatal(err)
		}
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 10, Available: 10})
	if n := ps.PendingChanges(); n != 0 {
		t.Fatalf("%d store changes before any install", n)
	}
	grant(t, ps, appKey, dev("portal-install"))
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 10, Assigned: 1, Available: 9})
}

// L7: reclaim by reason, for a device license and a user license.
func TestRules_L7_ReclaimByReason(t *testing.T) {
	cases := []struct {
		reason   license.Reason
		policy   func(*mdm.Policy)
		device   license.Outcome // for a device license
		user     license.Outcome // for a user license (whole)
		keptWhy  license.KeepReason
		userKept license.KeepReason
	}{
		{license.Uninstall, nil, license.Reclaimed, license.Reclaimed, 0, 0},
		{license.Revoke, nil, license.Reclaimed, license.Reclaimed, 0, 0},
		{license.UserLeft, nil, license.Kept, license.Reclaimed, license.KeptDeviceLicense, 0},
		{license.UserDeleted, nil, license.Kept, license.Reclaimed, license.KeptDeviceLicense, 0},
		{license.DeviceRemoved, nil, license.Kept, license.Kept, license.KeptByRule, license.KeptByRule},
		{license.UserRemovedApp, nil, license.Kept, license.Kept, license.KeptByRule, license.KeptByRule},
		{license.AssignmentRemoved, nil, license.Kept, license.Kept, license.KeptByPolicy, license.KeptByPolicy},
		{license.AssignmentRemoved, func(p *mdm.Policy) { p.AssignmentRemovalRevokes = true }, license.Reclaimed, license.Reclaimed, 0, 0},
	}
	for _, c := range cases {
		ps := newPools(t, c.policy)
		setCounts(t, ps, appKey, license.VPPApp, 5)
		grant(t, ps, appKey, license.Request{Device: "d1", User: "ada"})
		grant(t, ps, appKey, usr("ada", "a1"))
		rd := reclaim(t, ps, appKey, license.Request{Device: "d1", User: "ada"}, c.reason)
		ru := reclaim(t, ps, appKey, license.Request{User: "ada", License: mdm.LicenseUser}, c.reason)
		if rd.Outcome != c.device || rd.Kept != c.keptWhy || ru.Outcome != c.user || ru.Kept != c.userKept {
			t.Errorf("L7 %v: device %v/%v user %v/%v", c.reason, rd.Outcome, rd.Kept, ru.Outcome, ru.Kept)
		}
		want := 2
		for _, o := range []license.Outcome{rd.Outcome, ru.Outcome} {
			if o == license.Reclaimed {
				want--
			}
		}
		if s := stats(t, ps, appKey); s.Assigned != want {
			t.Errorf("L7 %v: assigned %d, want %d", c.reason, s.Assigned, want)
		}
	}
}

// L7: an uninstall on one device of a user license takes that device off; the
// license goes back with the last device.
func TestRules_L7_UninstallUserLicensePerDevice(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 5)
	grant(t, ps, appKey, usr("ada", "a1"))
	grant(t, ps, appKey, usr("ada", "a2"))
	wantOutcome(t, reclaim(t, ps, appKey, usr("ada", "a1"), license.Uninstall), license.Uncovered)
	wantOutcome(t, reclaim(t, ps, appKey, usr("ada", "a1"), license.Uninstall), license.NotHeld)
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 5, Assigned: 1, Available: 4})
	wantOutcome(t, reclaim(t, ps, appKey, usr("ada", "a2"), license.Uninstall), license.Reclaimed)
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 5, Available: 5})
}

// L7: deleting a token revokes its licenses by default, and keeps them with the
// older behaviour; either way its pools are gone.
func TestRules_L7_TokenDeletion(t *testing.T) {
	for _, revokes := range []bool{true, false} {
		ps := newPools(t, func(p *mdm.Policy) { p.TokenDeletionRevokes = revokes })
		setCounts(t, ps, appKey, license.VPPApp, 5)
		setCounts(t, ps, onKey, license.StoreOnline, 5)
		grant(t, ps, appKey, dev("d1"))
		grant(t, ps, appKey, usr("ada", "a1"))
		ps.TakeChanges(nil)
		eff, err := ps.DeleteToken(t0, appKey.Token)
		if err != nil {
			t.Fatal(err)
		}
		want := license.Reclaimed
		if !revokes {
			want = license.Kept
		}
		if len(eff.Items) != 2 || eff.Items[0].Outcome != want || eff.Items[1].Outcome != want {
			t.Fatalf("revokes=%v: %+v", revokes, eff.Items)
		}
		changes := ps.TakeChanges(nil)
		if revokes && len(changes) != 2 || !revokes && len(changes) != 0 {
			t.Fatalf("revokes=%v: changes %+v", revokes, changes)
		}
		if _, err := ps.Stats(appKey); !errors.Is(err, license.ErrUnknownPool) {
			t.Fatalf("pool survived its token: %v", err)
		}
		if _, err := ps.Stats(onKey); err != nil {
			t.Fatalf("another token's pool went too: %v", err)
		}
		if _, err := ps.DeleteToken(t0, appKey.Token); !errors.Is(err, license.ErrUnknownToken) {
			t.Fatal(err)
		}
	}
}

// L7: a device leaving management keeps its licenses; a user leaving takes only
// the user's licenses, in every pool.
func TestRules_L7_DirectoryEvents(t *testing.T) {
	ps := newPools(t, nil)
	other := license.PoolKey{Token: "tok-2", Product: "42"}
	setCounts(t, ps, appKey, license.VPPApp, 5)
	setCounts(t, ps, other, license.VPPApp, 5)
	grant(t, ps, appKey, dev("a1"))
	grant(t, ps, appKey, usr("ada", "a1"))
	grant(t, ps, other, usr("ada", "a2"))
	eff, err := ps.DeviceRemoved(t0, "a1")
	if err != nil || len(eff.Items) != 1 || eff.Items[0].Outcome != license.Kept || eff.Items[0].Kept != license.KeptByRule {
		t.Fatalf("%+v %v", eff, err)
	}
	eff, err = ps.UserLeft(t0, "ada")
	if err != nil {
		t.Fatal(err)
	}
	want := []license.Effect{
		{Key: appKey, Holder: license.Holder{license.UserHolder, "ada"}, Outcome: license.Reclaimed, Reason: license.UserLeft},
		{Key: other, Holder: license.Holder{license.UserHolder, "ada"}, Outcome: license.Reclaimed, Reason: license.UserLeft},
	}
	if d := cmp.Diff(want, eff.Items); d != "" {
		t.Fatal(d)
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 5, Assigned: 1, Available: 4})
	wantStats(t, stats(t, ps, other), license.Stats{Total: 5, Available: 5})
}

// L8: a book license is never reclaimed: every reason keeps it, an explicit
// revoke is an error, token deletion and refunds leave it.
func TestRules_L8_BooksNeverReclaimed(t *testing.T) {
	ps := newPools(t, func(p *mdm.Policy) { p.AssignmentRemovalRevokes = true })
	setCounts(t, ps, bookKey, license.VPPBook, 3)
	grant(t, ps, bookKey, usr("ada", "a1"))
	grant(t, ps, bookKey, usr("bob", "b1"))
	for _, why := range []license.Reason{license.Uninstall, license.UserLeft, license.UserDeleted, license.AssignmentRemoved, license.DeviceRemoved} {
		res := reclaim(t, ps, bookKey, license.Request{User: "ada"}, why)
		if res.Outcome != license.Kept || res.Kept != license.KeptBook {
			t.Fatalf("L8 %v: %v/%v", why, res.Outcome, res.Kept)
		}
	}
	_, err := ps.Reclaim(t0, bookKey, license.Request{User: "ada"}, license.Revoke)
	var ve *mdm.ValidationError
	if !errors.Is(err, license.ErrIrrevocable) || !errors.As(err, &ve) || ve.Rule != "L8" {
		t.Fatalf("revoke of a book: %v", err)
	}
	if eff, _ := ps.UserDeleted(t0, "ada"); len(eff.Items) != 1 || eff.Items[0].Kept != license.KeptBook {
		t.Fatalf("%+v", eff)
	}
	cr := setCounts(t, ps, bookKey, license.VPPBook, 1) // a refund below what is assigned
	if len(cr.Items) != 0 || cr.Stats.Overage != 1 {
		t.Fatalf("refund revoked a book: %+v", cr)
	}
	ps.TakeChanges(nil)
	eff, _ := ps.DeleteToken(t0, bookKey.Token)
	for _, it := range eff.Items {
		if it.Outcome != license.Kept || it.Kept != license.KeptBook {
			t.Fatalf("token deletion reclaimed a book: %+v", it)
		}
	}
	if c := ps.TakeChanges(nil); len(c) != 0 {
		t.Fatalf("disassociate sent for a book: %+v", c)
	}
}

// L9: VPP apps update automatically for required and available assignments; an
// assignment prevents it only where the token allows it.
func TestRules_L9_AutoUpdate(t *testing.T) {
	for _, c := range []struct {
		kind          license.Kind
		intent        mdm.Intent
		prevent, lets bool
		want          bool
	}{
		{license.VPPApp, mdm.Required, false, false, true},
		{license.VPPApp, mdm.Available, false, true, true},
		{license.VPPApp, mdm.Required, true, false, true}, // the token does not allow preventing
		{license.VPPApp, mdm.Required, true, true, false},
		{license.VPPApp, mdm.Available, true, true, false},
		{license.VPPApp, mdm.Uninstall, false, false, false},
		{license.VPPApp, mdm.AvailableWithoutEnrollment, false, false, false},
		{license.VPPBook, mdm.Required, false, false, false},
		{license.StoreOnline, mdm.Required, false, false, false},
	} {
		if got := license.AutoUpdates(c.kind, c.intent, c.prevent, c.lets); got != c.want {
			t.Errorf("L9 %v %v prevent=%v tokenAllows=%v: %v", c.kind, c.intent, c.prevent, c.lets, got)
		}
	}
}

// L10: the alert is raised when used licenses reach the threshold and cleared
// when they drop below; the threshold is policy.
func TestRules_L10_Alerts(t *testing.T) {
	for _, c := range []struct {
		threshold float64
		total     int
		raiseAt   int
	}{{0.5, 4, 2}, {0.5, 3, 2}, {0.7, 10, 7}, {1, 3, 3}, {0.01, 10, 1}} {
		ps := newPools(t, func(p *mdm.Policy) { p.UtilizationAlertThreshold = c.threshold })
		setCounts(t, ps, appKey, license.VPPApp, c.total)
		for i := 1; i <= c.total; i++ {
			res := grant(t, ps, appKey, dev(string(rune('a'+i))))
			want := license.AlertUnchanged
			if i == c.raiseAt {
				want = license.AlertRaised
			}
			if res.Alert != want {
				t.Fatalf("L10 %v of %d at %d: %v", c.threshold, c.total, i, res.Alert)
			}
		}
		for i := c.total; i >= 1; i-- {
			res := reclaim(t, ps, appKey, dev(string(rune('a'+i))), license.Revoke)
			want := license.AlertUnchanged
			if i == c.raiseAt {
				want = license.AlertCleared
			}
			if res.Alert != want {
				t.Fatalf("L10 %v of %d back to %d: %v", c.threshold, c.total, i-1, res.Alert)
			}
		}
	}
	// A new total moves the alert, as an event.
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 10)
	for _, d := range []string{"a", "b", "c", "d", "e"} {
		grant(t, ps, appKey, dev(d))
	}
	if got := ps.Alerting(); len(got) != 1 || got[0] != appKey {
		t.Fatalf("alerting %v", got)
	}
	cr := setCounts(t, ps, appKey, license.VPPApp, 20)
	if len(cr.Alerts) != 1 || cr.Alerts[0].Change != license.AlertCleared || cr.Alerts[0].Assigned != 5 || cr.Alerts[0].Threshold != 0.5 {
		t.Fatalf("%+v", cr.Alerts)
	}
	if len(ps.Alerting()) != 0 {
		t.Fatal("still alerting")
	}
}

// L13: online licenses are per installing user, offline per device; neither
// talks to Apple.
func TestRules_L13_OnlineOffline(t *testing.T) {
	ps := newPools(t, func(p *mdm.Policy) { p.StoreForBusinessOversubscription = true })
	setCounts(t, ps, onKey, license.StoreOnline, 5)
	setCounts(t, ps, offKey, license.StoreOffline, 5)
	for _, c := range []struct {
		key    license.PoolKey
		r      license.Request
		holder license.Holder
		err    error
	}{
		{onKey, license.Request{User: "ada", Device: "w1"}, license.Holder{license.UserHolder, "ada"}, nil},
		{onKey, license.Request{Device: "w1"}, license.Holder{}, mdm.ErrMissingField},
		{onKey, license.Request{User: "ada", License: mdm.LicenseDevice}, license.Holder{}, license.ErrPoolKind},
		{offKey, license.Request{User: "ada", Device: "w1"}, license.Holder{license.DeviceHolder, "w1"}, nil},
		{offKey, license.Request{User: "ada"}, license.Holder{}, mdm.ErrMissingField},
		{offKey, license.Request{Device: "w1", License: mdm.LicenseUser}, license.Holder{}, license.ErrPoolKind},
	} {
		res, err := ps.Grant(t0, c.key, c.r)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Fatalf("L13 %v %+v: %v", c.key, c.r, err)
			}
			continue
		}
		if err != nil || res.Holder != c.holder || res.Outcome != license.Granted {
			t.Fatalf("L13 %v %+v: %+v %v", c.key, c.r, res, err)
		}
	}
	// Another device of the same user does not take another online license.
	wantOutcome(t, grant(t, ps, onKey, license.Request{User: "ada", Device: "w2"}), license.AlreadyHeld)
	if n := ps.PendingChanges(); n != 0 {
		t.Fatalf("Store for Business grants recorded %d Apple changes", n)
	}
	for _, c := range []struct {
		app  mdm.App
		want license.Kind
	}{
		{mdm.App{Type: mdm.AppTypeStoreForBusiness, Origin: mdm.StoreOrigin{Licensing: mdm.LicenseOnline}}, license.StoreOnline},
		{mdm.App{Type: mdm.AppTypeStoreForBusiness, Origin: mdm.StoreOrigin{Licensing: mdm.LicenseOffline}}, license.StoreOffline},
		{mdm.App{Type: mdm.AppTypeVPPBook}, license.VPPBook},
		{mdm.App{Type: mdm.AppTypeIOSVPP}, license.VPPApp},
	} {
		if k, err := license.KindOf(&c.app); k != c.want || err != nil {
			t.Errorf("KindOf %v: %v %v", c.app.Type, k, err)
		}
	}
	if _, err := license.KindOf(&mdm.App{Type: mdm.AppTypeStoreForBusiness}); !errors.Is(err, license.ErrPoolKind) {
		t.Fatal(err)
	}
	if k, err := license.KindOf(nil); k != license.KindUnknown || !errors.Is(err, mdm.ErrMissingField) {
		t.Fatalf("KindOf(nil): %v %v", k, err)
	}
}

// L14: with no license left, Store for Business blocks installs and new
// assignments that need more; the error carries the shortfall and the remedies.
func TestRules_L14_Shortfall(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, offKey, license.StoreOffline, 121)
	grant(t, ps, offKey, dev("w0"))
	err := ps.CheckDemand(offKey, 500)
	var se *license.ShortfallError
	if !errors.As(err, &se) || !errors.Is(err, license.ErrShortfall) || se.Need != 500 || se.Available != 120 || se.Short != 380 {
		t.Fatalf("%v", err)
	}
	for _, part := range []string{"500 licenses needed", "120 available", "uninstall from some devices", "narrow the assignment", "buy 380 more", "L14"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("message %q lacks %q", err, part)
		}
	}
	if err := ps.CheckDemand(offKey, 120); err != nil {
		t.Fatalf("demand that fits: %v", err)
	}
	if err := ps.CheckDemand(offKey, -1); !errors.Is(err, license.ErrInvalidCount) {
		t.Fatal(err)
	}
	setCounts(t, ps, offKey, license.StoreOffline, 1)
	res := grant(t, ps, offKey, dev("w1"))
	if res.Outcome != license.Refused || res.Refusal != license.Shortfall {
		t.Fatalf("%v/%v", res.Outcome, res.Refusal)
	}
	if !errors.As(res.Err(), &se) || se.Need != 1 || se.Available != 0 || se.Short != 1 {
		t.Fatalf("%v", res.Err())
	}
	// With oversubscription allowed by policy, demand passes and installs wait.
	ps = newPools(t, func(p *mdm.Policy) { p.StoreForBusinessOversubscription = true })
	setCounts(t, ps, offKey, license.StoreOffline, 0)
	if err := ps.CheckDemand(offKey, 500); err != nil {
		t.Fatal(err)
	}
	if res := grant(t, ps, offKey, dev("w1")); res.Refusal != license.Unavailable {
		t.Fatalf("%v", res.Refusal)
	}
	// And VPP refuses demand only when its oversubscription is turned off.
	ps = newPools(t, func(p *mdm.Policy) { p.VPPOversubscription = false })
	setCounts(t, ps, appKey, license.VPPApp, 2)
	if err := ps.CheckDemand(appKey, 3); !errors.As(err, &se) || se.Short != 1 {
		t.Fatal(err)
	}
}

// L15: Store for Business licenses are reclaimed when a user leaves or the admin
// deletes the user and their devices.
func TestRules_L15_UserLeavesStore(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, onKey, license.StoreOnline, 5)
	setCounts(t, ps, offKey, license.StoreOffline, 5)
	setCounts(t, ps, appKey, license.VPPApp, 5)
	grant(t, ps, onKey, license.Request{User: "ada"})
	grant(t, ps, onKey, license.Request{User: "bob"})
	grant(t, ps, offKey, dev("ada-pc"))
	grant(t, ps, appKey, dev("ada-pc"))
	eff, err := ps.UserLeft(t0, "bob")
	if err != nil || len(eff.Items) != 1 || eff.Items[0].Outcome != license.Reclaimed || eff.Items[0].Key != onKey {
		t.Fatalf("%+v %v", eff, err)
	}
	eff, err = ps.UserDeleted(t0, "ada", "ada-pc")
	if err != nil {
		t.Fatal(err)
	}
	want := []license.Effect{
		{Key: onKey, Holder: license.Holder{license.UserHolder, "ada"}, Outcome: license.Reclaimed, Reason: license.UserDeleted},
		{Key: offKey, Holder: license.Holder{license.DeviceHolder, "ada-pc"}, Outcome: license.Reclaimed, Reason: license.UserDeleted},
		// L7: the VPP device license stays with the device.
		{Key: appKey, Holder: license.Holder{license.DeviceHolder, "ada-pc"}, Outcome: license.Kept, Reason: license.DeviceRemoved, Kept: license.KeptByRule},
	}
	// Effects come per holder visited, each in key order.
	if d := cmp.Diff(want, eff.Items); d != "" {
		t.Fatal(d)
	}
	for _, k := range []license.PoolKey{onKey, offKey} {
		if s := stats(t, ps, k); s.Assigned != 0 {
			t.Fatalf("%v: %+v", k, s)
		}
	}
}

// L16: Store for Business needs Windows 10 1511 and an AD or workplace join;
// Eligible says so before a license is consumed. Books need the Books app (L8).
func TestRules_L16_Eligible(t *testing.T) {
	win := func(os string, j mdm.JoinType) *mdm.Device {
		return &mdm.Device{ID: "w", Platform: mdm.PlatformWindows, OSVersion: os, JoinType: j}
	}
	for _, c := range []struct {
		kind license.Kind
		d    *mdm.Device
		want mdm.InstallDetail
	}{
		{license.StoreOffline, win("10.0.10586", mdm.JoinAD), mdm.DetailNone},
		{license.StoreOnline, win("10.0.19045", mdm.JoinWorkplace), mdm.DetailNone},
		{license.StoreOnline, win("10.0.10240", mdm.JoinAD), mdm.DetailMinimumOSVersionNotMet},
		{license.StoreOffline, win("10.0.19045", mdm.JoinEntra), mdm.DetailJoinTypeNotMet},
		{license.StoreOffline, &mdm.Device{Platform: mdm.PlatformIOS, OSVersion: "17.0"}, mdm.DetailPlatformNotApplicable},
		{license.VPPBook, &mdm.Device{Platform: mdm.PlatformIOS, OSVersion: "17.0"}, mdm.DetailBooksAppMissing},
		{license.VPPBook, &mdm.Device{Platform: mdm.PlatformIOS, OSVersion: "17.0", HasBooksApp: true}, mdm.DetailNone},
		{license.VPPApp, &mdm.Device{Platform: mdm.PlatformIOS, OSVersion: "17.0"}, mdm.DetailNone},
	} {
		if got := license.Eligible(c.kind, c.d); got != c.want {
			t.Errorf("L16 %v %+v: %v, want %v", c.kind, c.d, got, c.want)
		}
	}
	// No device qualifies for nothing, and does not panic.
	for _, k := range []license.Kind{license.KindUnknown, license.VPPApp, license.VPPBook, license.StoreOnline, license.StoreOffline} {
		if got := license.Eligible(k, nil); got != mdm.DetailPlatformNotApplicable {
			t.Errorf("Eligible(%v, nil): %v", k, got)
		}
	}
}

// L17: a related set is one app entry, so one pool: a user installing the apps
// of the set takes one license, once.
func TestRules_L17_RelatedSetOneEntry(t *testing.T) {
	ps := newPools(t, nil)
	set := license.PoolKey{Token: "msfb", Product: "related-set-1"}
	setCounts(t, ps, set, license.StoreOnline, 2)
	for _, member := range []string{"main", "companion", "plugin"} {
		res := grant(t, ps, set, license.Request{User: "ada", Device: mdm.DeviceID("pc-" + member)})
		if member == "main" {
			wantOutcome(t, res, license.Granted)
		} else {
			wantOutcome(t, res, license.AlreadyHeld)
		}
	}
	wantStats(t, stats(t, ps, set), license.Stats{Total: 2, Assigned: 1, Available: 1})
}

// L18: a store lowering the total below what is assigned: the pool reports the
// overage, grants nothing until it is back under, and revokes the newest grants
// first by default.
func TestRules_L18_Refund(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 5)
	for _, d := range []string{"d1", "d2", "d3", "d4", "d5"} {
		grant(t, ps, appKey, dev(d))
	}
	ps.TakeChanges(nil)
	cr := setCounts(t, ps, appKey, license.VPPApp, 3)
	want := []license.Effect{
		{Key: appKey, Holder: license.Holder{license.DeviceHolder, "d5"}, Outcome: license.Reclaimed, Reason: license.Refund},
		{Key: appKey, Holder: license.Holder{license.DeviceHolder, "d4"}, Outcome: license.Reclaimed, Reason: license.Refund},
	}
	if d := cmp.Diff(want, cr.Items); d != "" {
		t.Fatal(d)
	}
	wantStats(t, cr.Stats, license.Stats{Total: 3, Assigned: 3})
	if c := stripChanges(ps.TakeChanges(nil)); len(c) != 2 || c[0].SerialNumber != "d5" || c[0].Reason != license.Refund {
		t.Fatalf("%+v", c)
	}

	// Policy off: report the overage and wait.
	ps = newPools(t, func(p *mdm.Policy) { p.RefundRevokesNewestFirst = false })
	setCounts(t, ps, appKey, license.VPPApp, 3)
	for _, d := range []string{"d1", "d2", "d3"} {
		grant(t, ps, appKey, dev(d))
	}
	cr = setCounts(t, ps, appKey, license.VPPApp, 1)
	wantStats(t, cr.Stats, license.Stats{Total: 1, Assigned: 3, Overage: 2})
	res := grant(t, ps, appKey, dev("d9"))
	if res.Refusal != license.Overage || !errors.Is(res.Err(), license.ErrOverage) {
		t.Fatalf("%v %v", res.Refusal, res.Err())
	}
	reclaim(t, ps, appKey, dev("d1"), license.Revoke)
	if res := grant(t, ps, appKey, dev("d9")); res.Refusal != license.Overage {
		t.Fatalf("granted while still over: %v", res.Outcome)
	}
	r := reclaim(t, ps, appKey, dev("d2"), license.Revoke)
	if !r.Wake.IsZero() {
		t.Fatalf("woke %v with no license free", r.Wake)
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 1, Assigned: 1, Waiting: 1})
	r = reclaim(t, ps, appKey, dev("d3"), license.Revoke)
	if r.Wake.ID != "d9" {
		t.Fatalf("wake %v", r.Wake)
	}
	wantOutcome(t, grant(t, ps, appKey, dev("d9")), license.Granted)
}

// L19: granting to a holder that already holds a license changes nothing and
// sends nothing twice.
func TestRules_L19_Idempotent(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 1)
	setCounts(t, ps, bookKey, license.VPPBook, 1)
	setCounts(t, ps, onKey, license.StoreOnline, 1)
	setCounts(t, ps, offKey, license.StoreOffline, 1)
	for _, c := range []struct {
		key license.PoolKey
		r   license.Request
	}{
		{appKey, dev("d1")}, {bookKey, usr("ada", "a1")}, {onKey, license.Request{User: "ada"}}, {offKey, dev("w1")},
	} {
		wantOutcome(t, grant(t, ps, c.key, c.r), license.Granted)
		for range 3 {
			res := grant(t, ps, c.key, c.r)
			wantOutcome(t, res, license.AlreadyHeld)
			wantStats(t, res.Stats, license.Stats{Total: 1, Assigned: 1})
		}
	}
	if c := ps.TakeChanges(nil); len(c) != 2 {
		t.Fatalf("one associate per VPP holder, got %+v", c)
	}
}

// stripChanges keeps the fields a test compares: op, subject and reason.
func stripChanges(cs []license.Change) []license.Change {
	out := make([]license.Change, len(cs))
	for i, c := range cs {
		out[i] = license.Change{Op: c.Op, SerialNumber: c.SerialNumber, ClientUserID: c.ClientUserID, Reason: c.Reason}
	}
	return out
}
