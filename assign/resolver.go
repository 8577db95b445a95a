package assign

import (
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/mdmkit/mdmkit/mdm"
)

// DeviceIndex is the dense index the Resolver gives a device id. An index, once
// given to an id, stays that id's index for the Resolver's life, also across
// RemoveDevice and a later PutDevice of the same id, so callers (the tenant) can
// keep per-device state in slices indexed by it.
type DeviceIndex int32

// AppIndex is the dense index the Resolver gives an app id, stable in the same way.
type AppIndex int32

// Resolver holds what resolution needs: the directory (users, devices, groups with
// nesting), the facts of each app (type and publishing state) and the
// assignments. It answers, for a device, which apps it gets with which effective
// intent (ResolveDevice), and why (Explain).
//
// A Resolver is safe for concurrent use. Mutations are exclusive; resolution and
// Explain run concurrently with each other, also for the same device. A mutation
// returns the devices whose resolution it may alter (Affected); their cached
// resolutions are invalidated by version counters, and nothing else is recomputed.
type Resolver struct {
	mu shardedRW

	userIdx   map[mdm.UserID]int32
	users     []userRec
	deviceIdx deviceTable
	devices   []*deviceRec
	groupIdx  map[mdm.GroupID]int32
	groups    []groupRec
	appIdx    map[mdm.AppID]int32
	apps      []appRec
	// appIDs maps an app index to its id. It is append-only: a Resolution keeps
	// the slice header it saw and reads it without the lock.
	appIDs []mdm.AppID
	// byID lists every interned app index in id order; apps[i].rank is i's
	// position in it, so sorting by rank sorts by id without comparing strings.
	byID []int32
	// appMeta is what cold resolution reads of each app, kept dense.
	appMeta []appMeta
	asgIdx  map[mdm.AssignmentID]int32
	asgs    []asgRec
	// flats[g] holds the items of every assignment targeting group g or one of
	// its ancestors: a member of g is a member of them all (D1), so a device
	// walks the flat lists of its direct groups only. Kept apart from groupRec
	// so that cold resolution reads a dense array.
	flats [][]item
	// above[g] lists, sorted, g and the groups nesting it (at any depth) that
	// some assignment targets: the groups whose items flats[g] holds, and what
	// a change of g's members can alter. Kept so that a change reads it instead
	// of walking every group above g, which is slow when nesting is deep.
	above [][]int32

	// Assignments targeting All users and All devices, and their items.
	allUsers, allDevices         []int32
	allUsersFlat, allDevicesFlat []item

	// deadlines interns the distinct deadline instants; deadlines[0] means none.
	// Append-only like appIDs.
	deadlines   []time.Time
	deadlineIdx map[deadlineKey]int32

	// gen counts mutations that altered some resolution; a device's version is the
	// gen of the last change that affected it.
	gen uint64

	liveDevices int

	scratch sync.Pool // *scratch, for cold resolution

	// Write-side scratch, used only under the write lock.
	marks   marks
	marks2  marks
	devSeen bitset
}

type userRec struct {
	id      mdm.UserID
	name    string
	alive   bool
	groups  []int32 // direct user groups, sorted; change with setGroups
	hot     hotGroups
	devices []int32 // devices whose primary user this is, sorted
}

func (u *userRec) setGroups(gs []int32) { u.groups = gs; u.hot.set(gs) }

// hotGroups keeps a copy of a member's direct groups inside its record when they
// fit (most users are in a handful), so that cold resolution reads them without
// following the slice to another cache line.
type hotGroups struct {
	g [6]int32
	n int8 // -1: more than fit, read the slice
}

func (h *hotGroups) set(gs []int32) {
	if len(gs) > len(h.g) {
		h.n = -1
		return
	}
	h.n = int8(copy(h.g[:], gs))
}

func (h *hotGroups) list(all []int32) []int32 {
	if h.n < 0 {
		return all
	}
	return h.g[:h.n]
}

const (
	devEnrolled uint8 = 1 << iota // EnrolledMDM (D4)
	devCorpAE                     // Android Enterprise fully managed or COPE (A4)
)

type deviceRec struct {
	// The cached resolution, read by every warm resolution, so it sits first
	// and holds the list itself rather than a pointer to a header: a warm
	// ResolveDevice touches this record and nothing else of the device.
	// cver is the version the list was computed at (0: none). Readers under
	// the read lock may store concurrently; they all compute the same list for
	// the same version, so any mix of their stores is consistent, and cver is
	// stored last so that a reader that sees it current sees a list for it.
	cver  atomic.Uint64
	clist atomic.Pointer[entry] // first entry of the list
	clen  atomic.Int32
	// primary is the user index, -1 for none (D3).
	primary int32
	ver     uint64 // written under the write lock only
	id      mdm.DeviceID
	alive   bool
	flags   uint8
	// idBuf holds the bytes of id when they fit (a Graph GUID does): the id
	// lookup of a warm resolution compares them next to the fields above
	// instead of following the string to another cache line.
	idBuf  [idInline]byte
	hot    hotGroups
	name   string
	mode   mdm.AndroidEnterpriseMode // for explanations (A4)
	groups []int32                   // direct device groups, sorted; change with setGroups
}

func (d *deviceRec) setGroups(gs []int32) { d.groups = gs; d.hot.set(gs) }

const idInline = 40

func newDeviceRec(id mdm.DeviceID) *deviceRec {
	d := &deviceRec{id: id, primary: -1}
	if len(id) <= idInline {
		n := copy(d.idBuf[:], id)
		d.id = mdm.DeviceID(unsafe.String(&d.idBuf[0], n))
	}
	return d
}

// cached returns the device's cached list if it is current.
func (d *deviceRec) cached() ([]entry, bool) {
	if d.cver.Load() != d.ver {
		return nil, false
	}
	return unsafe.Slice(d.clist.Load(), d.clen.Load()), true
}

// store caches list as the device's resolution at its current version.
func (d *deviceRec) store(list []entry) {
	var first *entry
	if len(list) > 0 {
		first = &list[0]
	}
	d.clist.Store(first)
	d.clen.Store(int32(len(list)))
	d.cver.Store(d.ver)
}

type groupRec struct {
	id        mdm.GroupID
	name      string
	alive     bool
	kind      mdm.MemberKind
	users     []int32 // direct members, sorted
	devices   []int32
	children  []int32 // nested groups, sorted
	parents   []int32
	targeting []int32 // assignments whose target is this group (include or exclusion), sorted
}

type appRec struct {
	alive       bool
	typ         mdm.AppType
	state       mdm.PublishingState
	name        string
	assignments []int32 // live assignments of the app, sorted
}

type appMeta struct {
	rank int32 // position in id order
	ios  bool  // an iOS store app (A8)
}

type asgRec struct {
	a     mdm.Assignment
	alive bool
	app   int32
	group int32 // target group, -1 for All users / All devices
	kind  mdm.MemberKind
	it    item
}

type deadlineKey struct {
	sec  int64
	nsec int32
}

// New returns an empty Resolver.
func New() *Resolver {
	r := &Resolver{
		userIdx:     make(map[mdm.UserID]int32),
		deviceIdx:   newDeviceTable(),
		groupIdx:    make(map[mdm.GroupID]int32),
		appIdx:      make(map[mdm.AppID]int32),
		asgIdx:      make(map[mdm.AssignmentID]int32),
		deadlines:   []time.Time{{}},
		deadlineIdx: make(map[deadlineKey]int32),
	}
	r.scratch.New = func() any { return new(scratch) }
	return r
}

// DeviceIndex returns the index of a device id, and whether the id was ever
// added. A removed device keeps its index.
func (r *Resolver) DeviceIndex(id mdm.DeviceID) (DeviceIndex, bool) {
	r.mu.RLock()
	i, ok := r.findDevice(id)
	r.mu.RUnlock()
	return DeviceIndex(i), ok
}

// DeviceID returns the id of a device index ("" when out of range).
func (r *Resolver) DeviceID(i DeviceIndex) mdm.DeviceID {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if i < 0 || int(i) >= len(r.devices) {
		return ""
	}
	return r.devices[i].id
}

// NumDeviceIndexes is one more than the largest device index given so far: the
// length a slice indexed by DeviceIndex needs.
func (r *Resolver) NumDeviceIndexes() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.devices)
}

// NumDevices is the number of devices in the directory now.
func (r *Resolver) NumDevices() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.liveDevices
}

// AppIndex returns the index of an app id, and whether the id was ever added.
func (r *Resolver) AppIndex(id mdm.AppID) (AppIndex, bool) {
	r.mu.RLock()
	i, ok := r.appIdx[id]
	r.mu.RUnlock()
	return AppIndex(i), ok
}

// AppID returns the id of an app index ("" when out of range).
func (r *Resolver) AppID(i AppIndex) mdm.AppID {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if i < 0 || int(i) >= len(r.appIDs) {
		return ""
	}
	return r.appIDs[i]
}

// NumAppIndexes is one more than the largest app index given so far.
func (r *Resolver) NumAppIndexes() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.appIDs)
}

// ---- small sorted-set helpers ----

func insertSorted(s []int32, v int32) ([]int32, bool) {
	i, found := slices.BinarySearch(s, v)
	if found {
		return s, false
	}
	return slices.Insert(s, i, v), true
}

func removeSorted(s []int32, v int32) ([]int32, bool) {
	i, found := slices.BinarySearch(s, v)
	if !found {
		return s, false
	}
	return slices.Delete(s, i, i+1), true
}

func editSorted(s []int32, v int32, add bool) []int32 {
	if add {
		s, _ = insertSorted(s, v)
	} else {
		s, _ = removeSorted(s, v)
	}
	return s
}

func containsSorted(s []int32, v int32) bool {
	_, found := slices.BinarySearch(s, v)
	return found
}

// marks is an epoch-stamped visited set over group indexes.
type marks struct {
	m []uint32
	e uint32
	// visits counts visit calls, for tests that bound the work of a change.
	visits uint64
}

func (m *marks) reset(n int) {
	if len(m.m) < n {
		m.m = make([]uint32, n+n/4+16)
		m.e = 0
	}
	m.e++
	if m.e == 0 {
		clear(m.m)
		m.e = 1
	}
}

// visit marks i and reports whether it was not marked before.
func (m *marks) visit(i int32) bool {
	m.visits++
	if m.m[i] == m.e {
		return false
	}
	m.m[i] = m.e
	return true
}

// has reports whether i is marked.
func (m *marks) has(i int32) bool { return m.m[i] == m.e }

// bitset is a set of device indexes. It remembers the indexes it holds, so that
// a small change costs little in a large tenant: reset clears only the words it
// touched, and listing sorts the few indexes instead of scanning every word.
type bitset struct {
	w    []uint64
	list []int32
}

func (b *bitset) reset(n int) {
	words := (n + 63) / 64
	if len(b.list) > len(b.w)/8 {
		clear(b.w)
	} else {
		for _, i := range b.list {
			b.w[i>>6] = 0
		}
	}
	if len(b.w) < words {
		b.w = append(b.w, make([]uint64, words-len(b.w))...)
	}
	b.list = b.list[:0]
}

func (b *bitset) add(i int32) {
	w, m := i>>6, uint64(1)<<(i&63)
	if b.w[w]&m == 0 {
		b.w[w] |= m
		b.list = append(b.list, i)
	}
}

// sorted returns the indexes in ascending order.
func (b *bitset) sorted() []int32 {
	if len(b.list) <= len(b.w) {
		slices.Sort(b.list)
		return b.list
	}
	out := b.list[:0]
	for wi, w := range b.w {
		for w != 0 {
			out = append(out, int32(wi)<<6|int32(bits.TrailingZeros64(w)))
			w &= w - 1
		}
	}
	return out
}
