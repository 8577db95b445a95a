package license

import (
	"math"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Pool is one pool of licenses: a token's licenses for one product. Get it with
// Pools.Pool and keep it to skip the pool lookup on a hot path; every method of
// Pools that takes a PoolKey has a Pool method that does not. A Pool is safe for
// concurrent use; operations on one pool serialize on its own lock. Once its
// token is deleted, every method returns an error wrapping ErrUnknownPool: look
// the pool up again.
type Pool struct {
	key  PoolKey
	kind Kind
	ps   *Pools
	tok  *tokenEntry

	mu       sync.Mutex
	deleted  bool
	total    int
	retired  int
	assigned int
	alertAt  int // assigned >= alertAt raises the alert (L10)
	alerting bool

	// Holders are interned to dense rec indexes (index: kind and id to rec). A
	// rec outlives its license, so a holder granted, released and granted again
	// inserts nothing and allocates nothing.
	// A rec is split in two parallel slices: recs holds what a grant and a
	// release read and write (one cache line each), cold the rest, so that a
	// pool's working set of recently active holders takes half the cache.
	index holderIndex
	recs  []rec
	cold  []recCold
	free  []int32 // recs of forgotten holders, for reuse

	// Grants in grant order (oldest at gHead), for "revoke the newest first"
	// (L18). Waiters in two FIFO lists by the order they were first refused: not
	// yet told about a free license (wHead), and told (kHead) (L5).
	gHead, gTail int32
	wHead, wTail int32
	kHead, kTail int32
	nWaiting     int
	nTold        int // waiters in the told list
	joinSeq      uint64

	out       []pending // undrained store changes (VPP pools)
	cancelled int       // cancelled entries in out
	inDirty   bool      // registered in Pools.dirty
}

const none = int32(-1)

// pending is an undrained store change, kept small and with one pointer so the
// hot path appends it cheaply; drain makes the Change.
type pending struct {
	seq     uint64
	at      int64 // Unix nanoseconds
	subject string
	op      ChangeOp
	reason  Reason
	user    bool // subject is a clientUserId, else a serial number
}

// rec is the hot part of a holder's record: 64 bytes, one cache line.
type rec struct {
	id      string
	checked string // the serial or device id last checked for this holder
	at      int64  // grant time, Unix nanoseconds
	pending uint64 // Seq of its undrained Associate, 0 if none
	gPrev   int32
	gNext   int32
	gen     uint32 // bumped when the rec is forgotten, so old Refs go stale
	kind    HolderKind
	held    bool
	waiting bool
	woken   bool
}

// recCold is the rest of a holder's record, at the same index in Pool.cold.
type recCold struct {
	serial string
	devs   []string
	join   uint64 // when it first waited, for FIFO order
	wPrev  int32
	wNext  int32
}

func newPool(ps *Pools, key PoolKey, kind Kind, tok *tokenEntry) *Pool {
	return &Pool{key: key, kind: kind, ps: ps, tok: tok, alertAt: 1,
		gHead: none, gTail: none, wHead: none, wTail: none, kHead: none, kTail: none}
}

// Key returns the pool's key.
func (p *Pool) Key() PoolKey { return p.key }

// Kind returns the pool's kind.
func (p *Pool) Kind() Kind { return p.kind }

// Waits reports whether asking again for the holder of ref would be refused
// for want of a license and change nothing: the holder waits for a license
// (L5), has not been told one is free (a told waiter is pushed to ask, and
// asking puts it back among the untold), no license is free, and the token can
// assign licenses. A caller with a refused holder on a hot path may skip
// asking while it holds (the tenant does not evaluate a waiting device at each
// check-in). False for a stale ref or a deleted pool.
func (p *Pool) Waits(ref Ref) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.at(ref)
	if p.deleted || !ok {
		return false
	}
	h := &p.recs[i]
	return h.waiting && !h.woken && !h.held && p.assigned >= p.total && p.tok.state().CanAssignLicenses()
}

// Stats returns the pool's counts.
func (p *Pool) Stats() (Stats, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return Stats{}, unknownPool(p.key)
	}
	return p.stats(), nil
}

// statsTo is stats writing to s field by field (see fill).
func (p *Pool) statsTo(s *Stats) {
	s.Total, s.Assigned, s.Retired, s.Waiting = p.total, p.assigned, p.retired, p.nWaiting
	s.Available, s.Overage = 0, 0
	if p.assigned <= p.total {
		s.Available = p.total - p.assigned
	} else {
		s.Overage = p.assigned - p.total
	}
}

func (p *Pool) stats() Stats {
	s := Stats{Total: p.total, Assigned: p.assigned, Retired: p.retired, Waiting: p.nWaiting}
	if p.assigned <= p.total {
		s.Available = p.total - p.assigned
	} else {
		s.Overage = p.assigned - p.total
	}
	return s
}

// holder works out who holds the license a request is about, or refuses a
// request that does not fit the pool kind (L4, L13). grant says whether it is for
// a grant (user licensing then needs the device).
func (p *Pool) holder(r *Request, grant bool) (HolderKind, string, error) {
	switch p.kind {
	case VPPApp, VPPBook:
		lt := r.License
		if lt == mdm.LicenseDefault {
			lt = mdm.LicenseDevice
			if p.kind == VPPBook {
				lt = mdm.LicenseUser
			}
		}
		switch lt {
		case mdm.LicenseDevice:
			if p.kind == VPPBook {
				return 0, "", invalid("request.license", lt.String(), "L4", ErrPoolKind,
					"is not possible for a book: books take user licensing only", "grant the book to the user")
			}
			if r.Device == "" {
				return 0, "", missing("request.device", "L4", "device licensing needs the device")
			}
			return DeviceHolder, string(r.Device), nil
		case mdm.LicenseUser:
			if r.User == "" {
				return 0, "", missing("request.user", "L4", "user licensing needs the user")
			}
			if grant && r.Device == "" {
				return 0, "", missing("request.device", "L4", "a user license is granted for the device the app goes to")
			}
			return UserHolder, string(r.User), nil
		}
		return 0, "", invalid("request.license", lt.String(), "L4", mdm.ErrUnknownEnum, "is not a license type", "use mdm.LicenseDevice or mdm.LicenseUser")
	case StoreOnline:
		if r.License == mdm.LicenseDevice {
			return 0, "", invalid("request.license", r.License.String(), "L13", ErrPoolKind,
				"is not possible for an online-licensed app: each installing user consumes a license", "leave License unset")
		}
		if r.User == "" {
			return 0, "", missing("request.user", "L13", "an online-licensed app is licensed to the installing user")
		}
		return UserHolder, string(r.User), nil
	case StoreOffline:
		if r.License == mdm.LicenseUser {
			return 0, "", invalid("request.license", r.License.String(), "L13", ErrPoolKind,
				"is not possible for an offline-licensed app: licenses are counted per device", "leave License unset")
		}
		if r.Device == "" {
			return 0, "", missing("request.device", "L13", "an offline-licensed app is licensed per device")
		}
		return DeviceHolder, string(r.Device), nil
	}
	return 0, "", unknownPool(p.key)
}

// checked reports whether the serial (device holder) or device (user holder) of
// r is the one last checked for rec i.
func (p *Pool) checked(i int32, r *Request) bool {
	h := &p.recs[i]
	if h.kind == UserHolder {
		return string(r.Device) == h.checked
	}
	return r.Serial == h.checked
}

// checkSubjects checks the ids a grant stores besides the holder's: a device's
// serial number, the device a user license covers.
func checkSubjects(kind HolderKind, r *Request, pk Kind) error {
	if kind == DeviceHolder && r.Serial != "" {
		return mdm.CheckID("request.serial", r.Serial)
	}
	if kind == UserHolder && r.Device != "" && pk.IsVPP() {
		return mdm.CheckID("request.device", string(r.Device))
	}
	return nil
}

func missing(field, rule, reason string) error {
	return invalid(field, "", rule, mdm.ErrMissingField, "is empty: "+reason, "fill it in")
}

func (p *Pool) lookup(kind HolderKind, id string) int32 { return p.index.find(p.recs, kind, id) }

// intern returns the rec of a holder, creating it (after checking the ids) when
// the holder is new to the pool.
func (p *Pool) intern(kind HolderKind, id string, r *Request) (int32, error) {
	if i := p.lookup(kind, id); i != none {
		return i, nil
	}
	field := "request.device"
	if kind == UserHolder {
		field = "request.user"
	}
	if err := mdm.CheckID(field, id); err != nil {
		return none, err
	}
	var i int32
	if n := len(p.free); n > 0 {
		i = p.free[n-1]
		p.free = p.free[:n-1]
		p.recs[i] = rec{gen: p.recs[i].gen}
		p.cold[i] = recCold{devs: p.cold[i].devs[:0]}
	} else {
		if len(p.recs) >= math.MaxInt32 {
			return none, invalid("pool", p.key.String(), "L18", ErrInvalidCount, "has too many holders", "split the tenant")
		}
		i = int32(len(p.recs))
		p.recs = append(p.recs, rec{})
		p.cold = append(p.cold, recCold{})
	}
	h := &p.recs[i]
	h.id, h.kind = id, kind
	h.gPrev, h.gNext, p.cold[i].wPrev, p.cold[i].wNext = none, none, none, none
	p.index.insert(p.recs, kind, id, i)
	p.ps.indexAdd(Holder{Kind: kind, ID: id}, p)
	return i, nil
}

// forget drops a holder that holds nothing and waits for nothing.
func (p *Pool) forget(i int32) {
	h := &p.recs[i]
	p.index.remove(h.kind, h.id, i)
	p.recs[i] = rec{gen: h.gen + 1, gPrev: none, gNext: none}
	p.cold[i] = recCold{devs: p.cold[i].devs[:0], wPrev: none, wNext: none}
	p.free = append(p.free, i)
}

func (p *Pool) result(i int32, o Outcome) Result {
	var r Result
	p.fill(&r, i, o)
	return r
}

// fill sets out, which must be the zero Result, to outcome o for holder h, with
// the pool's counts. Field by field: a composite literal would be built aside
// and copied with write barriers, which costs the hot path more than the work.
func (p *Pool) fill(out *Result, i int32, o Outcome) {
	h := &p.recs[i]
	out.Key = p.key
	out.Outcome = o
	out.Holder.Kind, out.Holder.ID = h.kind, h.id
	p.statsTo(&out.Stats)
	out.Ref = Ref{i: i + 1, gen: h.gen}
}

// Grant gives the request a license if it has none (L19) and one is free (L5,
// L14, L18), and records the store change (VPP). Call it when an install starts:
// at the check-in that sends the install command of a required app, when the
// user starts the install of an available one (L6). A refusal is data
// (Result.Refusal; Result.Err makes it an error); the error is for a request
// that cannot be right, and then nothing changed.
func (p *Pool) Grant(now time.Time, r Request) (res Result, err error) {
	err = p.grantInto(now, noRef, &r, &res)
	return
}

// GrantRef is Grant for the holder of ref (from Result.Ref or Pool.Ref): it
// skips looking the holder up, for callers on a hot path. r must name the same
// holder, else the error wraps ErrStaleRef. The zero Ref looks the holder up,
// as Grant does, so a caller may pass the Ref it has, known or not.
func (p *Pool) GrantRef(now time.Time, ref Ref, r Request) (res Result, err error) {
	err = p.grantInto(now, ref, &r, &res)
	return
}

// grantInto is Grant and GrantRef: it writes the result to out, the caller's
// (zero) result, rather than returning a copy of it, and on an error leaves out
// zero. The result is large, and copying a value just written field by field
// makes the processor wait for the writes (store forwarding fails).
func (p *Pool) grantInto(now time.Time, ref Ref, r *Request, out *Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return unknownPool(p.key)
	}
	kind, id, err := p.holder(r, true)
	if err != nil {
		return err
	}
	i, err := p.find(ref, kind, id)
	if err != nil {
		return err
	}
	// Ids checked once are not checked again: a holder granted and released in
	// steady state passes the same serial (or device) it passed before.
	if i == none || !p.checked(i, r) {
		if err := checkSubjects(kind, r, p.kind); err != nil {
			return err
		}
	}
	if i == none {
		if i, err = p.intern(kind, id, r); err != nil {
			return err
		}
	}
	p.setChecked(i, kind, r)
	p.grant(now, i, r, false, out)
	return nil
}

// find returns the rec of ref (checking it names the holder kind/id) or, for
// noRef, looks the holder up; none when the pool has no record of it.
func (p *Pool) find(ref Ref, kind HolderKind, id string) (int32, error) {
	if ref == noRef {
		return p.lookup(kind, id), nil
	}
	i, ok := p.at(ref)
	if !ok || p.recs[i].kind != kind || p.recs[i].id != id {
		return none, invalid("ref", "", "L19", ErrStaleRef, "does not name this holder in this pool (forgotten, or taken from another pool)",
			"get a fresh one from Pool.Ref or Result.Ref")
	}
	return i, nil
}

// at returns the rec ref names, if it is still the rec ref was taken from.
func (p *Pool) at(ref Ref) (int32, bool) {
	i := ref.i - 1
	return i, i >= 0 && int(i) < len(p.recs) && p.recs[i].gen == ref.gen
}

func (p *Pool) setChecked(i int32, kind HolderKind, r *Request) {
	c := r.Serial
	if kind == UserHolder {
		c = string(r.Device)
	}
	if h := &p.recs[i]; h.checked != c {
		h.checked = c
	}
}

// Ref returns the holder's place in the pool, creating the holder's record if
// needed, for GrantRef and ReclaimRef. It grants nothing.
func (p *Pool) Ref(r Request) (Ref, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return noRef, unknownPool(p.key)
	}
	kind, id, err := p.holder(&r, false)
	if err != nil {
		return noRef, err
	}
	i, err := p.intern(kind, id, &r)
	if err != nil {
		return noRef, err
	}
	return p.ref(i), nil
}

func (p *Pool) ref(i int32) Ref { return Ref{i: i + 1, gen: p.recs[i].gen} }

// grant is Grant after validation; it writes what it did to out (results are
// written in place, not copied up through the calls: they are large and this is
// the hot path). adopt records a license the store already holds: no store
// change, no waiting list.
func (p *Pool) grant(now time.Time, i int32, r *Request, adopt bool, out *Result) {
	h := &p.recs[i]
	if h.held {
		if h.kind == UserHolder && p.kind.IsVPP() && r.Device != "" {
			p.cover(i, r.Device, out)
			return
		}
		p.fill(out, i, AlreadyHeld) // L19
		return
	}
	if st := p.tok.state(); !adopt && !st.CanAssignLicenses() {
		p.fill(out, i, Refused)
		out.Refusal, out.Token = TokenNotUsable, st
		return
	}
	if p.assigned >= p.total {
		if !adopt {
			p.wait(i)
		}
		p.fill(out, i, Refused)
		switch {
		case p.assigned > p.total:
			out.Refusal = Overage // L18
		case p.blocksOversubscription():
			out.Refusal = Shortfall // L14
		default:
			out.Refusal = Unavailable // L5
		}
		return
	}
	// L18: assigned < total here, so assigned+1 <= total.
	if h.waiting {
		p.unwait(i)
	}
	h.held = true
	h.at = now.UnixNano()
	if h.kind == DeviceHolder {
		serial := r.Serial
		if serial == "" {
			serial = string(r.Device)
		}
		if c := &p.cold[i]; c.serial != serial {
			c.serial = serial
		}
	}
	if h.kind == UserHolder && p.kind.IsVPP() {
		c := &p.cold[i]
		c.devs = c.devs[:0]
		if r.Device != "" { // Adopt may not know the device
			c.devs = append(c.devs, string(r.Device))
		}
	}
	p.assigned++
	p.linkGrant(i)
	if p.kind.IsVPP() && !adopt {
		h.pending = p.record(now, Associate, i, NoReason)
	}
	alert := p.checkAlert(now, nil)
	p.fill(out, i, Granted)
	out.Device, out.Alert = r.Device, alert
}

// cover adds a device to a held user license (L4).
func (p *Pool) cover(i int32, dev mdm.DeviceID, out *Result) {
	h := &p.cold[i]
	for _, d := range h.devs {
		if d == string(dev) {
			p.fill(out, i, AlreadyHeld) // L19
			out.Device = dev
			return
		}
	}
	if len(h.devs) >= p.ps.pol.UserLicenseDeviceCap {
		p.fill(out, i, Refused)
		out.Refusal, out.Device, out.cap = DeviceCap, dev, p.ps.pol.UserLicenseDeviceCap
		return
	}
	h.devs = append(h.devs, string(dev))
	p.fill(out, i, Covered)
	out.Device = dev
}

func (p *Pool) blocksOversubscription() bool {
	if p.kind.IsVPP() {
		return !p.ps.pol.VPPOversubscription
	}
	return !p.ps.pol.StoreForBusinessOversubscription
}

// reclaimable says whether Reclaim accepts the reason.
func reclaimable(r Reason) bool {
	switch r {
	case Uninstall, UserRemovedApp, DeviceRemoved, AssignmentRemoved, Revoke, UserLeft, UserDeleted:
		return true
	}
	return false
}

// Reclaim gives back the request's license for a reason, exactly as L7 says:
// Uninstall, Revoke, UserLeft and UserDeleted reclaim; UserRemovedApp and
// DeviceRemoved keep; AssignmentRemoved follows Policy.AssignmentRemovalRevokes.
// A book is never reclaimed (L8): it is kept, and an explicit Revoke of a book is
// an error wrapping ErrIrrevocable. UserLeft and UserDeleted take user licenses
// only. For a user license, Uninstall and AssignmentRemoved with a Device take
// only that device off the license; the license goes back when no device is
// left. A holder waiting for a license stops waiting (except for
// UserRemovedApp). A freed license wakes the earliest waiter (Result.Wake).
func (p *Pool) Reclaim(now time.Time, r Request, reason Reason) (res Result, err error) {
	err = p.reclaimInto(now, noRef, &r, reason, &res)
	return
}

// ReclaimRef is Reclaim for the holder of ref, without looking it up. r must
// name the same holder, else the error wraps ErrStaleRef. The zero Ref looks
// the holder up, as Reclaim does.
func (p *Pool) ReclaimRef(now time.Time, ref Ref, r Request, reason Reason) (res Result, err error) {
	err = p.reclaimInto(now, ref, &r, reason, &res)
	return
}

// reclaimInto is Reclaim and ReclaimRef, writing to out as grantInto does.
func (p *Pool) reclaimInto(now time.Time, ref Ref, r *Request, reason Reason, out *Result) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return unknownPool(p.key)
	}
	if !reclaimable(reason) {
		return invalid("reason", reason.String(), "L7", ErrInvalidReason, "is not a reason Reclaim takes",
			"use Uninstall, UserRemovedApp, DeviceRemoved, AssignmentRemoved, Revoke, UserLeft or UserDeleted; tokens and refunds have their own operations")
	}
	if reason == Revoke && p.kind == VPPBook {
		return invalid("reason", reason.String(), "L8", ErrIrrevocable, "cannot apply to a book: a book license is never reclaimed once assigned",
			"nothing to do; the license stays with the user")
	}
	if (reason == UserLeft || reason == UserDeleted) && r.User != "" && r.Device == "" && r.License == mdm.LicenseDefault && p.kind == VPPApp {
		r.License = mdm.LicenseUser // a user leaving names the user: it is the user's license
	}
	kind, id, err := p.holder(r, false)
	if err != nil {
		return err
	}
	i, err := p.find(ref, kind, id)
	if err != nil {
		return err
	}
	if i == none {
		*out = Result{Key: p.key, Outcome: NotHeld, Reason: reason, Holder: Holder{Kind: kind, ID: id}, Device: r.Device, Stats: p.stats()}
		return nil
	}
	p.reclaim(now, i, r.Device, reason, nil, out)
	return nil
}

// reclaim applies a reason to rec i and writes what it did to out. dev, for a
// user license, names the one device to take off it. Alert events go to alerts
// when it is not nil.
func (p *Pool) reclaim(now time.Time, i int32, dev mdm.DeviceID, reason Reason, alerts *[]Alert, out *Result) {
	h := &p.recs[i]
	if !h.held {
		if h.waiting && reason != UserRemovedApp {
			p.unwait(i)
			p.fill(out, i, Withdrawn)
			out.Reason = reason
			return
		}
		p.fill(out, i, NotHeld)
		out.Reason, out.Device = reason, dev
		return
	}
	keep := NotKept
	switch {
	case p.kind == VPPBook:
		keep = KeptBook // L8
	case reason == UserRemovedApp || reason == DeviceRemoved:
		keep = KeptByRule // L7
	case reason == AssignmentRemoved && !p.ps.pol.AssignmentRemovalRevokes:
		keep = KeptByPolicy // L7
	case reason == TokenDeleted && !p.ps.pol.TokenDeletionRevokes:
		keep = KeptByPolicy // L7
	case (reason == UserLeft || reason == UserDeleted) && h.kind == DeviceHolder:
		keep = KeptDeviceLicense // L7
	}
	if keep != NotKept {
		p.fill(out, i, Kept)
		out.Kept, out.Reason, out.Device = keep, reason, dev
		return
	}
	// A user license whose devices are unknown (adopted from the store) goes back
	// whole.
	if c := &p.cold[i]; h.kind == UserHolder && dev != "" && len(c.devs) > 0 && (reason == Uninstall || reason == AssignmentRemoved) && p.kind.IsVPP() {
		k := -1
		for j, d := range c.devs {
			if d == string(dev) {
				k = j
				break
			}
		}
		if k < 0 {
			p.fill(out, i, NotHeld)
			out.Reason, out.Device = reason, dev
			return
		}
		if len(c.devs) > 1 {
			c.devs = append(c.devs[:k], c.devs[k+1:]...)
			p.fill(out, i, Uncovered)
			out.Reason, out.Device = reason, dev
			return
		}
	}
	p.release(now, i, reason, alerts, out)
	out.Device = dev
}

// release takes rec i's license back into the pool and wakes a waiter when the
// freed license is one no told waiter is already expected to take.
func (p *Pool) release(now time.Time, i int32, reason Reason, alerts *[]Alert, out *Result) {
	h := &p.recs[i]
	h.held = false
	if h.kind == UserHolder && p.kind.IsVPP() { // only these list devices (grant, cover)
		p.cold[i].devs = p.cold[i].devs[:0]
	}
	p.assigned--
	p.unlinkGrant(i)
	if p.kind.IsVPP() {
		if !p.cancel(h.pending) {
			p.record(now, Disassociate, i, reason)
		}
		h.pending = 0
	}
	alert := p.checkAlert(now, alerts)
	var wake Holder
	if p.total-p.assigned > p.nTold {
		wake = p.wake()
	}
	p.fill(out, i, Reclaimed)
	out.Reason, out.Alert, out.Wake = reason, alert, wake
}

// Holds reports whether the request's holder holds a license in the pool (for a
// user license given a Device: whether it covers that device).
func (p *Pool) Holds(r Request) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return false, unknownPool(p.key)
	}
	kind, id, err := p.holder(&r, false)
	if err != nil {
		return false, err
	}
	i := p.lookup(kind, id)
	if i == none || !p.recs[i].held {
		return false, nil
	}
	if kind == UserHolder && r.Device != "" && p.kind.IsVPP() {
		for _, d := range p.cold[i].devs {
			if d == string(r.Device) {
				return true, nil
			}
		}
		return false, nil
	}
	return true, nil
}

// CheckDemand refuses a new assignment (or a widened one) that needs additional
// licenses beyond those available, when the pool's store blocks oversubscription
// (Store for Business by default; VPP when Policy.VPPOversubscription is off): a
// *ShortfallError carrying need, available and short, whose message names the
// three remedies (L14). additional counts the targets that do not hold a license
// yet (see Holds). It consumes nothing: licenses are taken when installs start
// (L6). With oversubscription allowed it refuses nothing (L5).
func (p *Pool) CheckDemand(additional int) error {
	if additional < 0 {
		return invalid("additional", strconv.Itoa(additional), "L14", ErrInvalidCount, "is negative", "count the targets that do not hold a license yet")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return unknownPool(p.key)
	}
	s := p.stats()
	if additional > s.Available && p.blocksOversubscription() {
		return &ShortfallError{Key: p.key, Need: additional, Available: s.Available, Short: additional - s.Available}
	}
	return nil
}

// Holdings lists the pool's licenses, sorted by holder kind then id.
func (p *Pool) Holdings() ([]Holding, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return nil, unknownPool(p.key)
	}
	out := make([]Holding, 0, p.assigned)
	for i := p.gHead; i != none; i = p.recs[i].gNext {
		h := &p.recs[i]
		hd := Holding{Holder: Holder{Kind: h.kind, ID: h.id}, Serial: p.cold[i].serial, GrantedAt: time.Unix(0, h.at).UTC()}
		for _, d := range p.cold[i].devs {
			hd.Devices = append(hd.Devices, mdm.DeviceID(d))
		}
		out = append(out, hd)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Holder.Kind != out[b].Holder.Kind {
			return out[a].Holder.Kind < out[b].Holder.Kind
		}
		return out[a].Holder.ID < out[b].Holder.ID
	})
	return out, nil
}

// Waiting lists the holders waiting for a license, earliest first (L5).
func (p *Pool) Waiting() ([]Holder, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return nil, unknownPool(p.key)
	}
	return p.waitingList(), nil
}

func (p *Pool) waitingList() []Holder {
	out := make([]Holder, 0, p.nWaiting)
	// Merge the two lists by join order: both are sorted by it.
	a, b := p.kHead, p.wHead
	for a != none || b != none {
		var i int32
		if b == none || (a != none && p.cold[a].join < p.cold[b].join) {
			i, a = a, p.cold[a].wNext
		} else {
			i, b = b, p.cold[b].wNext
		}
		out = append(out, Holder{Kind: p.recs[i].kind, ID: p.recs[i].id})
	}
	return out
}

// ---- grant order (L18) ----

func (p *Pool) linkGrant(i int32) {
	h := &p.recs[i]
	h.gPrev, h.gNext = p.gTail, none
	if p.gTail != none {
		p.recs[p.gTail].gNext = i
	} else {
		p.gHead = i
	}
	p.gTail = i
}

func (p *Pool) unlinkGrant(i int32) {
	h := &p.recs[i]
	if h.gPrev != none {
		p.recs[h.gPrev].gNext = h.gNext
	} else {
		p.gHead = h.gNext
	}
	if h.gNext != none {
		p.recs[h.gNext].gPrev = h.gPrev
	} else {
		p.gTail = h.gPrev
	}
	h.gPrev, h.gNext = none, none
}

// ---- waiting (L5) ----
//
// Oversubscription is first come, first served at the moment of asking (L5): a
// free license goes to whoever asks first, and freed licenses are not reserved,
// so a waiter whose device never comes back cannot block a pool. Fairness comes
// from waking: every license freed names the earliest waiter not yet told
// (Result.Wake, Effects.Wake); the caller pushes it so it asks at once. A woken
// waiter refused again (someone else was faster) goes back among the untold, in
// its original place.

// wait puts rec i on the waiting list, or back among the untold if it was told.
func (p *Pool) wait(i int32) {
	h := &p.recs[i]
	if h.waiting {
		if h.woken {
			p.listRemove(&p.kHead, &p.kTail, i)
			h.woken = false
			p.nTold--
			p.insertByJoin(i)
		}
		return
	}
	p.joinSeq++
	h.waiting, h.woken, p.cold[i].join = true, false, p.joinSeq
	p.listAppend(&p.wHead, &p.wTail, i)
	p.nWaiting++
}

func (p *Pool) unwait(i int32) {
	h := &p.recs[i]
	if h.woken {
		p.listRemove(&p.kHead, &p.kTail, i)
		p.nTold--
	} else {
		p.listRemove(&p.wHead, &p.wTail, i)
	}
	h.waiting, h.woken = false, false
	p.nWaiting--
}

// wake tells the earliest untold waiter that a license is free.
func (p *Pool) wake() Holder {
	i := p.wHead
	if i == none {
		return Holder{}
	}
	p.listRemove(&p.wHead, &p.wTail, i)
	h := &p.recs[i]
	h.woken = true
	p.nTold++
	// Told waiters are kept in join order too (for Waiting), so insert, usually
	// at the tail.
	j := p.kTail
	for j != none && p.cold[j].join > p.cold[i].join {
		j = p.cold[j].wPrev
	}
	p.listInsertAfter(&p.kHead, &p.kTail, j, i)
	return Holder{Kind: h.kind, ID: h.id}
}

func (p *Pool) insertByJoin(i int32) {
	j := none // insert after j; none = at the head
	for k := p.wHead; k != none && p.cold[k].join < p.cold[i].join; k = p.cold[k].wNext {
		j = k
	}
	p.listInsertAfter(&p.wHead, &p.wTail, j, i)
}

func (p *Pool) listAppend(head, tail *int32, i int32) { p.listInsertAfter(head, tail, *tail, i) }

// listInsertAfter links i after j (at the head when j is none).
func (p *Pool) listInsertAfter(head, tail *int32, j, i int32) {
	h := &p.cold[i]
	h.wPrev = j
	if j == none {
		h.wNext = *head
		*head = i
	} else {
		h.wNext = p.cold[j].wNext
		p.cold[j].wNext = i
	}
	if h.wNext != none {
		p.cold[h.wNext].wPrev = i
	} else {
		*tail = i
	}
}

func (p *Pool) listRemove(head, tail *int32, i int32) {
	h := &p.cold[i]
	if h.wPrev != none {
		p.cold[h.wPrev].wNext = h.wNext
	} else {
		*head = h.wNext
	}
	if h.wNext != none {
		p.cold[h.wNext].wPrev = h.wPrev
	} else {
		*tail = h.wPrev
	}
	h.wPrev, h.wNext = none, none
}

// ---- alerts (L10) ----

// setAlertAt recomputes the alert level for the total: the least count whose
// share of the total reaches the threshold, at least 1 (an empty pool alerts
// when anything is assigned to it, which is an overage).
func (p *Pool) setAlertAt() {
	// The epsilon keeps 0.7*10 = 7.000000000000001 from rounding up to 8.
	a := int(math.Ceil(p.ps.pol.UtilizationAlertThreshold*float64(p.total) - 1e-9))
	p.alertAt = max(a, 1)
}

// checkAlert raises or clears the alert after a count changed, and appends the
// event to alerts when it is not nil.
func (p *Pool) checkAlert(now time.Time, alerts *[]Alert) AlertChange {
	on := p.assigned >= p.alertAt
	if on == p.alerting {
		return AlertUnchanged
	}
	p.alerting = on
	c := AlertCleared
	if on {
		c = AlertRaised
	}
	if alerts != nil {
		*alerts = append(*alerts, p.alert(now, c))
	}
	return c
}

func (p *Pool) alert(now time.Time, c AlertChange) Alert {
	return Alert{Key: p.key, Change: c, Assigned: p.assigned, Total: p.total,
		Threshold: p.ps.pol.UtilizationAlertThreshold, At: now}
}

// ---- store changes (S5) ----

// record appends a change to the pool's outbox and returns its Seq.
func (p *Pool) record(now time.Time, op ChangeOp, i int32, reason Reason) uint64 {
	c := pending{seq: p.ps.seq.Add(1), at: now.UnixNano(), op: op, reason: reason}
	if h := &p.recs[i]; h.kind == UserHolder {
		c.subject, c.user = h.id, true
	} else {
		c.subject = p.cold[i].serial
	}
	p.out = append(p.out, c)
	if !p.inDirty {
		p.inDirty = true
		p.ps.markDirty(p)
	}
	return c.seq
}

// cancel drops an undrained Associate: a grant taken back before the store heard
// of it is never sent. It reports whether it found one.
func (p *Pool) cancel(seq uint64) bool {
	if seq == 0 || len(p.out) == 0 {
		return false
	}
	n := len(p.out)
	if p.out[n-1].seq == seq {
		p.out = p.out[:n-1]
		// Drop cancelled entries that are now last.
		for len(p.out) > 0 && p.out[len(p.out)-1].op == NoOp {
			p.out = p.out[:len(p.out)-1]
			p.cancelled--
		}
		return true
	}
	k := sort.Search(n, func(j int) bool { return p.out[j].seq >= seq })
	if k == n || p.out[k].seq != seq || p.out[k].op != Associate {
		return false
	}
	p.out[k].op = NoOp
	p.cancelled++
	if p.cancelled > 32 && p.cancelled > n/2 {
		p.compact()
	}
	return true
}

func (p *Pool) compact() {
	j := 0
	for _, c := range p.out {
		if c.op != NoOp {
			p.out[j] = c
			j++
		}
	}
	clear(p.out[j:])
	p.out = p.out[:j]
	p.cancelled = 0
}

// drain appends the pool's changes to dst and empties the outbox.
func (p *Pool) drain(dst []Change) []Change {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.out {
		if c.op == NoOp {
			continue
		}
		ch := Change{Seq: c.seq, Op: c.op, Token: p.key.Token, Product: p.key.Product, Reason: c.reason,
			At: time.Unix(0, c.at).UTC()}
		if c.user {
			ch.ClientUserID = c.subject
		} else {
			ch.SerialNumber = c.subject
		}
		dst = append(dst, ch)
	}
	clear(p.out)
	p.out = p.out[:0]
	p.cancelled = 0
	p.inDirty = false
	return dst
}
