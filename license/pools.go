package license

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Pools holds every license pool of a tenant. It is safe for concurrent use: the
// map of pools is behind a read-write lock taken briefly, and each pool has its
// own lock, so check-ins of different devices grant concurrently and only
// grants on the same pool serialize.
type Pools struct {
	pol mdm.Policy // a copy: the policy cannot change under a running pool
	seq atomic.Uint64

	mu     sync.RWMutex
	pools  map[PoolKey]*Pool
	tokens map[mdm.TokenID]*tokenEntry
	// last is the pool Pool found last, so that a caller passing the same key
	// again (a check-in granting one app after another device's) skips the
	// map's lock and the key's hashing. It is set under the read lock, from
	// the map, and cleared under the write lock when pools are deleted, so it
	// never names a pool the map no longer holds.
	last atomic.Pointer[Pool]

	// index lists, per holder, the pools it has a record in, so that UserLeft,
	// UserDeleted and DeviceRemoved visit those pools only. Entries are added
	// when a holder first appears in a pool (never on the steady hot path).
	idxMu sync.Mutex
	index map[Holder][]*Pool

	// dirty lists the pools with undrained store changes.
	dirtyMu sync.Mutex
	dirty   []*Pool
	takeMu  sync.Mutex
	spare   []*Pool
}

type tokenEntry struct{ st atomic.Uint32 }

func (t *tokenEntry) state() mdm.TokenState { return mdm.TokenState(t.st.Load()) }

// NewPools returns an empty set of pools under a policy (nil: mdm.DefaultPolicy).
// The policy is copied and validated: UserLicenseDeviceCap (L4),
// VPPOversubscription (L5), AssignmentRemovalRevokes and TokenDeletionRevokes
// (L7), UtilizationAlertThreshold (L10), StoreForBusinessOversubscription (L14)
// and RefundRevokesNewestFirst (L18) decide what the pools do.
func NewPools(p *mdm.Policy) (*Pools, error) {
	pol := mdm.DefaultPolicy()
	if p != nil {
		pol = *p
	}
	if err := pol.Validate(); err != nil {
		return nil, err
	}
	return &Pools{pol: pol, pools: make(map[PoolKey]*Pool), tokens: make(map[mdm.TokenID]*tokenEntry),
		index: make(map[Holder][]*Pool)}, nil
}

// Policy returns the policy the pools apply.
func (ps *Pools) Policy() mdm.Policy { return ps.pol }

// Pool returns the pool of key. Keep it to skip the lookup on a hot path.
func (ps *Pools) Pool(key PoolKey) (*Pool, error) {
	if p := ps.last.Load(); p != nil && p.key == key {
		return p, nil
	}
	ps.mu.RLock()
	p := ps.pools[key]
	if p != nil && ps.last.Load() != p {
		ps.last.Store(p)
	}
	ps.mu.RUnlock()
	if p == nil {
		return nil, unknownPool(key)
	}
	return p, nil
}

// Grant is Pool.Grant on the pool of key.
func (ps *Pools) Grant(now time.Time, key PoolKey, r Request) (res Result, err error) {
	p, err := ps.Pool(key)
	if err != nil {
		return Result{}, err
	}
	err = p.grantInto(now, noRef, &r, &res)
	return
}

// Reclaim is Pool.Reclaim on the pool of key.
func (ps *Pools) Reclaim(now time.Time, key PoolKey, r Request, reason Reason) (res Result, err error) {
	p, err := ps.Pool(key)
	if err != nil {
		return Result{}, err
	}
	err = p.reclaimInto(now, noRef, &r, reason, &res)
	return
}

// Holds is Pool.Holds on the pool of key.
func (ps *Pools) Holds(key PoolKey, r Request) (bool, error) {
	p, err := ps.Pool(key)
	if err != nil {
		return false, err
	}
	return p.Holds(r)
}

// CheckDemand is Pool.CheckDemand on the pool of key (L14).
func (ps *Pools) CheckDemand(key PoolKey, additional int) error {
	p, err := ps.Pool(key)
	if err != nil {
		return err
	}
	return p.CheckDemand(additional)
}

// Stats returns the counts of the pool of key.
func (ps *Pools) Stats(key PoolKey) (Stats, error) {
	p, err := ps.Pool(key)
	if err != nil {
		return Stats{}, err
	}
	return p.Stats()
}

// Keys lists every pool, sorted by token then product.
func (ps *Pools) Keys() []PoolKey {
	ps.mu.RLock()
	out := make([]PoolKey, 0, len(ps.pools))
	for k := range ps.pools {
		out = append(out, k)
	}
	ps.mu.RUnlock()
	slices.SortFunc(out, cmpKey)
	return out
}

func cmpKey(a, b PoolKey) int {
	if c := cmp.Compare(a.Token, b.Token); c != 0 {
		return c
	}
	return cmp.Compare(a.Product, b.Product)
}

// Alerting lists the pools whose utilization alert is raised (L10), sorted.
func (ps *Pools) Alerting() []PoolKey {
	var out []PoolKey
	for _, p := range ps.sortedPools(func(*Pool) bool { return true }) {
		p.mu.Lock()
		if p.alerting && !p.deleted {
			out = append(out, p.key)
		}
		p.mu.Unlock()
	}
	return out
}

func (ps *Pools) sortedPools(keep func(*Pool) bool) []*Pool {
	ps.mu.RLock()
	var out []*Pool
	for _, p := range ps.pools {
		if keep(p) {
			out = append(out, p)
		}
	}
	ps.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Pool) int { return cmpKey(a.key, b.key) })
	return out
}

// ---- tokens ----

func (ps *Pools) tokenLocked(id mdm.TokenID) *tokenEntry {
	t := ps.tokens[id]
	if t == nil {
		t = &tokenEntry{}
		ps.tokens[id] = t
	}
	return t
}

// SetTokenState records a token's state as sync learned it (L1, L3). Grants in
// the token's pools are refused (TokenNotUsable) unless the state allows
// assigning licenses (valid, or duplicate: L3); reclaims go on and their store
// changes wait in the outbox. A token not seen before is added.
func (ps *Pools) SetTokenState(id mdm.TokenID, s mdm.TokenState) error {
	if err := mdm.CheckID("token", string(id)); err != nil {
		return err
	}
	if _, err := s.MarshalText(); err != nil {
		return invalid("tokenState", s.String(), "L1", mdm.ErrUnknownEnum, "is not a token state", "use one of the mdm.Token* states")
	}
	ps.mu.Lock()
	ps.tokenLocked(id).st.Store(uint32(s))
	ps.mu.Unlock()
	return nil
}

// TokenState returns a token's recorded state and whether the token is known.
func (ps *Pools) TokenState(id mdm.TokenID) (mdm.TokenState, bool) {
	ps.mu.RLock()
	t := ps.tokens[id]
	ps.mu.RUnlock()
	if t == nil {
		return mdm.TokenInvalid, false
	}
	return t.state(), true
}

// DeleteToken deletes a token and its pools (L7). With Policy.TokenDeletionRevokes
// (the default) every license is revoked and a Disassociate is recorded for the
// store, except books, which are never reclaimed (L8); without it the licenses
// are kept (the older behaviour) and nothing is sent. Push the changes
// (TakeChanges) while the token's secret is still at hand. Waiters are withdrawn
// and raised alerts cleared. Handles to the deleted pools stop working.
func (ps *Pools) DeleteToken(now time.Time, id mdm.TokenID) (Effects, error) {
	var eff Effects
	ps.mu.Lock()
	if ps.tokens[id] == nil {
		ps.mu.Unlock()
		return eff, invalid("token", string(id), "L7", ErrUnknownToken, "is not known", "list the tokens the pools hold")
	}
	var doomed []*Pool
	for k, p := range ps.pools {
		if k.Token == id {
			doomed = append(doomed, p)
			delete(ps.pools, k)
		}
	}
	delete(ps.tokens, id)
	ps.last.Store(nil)
	ps.mu.Unlock()
	slices.SortFunc(doomed, func(a, b *Pool) int { return cmpKey(a.key, b.key) })
	for _, p := range doomed {
		p.mu.Lock()
		for i := p.gHead; i != none; {
			next := p.recs[i].gNext
			var res Result
			p.reclaim(now, i, "", TokenDeleted, nil, &res)
			eff.Items = append(eff.Items, Effect{Key: p.key, Holder: res.Holder, Outcome: res.Outcome, Reason: TokenDeleted, Kept: res.Kept})
			i = next
		}
		for _, w := range p.waitingList() {
			eff.Items = append(eff.Items, Effect{Key: p.key, Holder: w, Outcome: Withdrawn, Reason: TokenDeleted})
		}
		if p.alerting {
			p.alerting = false
			eff.Alerts = append(eff.Alerts, p.alert(now, AlertCleared))
		}
		p.deleted = true
		for i := range p.recs {
			if p.recs[i].id != "" {
				ps.indexRemove(Holder{Kind: p.recs[i].kind, ID: p.recs[i].id}, p)
			}
		}
		p.mu.Unlock()
	}
	return eff, nil
}

// ---- store counts (S2, L18, L10) ----

// SetCounts creates or updates the pool of key from the store's counts: total
// licenses owned and retired ones. kind must match an existing pool's kind. When
// the total falls below what is assigned (a refund, L18), the pool reports the
// overage and grants nothing until it is back under; with
// Policy.RefundRevokesNewestFirst it revokes the newest grants first until it is
// (never a book, L8). A higher total wakes waiters (L5). The alert is raised or
// cleared against the new total (L10).
func (ps *Pools) SetCounts(now time.Time, key PoolKey, kind Kind, total, retired int) (CountsResult, error) {
	var res CountsResult
	if err := checkKey(key); err != nil {
		return res, err
	}
	if !kind.Valid() {
		return res, invalid("kind", kind.String(), "L18", ErrPoolKind, "is not a pool kind", "use VPPApp, VPPBook, StoreOnline or StoreOffline")
	}
	if total < 0 || total > maxCount {
		return res, invalid("total", strconv.Itoa(total), "L18", ErrInvalidCount, "is out of range", "pass the store's totalCount, 0 or more")
	}
	if retired < 0 || retired > maxCount {
		return res, invalid("retired", strconv.Itoa(retired), "L18", ErrInvalidCount, "is out of range", "pass the store's retiredCount, 0 or more")
	}
	// Holding the map lock keeps DeleteToken from deleting the pool under us;
	// SetCounts runs at sync, not on the hot path.
	ps.mu.Lock()
	defer ps.mu.Unlock()
	p := ps.pools[key]
	if p == nil {
		p = newPool(ps, key, kind, ps.tokenLocked(key.Token))
		ps.pools[key] = p
		res.Created = true
	} else if p.kind != kind {
		return res, invalid("kind", kind.String(), "L18", ErrPoolKind, "differs from the pool's kind "+p.kind.String(),
			"a product keeps its kind; delete the token to start over")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.retired = total, retired
	p.setAlertAt()
	if ps.pol.RefundRevokesNewestFirst && p.kind != VPPBook {
		for p.assigned > p.total && p.gTail != none {
			i := p.gTail
			var r Result
			p.release(now, i, Refund, &res.Alerts, &r)
			res.Items = append(res.Items, Effect{Key: key, Holder: r.Holder, Outcome: Reclaimed, Reason: Refund})
		}
	}
	for p.total-p.assigned > p.nTold && p.wHead != none {
		res.Wake = append(res.Wake, Waiter{Key: key, Holder: p.wake()})
	}
	p.checkAlert(now, &res.Alerts)
	res.Stats = p.stats()
	return res, nil
}

// maxCount bounds a store count: no store sells more than a billion licenses of
// one product, and the bound keeps arithmetic far from overflow.
const maxCount = 1 << 30

func checkKey(k PoolKey) error {
	if err := mdm.CheckID("key.token", string(k.Token)); err != nil {
		return err
	}
	return mdm.CheckID("key.product", k.Product)
}

// Adopt records a license the store already shows as assigned by this service
// (S2, S6), for example when pools are rebuilt from the store: like Grant, but
// nothing is sent to the store, the token state is not consulted and a holder
// that does not fit is refused without waiting. It never assigns over the total
// (L18): set the counts first.
func (ps *Pools) Adopt(now time.Time, key PoolKey, r Request) (Result, error) {
	p, err := ps.Pool(key)
	if err != nil {
		return Result{}, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return Result{}, unknownPool(key)
	}
	// The store knows a user license by the user alone: the device is optional.
	kind, id, err := p.holder(&r, false)
	if err != nil {
		return Result{}, err
	}
	if err := checkSubjects(kind, &r, p.kind); err != nil {
		return Result{}, err
	}
	i, err := p.intern(kind, id, &r)
	if err != nil {
		return Result{}, err
	}
	var res Result
	p.grant(now, i, &r, true, &res)
	return res, nil
}

// ---- directory events (L7, L15) ----

// UserLeft reclaims a user's licenses in every pool: the user left the
// organisation (L7, L15). Books are kept (L8); device licenses are not the
// user's and stay. The user stops waiting everywhere.
func (ps *Pools) UserLeft(now time.Time, user mdm.UserID) (Effects, error) {
	if err := mdm.CheckID("user", string(user)); err != nil {
		return Effects{}, err
	}
	var eff Effects
	ps.visit(Holder{Kind: UserHolder, ID: string(user)}, func(p *Pool, i int32) {
		var r Result
		p.reclaim(now, i, "", UserLeft, &eff.Alerts, &r)
		eff.add(p, r)
	})
	return eff, nil
}

// UserDeleted reclaims a deleted user's licenses in every pool (L7, L15) and
// forgets the user. devices are the user's devices the admin deleted with the
// user: their Store for Business offline licenses are reclaimed too (L15); their
// VPP device licenses are kept, as removing a device from management keeps them
// (L7). Books are kept (L8).
func (ps *Pools) UserDeleted(now time.Time, user mdm.UserID, devices ...mdm.DeviceID) (Effects, error) {
	if err := mdm.CheckID("user", string(user)); err != nil {
		return Effects{}, err
	}
	for _, d := range devices {
		if err := mdm.CheckID("devices[]", string(d)); err != nil {
			return Effects{}, err
		}
	}
	var eff Effects
	uh := Holder{Kind: UserHolder, ID: string(user)}
	ps.visit(uh, func(p *Pool, i int32) {
		var r Result
		p.reclaim(now, i, "", UserDeleted, &eff.Alerts, &r)
		eff.add(p, r)
		if h := &p.recs[i]; !h.held && !h.waiting {
			p.forget(i)
			ps.indexRemove(uh, p)
		}
	})
	for _, d := range devices {
		dh := Holder{Kind: DeviceHolder, ID: string(d)}
		ps.visit(dh, func(p *Pool, i int32) {
			var r Result
			if p.kind == StoreOffline && p.recs[i].held {
				p.release(now, i, UserDeleted, &eff.Alerts, &r) // L15
			} else {
				p.reclaim(now, i, "", DeviceRemoved, &eff.Alerts, &r)
			}
			eff.add(p, r)
			if h := &p.recs[i]; !h.held && !h.waiting {
				p.forget(i)
				ps.indexRemove(dh, p)
			}
		})
	}
	return eff, nil
}

// DeviceRemoved records that a device left management: its licenses are kept
// (L7) and reported as Kept; it stops waiting everywhere, and pools forget it
// where it holds nothing (its Refs there go stale).
func (ps *Pools) DeviceRemoved(now time.Time, device mdm.DeviceID) (Effects, error) {
	if err := mdm.CheckID("device", string(device)); err != nil {
		return Effects{}, err
	}
	var eff Effects
	dh := Holder{Kind: DeviceHolder, ID: string(device)}
	ps.visit(dh, func(p *Pool, i int32) {
		var r Result
		p.reclaim(now, i, "", DeviceRemoved, &eff.Alerts, &r)
		eff.add(p, r)
		// A record with no license is forgotten: the device is gone.
		if h := &p.recs[i]; !h.held && !h.waiting {
			p.forget(i)
			ps.indexRemove(dh, p)
		}
	})
	return eff, nil
}

func (e *Effects) add(p *Pool, r Result) {
	switch r.Outcome {
	case Reclaimed, Kept, Withdrawn:
		e.Items = append(e.Items, Effect{Key: p.key, Holder: r.Holder, Outcome: r.Outcome, Reason: r.Reason, Kept: r.Kept})
	}
	if !r.Wake.IsZero() {
		e.Wake = append(e.Wake, Waiter{Key: p.key, Holder: r.Wake})
	}
}

// visit calls f, under the pool's lock, for every live pool holding a record of
// h, in key order.
func (ps *Pools) visit(h Holder, f func(p *Pool, i int32)) {
	ps.idxMu.Lock()
	pools := slices.Clone(ps.index[h])
	ps.idxMu.Unlock()
	slices.SortFunc(pools, func(a, b *Pool) int { return cmpKey(a.key, b.key) })
	for _, p := range pools {
		p.mu.Lock()
		if !p.deleted {
			if i := p.lookup(h.Kind, h.ID); i != none {
				f(p, i)
			}
		}
		p.mu.Unlock()
	}
}

func (ps *Pools) indexAdd(h Holder, p *Pool) {
	ps.idxMu.Lock()
	ps.index[h] = append(ps.index[h], p)
	ps.idxMu.Unlock()
}

func (ps *Pools) indexRemove(h Holder, p *Pool) {
	ps.idxMu.Lock()
	defer ps.idxMu.Unlock()
	l := ps.index[h]
	if k := slices.Index(l, p); k >= 0 {
		l = slices.Delete(l, k, k+1)
	}
	if len(l) == 0 {
		delete(ps.index, h)
	} else {
		ps.index[h] = l
	}
}

// ---- store changes (S5) ----

func (ps *Pools) markDirty(p *Pool) {
	ps.dirtyMu.Lock()
	ps.dirty = append(ps.dirty, p)
	ps.dirtyMu.Unlock()
}

// TakeChanges appends every undrained store change to dst, in the order they
// happened (Seq), and empties the outbox. storesync pushes them to Apple as
// associate and disassociate requests. A grant reclaimed before it was taken
// never appears.
func (ps *Pools) TakeChanges(dst []Change) []Change {
	ps.takeMu.Lock()
	defer ps.takeMu.Unlock()
	ps.dirtyMu.Lock()
	list := ps.dirty
	ps.dirty = ps.spare[:0]
	ps.dirtyMu.Unlock()
	start := len(dst)
	for _, p := range list {
		dst = p.drain(dst)
	}
	clear(list)
	ps.spare = list[:0]
	slices.SortFunc(dst[start:], func(a, b Change) int { return cmp.Compare(a.Seq, b.Seq) })
	return dst
}

// PendingChanges counts the undrained store changes.
func (ps *Pools) PendingChanges() int {
	ps.dirtyMu.Lock()
	list := slices.Clone(ps.dirty)
	ps.dirtyMu.Unlock()
	n := 0
	for _, p := range list {
		p.mu.Lock()
		n += len(p.out) - p.cancelled
		p.mu.Unlock()
	}
	return n
}
