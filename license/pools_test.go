package license_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// S5: every grant and reclaim on a VPP pool is a Change for the store, with the
// serial number (device licensing) or the clientUserId (user licensing); a grant
// taken back before it was drained is never sent.
func TestPools_Changes(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 10)
	grant(t, ps, appKey, license.Request{Device: "d1", Serial: "C02XK0AAJG5H"})
	grant(t, ps, appKey, dev("d2")) // no serial: the device id stands in (mdm.Device.Serial)
	grant(t, ps, appKey, usr("ada", "a1"))
	grant(t, ps, appKey, usr("ada", "a2")) // covered: Apple licenses the user, nothing to send
	grant(t, ps, appKey, dev("d3"))
	reclaim(t, ps, appKey, dev("d3"), license.Uninstall) // cancels d3's associate
	got := ps.TakeChanges([]license.Change{{Op: license.NoOp}})
	if got[0].Op != license.NoOp {
		t.Fatal("TakeChanges must append to dst")
	}
	got = got[1:]
	want := []license.Change{
		{Op: license.Associate, SerialNumber: "C02XK0AAJG5H"},
		{Op: license.Associate, SerialNumber: "d2"},
		{Op: license.Associate, ClientUserID: "ada"},
	}
	if d := cmp.Diff(want, stripChanges(got)); d != "" {
		t.Fatal(d)
	}
	for i, c := range got {
		if c.Token != appKey.Token || c.Product != appKey.Product || !c.At.Equal(t0) || (i > 0 && c.Seq <= got[i-1].Seq) {
			t.Fatalf("change %d: %+v", i, c)
		}
	}
	if n := ps.PendingChanges(); n != 0 {
		t.Fatalf("%d left after TakeChanges", n)
	}
	// After the drain, a reclaim is a disassociate, with the serial it was granted with.
	reclaim(t, ps, appKey, license.Request{Device: "d1", Serial: "OTHER"}, license.Revoke)
	reclaim(t, ps, appKey, license.Request{User: "ada", License: mdm.LicenseUser}, license.UserLeft)
	want = []license.Change{
		{Op: license.Disassociate, SerialNumber: "C02XK0AAJG5H", Reason: license.Revoke},
		{Op: license.Disassociate, ClientUserID: "ada", Reason: license.UserLeft},
	}
	if d := cmp.Diff(want, stripChanges(ps.TakeChanges(nil))); d != "" {
		t.Fatal(d)
	}
}

// S5: cancelling grants in the middle of a long outbox keeps the order of the
// rest, across the outbox's compaction, and across pools.
func TestPools_ChangesCancelMany(t *testing.T) {
	ps := newPools(t, nil)
	other := license.PoolKey{Token: "tok-2", Product: "7"}
	setCounts(t, ps, appKey, license.VPPApp, 1000)
	setCounts(t, ps, other, license.VPPApp, 1000)
	var want []string
	for i := range 300 {
		d := fmt.Sprintf("d%03d", i)
		k := appKey
		if i%3 == 0 {
			k = other
		}
		grant(t, ps, k, dev(d))
		if i%5 != 0 {
			want = append(want, d)
		}
	}
	for i := 0; i < 300; i += 5 {
		k := appKey
		if i%3 == 0 {
			k = other
		}
		reclaim(t, ps, k, dev(fmt.Sprintf("d%03d", i)), license.Uninstall)
	}
	if n := ps.PendingChanges(); n != len(want) {
		t.Fatalf("pending %d, want %d", n, len(want))
	}
	var got []string
	for _, c := range ps.TakeChanges(nil) {
		if c.Op != license.Associate {
			t.Fatalf("%+v", c)
		}
		got = append(got, c.SerialNumber)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
}

// L3, L1: grants are refused while the token does not allow assigning licenses;
// a duplicate token still assigns; reclaims go on.
func TestPools_TokenState(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 5)
	grant(t, ps, appKey, dev("d1"))
	for _, c := range []struct {
		state mdm.TokenState
		ok    bool
	}{
		{mdm.TokenExpired, false}, {mdm.TokenInvalid, false}, {mdm.TokenAssignedToExternalMDM, false},
		{mdm.TokenDuplicate, true}, {mdm.TokenValid, true},
	} {
		if err := ps.SetTokenState(appKey.Token, c.state); err != nil {
			t.Fatal(err)
		}
		res := grant(t, ps, appKey, dev("d2"))
		if c.ok != (res.Outcome == license.Granted) {
			t.Fatalf("%v: %v", c.state, res.Outcome)
		}
		if !c.ok {
			if res.Refusal != license.TokenNotUsable || res.Token != c.state || !errors.Is(res.Err(), license.ErrTokenNotUsable) {
				t.Fatalf("%v: %+v %v", c.state, res, res.Err())
			}
			if s := stats(t, ps, appKey); s.Waiting != 0 {
				t.Fatal("a token refusal is not a wait for a license")
			}
			continue
		}
		reclaim(t, ps, appKey, dev("d2"), license.Revoke)
	}
	if st, ok := ps.TokenState(appKey.Token); !ok || st != mdm.TokenValid {
		t.Fatal(st, ok)
	}
	if err := ps.SetTokenState(appKey.Token, mdm.TokenExpired); err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, reclaim(t, ps, appKey, dev("d1"), license.Revoke), license.Reclaimed)
	if err := ps.SetTokenState(appKey.Token, 42); !errors.Is(err, mdm.ErrUnknownEnum) {
		t.Fatal(err)
	}
}

// Bad input is a typed error and changes nothing.
func TestPools_BadInput(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 5)
	grant(t, ps, appKey, dev("d1"))
	before := stats(t, ps, appKey)
	ps.TakeChanges(nil)
	for _, c := range []struct {
		name string
		do   func() error
		want error
	}{
		{"control char in device", func() error { _, err := ps.Grant(t0, appKey, dev("d\n2")); return err }, mdm.ErrInvalidID},
		{"control char in serial", func() error {
			_, err := ps.Grant(t0, appKey, license.Request{Device: "d2", Serial: "s\x00"})
			return err
		}, mdm.ErrInvalidID},
		{"unknown pool", func() error { _, err := ps.Grant(t0, license.PoolKey{Token: "x", Product: "y"}, dev("d2")); return err }, license.ErrUnknownPool},
		{"unknown license type", func() error {
			_, err := ps.Grant(t0, appKey, license.Request{Device: "d2", License: 9})
			return err
		}, mdm.ErrUnknownEnum},
		{"reason for another operation", func() error { _, err := ps.Reclaim(t0, appKey, dev("d1"), license.Refund); return err }, license.ErrInvalidReason},
		{"no reason", func() error { _, err := ps.Reclaim(t0, appKey, dev("d1"), license.NoReason); return err }, license.ErrInvalidReason},
		{"negative total", func() error { _, err := ps.SetCounts(t0, appKey, license.VPPApp, -1, 0); return err }, license.ErrInvalidCount},
		{"negative retired", func() error { _, err := ps.SetCounts(t0, appKey, license.VPPApp, 5, -1); return err }, license.ErrInvalidCount},
		{"kind change", func() error { _, err := ps.SetCounts(t0, appKey, license.VPPBook, 5, 0); return err }, license.ErrPoolKind},
		{"no kind", func() error { _, err := ps.SetCounts(t0, bookKey, license.KindUnknown, 5, 0); return err }, license.ErrPoolKind},
		{"empty product", func() error {
			_, err := ps.SetCounts(t0, license.PoolKey{Token: "t"}, license.VPPApp, 5, 0)
			return err
		}, mdm.ErrInvalidID},
		{"bad user", func() error { _, err := ps.UserLeft(t0, ""); return err }, mdm.ErrInvalidID},
		{"bad device", func() error { _, err := ps.DeviceRemoved(t0, "\x7f"); return err }, mdm.ErrInvalidID},
		{"bad deleted device", func() error { _, err := ps.UserDeleted(t0, "u", ""); return err }, mdm.ErrInvalidID},
		{"unknown token", func() error { _, err := ps.DeleteToken(t0, "nope"); return err }, license.ErrUnknownToken},
		{"migrate off VPP", func() error {
			_, err := ps.Migrate(t0, appKey, license.Request{Device: "d1"}, mdm.LicenseDevice, mdm.Required)
			return err
		}, mdm.ErrMissingField},
	} {
		err := c.do()
		var ve *mdm.ValidationError
		if !errors.Is(err, c.want) || !errors.As(err, &ve) || ve.Remedy == "" {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	wantStats(t, stats(t, ps, appKey), before)
	if _, err := ps.Stats(bookKey); !errors.Is(err, license.ErrUnknownPool) {
		t.Fatal("a refused SetCounts created a pool")
	}
	if n := ps.PendingChanges(); n != 0 {
		t.Fatalf("%d changes from refused operations", n)
	}
	if _, err := license.NewPools(&mdm.Policy{}); !errors.Is(err, mdm.ErrInvalidPolicy) {
		t.Fatal(err)
	}
}

// A pool handle stops working once its token is deleted, and so does the key
// until the pool is created again; a new pool under the same key is a new handle.
func TestPool_HandleAfterDelete(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 5)
	p, err := ps.Pool(appKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ps.DeleteToken(t0, appKey.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Grant(t0, dev("d1")); !errors.Is(err, license.ErrUnknownPool) {
		t.Fatal(err)
	}
	if _, err := p.Reclaim(t0, dev("d1"), license.Revoke); !errors.Is(err, license.ErrUnknownPool) {
		t.Fatal(err)
	}
	// By key too: Pools keeps the pool it found last, and must forget it.
	if _, err := ps.Grant(t0, appKey, dev("d1")); !errors.Is(err, license.ErrUnknownPool) {
		t.Fatal(err)
	}
	if cr := setCounts(t, ps, appKey, license.VPPApp, 5); !cr.Created {
		t.Fatal("not recreated")
	}
	p2, _ := ps.Pool(appKey)
	if p2 == p {
		t.Fatal("same handle")
	}
	wantOutcome(t, grant(t, ps, appKey, dev("d1")), license.Granted)
}

// S2: Adopt records what the store already has: no change, no wait, never over
// the total (L18), idempotent (L19); a user license may come without a device.
func TestPools_Adopt(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 2)
	if err := ps.SetTokenState(appKey.Token, mdm.TokenExpired); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		r    license.Request
		want license.Outcome
	}{
		{dev("d1"), license.Granted},
		{dev("d1"), license.AlreadyHeld},
		{license.Request{User: "ada", License: mdm.LicenseUser}, license.Granted},
		{dev("d2"), license.Refused},
	} {
		res, err := ps.Adopt(t0, appKey, c.r)
		if err != nil || res.Outcome != c.want {
			t.Fatalf("%+v: %+v %v", c.r, res, err)
		}
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 2, Assigned: 2})
	if n := ps.PendingChanges(); n != 0 {
		t.Fatalf("adopt recorded %d changes", n)
	}
	// The adopted user license covers devices as they install; an uninstall on a
	// device it never covered is not its business, a whole revoke is.
	if err := ps.SetTokenState(appKey.Token, mdm.TokenValid); err != nil {
		t.Fatal(err)
	}
	wantOutcome(t, grant(t, ps, appKey, usr("ada", "a1")), license.Covered)
	wantOutcome(t, reclaim(t, ps, appKey, usr("ada", "a1"), license.Uninstall), license.Reclaimed)
}

// L7, L15: a deleted user is forgotten by every pool, and may come back.
func TestPools_UserDeletedForgets(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 1)
	grant(t, ps, appKey, usr("bob", "b0"))
	grant(t, ps, appKey, usr("ada", "a1")) // waits
	eff, err := ps.UserDeleted(t0, "ada")
	if err != nil || len(eff.Items) != 1 || eff.Items[0].Outcome != license.Withdrawn {
		t.Fatalf("%+v %v", eff, err)
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 1, Assigned: 1})
	eff, _ = ps.UserDeleted(t0, "bob")
	if len(eff.Items) != 1 || eff.Items[0].Outcome != license.Reclaimed {
		t.Fatalf("%+v", eff)
	}
	if eff, _ := ps.UserLeft(t0, "bob"); len(eff.Items) != 0 {
		t.Fatalf("a forgotten user still has records: %+v", eff)
	}
	wantOutcome(t, grant(t, ps, appKey, usr("ada", "a1")), license.Granted)
	h, _ := ps.Pool(appKey)
	hs, _ := h.Holdings()
	if d := cmp.Diff([]license.Holding{{Holder: license.Holder{license.UserHolder, "ada"}, Devices: []mdm.DeviceID{"a1"}, GrantedAt: t0}}, hs); d != "" {
		t.Fatal(d)
	}
}

// L7: a removed device keeps its license; where it only waited it is forgotten,
// and a Ref to it goes stale.
func TestPools_DeviceRemovedForgetsWaiters(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 1)
	held := grant(t, ps, appKey, dev("d1"))
	waiting := grant(t, ps, appKey, dev("d2"))
	eff, err := ps.DeviceRemoved(t0, "d2")
	if err != nil || len(eff.Items) != 1 || eff.Items[0].Outcome != license.Withdrawn {
		t.Fatalf("%+v %v", eff, err)
	}
	p, _ := ps.Pool(appKey)
	if _, err := p.GrantRef(t0, waiting.Ref, dev("d2")); !errors.Is(err, license.ErrStaleRef) {
		t.Fatalf("stale ref: %v", err)
	}
	if _, err := p.GrantRef(t0, held.Ref, dev("d2")); !errors.Is(err, license.ErrStaleRef) {
		t.Fatalf("ref of another holder: %v", err)
	}
	if _, err := ps.DeviceRemoved(t0, "d1"); err != nil {
		t.Fatal(err)
	}
	res, err := p.GrantRef(t0, held.Ref, dev("d1"))
	if err != nil || res.Outcome != license.AlreadyHeld {
		t.Fatalf("a kept license keeps its ref: %+v %v", res, err)
	}
	wantStats(t, stats(t, ps, appKey), license.Stats{Total: 1, Assigned: 1})
}

// L18, L5: concurrent grants and releases on one pool never assign more than the
// total, and the counts add up. Run with -race.
func TestPools_ConcurrentGrants(t *testing.T) {
	const total, workers, perWorker = 64, 8, 200
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, total)
	setCounts(t, ps, onKey, license.StoreOnline, total)
	var granted, released, over atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				d := dev(fmt.Sprintf("w%d-d%d", w, i%40))
				res, err := ps.Grant(t0, appKey, d)
				if err != nil {
					t.Error(err)
					return
				}
				if res.Stats.Assigned > total {
					over.Add(1)
				}
				if res.Outcome == license.Granted {
					granted.Add(1)
				}
				if i%3 == 0 {
					if r, _ := ps.Reclaim(t0, appKey, d, license.Uninstall); r.Outcome == license.Reclaimed {
						released.Add(1)
					}
				}
				// Other pools and bulk operations run alongside.
				if _, err := ps.Grant(t0, onKey, license.Request{User: mdm.UserID(fmt.Sprintf("u%d", i%70))}); err != nil {
					t.Error(err)
				}
				if i%50 == 0 {
					_, _ = ps.UserLeft(t0, mdm.UserID(fmt.Sprintf("u%d", i%70)))
					ps.TakeChanges(nil)
					_ = ps.Alerting()
				}
			}
		}()
	}
	wg.Wait()
	if over.Load() != 0 {
		t.Fatalf("L18: %d results over the total", over.Load())
	}
	s := stats(t, ps, appKey)
	if s.Assigned > total || int64(s.Assigned) != granted.Load()-released.Load() {
		t.Fatalf("assigned %d, granted %d - released %d", s.Assigned, granted.Load(), released.Load())
	}
	p, _ := ps.Pool(appKey)
	hs, _ := p.Holdings()
	if len(hs) != s.Assigned {
		t.Fatalf("%d holdings for %d assigned", len(hs), s.Assigned)
	}
	if s := stats(t, ps, onKey); s.Assigned > total {
		t.Fatalf("%+v", s)
	}
}

// L19: GrantRef and ReclaimRef with the zero Ref look the holder up, as Grant
// and Reclaim do, so a caller may pass whatever Ref it has.
func TestPool_ZeroRefLooksUp(t *testing.T) {
	ps := newPools(t, nil)
	setCounts(t, ps, appKey, license.VPPApp, 1)
	p, _ := ps.Pool(appKey)
	g, err := p.GrantRef(t0, license.Ref{}, dev("d1"))
	if err != nil || g.Outcome != license.Granted || g.Ref.IsZero() {
		t.Fatalf("GrantRef(zero): %v %+v", err, g)
	}
	if again, err := p.GrantRef(t0, license.Ref{}, dev("d1")); err != nil || again.Outcome != license.AlreadyHeld || again.Ref != g.Ref {
		t.Fatalf("GrantRef(zero) again: %v %+v, want already held by the same Ref", err, again)
	}
	r, err := p.ReclaimRef(t0, license.Ref{}, dev("d1"), license.Uninstall)
	if err != nil || r.Outcome != license.Reclaimed {
		t.Fatalf("ReclaimRef(zero): %v %+v", err, r)
	}
}
