package assign

import (
	"iter"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Effective is the resolution of one app on one device.
type Effective struct {
	App      mdm.AppID
	AppIndex AppIndex
	// Intent is the effective intent: a set, see Intent.
	Intent Intent
	// Row is the A6 row that decided Intent: 0 when one (kind, intent) pair
	// reached the device, RowPrecedence when the table lists no row for the set.
	Row uint8
	// UninstallOnDeviceRemoval is true only when every assignment that reached
	// the device says yes (an unset value means yes, as in Graph): when they
	// disagree the app stays when the device leaves management (A12).
	UninstallOnDeviceRemoval bool
	// LicenseType is the VPP license type (L4) for Apple VPP apps and books,
	// LicenseDefault for other apps. It is read from the assignments that carry
	// the effective intent's strongest part (the required ones when the result is
	// required, else the available ones, else the uninstall ones); device
	// licensing wins when they disagree, because it is the default for apps,
	// needs no Apple account, and L4 allows moving required assignments from user
	// to device licensing but never the other way.
	LicenseType mdm.LicenseType
	// PreventAutoUpdate is true only when every required or available assignment
	// that reached the device prevents automatic updates (L9): automatic updates
	// are the default, and a disagreement keeps the default, as A12 does.
	PreventAutoUpdate bool
	// Deadline is the earliest deadline of the required assignments that reached
	// the device (T14); zero when none has one.
	Deadline time.Time
}

// entry is the cached form of an Effective: 12 bytes, no pointers, so that the
// resolved state of a large tenant stays small and cheap for the collector.
type entry struct {
	app    int32
	dl     int32
	intent Intent
	row    uint8
	flags  uint8
	lic    mdm.LicenseType
}

const (
	entryUninstallOnRemoval uint8 = 1 << iota
	entryPreventAutoUpdate
	entryA8 // A8 added "available" to a required iOS store app
)

// Resolution is the resolution of one device: one Effective per app that some
// assignment reaches (after exclusions), sorted by app id. It is an immutable
// snapshot that stays valid after later changes and may be shared between
// goroutines; reading it allocates nothing.
type Resolution struct {
	Device mdm.DeviceID
	Index  DeviceIndex
	// Version is the device's version when it was resolved: it changes whenever
	// a change may alter the device's resolution, so a caller can skip work
	// when it has not changed.
	Version uint64

	list []entry
	apps []mdm.AppID
	dls  []time.Time
}

// Len is the number of apps in the resolution.
func (r Resolution) Len() int { return len(r.list) }

// At returns the i-th Effective, in app id order.
func (r Resolution) At(i int) Effective {
	e := &r.list[i]
	return Effective{
		App:                      r.apps[e.app],
		AppIndex:                 AppIndex(e.app),
		Intent:                   e.intent,
		Row:                      e.row,
		UninstallOnDeviceRemoval: e.flags&entryUninstallOnRemoval != 0,
		LicenseType:              e.lic,
		PreventAutoUpdate:        e.flags&entryPreventAutoUpdate != 0,
		Deadline:                 r.dls[e.dl],
	}
}

// AppIndexAt returns the index of the i-th app, without building an Effective.
func (r Resolution) AppIndexAt(i int) AppIndex { return AppIndex(r.list[i].app) }

// IntentAt returns the effective intent of the i-th app.
func (r Resolution) IntentAt(i int) Intent { return r.list[i].intent }

// All iterates over the apps in app id order.
func (r Resolution) All() iter.Seq2[int, Effective] {
	return func(yield func(int, Effective) bool) {
		for i := range r.list {
			if !yield(i, r.At(i)) {
				return
			}
		}
	}
}

// Lookup returns the Effective of an app, if some assignment reaches the device.
func (r Resolution) Lookup(app mdm.AppID) (Effective, bool) {
	i, ok := slices.BinarySearchFunc(r.list, app, func(e entry, id mdm.AppID) int {
		return strings.Compare(string(r.apps[e.app]), string(id))
	})
	if !ok {
		return Effective{}, false
	}
	return r.At(i), true
}

// LookupIndex is Lookup by app index.
func (r Resolution) LookupIndex(app AppIndex) (Effective, bool) {
	for i := range r.list {
		if r.list[i].app == int32(app) {
			return r.At(i), true
		}
	}
	return Effective{}, false
}

// Effects returns every Effective as a new slice.
func (r Resolution) Effects() []Effective {
	out := make([]Effective, len(r.list))
	for i := range r.list {
		out[i] = r.At(i)
	}
	return out
}

// ResolveDevice returns the resolution of a device. A valid cached resolution is
// returned without allocating; otherwise the device is resolved and cached.
func (r *Resolver) ResolveDevice(id mdm.DeviceID) (Resolution, error) {
	h := r.deviceIdx.hash(id) // the seed never changes: no lock needed
	r.mu.RLockShard(h)
	defer r.mu.RUnlockShard(h)
	i, ok := r.deviceIdx.findHash(id, h, r.devices)
	if !ok || !r.devices[i].alive {
		return Resolution{}, unknownDevice("deviceId", id)
	}
	return r.resolveLocked(i, false), nil
}

// ResolveDeviceIndex is ResolveDevice by index: the fast path for callers that
// keep device indexes.
func (r *Resolver) ResolveDeviceIndex(i DeviceIndex) (Resolution, error) {
	r.mu.RLockShard(uint32(i))
	defer r.mu.RUnlockShard(uint32(i))
	if i < 0 || int(i) >= len(r.devices) || !r.devices[i].alive {
		return Resolution{}, r.badIndex(i)
	}
	return r.resolveLocked(int32(i), false), nil
}

// Recompute resolves a device from scratch, ignoring its cached resolution, and
// caches the result. Resolution never needs it (the cache is invalidated by
// version counters); it exists to measure cold resolution and to check the cache.
func (r *Resolver) Recompute(i DeviceIndex) (Resolution, error) {
	r.mu.RLockShard(uint32(i))
	defer r.mu.RUnlockShard(uint32(i))
	if i < 0 || int(i) >= len(r.devices) || !r.devices[i].alive {
		return Resolution{}, r.badIndex(i)
	}
	return r.resolveLocked(int32(i), true), nil
}

func (r *Resolver) badIndex(i DeviceIndex) error {
	if i >= 0 && int(i) < len(r.devices) {
		return unknownDevice("deviceIndex", r.devices[i].id)
	}
	return verr("deviceIndex", strconv.Itoa(int(i)), "D3", ErrUnknownDevice, "is not a device index", "use DeviceIndex to look one up")
}

func (r *Resolver) resolveLocked(i int32, fresh bool) Resolution {
	d := r.devices[i]
	list, ok := d.cached()
	if fresh || !ok {
		s := r.scratch.Get().(*scratch)
		list = r.compute(s, d, nil)
		r.scratch.Put(s)
		d.store(list)
	}
	return Resolution{Device: d.id, Index: DeviceIndex(i), Version: d.ver, list: list, apps: r.appIDs, dls: r.deadlines}
}

// slot accumulates what reaches one app during one device's resolution.
type slot struct {
	stamp  uint32
	pos    int32 // position of the app's entry in scratch.out
	pairs  Pairs
	excl   uint8    // bit 0: a user-kind exclusion applies; bit 1: a device-kind one (A5)
	kflags [2]uint8 // aggregated item flags, per kind (0 user, 1 device)
	klic   [2]uint8
	kdl    [2]int32
}

// scratch is the per-goroutine working memory of resolution.
type scratch struct {
	slots   []slot
	epoch   uint32
	touched []int32
	ranks   []uint64 // bit set over app ranks: the order of the output
	out     []entry
}

func (s *scratch) begin(apps int) {
	if len(s.slots) < apps {
		s.slots = make([]slot, apps+apps/4+16)
		s.ranks = make([]uint64, (len(s.slots)+63)/64)
		s.epoch = 0
	}
	s.epoch++
	if s.epoch == 0 {
		clear(s.slots)
		s.epoch = 1
	}
	s.touched = s.touched[:0]
}

// add folds a list of items reaching the device through targets of one kind.
// Exclusions are recorded per kind; includes are kept per kind, so that A5 can
// drop a whole kind at the end whatever the order of the items.
func (s *scratch) add(r *Resolver, list []item, k int, d *deviceRec, onlyAWOE bool) {
	corp := d.flags&devCorpAE != 0
	for n := range list {
		it := &list[n]
		if it.flags&itemNeedsCorpAE != 0 && !corp {
			continue // A4: device-group available of an Android Enterprise app
		}
		if onlyAWOE && it.flags&itemExclusion == 0 && it.pair != UserAvailableWithoutEnrollment {
			continue // D4: an unenrolled device gets user-targeted AWOE only
		}
		sl := &s.slots[it.app]
		if sl.stamp != s.epoch {
			*sl = slot{stamp: s.epoch}
			s.touched = append(s.touched, it.app)
		}
		if it.flags&itemExclusion != 0 {
			sl.excl |= 1 << k
			continue
		}
		sl.pairs |= it.pair
		sl.kflags[k] |= it.flags
		sl.klic[k] |= it.lic
		if it.dl != 0 && (sl.kdl[k] == 0 || r.deadlines[it.dl].Before(r.deadlines[sl.kdl[k]])) {
			sl.kdl[k] = it.dl
		}
	}
}

const (
	intentBitsRequired = 1 << mdm.Required
	intentBitsAvail    = 1<<mdm.Available | 1<<mdm.AvailableWithoutEnrollment
	intentBitsUninst   = 1 << mdm.Uninstall
)

// compute resolves device d (SPEC A5–A8, A12, D3, D4, L4, L9, T14). When dst is
// not nil the entries are appended to it (ResolveAll's slabs); otherwise they get
// a slice of their own.
func (r *Resolver) compute(s *scratch, d *deviceRec, dst []entry) []entry {
	s.begin(len(r.apps))
	enrolled := d.flags&devEnrolled != 0
	if d.primary >= 0 { // D3: user-kind targets reach the device through its primary user
		s.add(r, r.allUsersFlat, 0, d, !enrolled)
		ur := &r.users[d.primary]
		for _, g := range ur.hot.list(ur.groups) {
			s.add(r, r.flats[g], 0, d, !enrolled)
		}
	}
	if enrolled { // D4: device-kind targets do not reach an unenrolled device
		s.add(r, r.allDevicesFlat, 1, d, false)
		for _, g := range d.hot.list(d.groups) {
			s.add(r, r.flats[g], 1, d, false)
		}
	}
	out := s.out[:0]
	for _, a := range s.touched {
		sl := &s.slots[a]
		pairs := sl.pairs
		var fl, lic uint8
		var dl int32
		for k := 0; k < 2; k++ {
			if sl.excl&(1<<k) != 0 { // A5: an exclusion removes includes of its own kind
				pairs &^= userPairs << (4 * k)
				continue
			}
			fl |= sl.kflags[k]
			lic |= sl.klic[k]
			if x := sl.kdl[k]; x != 0 && (dl == 0 || r.deadlines[x].Before(r.deadlines[dl])) {
				dl = x
			}
		}
		if pairs == 0 {
			continue
		}
		e := entry{app: a, dl: dl}
		single := bits.OnesCount8(uint8(pairs)) == 1
		meta := r.appMeta[a]
		if meta.ios { // A8: required implies available
			p := pairs | (pairs&(UserRequired|DeviceRequired))>>1
			if p != pairs {
				e.flags |= entryA8
			}
			pairs = p
		}
		dec := &table[pairs]
		e.intent, e.row = dec.intent, dec.row
		if single {
			e.row = 0
		}
		if fl&itemKeepOnRemoval == 0 {
			e.flags |= entryUninstallOnRemoval
		}
		if fl&itemPreventYes != 0 && fl&itemPreventNo == 0 {
			e.flags |= entryPreventAutoUpdate
		}
		if lic != 0 {
			e.lic = licenseOf(e.intent, lic)
		}
		// Order by app id through the app's rank: a bit set over ranks lists
		// them sorted without comparing (a device has tens of apps out of
		// thousands, and the set is a few hundred bytes).
		rank := meta.rank
		s.ranks[rank>>6] |= 1 << (rank & 63)
		sl.pos = int32(len(out))
		out = append(out, e)
	}
	if dst == nil {
		dst = make([]entry, 0, len(out))
	}
	for wi, w := range s.ranks {
		if w == 0 {
			continue
		}
		s.ranks[wi] = 0
		for w != 0 {
			rank := wi<<6 | bits.TrailingZeros64(w)
			w &= w - 1
			dst = append(dst, out[s.slots[r.byID[rank]].pos])
		}
	}
	s.out = out
	return dst
}

// licenseOf aggregates the license type (L4) from the license bits of the
// assignments that carry the effective intent's strongest part.
func licenseOf(in Intent, lic uint8) mdm.LicenseType {
	var rel uint8
	switch {
	case in&IntentRequired != 0:
		rel = intentBitsRequired
	case in&(IntentAvailable|IntentAvailableWithoutEnrollment) != 0:
		rel = intentBitsAvail
	default:
		rel = intentBitsUninst
	}
	switch {
	case lic&rel != 0:
		return mdm.LicenseDevice
	case (lic>>4)&rel != 0:
		return mdm.LicenseUser
	case lic&0x0f != 0:
		return mdm.LicenseDevice
	}
	return mdm.LicenseUser
}
