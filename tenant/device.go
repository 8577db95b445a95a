package tenant

import (
	"errors"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// deviceState is everything the service keeps about one managed device. Its
// mutex serialises the check-ins of one device; check-ins of different devices
// run in parallel under the tenant's read lock. Admin operations, which hold the
// tenant's write lock, may change it without taking mu.
//
// Layout: on a large fleet a check-in finds its device's state cold, and a
// steady check-in (nothing changed, nothing due) must cost as few cache misses
// as possible. So everything it reads and writes sits in the first cache line
// (the locks, the flags, the times, the id), and the fingerprint of the
// inventory in the second (inline for a device of up to fpInline apps); the
// state is a multiple of 64 bytes long, so every state starts on a line
// (TestDeviceStateLayout), and DeviceRef.Prefetch warms exactly those two.
type deviceState struct {
	// ---- line 0
	mu sync.Mutex
	// push is non-zero while a push is outstanding or a wake-up scheduled; a
	// check-in takes the push shard's lock only then.
	push atomic.Uint32
	// stale says the resolution changed since the records last took it in;
	// removed that the device left management (a DeviceRef to it is dead).
	stale, removed bool
	// fpN is the number of inventory items in fp, or fpWide when the
	// fingerprint is in seenExt instead.
	fpN uint16
	// epoch is the catalog epoch the records were last evaluated against.
	epoch uint64
	// nextEval is the earliest time a check-in must run the full evaluation even
	// when nothing it is told has changed (a timer of T3, T5, T14, or a
	// command waiting to be acknowledged).
	nextEval int64
	// lastIn is the time of the device's last check-in, steady ones included:
	// a required app missing now was present then (T3).
	lastIn int64
	// lock is the shard of the tenant's lock its check-ins read-lock.
	lock *paddedRW
	// id is facts.ID, here so that CheckInRef's check of the report's device
	// reads the hot line only.
	id mdm.DeviceID

	// ---- line 1: the fingerprint of the inventory the last full check-in
	// took in, in the device's order (see inventoryUnchanged): per item the
	// catalog index shifted left with the low bit set when the version is not
	// the catalog's, fpForeign for an app outside the catalog.
	fp [fpInline]uint16

	// ---- cold: read by the full evaluation and by admin operations.
	// seenExt is the fingerprint (int32 items, see fingerprint) of an
	// inventory too long for fp or naming a catalog index too large for 15
	// bits; nil otherwise.
	seenExt []int32
	// wake is the time the service wants the device to check in (a push): a
	// reinstall tick (T3), a retry due (T5), a deadline (T14). 0 = none.
	wake int64
	// anchor is when the device enrolled: its reinstall cycle (T3) ticks every
	// Policy.ReinstallWindow from then.
	anchor int64

	idx  int32    // the resolver's device index
	recs []record // sorted by app id, so the inventory (sorted by app id) merges with them
	// cmds are the commands in flight, dls the deadlines of targeted apps
	// (T14): few per device, so kept beside the records, not in them.
	cmds   []inflight
	dls    []appTime
	pushSt pushState // guarded by the push shard's mutex
	facts  mdm.Device
	// lic is what the device's license requests left (nil until the first):
	// its places in the pools and the pools it waits on.
	lic *licState
	// pad makes the state a multiple of 64 bytes (TestDeviceStateLayout says
	// by how much when a field changes).
	_ [8]byte
}

// forceEval in deviceState.nextEval asks the next check-in for a full
// evaluation (an admin's action, a changed fact), license waits or not. It is
// below every time a check-in can carry (checkInArgs), so no check-in time,
// the Unix epoch and before included, is taken for it.
const forceEval int64 = math.MinInt64

// licState is what a device's license requests leave behind.
//
// refs are its places (license.Ref) in the pools of the apps it asked licenses
// of, so that a check-in's grant or reclaim skips the pool's holder lookup. A
// Ref is only a hint: the pool checks it names the request's holder, and one
// gone stale (the holder forgotten, the pool replaced, the app's index reused,
// a device license turned user license) is replaced by a lookup.
//
// waits are the pools that refused it a license at its last full evaluation,
// each with its Ref there. While every one of them still Waits, asking again
// would be refused again and change nothing, so a check-in that brings
// nothing new skips the evaluation (L5: a waiter asks at every check-in, and
// gets a license at the first one after a license frees). until is when the
// device's own timers want an evaluation anyway; an admin's forced
// evaluation (forceEval) ends the waits.
type licState struct {
	refs  []licRef
	waits []poolWait
	until int64
}

type licRef struct {
	app int32 // catalog index
	ref license.Ref
}

type poolWait struct {
	p   *license.Pool
	ref license.Ref
	tok *tokenRec // the pool's token (nil if unknown): its expDate ends the wait (L1)
}

// licRef returns the device's Ref in the pool of app, zero if none is known.
func (d *deviceState) licRef(app int32) license.Ref {
	if d.lic != nil {
		for _, l := range d.lic.refs {
			if l.app == app {
				return l.ref
			}
		}
	}
	return license.Ref{}
}

// setLicRef remembers the device's Ref in the pool of app.
func (d *deviceState) setLicRef(app int32, ref license.Ref) {
	if d.lic == nil {
		d.lic = new(licState)
	}
	for i := range d.lic.refs {
		if d.lic.refs[i].app == app {
			d.lic.refs[i].ref = ref
			return
		}
	}
	d.lic.refs = append(d.lic.refs, licRef{app: app, ref: ref})
}

// viaRef runs a grant or a reclaim (op) with the device's Ref in the pool of
// app: the Ref it keeps, or the zero Ref, which looks the holder up, when it
// has none or the pool finds it stale. It keeps the Ref the result names.
func (d *deviceState) viaRef(app int32, op func(license.Ref) (license.Result, error)) (license.Result, error) {
	ref := d.licRef(app)
	res, err := op(ref)
	if !ref.IsZero() && errors.Is(err, license.ErrStaleRef) {
		ref = license.Ref{}
		res, err = op(ref)
	}
	if err == nil && res.Ref != ref && !res.Ref.IsZero() {
		d.setLicRef(app, res.Ref)
	}
	return res, err
}

// setWaits records the pools an evaluation at now was refused by (none: the
// device waits for nothing) and sets nextEval: the evaluation's own, or, while
// it waits, now, which sends every check-in to waitsHold.
func (d *deviceState) setWaits(ws []poolWait, now, nextEval int64) {
	if len(ws) == 0 {
		if d.lic != nil && len(d.lic.waits) > 0 {
			clear(d.lic.waits) // the pools may be deleted: keep none alive
			d.lic.waits = d.lic.waits[:0]
		}
		d.nextEval = nextEval
		return
	}
	if d.lic == nil {
		d.lic = new(licState)
	}
	d.lic.waits = append(d.lic.waits[:0], ws...)
	d.lic.until = nextEval
	d.nextEval = now
}

// waitsHold reports whether a check-in at n may skip the evaluation that
// nextEval asks for because all it waits for is licenses that its pools still
// do not have for it (setWaits), and no timer of its own nor the expDate of
// one of those pools' tokens (Tenant.lapsed) is due. Called with the tenant's
// lock held for reading (a token's expDate changes under the write lock).
func (d *deviceState) waitsHold(n int64) bool {
	l := d.lic
	if l == nil || len(l.waits) == 0 || d.nextEval == forceEval || n >= l.until {
		return false
	}
	for _, w := range l.waits {
		if w.tok.pastDate(n) {
			return false
		}
		if !w.p.Waits(w.ref) {
			return false
		}
	}
	return true
}

const (
	// fpInline is how many inventory items the inline fingerprint holds: the
	// 64 bytes of the state's second line.
	fpInline = 32
	// fpWide in fpN says the fingerprint is in seenExt.
	fpWide = 0xFFFF
	// fpForeign marks an app outside the catalog in fp.
	fpForeign = 0xFFFF
)

// find returns the position of app id among the records, or where it would go.
func (d *deviceState) find(cat *catalog, id mdm.AppID) (int, bool) {
	recs := d.recs
	lo, hi := 0, len(recs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cat.apps[recs[m].app].id < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(recs) && cat.apps[recs[lo].app].id == id
}

// ensure returns the position of the record of app i, inserting an empty one
// (no status yet) if there is none. Positions of later records shift.
func (d *deviceState) ensure(cat *catalog, i int32) int {
	p, ok := d.find(cat, cat.apps[i].id)
	if ok {
		return p
	}
	d.recs = append(d.recs, record{})
	copy(d.recs[p+1:], d.recs[p:])
	d.recs[p] = record{app: i}
	return p
}

// applyTargets takes in a fresh resolution: the targets, in any order.
func (d *deviceState) applyTargets(cat *catalog, ts []target) {
	if len(d.recs) == 0 {
		// size the records once (a million devices hold them): one per target,
		// not the doubling of appends
		d.recs = slices.Grow(d.recs, len(ts))
	}
	d.dls = d.dls[:0]
	for k := range d.recs {
		r := &d.recs[k]
		r.want = want(r.intent) // remember the old intent while the new one is set
		r.intent, r.row, r.opts = 0, 0, 0
		r.flags &^= fTargeted
	}
	for _, t := range ts {
		p := d.ensure(cat, t.app)
		r := &d.recs[p]
		old := intentSet(r.want)
		r.intent, r.row, r.opts = t.intent, t.row, t.opts
		if t.deadline != 0 {
			r.opts |= optDeadline
			d.dls = append(d.dls, appTime{app: t.app, at: t.deadline})
		}
		r.flags |= fTargeted
		if t.intent&inRequired != 0 && old&inRequired == 0 {
			// T3 starts afresh for a new required assignment: "at a check-in
			// where the app is not detected and no install is pending, an
			// install command is sent".
			r.nextTry, r.attempts = 0, 0
		}
	}
	for k := range d.recs {
		d.recs[k].want = wantNone
	}
	d.stale = false
}

// ensureDeps creates the records of every dependency of an app that may be
// installed on the device (T10), so the engine never inserts while it walks.
func (d *deviceState) ensureDeps(cat *catalog) {
	for k := 0; k < len(d.recs); k++ {
		r := &d.recs[k]
		if r.intent&(inRequired|inAvailable|inAWOE) == 0 && !r.has(fAdminInstall|fPortalWant) {
			continue
		}
		for _, dep := range cat.apps[r.app].closure {
			if _, ok := d.find(cat, cat.apps[dep.app].id); !ok {
				p := d.ensure(cat, dep.app)
				if p <= k {
					k++ // the record we stand on moved up by one
				}
			}
		}
	}
}

// inventoryUnchanged reports, without allocating and without touching the
// records, whether the inventory is the one the last full check-in took in: the
// same apps in the same order, each catalog app with the same "current version"
// bit. The comparison reads the compact fingerprint (fp, in the state's second
// cache line, or seenExt) and the catalog, whose id and version strings a
// virtual device shares, so most comparisons are of equal pointers. That
// inventory passed mdm.Report.Validate then, so the same sequence has no app
// twice now; apps outside the catalog are checked again (valid ids, not in the
// catalog, not twice).
func (d *deviceState) inventoryUnchanged(cat *catalog, inv []mdm.InstalledApp) bool {
	if d.fpN == fpWide {
		return d.wideUnchanged(cat, inv)
	}
	n := int(d.fpN)
	if len(inv) != n || n > fpInline {
		return false
	}
	foreign := false
	keys := cat.keys
	for i := range inv[:n] {
		x := d.fp[i]
		if x == fpForeign {
			foreign = true
			continue
		}
		if !current(&inv[i], &keys[x>>1], x&1 == 0) {
			return false
		}
	}
	return !foreign || foreignUnchanged(cat, inv, func(i int) bool { return d.fp[i] == fpForeign })
}

// wideUnchanged is inventoryUnchanged for a fingerprint in seenExt.
func (d *deviceState) wideUnchanged(cat *catalog, inv []mdm.InstalledApp) bool {
	fp := d.seenExt
	if len(inv) != len(fp) {
		return false
	}
	foreign := false
	keys := cat.keys
	for i := range inv {
		x := fp[i]
		if x < 0 {
			foreign = true
			continue
		}
		if !current(&inv[i], &keys[x>>1], x&1 == 0) {
			return false
		}
	}
	return !foreign || foreignUnchanged(cat, inv, func(i int) bool { return fp[i] < 0 })
}

// current reports whether an inventory item is the catalog app k, with the
// "current version" bit cur the fingerprint recorded.
func current(it *mdm.InstalledApp, k *appKey, cur bool) bool {
	if !sameString(string(it.App), string(k.id)) {
		return false
	}
	return cur == k.same(it.Version)
}

// sameString is a == b, without the call to compare bytes when both share
// memory: a virtual device reports the catalog's own id and version strings.
func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

// foreignUnchanged checks the apps outside the catalog (those isForeign says)
// of an inventory whose catalog apps are unchanged.
func foreignUnchanged(cat *catalog, inv []mdm.InstalledApp, isForeign func(int) bool) bool {
	for i := range inv {
		if !isForeign(i) {
			continue
		}
		id := inv[i].App
		if _, ok := cat.byID[id]; ok || mdm.CheckID("", string(id)) != nil {
			return false
		}
		for j := 0; j < i; j++ {
			if isForeign(j) && inv[j].App == id {
				return false
			}
		}
	}
	return true
}

// fingerprint entry of an inventory item: a catalog app's index, shifted, with
// the low bit set when its version is not the catalog's; -1 for an app outside
// the catalog.
func fingerprint(idx int32, current bool) int32 {
	x := idx << 1
	if !current {
		x |= 1
	}
	return x
}

// fpReset starts a new fingerprint.
func (d *deviceState) fpReset() {
	d.fpN = 0
	d.seenExt = d.seenExt[:0]
}

// fpAdd appends an item's fingerprint (see fingerprint): inline while it fits
// in 15 bits and fpInline items, else everything moves to seenExt.
func (d *deviceState) fpAdd(x int32) {
	if d.fpN != fpWide {
		if int(d.fpN) < fpInline && x < fpForeign {
			if x < 0 {
				d.fp[d.fpN] = fpForeign
			} else {
				d.fp[d.fpN] = uint16(x)
			}
			d.fpN++
			return
		}
		d.seenExt = d.seenExt[:0]
		for _, y := range d.fp[:d.fpN] {
			if y == fpForeign {
				d.seenExt = append(d.seenExt, -1)
			} else {
				d.seenExt = append(d.seenExt, int32(y))
			}
		}
		d.fpN = fpWide
	}
	d.seenExt = append(d.seenExt, x)
}

// fpDone ends a fingerprint: a device whose inventory fits inline keeps no
// external one (a million devices).
func (d *deviceState) fpDone() {
	if d.fpN != fpWide && d.seenExt != nil {
		d.seenExt = nil
	}
}

// gc drops records that carry nothing any more (T1: an app no longer targeted
// and absent has no status), telling fx so per-app counts stay right.
func (d *deviceState) gc(fx effects) {
	// a burst of commands (a new device installs everything at once) must not
	// leave its memory behind on a million devices
	if len(d.cmds) == 0 && cap(d.cmds) > 0 {
		d.cmds = nil
	}
	if len(d.dls) == 0 && cap(d.dls) > 0 {
		d.dls = nil
	}
	k0 := 0
	for k0 < len(d.recs) && d.recs[k0].keep() {
		k0++
	}
	if k0 == len(d.recs) {
		return // the common case: nothing to drop, nothing to copy
	}
	out := d.recs[:k0]
	for k := k0; k < len(d.recs); k++ {
		r := &d.recs[k]
		if r.keep() {
			out = append(out, *r)
			continue
		}
		if r.state != mdm.StateUnknown {
			fx.counted(r.app, r.state, mdm.StateUnknown)
		}
	}
	for k := len(out); k < len(d.recs); k++ {
		d.recs[k] = record{}
	}
	d.recs = out
}

// cmd returns the command in flight for a record, or nil.
func (d *deviceState) cmd(r *record) *inflight {
	if r.flags&fPending == 0 {
		return nil
	}
	for i := range d.cmds {
		if d.cmds[i].app == r.app {
			return &d.cmds[i]
		}
	}
	return nil
}

// startCmd records a command sent for a record, replacing one in flight.
func (d *deviceState) startCmd(r *record, c inflight) {
	c.app = r.app
	if p := d.cmd(r); p != nil {
		*p = c
	} else {
		d.cmds = append(d.cmds, c)
	}
	r.flags |= fPending
}

// endCmd forgets the command in flight for a record: answered, lost or
// replaced.
func (d *deviceState) endCmd(r *record) {
	if r.flags&fPending == 0 {
		return
	}
	r.flags &^= fPending
	for i := range d.cmds {
		if d.cmds[i].app == r.app {
			d.cmds = append(d.cmds[:i], d.cmds[i+1:]...)
			return
		}
	}
}

// deadline returns a record's deadline (T14), noDeadline for none.
func (d *deviceState) deadline(r *record) int64 {
	if r.opts&optDeadline == 0 {
		return noDeadline
	}
	for _, x := range d.dls {
		if x.app == r.app {
			return x.at
		}
	}
	return noDeadline
}

// noDeadline is deadline's answer for an app without one (T14): before every
// time, so "the deadline has passed" holds at once, even for a check-in
// before the Unix epoch.
const noDeadline int64 = math.MinInt64
