package tenant

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/internal/hugepage"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// Config configures a Tenant.
type Config struct {
	// Policy holds every duration and threshold (SPEC P). The zero Policy means
	// mdm.DefaultPolicy().
	Policy mdm.Policy
	// Trial marks a trial tenant: 2 GiB of package storage in total (C3).
	Trial bool
}

// Tenant is the control plane of one tenant: the catalog, the directory, the
// assignments, the license pools and the status of every (device, app). See the
// package documentation for the usage contract.
type Tenant struct {
	// mu orders admin operations (exclusive) against check-ins and reads
	// (shared, sharded by device). Check-ins of different devices then only
	// meet on their own device's mutex.
	mu shardedRW

	pol   mdm.Policy
	trial bool

	res   *assign.Resolver // the directory and the assignments; its indexes are ours
	pools *license.Pools
	cat   *catalog
	epoch uint64 // bumped by every catalog change; written under mu

	devs []*deviceState // by assign.DeviceIndex; nil when not managed
	// slab is the unused rest of the last block of device states (see
	// newDeviceState).
	slab     []deviceState
	slabSize int // the size of the last block
	// byDev finds a managed device's index without the resolver's lock: the
	// check-in's one map lookup, read under a shard of mu (the resolver's own
	// map sits behind one RWMutex that every check-in would write).
	byDev   map[mdm.DeviceID]int32
	serials map[string]int32 // serial number (mdm.Device.Serial) → device index (S6)
	users   map[mdm.UserID]*userRec
	upns    map[string]mdm.UserID // user principal name → user (Store for Business clientUserId, S6)
	tokens  map[mdm.TokenID]*tokenRec
	// expiry is the earliest expDate of the tokens (L1), never for none: until
	// then no grant needs to look at its token's date. Written under mu.
	expiry int64

	counts []*appCounts // by app index; status counts per state

	ids  atomic.Uint64 // command ids
	push pusher
}

// userRec is what the tenant keeps of a user besides what resolution needs.
type userRec struct {
	user    mdm.User
	devices []int32 // managed devices whose primary user this is, by index
}

// appCounts is what the tenant keeps per app index beside the catalog entry
// (entries are rebuilt, this is not): the (device, app) statuses by state, and
// the app's license pool handle, found once and kept so that a grant does not
// take license.Pools' lookup by key (a map of two strings behind a lock).
type appCounts struct {
	n [16]atomic.Int64
	// pool is the app's pool, nil until first found; cleared when the pool may
	// have gone (DeleteToken) or the app changed, under t.mu held for writing.
	pool atomic.Pointer[license.Pool]
}

// poolOf returns the license pool of a store app, nil when sync has not
// created it yet (L5: nothing to grant from). Called with t.mu held, either
// way: a handle found under the read lock is kept with an atomic store.
func (t *Tenant) poolOf(e *appEntry) *license.Pool {
	if !e.hasPool {
		return nil
	}
	c := t.counts[e.idx]
	if p := c.pool.Load(); p != nil {
		return p
	}
	p, err := t.pools.Pool(license.PoolKey{Token: e.pool.token, Product: e.pool.product})
	if err != nil {
		return nil
	}
	c.pool.Store(p)
	return p
}

// forgetPools drops every kept pool handle of token. Called with t.mu held for
// writing.
func (t *Tenant) forgetPools(token mdm.TokenID) {
	for _, e := range t.cat.apps {
		if e != nil && e.hasPool && e.pool.token == token {
			t.counts[e.idx].pool.Store(nil)
		}
	}
}

// New returns an empty tenant.
func New(cfg Config) (*Tenant, error) {
	pol := cfg.Policy
	if pol == (mdm.Policy{}) {
		pol = mdm.DefaultPolicy()
	}
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	pools, err := license.NewPools(&pol)
	if err != nil {
		return nil, err
	}
	t := &Tenant{
		pol:     pol,
		trial:   cfg.Trial,
		res:     assign.New(),
		pools:   pools,
		cat:     newCatalog(),
		byDev:   make(map[mdm.DeviceID]int32),
		serials: make(map[string]int32),
		users:   make(map[mdm.UserID]*userRec),
		upns:    make(map[string]mdm.UserID),
		tokens:  make(map[mdm.TokenID]*tokenRec),
		expiry:  never,
	}
	t.push.renotify = pol.PushRenotifications
	t.push.interval = int64(pol.PushRenotifyInterval)
	return t, nil
}

// Policy returns the tenant's policy.
func (t *Tenant) Policy() mdm.Policy { return t.pol }

// device returns the state of a managed device, or nil.
func (t *Tenant) device(id mdm.DeviceID) *deviceState {
	i, ok := t.byDev[id]
	if !ok {
		return nil
	}
	return t.devs[i]
}

func (t *Tenant) deviceAt(i assign.DeviceIndex) *deviceState {
	if i < 0 || int(i) >= len(t.devs) {
		return nil
	}
	return t.devs[i]
}

// ---------------------------------------------------------------------------
// effects: what the engine asks of the tenant.

type tenantFx struct {
	t   *Tenant
	now time.Time
	// wake collects license waiters to push after the check-in (L5).
	wake []license.Holder
	// waits are the pools that refused this device a license, with its Ref
	// there (deviceState.setWaits); at most len(waits).
	waits  [4]poolWait
	nWaits int
}

func (f *tenantFx) newCommandID() mdm.CommandID { return mdm.CommandID(f.t.ids.Add(1)) }

// tokenAllowsPrevent: a token allows it unless told otherwise, and so does a
// token deleted since (its apps stay in the catalog).
func (f *tenantFx) tokenAllowsPrevent(tok mdm.TokenID) bool {
	r := f.t.tokens[tok]
	return r == nil || !r.noPrevent
}

func (f *tenantFx) counted(app int32, from, to mdm.InstallState) {
	c := f.t.counts[app]
	if from != mdm.StateUnknown {
		c.n[from].Add(-1)
	}
	if to != mdm.StateUnknown {
		c.n[to].Add(1)
	}
}

// request builds the license request of (device, app) for the app's pool kind
// (L4, L13).
func (f *tenantFx) request(d *deviceState, r *record) license.Request {
	q := license.Request{Device: d.facts.ID, Serial: d.facts.Serial(), User: d.facts.PrimaryUser}
	if r.opts&optUserLicense != 0 {
		q.License = mdm.LicenseUser
	}
	return q
}

func (f *tenantFx) grant(d *deviceState, e *appEntry, r *record) (mdm.InstallDetail, bool) {
	p := f.t.poolOf(e)
	if p == nil {
		// no counts from the store yet: nothing to grant from (L5)
		return mdm.DetailLicenseUnavailable, false
	}
	q := f.request(d, r)
	if q.License == mdm.LicenseUser || p.Kind() == license.VPPBook || p.Kind() == license.StoreOnline {
		if q.User == "" {
			return mdm.DetailNoPrimaryUser, false // a user license needs a user (L4, L13)
		}
		if p.Kind().IsVPP() {
			if u := f.t.users[q.User]; u == nil || !u.user.HasAppleAccount {
				return mdm.DetailUserNotLoggedIntoAppStore, false // L4: user licensing needs the Apple account
			}
		}
	}
	if f.t.lapsed(e.pool.token, f.now.UnixNano()) {
		return mdm.DetailTokenNotValid, false // L1: past its expDate
	}
	res, err := d.viaRef(e.idx, func(ref license.Ref) (license.Result, error) { return p.GrantRef(f.now, ref, q) })
	if err != nil {
		return mdm.DetailLicenseUnavailable, false
	}
	switch res.Outcome {
	case license.Granted, license.AlreadyHeld, license.Covered:
		return mdm.DetailNone, false
	}
	if res.Refusal == license.TokenNotUsable {
		return mdm.DetailTokenNotValid, false // L1, L3: asked again at each check-in
	}
	// L5: the device waits; it need not ask again until its pool has a
	// license for it (deviceState.waitsHold), unless it waits on more pools
	// than the check-in keeps
	if f.nWaits == len(f.waits) {
		return mdm.DetailLicenseUnavailable, false
	}
	f.waits[f.nWaits] = poolWait{p: p, ref: res.Ref, tok: f.t.tokens[e.pool.token]}
	f.nWaits++
	return mdm.DetailLicenseUnavailable, true
}

func (f *tenantFx) reclaim(d *deviceState, e *appEntry, r *record, why reclaimReason) bool {
	p := f.t.poolOf(e)
	if p == nil {
		return false
	}
	q := f.request(d, r)
	res, err := d.viaRef(e.idx, func(ref license.Ref) (license.Result, error) {
		return p.ReclaimRef(f.now, ref, q, license.Uninstall)
	})
	if err != nil {
		return false
	}
	if !res.Wake.IsZero() {
		f.wake = append(f.wake, res.Wake)
	}
	return res.Outcome == license.Reclaimed || res.Outcome == license.Uncovered || res.Outcome == license.NotHeld
}

// wakeHolders pushes the devices of license waiters woken by a freed license
// (L5): a device, or every device of a user. Called with t.mu held (either way).
func (t *Tenant) wakeHolders(now int64, hs []license.Holder, notify *[]mdm.DeviceID) {
	for _, h := range hs {
		for _, d := range t.holderDevices(h) {
			t.push.notify(d, now)
			if notify != nil {
				*notify = append(*notify, d.facts.ID)
			}
		}
	}
}

// holderDevices lists the managed devices of a license holder: the device, or
// every device of the user.
func (t *Tenant) holderDevices(h license.Holder) []*deviceState {
	switch h.Kind {
	case license.DeviceHolder:
		if d := t.device(mdm.DeviceID(h.ID)); d != nil {
			return []*deviceState{d}
		}
	case license.UserHolder:
		return t.devicesOf(mdm.UserID(h.ID))
	}
	return nil
}

// devicesOf lists the managed devices whose primary user is u, by index.
func (t *Tenant) devicesOf(u mdm.UserID) []*deviceState {
	r := t.users[u]
	if r == nil {
		return nil
	}
	out := make([]*deviceState, 0, len(r.devices))
	for _, i := range r.devices {
		if d := t.devs[i]; d != nil {
			out = append(out, d)
		}
	}
	return out
}

// Device states are allocated in blocks that double from 16 up to
// maxDeviceSlab states (about 10 MiB), each advised onto huge pages: a large
// fleet's states then sit on a few hundred 2 MiB pages rather than scattered
// 4 KiB ones, and a check-in's first touch of its device misses the cache but
// not the TLB. A small tenant allocates small blocks. States of removed
// devices are not reused; their block is freed with the last state in it.
const maxDeviceSlab = 32768

// newDeviceState returns a zero device state from the current block, starting
// a new block when it is used up. Called with t.mu held.
func (t *Tenant) newDeviceState() *deviceState {
	if len(t.slab) == 0 {
		n := min(max(16, 2*t.slabSize), maxDeviceSlab)
		t.slabSize = n
		t.slab = make([]deviceState, n)
		hugepage.Advise(unsafe.Pointer(&t.slab[0]), uintptr(n)*unsafe.Sizeof(t.slab[0]))
	}
	d := &t.slab[0]
	t.slab = t.slab[1:]
	return d
}
