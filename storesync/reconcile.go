package storesync

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// Result is what one reconciliation changed, as data (S2): apps added, updated,
// marked gone or removed, pool counts set, licenses imported. A second
// reconciliation of the same snapshot returns a Result whose Changed is false.
type Result struct {
	Token mdm.TokenID
	Store mdm.StoreKind

	AppsAdded   []mdm.AppID // new in the store
	AppsUpdated []mdm.AppID // the store's facts (name, type, licensing, ...) changed
	// AppsGone are apps the store no longer lists, kept because an assignment or a
	// license in use references them (S2); AppsRemoved were deleted.
	AppsGone    []mdm.AppID
	AppsRemoved []mdm.AppID
	Counts      []CountChange // pools created or whose store counts changed
	Imported    []Holding     // licenses the store holds for this service's subjects, now in the pools

	// What was seen but is not a change.

	// MissingAtStore are licenses the pools hold that the store does not (a grant
	// not pushed yet, or one the store lost, e.g. to another service's claim, L3).
	// They are kept: a sync never drops a license in use. A Syncer queues them for
	// the license push.
	MissingAtStore []Holding
	// Foreign counts, per product, the store's licenses held by subjects this
	// service does not know: records another service made, not imported (S6).
	Foreign []ProductCount
	// Held are licenses the store holds that the pools released and whose
	// disassociation is still waiting to be pushed: not imported again.
	Held []Holding
	// NotImported are this service's licenses at the store that the pool did not
	// take: it had no room (grants not yet pushed took it, or a refund, L18), or
	// it holds the subject under another name than the store's. They are tried
	// again at the next sync.
	NotImported []Holding
	// RevokedAtStore are NotImported licenses of a product the store holds more
	// of than its total after a refund: a Syncer queues them for disassociation
	// under the newest-first policy (L18), so the store returns within its total.
	RevokedAtStore []Holding
}

// CountChange is a pool's store counts before and after a sync. Created is set when
// the sync created the pool.
type CountChange struct {
	Product                string
	Created                bool
	WasTotal, WasRetired   int
	Total, Retired         int
	StoreTotal, ForeignNow int // the store's own total and the licenses other services hold
}

// ProductCount is a count for one product.
type ProductCount struct {
	Product string
	N       int
}

// Changed reports whether the reconciliation changed the catalog or the pools.
func (r *Result) Changed() bool {
	return len(r.AppsAdded)+len(r.AppsUpdated)+len(r.AppsGone)+len(r.AppsRemoved)+len(r.Counts)+len(r.Imported) > 0
}

// String summarises the result in a fixed order, listing at most a few items of
// each kind.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sync %s %s:", r.Store, r.Token)
	n := 0
	part := func(name string, count int, items []string) {
		if count == 0 {
			return
		}
		n++
		fmt.Fprintf(&b, " %s %d", name, count)
		const show = 3
		if len(items) > 0 {
			b.WriteString(" (")
			b.WriteString(strings.Join(items[:min(show, len(items))], ", "))
			if len(items) > show {
				b.WriteString(", …")
			}
			b.WriteString(")")
		}
		b.WriteString(";")
	}
	ids := func(a []mdm.AppID) []string {
		out := make([]string, 0, min(len(a), 4))
		for _, id := range a[:min(len(a), 4)] {
			out = append(out, string(id))
		}
		return out
	}
	holds := func(h []Holding) []string {
		out := make([]string, 0, min(len(h), 4))
		for _, x := range h[:min(len(h), 4)] {
			out = append(out, x.String())
		}
		return out
	}
	counts := make([]string, 0, min(len(r.Counts), 4))
	for _, c := range r.Counts[:min(len(r.Counts), 4)] {
		counts = append(counts, fmt.Sprintf("%s %d→%d", c.Product, c.WasTotal, c.Total))
	}
	foreign := 0
	for _, f := range r.Foreign {
		foreign += f.N
	}
	part("added", len(r.AppsAdded), ids(r.AppsAdded))
	part("updated", len(r.AppsUpdated), ids(r.AppsUpdated))
	part("gone (kept)", len(r.AppsGone), ids(r.AppsGone))
	part("removed", len(r.AppsRemoved), ids(r.AppsRemoved))
	part("pool counts", len(r.Counts), counts)
	part("licenses imported", len(r.Imported), holds(r.Imported))
	part("missing at store", len(r.MissingAtStore), holds(r.MissingAtStore))
	part("foreign (not imported)", foreign, nil)
	part("held for disassociation", len(r.Held), holds(r.Held))
	part("not imported", len(r.NotImported), holds(r.NotImported))
	part("taken back at the store (over its total)", len(r.RevokedAtStore), holds(r.RevokedAtStore))
	if n == 0 {
		b.WriteString(" nothing to do")
	}
	return strings.TrimSuffix(b.String(), ";")
}

// PendingFunc says whether a license change for a holding is still waiting to be
// pushed to the store, and which: disassociate true for a release, false for a
// grant. Reconcile does not import a holding whose release is pending, nor report a
// holding whose grant is pending as missing.
type PendingFunc func(h Holding) (disassociate, ok bool)

// Reconcile writes a snapshot of the store into the sink (S2): apps new in the store
// are added and changed ones updated; apps the store no longer lists are marked gone
// and stay while referenced; each product's pool gets the store's counts (less the
// licenses other services' records hold, S6); licenses the store holds for this
// service's devices and users are imported. Nothing the service recorded is
// dropped: a pool's license the store does not have is reported in MissingAtStore,
// never released. Pools of products gone from the store are left as they are.
//
// The snapshot is validated first, and every product checked against the kind
// of its pool: a bad snapshot, or a product the store now reports as another
// kind than its pool's (*ProductKindError), writes nothing. Every write is
// idempotent, so reconciling the same snapshot twice changes nothing the second
// time. pending may be nil; a nil sink or snapshot is a *mdm.ValidationError
// wrapping mdm.ErrMissingField.
func Reconcile(now time.Time, sink Sink, snap *Snapshot, pending PendingFunc) (*Result, error) {
	switch {
	case sink == nil:
		return nil, &mdm.ValidationError{Field: "sink", Rule: "S2", Err: mdm.ErrMissingField,
			Reason: "is nil", Remedy: "pass the tenant (or a memsink.Sink) to write into"}
	case snap == nil:
		return nil, &mdm.ValidationError{Field: "snapshot", Rule: "S2", Err: mdm.ErrMissingField,
			Reason: "is nil", Remedy: "pass the store's snapshot, e.g. from AppleSnapshot"}
	}
	if err := snap.Validate(); err != nil {
		return nil, err
	}
	if err := checkKinds(sink, snap); err != nil {
		return nil, err
	}
	r := &Result{Token: snap.Token, Store: snap.Store}
	gone, err := reconcileApps(now, sink, snap, r)
	if err != nil {
		return r, err
	}
	rec := reconciler{holdingsLeft: len(snap.Holdings)}
	lo := 0 // holdings are grouped by product in the products' order
	for k := range snap.Products {
		hi := lo
		for hi < len(snap.Holdings) && snap.Holdings[hi].Product == snap.Products[k].ID {
			hi++
		}
		if err := rec.pool(now, sink, snap, k, snap.Holdings[lo:hi], pending, r); err != nil {
			return r, err
		}
		rec.holdingsLeft -= hi - lo
		lo = hi
	}
	return r, markGone(now, sink, gone, r)
}

// checkKinds refuses a snapshot with a product whose pool exists with another
// kind than the product's (an Apple app that became a book, a Store for
// Business product that switched licensing mode). A pool keeps its kind, so its
// SetPoolCounts would fail; checked here, before the first write, the sync
// fails whole instead of after the product's new catalog entry and the products
// before it were written (S3). The check costs a lookup per product. Validate
// has made sure every app of a product has the same kind.
func checkKinds(sink Sink, snap *Snapshot) error {
	for i := range snap.Products {
		p := &snap.Products[i]
		has, ok := sink.PoolKind(snap.Token, p.ID)
		if !ok {
			continue
		}
		if want, _ := license.KindOf(&p.Apps[0]); want != has {
			return &ProductKindError{Token: snap.Token, Product: p.ID, Pool: has, Store: want}
		}
	}
	return nil
}

// reconcileApps adds and updates the catalog entries of the snapshot's products,
// and returns the token's synced apps the store no longer lists, for markGone.
func reconcileApps(now time.Time, sink Sink, snap *Snapshot, r *Result) ([]*mdm.App, error) {
	current, err := sink.SyncedApps(snap.Token)
	if err != nil {
		return nil, &SinkError{Op: "SyncedApps", Key: string(snap.Token), Err: err}
	}
	desired := make([]*mdm.App, 0, len(snap.Products))
	for i := range snap.Products {
		for j := range snap.Products[i].Apps {
			desired = append(desired, &snap.Products[i].Apps[j])
		}
	}
	slices.SortFunc(desired, func(a, b *mdm.App) int { return cmp.Compare(a.ID, b.ID) })
	var gone []*mdm.App
	// Merge-walk the desired and current apps, both sorted by id.
	i, j := 0, 0
	for i < len(desired) || j < len(current) {
		switch {
		case j == len(current) || i < len(desired) && desired[i].ID < current[j].ID:
			if err := sink.UpsertSyncedApp(now, *desired[i]); err != nil {
				return nil, &SinkError{Op: "UpsertSyncedApp", Key: string(desired[i].ID), Err: err}
			}
			r.AppsAdded = append(r.AppsAdded, desired[i].ID)
			i++
		case i == len(desired) || current[j].ID < desired[i].ID:
			gone = append(gone, &current[j])
			j++
		default:
			if !sameStoreFacts(desired[i], &current[j]) {
				if err := sink.UpsertSyncedApp(now, *desired[i]); err != nil {
					return nil, &SinkError{Op: "UpsertSyncedApp", Key: string(desired[i].ID), Err: err}
				}
				r.AppsUpdated = append(r.AppsUpdated, desired[i].ID)
			}
			i++
			j++
		}
	}
	return gone, nil
}

// markGone marks the apps the store no longer lists (S2): kept while referenced,
// removed otherwise.
func markGone(now time.Time, sink Sink, gone []*mdm.App, r *Result) error {
	for _, a := range gone {
		removed, err := sink.MarkGoneFromStore(now, a.ID)
		if err != nil {
			return &SinkError{Op: "MarkGoneFromStore", Key: string(a.ID), Err: err}
		}
		switch {
		case removed:
			r.AppsRemoved = append(r.AppsRemoved, a.ID)
		case !a.Origin.GoneFromStore:
			r.AppsGone = append(r.AppsGone, a.ID)
		}
	}
	return nil
}

// sameStoreFacts compares what the store owns of an app (see Catalog.UpsertSyncedApp).
func sameStoreFacts(a, b *mdm.App) bool {
	return a.DisplayName == b.DisplayName && a.Type == b.Type && a.Origin == b.Origin &&
		a.Publisher == b.Publisher && a.Identifier == b.Identifier && a.Version == b.Version
}

// reconciler keeps scratch space across the products of one reconciliation, so that
// a large store does not allocate per product.
type reconciler struct {
	devices      []mdm.DeviceID // per device holding of the product: the device, or "" if foreign
	users        []mdm.UserID
	holdingsLeft int // holdings not yet reconciled, this product's included
}

// pool reconciles one product's pool: counts, then holdings.
func (rc *reconciler) pool(now time.Time, sink Sink, snap *Snapshot, k int, hs []Holding, pending PendingFunc, r *Result) error {
	p := &snap.Products[k]
	split, _ := slices.BinarySearchFunc(hs, true, func(h Holding, user bool) int { return cmpBool(h.User(), user) })
	devs, users := hs[:split], hs[split:]

	// Which holdings are this service's (S6)?
	rc.devices, rc.users = rc.devices[:0], rc.users[:0]
	foreign := 0
	for _, h := range devs {
		d, ok := sink.DeviceBySerial(h.Serial)
		if !ok {
			foreign++
		}
		rc.devices = append(rc.devices, d)
	}
	for _, h := range users {
		u, ok := sink.UserByClientUserID(h.ClientUserID)
		if !ok {
			foreign++
		}
		rc.users = append(rc.users, u)
	}
	if foreign > 0 {
		r.Foreign = append(r.Foreign, ProductCount{Product: p.ID, N: foreign})
	}

	if _, err := setCounts(now, sink, snap.Token, p, foreign, r); err != nil {
		return err
	}

	poolSerials, poolUsers := sink.PoolHolders(snap.Token, p.ID)
	if err := rc.holdings(now, sink, snap.Token, p.ID, devs, poolSerials, false, pending, r); err != nil {
		return err
	}
	return rc.holdings(now, sink, snap.Token, p.ID, users, poolUsers, true, pending, r)
}

// setCounts gives product p's pool the store's counts, its total less the
// licenses foreign records hold (S6), and reports whether it wrote them.
func setCounts(now time.Time, sink Sink, token mdm.TokenID, p *Product, foreign int, r *Result) (bool, error) {
	total := max(0, p.Total-foreign)
	wasTotal, wasRetired, exists := sink.PoolCounts(token, p.ID)
	if exists && wasTotal == total && wasRetired == p.Retired {
		return false, nil
	}
	if err := sink.SetPoolCounts(now, &p.Apps[0], total, p.Retired); err != nil {
		return false, &SinkError{Op: "SetPoolCounts", Key: p.ID, Err: err}
	}
	r.Counts = append(r.Counts, CountChange{Product: p.ID, Created: !exists, WasTotal: wasTotal, WasRetired: wasRetired,
		Total: total, Retired: p.Retired, StoreTotal: p.Total, ForeignNow: foreign})
	return true, nil
}

// holdings merge-walks the store's holdings of one kind (sorted by subject) with the
// pool's holders (sorted).
func (rc *reconciler) holdings(now time.Time, sink Sink, token mdm.TokenID, product string, store []Holding,
	pool []string, user bool, pending PendingFunc, r *Result) error {
	i, j := 0, 0
	for i < len(store) || j < len(pool) {
		switch {
		case j == len(pool) || i < len(store) && store[i].Subject() < pool[j]:
			h := store[i]
			var dev mdm.DeviceID
			var usr mdm.UserID
			if user {
				usr = rc.users[i]
			} else {
				dev = rc.devices[i]
			}
			i++
			if dev == "" && usr == "" {
				continue // another service's record (S6)
			}
			if pending != nil {
				if dis, ok := pending(h); ok && dis {
					r.Held = append(r.Held, h)
					continue
				}
			}
			ok, err := sink.ImportLicense(now, token, product, dev, usr)
			switch {
			case err != nil:
				return &SinkError{Op: "ImportLicense", Key: h.String(), Err: err}
			case ok:
				if r.Imported == nil {
					// A first sync imports most holdings: size for them once.
					r.Imported = make([]Holding, 0, rc.holdingsLeft)
				}
				r.Imported = append(r.Imported, h)
			default:
				r.NotImported = append(r.NotImported, h)
			}
		case i == len(store) || pool[j] < store[i].Subject():
			h := Holding{Product: product}
			if user {
				h.ClientUserID = pool[j]
			} else {
				h.Serial = pool[j]
			}
			j++
			if pending != nil {
				if dis, ok := pending(h); ok && !dis {
					continue // its grant is on its way to the store
				}
			}
			r.MissingAtStore = append(r.MissingAtStore, h)
		default:
			i++
			j++
		}
	}
	return nil
}
