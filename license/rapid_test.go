package license_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"pgregory.net/rapid"
)

// The model: plain slices and maps, no indexes, no lists.

type mHolder = license.Holder

type mPool struct {
	kind     license.Kind
	total    int
	order    []mHolder            // held, oldest grant first
	devs     map[mHolder][]string // devices a VPP user license covers
	serial   map[mHolder]string   // a device license's serial
	waiting  []mHolder            // in order of first refusal
	told     map[mHolder]bool     // waiters named by a Wake and not refused since
	refunded bool                 // a store lowered the total under what was assigned
}

func (m *mPool) held(h mHolder) bool { return slices.Contains(m.order, h) }

func (m *mPool) removeHeld(h mHolder) {
	m.order = slices.DeleteFunc(m.order, func(x mHolder) bool { return x == h })
	delete(m.devs, h)
}

func (m *mPool) unwait(h mHolder) {
	m.waiting = slices.DeleteFunc(m.waiting, func(x mHolder) bool { return x == h })
	delete(m.told, h)
}

// wake names the earliest untold waiter, if a free license is not already
// promised to told ones.
func (m *mPool) wake() mHolder {
	if m.total-len(m.order) <= len(m.told) {
		return mHolder{}
	}
	for _, w := range m.waiting {
		if !m.told[w] {
			m.told[w] = true
			return w
		}
	}
	return mHolder{}
}

type model struct {
	pol   mdm.Policy
	pools map[license.PoolKey]*mPool
	state map[mdm.TokenID]mdm.TokenState
	// store is what Apple was told: per pool, the subjects holding a license.
	store map[license.PoolKey]map[string]bool
}

var (
	rapidKeys = []license.PoolKey{appKey, bookKey, onKey, offKey, {Token: "tok-2", Product: "77"}}
	rapidKind = map[license.PoolKey]license.Kind{appKey: license.VPPApp, bookKey: license.VPPBook, onKey: license.StoreOnline,
		offKey: license.StoreOffline, {Token: "tok-2", Product: "77"}: license.VPPApp}
	rapidDevices = []string{"d0", "d1", "d2", "d3"}
	rapidUsers   = []string{"u0", "u1", "u2"}
)

// L18 and the whole pool behaviour against the model: grant, release
// (uninstall), user leaves, user deleted, device removed, revoke, store total up
// and down, token deleted, token state, store changes drained.
// Each combination of the reclaim policies is a subtest, so every one gets the
// full number of rapid checks.
func TestPools_RapidModel(t *testing.T) {
	for bits := range 8 {
		pol := mdm.DefaultPolicy()
		pol.TokenDeletionRevokes = bits&1 != 0
		pol.AssignmentRemovalRevokes = bits&2 != 0
		pol.RefundRevokesNewestFirst = bits&4 != 0
		t.Run(fmt.Sprintf("tokenDeletionRevokes=%v,assignmentRemovalRevokes=%v,refundRevokesNewestFirst=%v",
			pol.TokenDeletionRevokes, pol.AssignmentRemovalRevokes, pol.RefundRevokesNewestFirst), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) { rapidModel(rt, pol, rapidKeys, true) })
		})
	}
}

// L5, L18 on one pool: grants, reclaims and totals only, so that waiting, waking
// and refunds are explored in depth.
func TestPool_RapidWaiting(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		pol := mdm.DefaultPolicy()
		pol.RefundRevokesNewestFirst = rapid.Bool().Draw(rt, "refundRevokesNewestFirst")
		rapidModel(rt, pol, []license.PoolKey{appKey}, false)
	})
}

// rapidModel runs the state machine over keys; all adds the directory and token
// actions.
func rapidModel(rt *rapid.T, pol mdm.Policy, keys []license.PoolKey, all bool) {
	{
		pol.UserLicenseDeviceCap = rapid.IntRange(1, 3).Draw(rt, "cap")
		pol.VPPOversubscription = rapid.Bool().Draw(rt, "vppOversubscription")
		pol.StoreForBusinessOversubscription = rapid.Bool().Draw(rt, "msfbOversubscription")
		ps, err := license.NewPools(&pol)
		if err != nil {
			rt.Fatal(err)
		}
		m := &model{pol: pol, pools: map[license.PoolKey]*mPool{}, state: map[mdm.TokenID]mdm.TokenState{},
			store: map[license.PoolKey]map[string]bool{}}
		drawKey := func() license.PoolKey { return rapid.SampledFrom(keys).Draw(rt, "pool") }
		drawReq := func(k license.PoolKey, grant bool) license.Request {
			r := license.Request{}
			switch rapidKind[k] {
			case license.VPPApp:
				if rapid.Bool().Draw(rt, "userLicensing") {
					r.License = mdm.LicenseUser
					r.User = mdm.UserID(rapid.SampledFrom(rapidUsers).Draw(rt, "user"))
					if grant || rapid.Bool().Draw(rt, "withDevice") {
						r.Device = mdm.DeviceID(rapid.SampledFrom(rapidDevices).Draw(rt, "device"))
					}
				} else {
					r.Device = mdm.DeviceID(rapid.SampledFrom(rapidDevices).Draw(rt, "device"))
					if rapid.Bool().Draw(rt, "withSerial") {
						r.Serial = "SN-" + string(r.Device)
					}
				}
			case license.VPPBook:
				r.User = mdm.UserID(rapid.SampledFrom(rapidUsers).Draw(rt, "user"))
				if grant || rapid.Bool().Draw(rt, "withDevice") {
					r.Device = mdm.DeviceID(rapid.SampledFrom(rapidDevices).Draw(rt, "device"))
				}
			case license.StoreOnline:
				r.User = mdm.UserID(rapid.SampledFrom(rapidUsers).Draw(rt, "user"))
			case license.StoreOffline:
				r.Device = mdm.DeviceID(rapid.SampledFrom(rapidDevices).Draw(rt, "device"))
			}
			return r
		}
		actions := map[string]func(*rapid.T){
			"setCounts": func(rt *rapid.T) {
				k := drawKey()
				total := rapid.IntRange(0, 3).Draw(rt, "total")
				res, err := ps.SetCounts(t0, k, rapidKind[k], total, 0)
				if err != nil {
					rt.Fatal(err)
				}
				m.setCounts(rt, k, total, res)
			},
			"grant": func(rt *rapid.T) {
				k := drawKey()
				r := drawReq(k, true)
				res, err := ps.Grant(t0, k, r)
				m.grant(rt, k, r, res, err)
			},
			// Grants are most of what a pool sees: a second action doubles their share.
			"grantMore": func(rt *rapid.T) {
				k := drawKey()
				r := drawReq(k, true)
				res, err := ps.Grant(t0, k, r)
				m.grant(rt, k, r, res, err)
			},
			"reclaim": func(rt *rapid.T) {
				k := drawKey()
				r := drawReq(k, false)
				why := rapid.SampledFrom([]license.Reason{license.Uninstall, license.UserRemovedApp, license.DeviceRemoved,
					license.AssignmentRemoved, license.Revoke, license.UserLeft, license.UserDeleted}).Draw(rt, "reason")
				res, err := ps.Reclaim(t0, k, r, why)
				m.reclaim(rt, k, r, why, res, err)
			},
			"userLeft": func(rt *rapid.T) {
				u := rapid.SampledFrom(rapidUsers).Draw(rt, "user")
				eff, err := ps.UserLeft(t0, mdm.UserID(u))
				if err != nil {
					rt.Fatal(err)
				}
				m.userGone(rt, u, nil, license.UserLeft, eff)
			},
			"userDeleted": func(rt *rapid.T) {
				u := rapid.SampledFrom(rapidUsers).Draw(rt, "user")
				devs := rapid.SliceOfNDistinct(rapid.SampledFrom(rapidDevices), 0, 2, rapid.ID[string]).Draw(rt, "devices")
				var ids []mdm.DeviceID
				for _, d := range devs {
					ids = append(ids, mdm.DeviceID(d))
				}
				eff, err := ps.UserDeleted(t0, mdm.UserID(u), ids...)
				if err != nil {
					rt.Fatal(err)
				}
				m.userGone(rt, u, devs, license.UserDeleted, eff)
			},
			"deviceRemoved": func(rt *rapid.T) {
				d := rapid.SampledFrom(rapidDevices).Draw(rt, "device")
				eff, err := ps.DeviceRemoved(t0, mdm.DeviceID(d))
				if err != nil {
					rt.Fatal(err)
				}
				m.deviceRemoved(rt, d, eff)
			},
			"deleteToken": func(rt *rapid.T) {
				tok := rapid.SampledFrom([]mdm.TokenID{"tok-1", "tok-2", "msfb"}).Draw(rt, "token")
				_, err := ps.DeleteToken(t0, tok)
				m.deleteToken(rt, ps, tok, err)
			},
			"tokenState": func(rt *rapid.T) {
				tok := rapid.SampledFrom([]mdm.TokenID{"tok-1", "tok-2", "msfb"}).Draw(rt, "token")
				st := rapid.SampledFrom([]mdm.TokenState{mdm.TokenValid, mdm.TokenValid, mdm.TokenExpired, mdm.TokenDuplicate, mdm.TokenAssignedToExternalMDM}).Draw(rt, "state")
				if err := ps.SetTokenState(tok, st); err != nil {
					rt.Fatal(err)
				}
				m.state[tok] = st
			},
			"takeChanges": func(rt *rapid.T) {
				m.apply(rt, ps.TakeChanges(nil))
				m.checkStore(rt)
			},
			"": func(rt *rapid.T) { m.check(rt, ps) },
		}
		if !all {
			for _, a := range []string{"userLeft", "userDeleted", "deviceRemoved", "deleteToken", "tokenState"} {
				delete(actions, a)
			}
		}
		rt.Repeat(actions)
	}
}

func (m *model) holderOf(k license.PoolKey, r license.Request, why license.Reason) mHolder {
	switch rapidKind[k] {
	case license.VPPApp:
		if r.License == mdm.LicenseUser || ((why == license.UserLeft || why == license.UserDeleted) && r.Device == "" && r.User != "") {
			return mHolder{Kind: license.UserHolder, ID: string(r.User)}
		}
		return mHolder{Kind: license.DeviceHolder, ID: string(r.Device)}
	case license.VPPBook, license.StoreOnline:
		return mHolder{Kind: license.UserHolder, ID: string(r.User)}
	}
	return mHolder{Kind: license.DeviceHolder, ID: string(r.Device)}
}

func (m *model) setCounts(rt *rapid.T, k license.PoolKey, total int, res license.CountsResult) {
	p := m.pools[k]
	if created := p == nil; res.Created != created {
		rt.Fatalf("created %v, model %v", res.Created, created)
	}
	if p == nil {
		p = &mPool{kind: rapidKind[k], devs: map[mHolder][]string{}, serial: map[mHolder]string{}, told: map[mHolder]bool{}}
		m.pools[k] = p
		if _, ok := m.state[k.Token]; !ok {
			m.state[k.Token] = mdm.TokenValid
		}
	}
	p.total = total
	var revoked []license.Effect
	if len(p.order) > total {
		p.refunded = true
		if m.pol.RefundRevokesNewestFirst && p.kind != license.VPPBook { // L18, L8
			for len(p.order) > total {
				h := p.order[len(p.order)-1]
				p.removeHeld(h)
				revoked = append(revoked, license.Effect{Key: k, Holder: h, Outcome: license.Reclaimed, Reason: license.Refund})
			}
		}
	}
	var woken []license.Waiter
	for {
		w := p.wake()
		if w.IsZero() {
			break
		}
		woken = append(woken, license.Waiter{Key: k, Holder: w})
	}
	if d := cmp.Diff(revoked, res.Items); d != "" {
		rt.Fatalf("L18 refund revocations (-model +pools):\n%s", d)
	}
	if d := cmp.Diff(woken, res.Wake); d != "" {
		rt.Fatalf("L5 woken on new total (-model +pools):\n%s", d)
	}
}

func (m *model) grant(rt *rapid.T, k license.PoolKey, r license.Request, res license.Result, err error) {
	p := m.pools[k]
	if p == nil {
		if !errors.Is(err, license.ErrUnknownPool) {
			rt.Fatalf("grant on a missing pool: %v", err)
		}
		return
	}
	if err != nil {
		rt.Fatal(err)
	}
	h := m.holderOf(k, r, 0)
	want, refusal := license.Granted, license.NotRefused
	switch {
	case p.held(h) && h.Kind == license.UserHolder && p.kind != license.StoreOnline:
		switch devs := p.devs[h]; {
		case slices.Contains(devs, string(r.Device)):
			want = license.AlreadyHeld
		case len(devs) >= m.pol.UserLicenseDeviceCap:
			want, refusal = license.Refused, license.DeviceCap
		default:
			want = license.Covered
			p.devs[h] = append(devs, string(r.Device))
		}
	case p.held(h):
		want = license.AlreadyHeld // L19
	case !m.state[k.Token].CanAssignLicenses():
		want, refusal = license.Refused, license.TokenNotUsable
	case len(p.order) >= p.total:
		want = license.Refused
		switch {
		case len(p.order) > p.total:
			refusal = license.Overage
		case p.kind.IsVPP() && !m.pol.VPPOversubscription, !p.kind.IsVPP() && !m.pol.StoreForBusinessOversubscription:
			refusal = license.Shortfall
		default:
			refusal = license.Unavailable
		}
		if !slices.Contains(p.waiting, h) {
			p.waiting = append(p.waiting, h)
		}
		delete(p.told, h)
	default:
		p.order = append(p.order, h)
		p.unwait(h)
		if h.Kind == license.UserHolder && p.kind.IsVPP() {
			p.devs[h] = []string{string(r.Device)}
		}
		if h.Kind == license.DeviceHolder {
			p.serial[h] = h.ID
			if r.Serial != "" {
				p.serial[h] = r.Serial
			}
		}
	}
	if res.Outcome != want || res.Refusal != refusal || res.Holder != h {
		rt.Fatalf("grant %v %+v: %v/%v %v, model %v/%v %v", k, r, res.Outcome, res.Refusal, res.Holder, want, refusal, h)
	}
}

func (m *model) reclaim(rt *rapid.T, k license.PoolKey, r license.Request, why license.Reason, res license.Result, err error) {
	p := m.pools[k]
	if p == nil {
		if !errors.Is(err, license.ErrUnknownPool) {
			rt.Fatalf("reclaim on a missing pool: %v", err)
		}
		return
	}
	if p.kind == license.VPPBook && why == license.Revoke {
		if !errors.Is(err, license.ErrIrrevocable) { // L8
			rt.Fatalf("revoke of a book: %v", err)
		}
		return
	}
	if err != nil {
		rt.Fatal(err)
	}
	h := m.holderOf(k, r, why)
	want, wake := m.reclaimHolder(k, p, h, string(r.Device), why)
	if res.Outcome != want || res.Holder != h {
		rt.Fatalf("reclaim %v %+v %v: %v %v, model %v %v", k, r, why, res.Outcome, res.Holder, want, h)
	}
	if res.Wake != wake {
		rt.Fatalf("L5 wake %v, model %v", res.Wake, wake)
	}
}

// reclaimHolder applies L7/L8 to one holder and returns the outcome and the
// waiter woken.
func (m *model) reclaimHolder(k license.PoolKey, p *mPool, h mHolder, dev string, why license.Reason) (license.Outcome, mHolder) {
	if !p.held(h) {
		if slices.Contains(p.waiting, h) && why != license.UserRemovedApp {
			p.unwait(h)
			return license.Withdrawn, mHolder{}
		}
		return license.NotHeld, mHolder{}
	}
	switch {
	case p.kind == license.VPPBook, why == license.UserRemovedApp, why == license.DeviceRemoved,
		why == license.AssignmentRemoved && !m.pol.AssignmentRemovalRevokes,
		why == license.TokenDeleted && !m.pol.TokenDeletionRevokes,
		(why == license.UserLeft || why == license.UserDeleted) && h.Kind == license.DeviceHolder:
		return license.Kept, mHolder{}
	}
	if devs := p.devs[h]; h.Kind == license.UserHolder && p.kind.IsVPP() && dev != "" && len(devs) > 0 &&
		(why == license.Uninstall || why == license.AssignmentRemoved) {
		switch {
		case !slices.Contains(devs, dev):
			return license.NotHeld, mHolder{}
		case len(devs) > 1:
			p.devs[h] = slices.DeleteFunc(slices.Clone(devs), func(d string) bool { return d == dev })
			return license.Uncovered, mHolder{}
		}
	}
	p.removeHeld(h)
	return license.Reclaimed, p.wake()
}

func (m *model) userGone(rt *rapid.T, u string, devs []string, why license.Reason, eff license.Effects) {
	var items []license.Effect
	var wake []license.Waiter
	uh := mHolder{Kind: license.UserHolder, ID: u}
	keys := m.keys()
	for _, k := range keys {
		p := m.pools[k]
		if p.kind == license.StoreOffline {
			continue
		}
		o, w := m.reclaimHolder(k, p, uh, "", why)
		if o != license.NotHeld {
			items = append(items, license.Effect{Key: k, Holder: uh, Outcome: o, Reason: why, Kept: keptWhy(p, uh, why, o)})
		}
		if !w.IsZero() {
			wake = append(wake, license.Waiter{Key: k, Holder: w})
		}
	}
	for _, d := range devs {
		dh := mHolder{Kind: license.DeviceHolder, ID: d}
		for _, k := range keys {
			p := m.pools[k]
			if p.kind != license.VPPApp && p.kind != license.StoreOffline {
				continue
			}
			var o license.Outcome
			var w mHolder
			r := license.DeviceRemoved
			if p.kind == license.StoreOffline && p.held(dh) { // L15
				p.removeHeld(dh)
				o, w, r = license.Reclaimed, p.wake(), license.UserDeleted
			} else {
				o, w = m.reclaimHolder(k, p, dh, "", license.DeviceRemoved)
			}
			if o != license.NotHeld {
				items = append(items, license.Effect{Key: k, Holder: dh, Outcome: o, Reason: r, Kept: keptWhy(p, dh, r, o)})
			}
			if !w.IsZero() {
				wake = append(wake, license.Waiter{Key: k, Holder: w})
			}
		}
	}
	if d := cmp.Diff(items, eff.Items); d != "" {
		rt.Fatalf("%v %s (-model +pools):\n%s", why, u, d)
	}
	if d := cmp.Diff(wake, eff.Wake); d != "" {
		rt.Fatalf("%v %s wake (-model +pools):\n%s", why, u, d)
	}
}

func keptWhy(p *mPool, h mHolder, why license.Reason, o license.Outcome) license.KeepReason {
	if o != license.Kept {
		return license.NotKept
	}
	switch {
	case p.kind == license.VPPBook:
		return license.KeptBook
	case why == license.UserRemovedApp || why == license.DeviceRemoved:
		return license.KeptByRule
	case why == license.AssignmentRemoved || why == license.TokenDeleted:
		return license.KeptByPolicy
	}
	return license.KeptDeviceLicense
}

func (m *model) deviceRemoved(rt *rapid.T, d string, eff license.Effects) {
	var items []license.Effect
	dh := mHolder{Kind: license.DeviceHolder, ID: d}
	for _, k := range m.keys() {
		p := m.pools[k]
		if o, _ := m.reclaimHolder(k, p, dh, "", license.DeviceRemoved); o != license.NotHeld {
			items = append(items, license.Effect{Key: k, Holder: dh, Outcome: o, Reason: license.DeviceRemoved, Kept: keptWhy(p, dh, license.DeviceRemoved, o)})
		}
	}
	if d := cmp.Diff(items, eff.Items); d != "" {
		rt.Fatalf("L7 device removed (-model +pools):\n%s", d)
	}
	if len(eff.Wake) != 0 {
		rt.Fatalf("a kept license woke %v", eff.Wake)
	}
}

func (m *model) deleteToken(rt *rapid.T, ps *license.Pools, tok mdm.TokenID, err error) {
	if _, ok := m.state[tok]; !ok {
		if !errors.Is(err, license.ErrUnknownToken) {
			rt.Fatalf("delete of an unknown token: %v", err)
		}
		return
	}
	if err != nil {
		rt.Fatal(err)
	}
	m.apply(rt, ps.TakeChanges(nil))
	for _, k := range m.keys() {
		if k.Token != tok {
			continue
		}
		p := m.pools[k]
		// L7, L8: what the store keeps for this pool after the token is gone.
		want := map[string]bool{}
		if p.kind.IsVPP() && (p.kind == license.VPPBook || !m.pol.TokenDeletionRevokes) {
			for _, h := range p.order {
				want[m.subject(p, h)] = true
			}
		}
		if p.kind.IsVPP() {
			if d := cmp.Diff(want, nonNil(m.store[k])); d != "" {
				rt.Fatalf("L7 store after token deletion of %v (-want +store):\n%s", k, d)
			}
		}
		delete(m.store, k)
		delete(m.pools, k)
	}
	delete(m.state, tok)
}

func nonNil(s map[string]bool) map[string]bool {
	if s == nil {
		return map[string]bool{}
	}
	return s
}

func (m *model) subject(p *mPool, h mHolder) string {
	if h.Kind == license.DeviceHolder {
		return "serial:" + p.serial[h]
	}
	return "user:" + h.ID
}

// apply plays drained changes onto the store as Apple would.
func (m *model) apply(rt *rapid.T, cs []license.Change) {
	for i, c := range cs {
		if i > 0 && c.Seq <= cs[i-1].Seq {
			rt.Fatalf("changes out of order: %+v", cs)
		}
		k := license.PoolKey{Token: c.Token, Product: c.Product}
		subj := "user:" + c.ClientUserID
		if c.SerialNumber != "" {
			subj = "serial:" + c.SerialNumber
		}
		s := m.store[k]
		if s == nil {
			s = map[string]bool{}
			m.store[k] = s
		}
		switch c.Op {
		case license.Associate:
			if s[subj] {
				rt.Fatalf("L19: associate of a license the store has: %+v", c)
			}
			s[subj] = true
		case license.Disassociate:
			if !s[subj] {
				rt.Fatalf("disassociate of a license the store does not have: %+v", c)
			}
			delete(s, subj)
		default:
			rt.Fatalf("change %+v", c)
		}
	}
}

// checkStore: once drained, the store holds exactly what each VPP pool holds.
func (m *model) checkStore(rt *rapid.T) {
	for _, k := range m.keys() {
		p := m.pools[k]
		if !p.kind.IsVPP() {
			if len(m.store[k]) != 0 {
				rt.Fatalf("Store for Business pool %v sent changes", k)
			}
			continue
		}
		want := map[string]bool{}
		for _, h := range p.order {
			want[m.subject(p, h)] = true
		}
		if d := cmp.Diff(want, nonNil(m.store[k])); d != "" {
			rt.Fatalf("S5 store of %v (-pool +store):\n%s", k, d)
		}
	}
}

func (m *model) keys() []license.PoolKey {
	keys := make([]license.PoolKey, 0, len(m.pools))
	for k := range m.pools {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Token != keys[j].Token {
			return keys[i].Token < keys[j].Token
		}
		return keys[i].Product < keys[j].Product
	})
	return keys
}

// check runs after every step: the counts, holders and waiters equal the
// model's, and L18 holds.
func (m *model) check(rt *rapid.T, ps *license.Pools) {
	if d := cmp.Diff(m.keys(), ps.Keys(), cmp.Comparer(func(a, b license.PoolKey) bool { return a == b })); d != "" && len(m.keys())+len(ps.Keys()) > 0 {
		rt.Fatalf("pools (-model +pools):\n%s", d)
	}
	for _, k := range m.keys() {
		p := m.pools[k]
		s, err := ps.Stats(k)
		if err != nil {
			rt.Fatal(err)
		}
		// L18: never over the total, except after a store lowered it.
		if s.Assigned > s.Total && !p.refunded {
			rt.Fatalf("L18: %v assigned %d of %d without a refund", k, s.Assigned, s.Total)
		}
		want := license.Stats{Total: p.total, Assigned: len(p.order), Waiting: len(p.waiting)}
		if want.Assigned <= want.Total {
			want.Available = want.Total - want.Assigned
		} else {
			want.Overage = want.Assigned - want.Total
		}
		if s != want {
			rt.Fatalf("%v stats %+v, model %+v", k, s, want)
		}
		pool, _ := ps.Pool(k)
		hs, _ := pool.Holdings()
		var got, wantH []string
		for _, h := range hs {
			got = append(got, fmt.Sprint(h.Holder, h.Devices))
		}
		for _, h := range p.order {
			var devs []mdm.DeviceID
			for _, d := range p.devs[h] {
				devs = append(devs, mdm.DeviceID(d))
			}
			wantH = append(wantH, fmt.Sprint(h, devs))
		}
		sort.Strings(wantH)
		if d := cmp.Diff(wantH, got); d != "" {
			rt.Fatalf("%v holders (-model +pools):\n%s", k, d)
		}
		w, _ := pool.Waiting()
		if d := cmp.Diff(p.waiting, w, cmp.Comparer(func(a, b mHolder) bool { return a == b })); d != "" && len(p.waiting)+len(w) > 0 {
			rt.Fatalf("%v waiting (-model +pools):\n%s", k, d)
		}
	}
}
