package storesync

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
)

// Incremental sync (WithIncrementalSync).
//
// A full sync reads every assignment the store holds and walks every pool's
// holders, twice a day, whatever changed: for a tenant of a hundred thousand
// devices that is tens of thousands of records read, looked up and compared per
// sync, nearly all of them the same as last time. An incremental AppleSyncer keeps
// what it learned of both sides of each product instead — a view — and at each
// sync reads and compares only what changed:
//
//   - the store's side: the assignments the store held at the last read's
//     versionId, plus those GET assignments?sinceVersionId= lists at each sync (the
//     assignments made since), less the pairs whose removal this syncer's own
//     pushes proved (a disassociate done, an associate refused; the pusher
//     reports what each finished event proves);
//   - the pools' side: the holders read at the last full look (Pools.PoolHolders),
//     plus the license changes given to the syncer since (Enqueue,
//     EnqueueLicenseChanges, which a deployment feeds from the tenant's pools
//     anyway, for the push, or NoteLicenseChanges), plus the licenses the
//     syncer imported itself.
//
// Reconciling then visits only the pairs held on one side and not the other, and
// the store's records of subjects this service does not know (S6) — the pairs a
// full reconciliation acts on or counts — in the same order and with the same
// writes, so its Result is the full reconciliation's.
//
// The store's delta lists what was made, not what was removed (a removal is seen
// by a full read), so the syncer checks its view against the asset listing it
// reads at every sync anyway: when a product's assignedCount differs from the
// view's count by more than the pushes still in flight could explain, somebody
// else removed (or made) records, and the sync reads everything again at once.
//
// A sync reads everything, and reads the pools' holders again, when: it is the
// first; the view was dropped (TakeBack, a token-state error, a failed sync, an
// AccountSwitchError, RequireFullResync); the store does not know the last
// versionId any more (9721); the delta names an asset the listing does not; the
// counts disagree as above; or fullEvery has passed since the last full read. The
// periodic full read (a week by default) bounds what the view cannot see: a change
// of who a subject belongs to (a device of this service removed from the
// directory while the store still holds its license is counted as this service's
// until then; a foreign record whose subject enrolls later is re-checked at every
// sync, so it is imported at once), and pool changes not given to the syncer.
//
// The condition for the incremental mode is therefore that every change of the
// token's pools reaches the syncer (EnqueueLicenseChanges, or NoteLicenseChanges
// when the push comes later) before the sync that should see it. A deployment that relies on the sync
// to find grants not pushed yet (MissingAtStore) must keep the full mode.

// DirectoryChanges is an optional part of a Sink, for an incremental syncer:
// counters that move whenever a device, or a user, leaves the directory or stops
// being known by the serial number or clientUserId it had — whenever a store
// record may stop being this service's (S6). With them, a sync looks up again
// only the records of the kind whose counter moved; without them, every record
// the store holds, at every sync, as a full sync does.
type DirectoryChanges interface {
	DirectoryRemovals() (devices, users uint64)
}

// DefaultFullResyncEvery is how often an incremental syncer reads everything
// again when WithIncrementalSync is given no period.
const DefaultFullResyncEvery = 7 * 24 * time.Hour

// WithIncrementalSync makes the syncer read and reconcile only what changed since
// its last sync, with a full read at least every fullEvery (≤ 0:
// DefaultFullResyncEvery) and whenever the incremental view may be wrong; see the
// package's incremental sync notes (incremental.go). Every change of the token's
// pools must be given to the syncer (EnqueueLicenseChanges) before the sync that
// should see it.
func WithIncrementalSync(fullEvery time.Duration) AppleOption {
	return func(s *AppleSyncer) {
		if fullEvery <= 0 {
			fullEvery = DefaultFullResyncEvery
		}
		s.inc = &incState{fullEvery: fullEvery}
		s.pusher.mu.Lock()
		s.pusher.track = true
		s.pusher.mu.Unlock()
	}
}

// RequireFullResync makes the next sync read every assignment and every pool's
// holders again. It does nothing for a syncer in the full mode, which always does.
func (s *AppleSyncer) RequireFullResync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inc != nil {
		s.inc.drop("asked for (RequireFullResync)")
	}
}

// pairKey is one license of a product: held by a device (serial number) or a user
// (clientUserId).
type pairKey struct {
	user    bool
	subject string
}

func keyOf(h Holding) pairKey { return pairKey{user: h.User(), subject: h.Subject()} }

func (k pairKey) holding(product string) Holding {
	if k.user {
		return Holding{Product: product, ClientUserID: k.subject}
	}
	return Holding{Product: product, Serial: k.subject}
}

// comparePairKeys orders devices before users, then by subject: the order of a
// Snapshot's holdings within a product, and of a full reconciliation's walk.
func comparePairKeys(a, b pairKey) int {
	return cmp.Or(cmpBool(a.user, b.user), cmp.Compare(a.subject, b.subject))
}

// What the view knows of a pair.
const (
	atStore uint8 = 1 << iota // the store holds it
	inPool                    // the pool holds it
	foreign                   // the store holds it for a subject this service does not know (S6)
)

// prodView is the view of one product.
type prodView struct {
	pairs map[pairKey]uint8
	// open holds the pairs a reconciliation looks at: held on one side only, or
	// foreign. Everything else is held on both sides by this service's subjects,
	// or by nobody, and a full reconciliation would do nothing with it.
	open    map[pairKey]struct{}
	stored  int  // pairs held at the store
	foreign int  // of which foreign
	pooled  int  // pairs held in the pool
	fresh   bool // the pools' side is not known yet: read it before reconciling
}

func newProdView() *prodView {
	return &prodView{pairs: map[pairKey]uint8{}, open: map[pairKey]struct{}{}, fresh: true}
}

// set records a pair's flags, keeping the counts and the open set.
func (v *prodView) set(k pairKey, f uint8) {
	old, had := v.pairs[k]
	if had && old == f {
		return
	}
	v.stored += int(f&atStore) - int(old&atStore)
	v.pooled += bit(f&inPool != 0) - bit(old&inPool != 0)
	v.foreign += bit(f&foreign != 0) - bit(old&foreign != 0)
	if f == 0 {
		delete(v.pairs, k)
	} else {
		v.pairs[k] = f
	}
	if f&atStore != 0 && f&foreign != 0 || (f&atStore != 0) != (f&inPool != 0) {
		v.open[k] = struct{}{}
	} else {
		delete(v.open, k)
	}
}

// incState is an incremental syncer's view and bookkeeping; guarded by the
// syncer's mu, except fed.
type incState struct {
	fullEvery time.Duration
	valid     bool
	version   string    // versionId of the assignments read last
	fullAt    time.Time // the last full read
	products  map[string]*prodView

	feedMu   sync.Mutex
	fed      backlog[LicenseChange] // given to the syncer since the last sync: the pools' side
	notedSeq uint64                 // the highest license.Change.Seq NoteLicenseChanges gave

	// The DirectoryChanges counters when every record's owner was last looked
	// up; dirKnown false: never, or the sink has none.
	devGone, usersGone uint64
	dirKnown           bool

	landed   []landedPair    // scratch
	inflight []LicenseChange // scratch
	delta    checkpoint[apple.Assignment]
	since    string // the versionId delta reads from
	dropped  string // why the view was dropped, for Report.Resync
}

func (st *incState) drop(why string) {
	st.valid, st.dropped = false, why
	st.products = nil
	st.delta.reset()
	st.since = ""
}

// maxBacklog bounds the news an incremental syncer keeps between two syncs
// (pool changes given to it, outcomes of its pushes): past it, a syncer that
// is not synced for long (say, a token claimed for weeks) forgets them and
// reads everything at its next sync instead.
var maxBacklog = 1 << 20

// backlog is news kept between two syncs: at most maxBacklog items; past that
// it is forgotten, and take says so.
type backlog[T any] struct {
	items []T
	lost  bool
}

func (b *backlog[T]) add(xs ...T) {
	if b.lost || len(b.items)+len(xs) > maxBacklog {
		clear(b.items)
		b.items, b.lost = b.items[:0], true
		return
	}
	b.items = append(b.items, xs...)
}

// take appends the items kept to dst and empties the backlog; lost says some
// were forgotten.
func (b *backlog[T]) take(dst []T) (_ []T, lost bool) {
	dst = append(dst, b.items...)
	clear(b.items)
	b.items, lost, b.lost = b.items[:0], b.lost, false
	return dst, lost
}

// feed records pool changes given to the syncer.
func (st *incState) feed(changes []LicenseChange) {
	st.feedMu.Lock()
	defer st.feedMu.Unlock()
	st.fed.add(changes...)
}

// note records pool changes given ahead of their push (NoteLicenseChanges):
// all is what the caller passed, mine this token's share of it, in order. The
// highest Seq noted is kept, so that feedNew does not give the same changes
// again when they are queued for the push: replayed after a later change of the
// same license (an import by the sync in between), they would undo it.
func (st *incState) note(all []license.Change, mine []LicenseChange) {
	st.feed(mine)
	st.feedMu.Lock()
	for _, c := range all {
		st.notedSeq = max(st.notedSeq, c.Seq)
	}
	st.feedMu.Unlock()
}

// feedNew records the changes of token queued for the push
// (EnqueueLicenseChanges) that were not noted before: those with a Seq above the
// highest noted, or none.
func (st *incState) feedNew(token mdm.TokenID, all []license.Change) {
	st.feedMu.Lock()
	noted := st.notedSeq
	st.feedMu.Unlock()
	var fresh []LicenseChange
	for _, c := range all {
		if lc, ok := FromLicenseChange(c); ok && c.Token == token && (c.Seq == 0 || c.Seq > noted) {
			fresh = append(fresh, lc)
		}
	}
	st.feed(fresh)
}

// takeFed appends the pool changes given since the last call to dst; lost
// says some were forgotten (maxBacklog).
func (st *incState) takeFed(dst []LicenseChange) (_ []LicenseChange, lost bool) {
	st.feedMu.Lock()
	defer st.feedMu.Unlock()
	return st.fed.take(dst)
}

// syncIncremental is sync's read-and-reconcile step in the incremental mode.
func (s *AppleSyncer) syncIncremental(ctx context.Context, now time.Time, account string, rep *Report, stats *readStats) (*Result, *Snapshot, error) {
	st := s.inc
	fed, lostFed := st.takeFed(nil)
	var lostLanded bool
	st.landed, lostLanded = s.pusher.takeLanded(st.landed[:0])
	if lostFed || lostLanded {
		st.drop("too much news since the last sync to keep")
	}
	if st.valid {
		// What happened since the last sync, in order: the pools' changes, and
		// what the pushes proved about the store.
		for _, c := range fed {
			if pv := st.products[c.Product]; pv != nil {
				k := keyOf(c.holding())
				if c.Disassociate {
					pv.set(k, pv.pairs[k]&^inPool)
				} else {
					pv.set(k, pv.pairs[k]|inPool)
				}
			}
		}
		for _, l := range st.landed {
			pv := st.products[l.h.Product]
			if pv == nil {
				continue
			}
			k := keyOf(l.h)
			switch f := pv.pairs[k]; {
			case !l.present:
				pv.set(k, f&^(atStore|foreign))
			case f&atStore == 0:
				pv.set(k, f|atStore|s.owner(k))
			}
		}
		// A release sent and not reported yet is taken as done: the view is
		// the store as it will be once the pushes in flight are applied (as a
		// full read of a store that applies them at once would find it). If
		// the event says otherwise, it lands "present" again.
		st.inflight = s.pusher.inflightChanges(st.inflight[:0])
		for _, c := range st.inflight {
			if pv := st.products[c.Product]; pv != nil && c.Disassociate {
				k := keyOf(c.holding())
				pv.set(k, pv.pairs[k]&^(atStore|foreign))
			}
		}
	}
	if err := s.readAssets(ctx, stats); err != nil {
		return nil, nil, err
	}
	why := ""
	switch {
	case !st.valid:
		why = cmp.Or(st.dropped, "first sync")
	case now.Sub(st.fullAt) >= st.fullEvery:
		why = "periodic"
	}
	full := why != ""
	var delta []apple.Assignment
	var snap *Snapshot // the products, and the delta's holdings when incremental
	if !full {
		if st.since != st.version {
			st.delta.reset()
			st.since = st.version
		}
		err := read(ctx, &st.delta, apple.EndpointAssignments, s.maxRestarts, stats,
			func(ctx context.Context, i int) (*apple.AssignmentsResponse, error) {
				return s.api.AssignmentsPage(ctx, apple.AssignmentsQuery{SinceVersionID: st.since}, i)
			})
		switch {
		case errors.Is(err, apple.ErrInvalidVersionID):
			full, why = true, "the store no longer knows the last versionId (9721)"
		case err != nil:
			return nil, nil, err
		default:
			delta = st.delta.items
			if why, snap, err = s.applyDelta(account, delta); err != nil {
				return nil, nil, err
			}
			full = why != ""
		}
	}
	if full {
		err := read(ctx, &s.assigns, apple.EndpointAssignments, s.maxRestarts, stats,
			func(ctx context.Context, i int) (*apple.AssignmentsResponse, error) {
				return s.api.AssignmentsPage(ctx, apple.AssignmentsQuery{}, i)
			})
		if err != nil {
			return nil, nil, err
		}
		if snap, err = s.snapshot(account, s.assigns.items); err != nil {
			return nil, nil, err
		}
		if err := snap.Validate(); err != nil {
			return nil, nil, err
		}
		s.rebuildStoreSide(snap)
		st.version, st.fullAt, st.valid, st.dropped = s.assigns.version, now, true, ""
		rep.FullRead, rep.Resync = true, why
	} else {
		st.version = st.delta.version
	}
	s.assets.reset()
	s.assigns.reset()
	st.delta.reset()
	// A failure from here on may leave the view and the sink apart: the next
	// sync reads everything again.
	st.valid, st.dropped = false, "a sync failed while reconciling"
	res, err := s.reconcileView(now, snap)
	if err == nil {
		st.valid, st.dropped = true, ""
	}
	return res, snap, err
}

// applyDelta adds the assignments made since the last read to the view and checks
// the view against the asset listing. It returns the snapshot of the products
// and the delta's holdings, or why everything must be read again when the view
// cannot be trusted (the view is then left to be rebuilt). An error is the
// sink's (snapshot).
func (s *AppleSyncer) applyDelta(account string, delta []apple.Assignment) (why string, snap *Snapshot, err error) {
	st := s.inc
	if snap, err = s.snapshot(account, nil); err != nil {
		return "", nil, err
	}
	// Validate what the delta adds as a full read's snapshot would be validated
	// (S3): the products and the new holdings.
	index := snap.productIndex()
	hs := make([]Holding, 0, len(delta))
	of := make([]int32, 0, len(delta))
	for _, as := range delta {
		h, ok := appleHolding(as)
		if !ok {
			continue // as AppleSnapshot: not a holding
		}
		k, ok := index[h.Product]
		if !ok {
			return "an asset bought between the two reads", nil, nil // read it all, as a full read would next time
		}
		hs = append(hs, h)
		of = append(of, k)
	}
	snap.Holdings = snap.groupByIndex(hs, of)
	if snap.Validate() != nil {
		return "the delta does not validate", nil, nil // a full read validates, and fails, the same way
	}
	listed := make(map[string]bool, len(snap.Products))
	for i := range snap.Products {
		id := snap.Products[i].ID
		listed[id] = true
		if st.products[id] == nil {
			st.products[id] = newProdView()
		}
	}
	for id := range st.products {
		if !listed[id] {
			delete(st.products, id) // gone from the store: its records with it
		}
	}
	for _, h := range snap.Holdings {
		pv := st.products[h.Product]
		k := keyOf(h)
		if pv.pairs[k]&atStore != 0 {
			continue
		}
		pv.set(k, pv.pairs[k]|atStore|s.owner(k))
	}
	// The view must count what the store counts, give or take the pushes in
	// flight: a release the view takes as done that the store has not applied
	// yet, or a grant the store applied after the asset listing was read (the
	// delta, read later, shows it).
	type slack struct{ below, above int }
	room := map[string]slack{}
	for _, c := range s.pusher.inflightChanges(st.inflight[:0]) {
		r := room[c.Product]
		if c.Disassociate {
			r.below++
		} else if pv := st.products[c.Product]; pv != nil && pv.pairs[keyOf(c.holding())]&atStore != 0 {
			r.above++
		}
		room[c.Product] = r
	}
	for _, a := range s.assets.items {
		id := AppleProductID(a.Asset())
		pv := st.products[id]
		if pv == nil {
			continue
		}
		if d := pv.stored - a.AssignedCount; d < -room[id].below || d > room[id].above {
			return "asset " + id + ": the store counts " + strconv.Itoa(a.AssignedCount) +
				" assignments, the view " + strconv.Itoa(pv.stored), nil, nil
		}
	}
	return "", snap, nil
}

// ours says whether the pair's subject is this service's (S6).
func (s *AppleSyncer) ours(k pairKey) bool {
	if k.user {
		_, ok := s.sink.UserByClientUserID(k.subject)
		return ok
	}
	_, ok := s.sink.DeviceBySerial(k.subject)
	return ok
}

// owner is the foreign flag of a store record of pair k: set when its subject is
// not this service's.
func (s *AppleSyncer) owner(k pairKey) uint8 {
	if s.ours(k) {
		return 0
	}
	return foreign
}

// rebuildStoreSide makes the store's side of the view what a full read found, and
// marks every product's pools' side for reading again.
func (s *AppleSyncer) rebuildStoreSide(snap *Snapshot) {
	st := s.inc
	old := st.products
	st.products = make(map[string]*prodView, len(snap.Products))
	for i := range snap.Products {
		pv := old[snap.Products[i].ID]
		if pv == nil {
			pv = newProdView()
		}
		for k, f := range pv.pairs {
			pv.set(k, f&inPool)
		}
		pv.fresh = true
		st.products[snap.Products[i].ID] = pv
	}
	for _, h := range snap.Holdings {
		k := keyOf(h)
		st.products[h.Product].set(k, atStore|s.owner(k))
	}
}

// reconcileView is Reconcile over the view: the same writes, in the same order,
// and the same Result, visiting only the open pairs of each product.
func (s *AppleSyncer) reconcileView(now time.Time, snap *Snapshot) (*Result, error) {
	st := s.inc
	if err := checkKinds(s.sink, snap); err != nil {
		return nil, err // before any write, as Reconcile
	}
	r := &Result{Token: snap.Token, Store: snap.Store}
	gone, err := reconcileApps(now, s.sink, snap, r)
	if err != nil {
		return r, err
	}
	// Who the store's records belong to may have changed since the last sync
	// (a user left, a device was removed): look them up again, as a full
	// reconciliation looks up every record — those of a kind whose
	// DirectoryChanges counter moved, and the open ones.
	devs, users := true, true
	dc, counted := s.sink.(DirectoryChanges)
	var devGone, usersGone uint64
	if counted {
		devGone, usersGone = dc.DirectoryRemovals()
		devs = !st.dirKnown || devGone != st.devGone
		users = !st.dirKnown || usersGone != st.usersGone
	}
	if devs || users {
		for _, pv := range st.products {
			for key, f := range pv.pairs {
				if f&atStore != 0 && f&foreign == 0 && (key.user && users || !key.user && devs) && !s.ours(key) {
					pv.set(key, f|foreign)
				}
			}
		}
	}
	st.devGone, st.usersGone, st.dirKnown = devGone, usersGone, counted
	var keys []pairKey
	for k := range snap.Products {
		p := &snap.Products[k]
		pv := st.products[p.ID]
		for key := range pv.open {
			if f := pv.pairs[key]; f&atStore != 0 {
				if s.ours(key) {
					pv.set(key, f&^foreign)
				} else {
					pv.set(key, f|foreign)
				}
			}
		}
		if pv.foreign > 0 {
			r.Foreign = append(r.Foreign, ProductCount{Product: p.ID, N: pv.foreign})
		}
		wrote, err := setCounts(now, s.sink, snap.Token, p, pv.foreign, r)
		if err != nil {
			return r, err
		}
		if pv.fresh || wrote && max(0, p.Total-pv.foreign) < pv.pooled && !p.Apps[0].Type.IsBook() {
			// A total below what the pool holds makes it revoke (L18, its
			// policy; never a book, L8): read its holders.
			s.readPoolSide(snap.Token, p.ID, pv)
		}
		keys = keys[:0]
		for key := range pv.open {
			keys = append(keys, key)
		}
		slices.SortFunc(keys, comparePairKeys)
		for _, key := range keys {
			if err := s.reconcilePair(now, snap.Token, p.ID, pv, key, r); err != nil {
				return r, err
			}
		}
	}
	return r, markGone(now, s.sink, gone, r)
}

// readPoolSide sets the pools' side of a product from its holders.
func (s *AppleSyncer) readPoolSide(token mdm.TokenID, product string, pv *prodView) {
	serials, users := s.sink.PoolHolders(token, product)
	held := make(map[pairKey]bool, len(serials)+len(users))
	for _, x := range serials {
		held[pairKey{subject: x}] = true
	}
	for _, x := range users {
		held[pairKey{user: true, subject: x}] = true
	}
	for k, f := range pv.pairs {
		if f&inPool != 0 && !held[k] {
			pv.set(k, f&^inPool)
		}
	}
	for k := range held {
		pv.set(k, pv.pairs[k]|inPool)
	}
	pv.fresh = false
}

// reconcilePair does what a full reconciliation's walk does with one pair held on
// one side only (reconciler.holdings).
func (s *AppleSyncer) reconcilePair(now time.Time, token mdm.TokenID, product string, pv *prodView, k pairKey, r *Result) error {
	f := pv.pairs[k]
	h := k.holding(product)
	switch {
	case f&atStore != 0 && f&inPool == 0:
		if f&foreign != 0 {
			return nil // another service's record (S6)
		}
		if dis, ok := s.pusher.Pending(h); ok && dis {
			r.Held = append(r.Held, h)
			return nil
		}
		var dev mdm.DeviceID
		var usr mdm.UserID
		if k.user {
			usr, _ = s.sink.UserByClientUserID(k.subject)
		} else {
			dev, _ = s.sink.DeviceBySerial(k.subject)
		}
		ok, err := s.sink.ImportLicense(now, token, product, dev, usr)
		switch {
		case err != nil:
			return &SinkError{Op: "ImportLicense", Key: h.String(), Err: err}
		case ok:
			r.Imported = append(r.Imported, h)
			pv.set(k, f|inPool)
		default:
			r.NotImported = append(r.NotImported, h)
		}
	case f&inPool != 0 && f&atStore == 0:
		if dis, ok := s.pusher.Pending(h); ok && !dis {
			return nil // its grant is on its way to the store
		}
		r.MissingAtStore = append(r.MissingAtStore, h)
	}
	return nil
}
