package eventq

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// MaxSlots bounds the slot count of one queue. Positions are stored as int32 to
// keep the per-slot index small; a billion slots is far beyond any fleet.
const MaxSlots = 1 << 30

// root is the heap index of the minimum. The heap starts at arity-1 rather than
// at 0 so that the children of every node, arity*i-(arity-1)²+1 onward, start at a
// multiple of arity: with 16-byte entries and arity 4 they fill exactly one 64-byte
// cache line, so choosing the least child touches one line. Index 0 < root also
// frees the zero position to mean "not pending", which lets a grown position
// index start valid without a fill loop.
const root = arity - 1

// Event is one popped or peeked event.
type Event[P any] struct {
	Slot    int  // the slot it was scheduled on
	At      Time // when it fires
	Payload P    // what the scheduler attached
}

// entry is one heap element: 16 bytes, so four fit a cache line. The payload is
// not here but in a per-slot array: sifting moves entries, and a payload that
// rides along would make every move wider for no use.
type entry struct {
	at   Time
	seq  uint32 // schedule order, for FIFO among equal times; see renumber
	slot int32
}

func (a entry) less(b entry) bool {
	return a.at < b.at || (a.at == b.at && a.seq < b.seq)
}

// Queue is a priority queue of events keyed by (time, schedule order), with at
// most one pending event per slot. It is a sorted run of the current minute's
// events and a d-ary heap (d = 4) of the events scheduled into it, in front of a
// ring of one-minute buckets for the far ones, with a position index per slot,
// so Schedule on a pending slot and Cancel work in place: O(1) for a far event
// and for the run's first, O(log n) for one in the heap, and a shift of the
// events before it for any other in the run.
//
// A calendar queue (Brown 1988, with resizing) was built and measured against it
// on the hold model with fleet-like increments (bench/eventq, bench/RESULTS.md);
// the heap was faster at every size measured and does not degrade when many
// events share one time (a push to the whole fleet), so it is the one kept.
//
// The zero Queue has no slots; use New. A Queue is not safe for concurrent use:
// the simulator owns it on one goroutine.
type Queue[P any] struct {
	heap    []entry     // heap[root:] holds the near events; cap ≥ root+Slots()
	idx     []slotIndex // per slot: where its pending event is
	payload []P         // per slot: the payload of its pending event
	now     Time        // time of the last popped event; Schedule refuses earlier times
	seq     uint32      // the next sequence number

	// Far events wait unsorted in a ring of buckets, farWidth of time each,
	// until the run is used up and the heap holds nothing earlier; then the
	// bucket at horizon becomes the run (settle). See farBuckets.
	far     [][]entry
	horizon Time // a multiple of farWidth; every far event is at or after it, and within farSpan of it
	nFar    int

	// run is the bucket the horizon last passed, sorted: run[head:] are
	// pending, in order, and every one of them is before the horizon. Events
	// scheduled before the horizon meanwhile go to the heap; the first event
	// is the lesser of run[head] and the heap's root.
	run  []entry
	head int
	keys []uint64 // sortRun's scratch
}

// slotIndex is where a slot's pending event is: pos is its index in the heap
// (> 0), -(index+1) in its far bucket or the run (< 0; bkt says which), or 0
// when it has none. The two are side by side, one cache line for both: moving
// an event between places writes both, for slots all over the fleet.
type slotIndex struct {
	pos int32
	bkt int32 // its far bucket, or inRun, when pos < 0
}

// inRun is the bkt of a slot whose event is in the run (pos is then
// -(index+1), as for a far bucket).
const inRun = -1

// The far buckets. A fleet's timers are mostly hours out (the next check-in in
// about 8 h), and a heap holding all of them is deep and, in a simulator that
// touches much other memory between two events, cold: every sift misses the
// cache at its lower levels. So an event more than a bucket's width ahead is
// appended to the bucket of its minute, unsorted, in O(1); each bucket is
// sorted once, when its minute comes, and read in order, and the heap holds only
// the events scheduled into the current minute meanwhile. Events beyond the
// ring's span (farSpan, about 68 h) go to the heap directly. Order is exactly a
// heap's: by time, then schedule order.
const (
	farBuckets = 1 << 12
	farWidth   = Time(time.Minute)
	farSpan    = farBuckets * farWidth
)

// isFar says whether an event at at waits in a far bucket.
func (q *Queue[P]) isFar(at Time) bool { return at >= q.horizon && at-q.horizon < farSpan }

func farBucket(at Time) int { return int(uint64(at/farWidth) & (farBuckets - 1)) }

// addFar appends e to its far bucket.
func (q *Queue[P]) addFar(e entry) {
	b := farBucket(e.at)
	q.far[b] = append(q.far[b], e) // amortized: a bucket keeps its capacity when emptied
	q.idx[e.slot].pos = -int32(len(q.far[b]))
	q.idx[e.slot].bkt = int32(b)
	q.nFar++
}

// removeFar takes slot's event out of its far bucket, filling the hole with the
// bucket's last entry.
func (q *Queue[P]) removeFar(slot int) {
	b := q.idx[slot].bkt
	k := int(-q.idx[slot].pos - 1)
	bucket := q.far[b]
	last := len(bucket) - 1
	if k != last {
		moved := bucket[last]
		bucket[k] = moved
		q.idx[moved.slot].pos = -int32(k + 1)
	}
	q.far[b] = bucket[:last]
	q.idx[slot].pos = 0
	q.nFar--
}

// settle makes the next bucket the run once the run is used up and the heap
// holds nothing before the horizon, so that the lesser of the run's head and the
// heap's root is the queue's first event.
//
// The bucket is sorted as a whole (a few hundred events for a fleet of 100,000)
// and then read in order: each event costs a share of one sort and an index
// step, where moving the bucket into the heap cost a sift up and, when the
// event fired, a sift down through every level — the heap's lower levels being
// cold by then, in a simulator that touches much other memory between events.
func (q *Queue[P]) settle() {
	if q.nFar == 0 {
		// Nothing waits far: move the horizon up to now, so that events
		// scheduled from here on are measured from the present.
		if h := q.now - q.now%farWidth; h > q.horizon {
			q.horizon = h
		}
		return
	}
	for q.head == len(q.run) && q.nFar > 0 && (len(q.heap) == root || q.heap[root].at >= q.horizon) {
		b := farBucket(q.horizon)
		bucket := q.far[b]
		q.nFar -= len(bucket)
		// The bucket, sorted into the used-up run's memory, becomes the run;
		// the bucket keeps its own memory for the events of its next turn.
		q.run, q.head = q.sortRun(bucket, q.horizon, q.run[:0]), 0
		clear(bucket)
		q.far[b] = bucket[:0]
		if cap(bucket) > max(1024, 8*q.Len()/farBuckets) {
			q.far[b] = nil // a burst's bucket (a push to the whole fleet) does not keep its memory
		}
		for k, e := range q.run {
			q.idx[e.slot].pos = -int32(k + 1)
			q.idx[e.slot].bkt = inRun
		}
		q.horizon += farWidth
	}
}

// sortRun appends the events of bucket, whose times are in [start,
// start+farWidth), to dst in order. Each event's key is its offset in the
// minute (36 bits) above its index in the bucket: sorting plain integers
// compares without a call per comparison (slices.SortFunc's cost), and the
// rare events at the same nanosecond are put in schedule order after.
func (q *Queue[P]) sortRun(bucket []entry, start Time, dst []entry) []entry {
	const idxBits = 64 - 36
	if len(bucket) >= 1<<idxBits || farWidth >= 1<<36 {
		dst = append(dst, bucket...)
		slices.SortFunc(dst, compareEntries)
		return dst
	}
	keys := q.keys[:0]
	for k, e := range bucket {
		keys = append(keys, uint64(e.at-start)<<idxBits|uint64(k))
	}
	slices.Sort(keys)
	for _, key := range keys {
		dst = append(dst, bucket[key&(1<<idxBits-1)])
	}
	q.keys = keys
	// Ties of time: schedule order (insertion sort of each group; groups are
	// rare and small).
	for i := 1; i < len(dst); i++ {
		for j := i; j > 0 && dst[j].at == dst[j-1].at && dst[j].seq < dst[j-1].seq; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst
}

func compareEntries(a, b entry) int {
	if a.at != b.at {
		return cmp.Compare(a.at, b.at)
	}
	return cmp.Compare(a.seq, b.seq)
}

// first returns the first pending event, from the run or the heap; the caller
// has settled.
func (q *Queue[P]) first() (entry, bool) {
	switch {
	case q.head < len(q.run):
		e := q.run[q.head]
		if len(q.heap) > root && q.heap[root].less(e) {
			return q.heap[root], true
		}
		return e, true
	case len(q.heap) > root:
		return q.heap[root], true
	}
	return entry{}, false
}

// removeRun takes the run's k-th entry out. The run's head moves past it: the
// entries before it shift up one place (none, for the first event).
func (q *Queue[P]) removeRun(slot, k int) {
	if k != q.head {
		copy(q.run[q.head+1:k+1], q.run[q.head:k])
		for j := q.head + 1; j <= k; j++ {
			q.idx[q.run[j].slot].pos = -int32(j + 1)
		}
	}
	q.run[q.head] = entry{}
	q.head++
	q.idx[slot].pos = 0
}

// remove takes slot's pending event, at position i, out of the run, a far
// bucket or the heap, wherever it is.
func (q *Queue[P]) remove(slot int, i int32) {
	switch {
	case i < 0 && q.idx[slot].bkt == inRun:
		q.removeRun(slot, int(-i-1))
	case i < 0:
		q.removeFar(slot)
	default:
		q.removeAt(int(i))
	}
}

// New returns an empty queue for slots 0 … slots-1. It allocates the heap and
// the indexes for that many pending events; the far buckets grow to their
// working size in the first minutes and allocate no more in steady state.
// slots outside [0, MaxSlots] is an ErrSlotRange error.
func New[P any](slots int) (*Queue[P], error) {
	q := &Queue[P]{heap: make([]entry, root), far: make([][]entry, farBuckets)}
	if err := q.Grow(slots); err != nil {
		return nil, err
	}
	return q, nil
}

// Grow raises the slot count to slots; a smaller count changes nothing (slots
// are never taken away, so no pending event is lost). Capacity grows
// geometrically, so growing one slot at a time, as devices enroll, costs
// amortized O(1).
func (q *Queue[P]) Grow(slots int) error {
	if slots < 0 || slots > MaxSlots {
		return &Error{Op: "Grow", Slot: slots, Slots: len(q.idx), Now: q.now, Err: ErrSlotRange}
	}
	if slots <= len(q.idx) {
		return nil
	}
	add := slots - len(q.idx)
	q.idx = append(q.idx, make([]slotIndex, add)...)
	q.payload = append(q.payload, make([]P, add)...)
	if need := root + slots; cap(q.heap) < need {
		h := make([]entry, len(q.heap), max(need, 2*cap(q.heap)))
		copy(h, q.heap)
		q.heap = h
	}
	return nil
}

// Slots returns the slot count.
func (q *Queue[P]) Slots() int { return len(q.idx) }

// Len returns the number of pending events.
func (q *Queue[P]) Len() int { return len(q.heap) - root + q.nFar + len(q.run) - q.head }

// Now returns the time of the last popped event (0 before the first Pop).
func (q *Queue[P]) Now() Time { return q.now }

// Pending returns the time of slot's pending event. A slot with none, including
// any slot outside [0, Slots()), reports false.
func (q *Queue[P]) Pending(slot int) (Time, bool) {
	if uint(slot) >= uint(len(q.idx)) {
		return 0, false
	}
	switch i := q.idx[slot].pos; {
	case i > 0:
		return q.heap[i].at, true
	case i < 0 && q.idx[slot].bkt == inRun:
		return q.run[-i-1].at, true
	case i < 0:
		return q.far[q.idx[slot].bkt][-i-1].at, true
	}
	return 0, false
}

// Schedule sets slot's pending event to fire at at with payload p. If slot
// already has a pending event, that event is replaced in place: it takes the new
// time and payload and, among events at the same time, goes after those already
// scheduled, exactly as a fresh one would.
//
// A slot outside [0, Slots()) is an ErrSlotRange error and a time before Now() an
// ErrPast error; either way the queue is unchanged.
func (q *Queue[P]) Schedule(slot int, at Time, p P) error {
	if uint(slot) >= uint(len(q.idx)) || at < q.now {
		return q.refuse(slot, at)
	}
	if q.seq == math.MaxUint32 {
		q.renumber()
	}
	e := entry{at: at, seq: q.seq, slot: int32(slot)}
	q.seq++
	i := int(q.idx[slot].pos)
	if i < 0 {
		q.remove(slot, int32(i))
		i = 0
	}
	switch {
	case q.isFar(at):
		if i > 0 {
			q.removeAt(i) // the hold step after Next: the fired event leaves the heap
		}
		q.addFar(e)
	case i > 0 && at < q.heap[i].at:
		q.up(i, e)
	case i == root:
		q.sink(e)
	case i > 0:
		q.down(i, e)
	default:
		q.heap = append(q.heap, e) // within capacity: Grow reserved root+Slots()
		q.up(len(q.heap)-1, e)
	}
	q.payload[slot] = p
	return nil
}

// refuse builds the error for a Schedule that fails its checks. It is apart from
// Schedule to keep the formatting out of the hot path.
func (q *Queue[P]) refuse(slot int, at Time) error {
	if uint(slot) >= uint(len(q.idx)) {
		return &Error{Op: "Schedule", Slot: slot, Slots: len(q.idx), At: at, Now: q.now, Err: ErrSlotRange}
	}
	return &Error{Op: "Schedule", Slot: slot, Slots: len(q.idx), At: at, Now: q.now, Err: ErrPast}
}

// Cancel removes slot's pending event and reports whether there was one. A slot
// outside [0, Slots()) is an ErrSlotRange error; the queue is unchanged.
func (q *Queue[P]) Cancel(slot int) (bool, error) {
	if uint(slot) >= uint(len(q.idx)) {
		return false, &Error{Op: "Cancel", Slot: slot, Slots: len(q.idx), Now: q.now, Err: ErrSlotRange}
	}
	i := q.idx[slot].pos
	if i == 0 {
		return false, nil
	}
	q.remove(slot, i)
	var zero P
	q.payload[slot] = zero
	return true, nil
}

// Peek returns the next event without removing it, or false if none is pending.
func (q *Queue[P]) Peek() (Event[P], bool) {
	q.settle()
	e, ok := q.first()
	if !ok {
		return Event[P]{}, false
	}
	return Event[P]{Slot: int(e.slot), At: e.at, Payload: q.payload[e.slot]}, true
}

// Pop removes and returns the next event — the earliest, and among equally early
// ones the first scheduled — and advances Now() to its time. It returns false if
// none is pending.
func (q *Queue[P]) Pop() (Event[P], bool) {
	q.settle()
	e, ok := q.first()
	if !ok {
		return Event[P]{}, false
	}
	ev := Event[P]{Slot: int(e.slot), At: e.at, Payload: q.payload[e.slot]}
	q.now = e.at
	q.remove(int(e.slot), q.idx[e.slot].pos)
	var zero P
	q.payload[e.slot] = zero
	return ev, true
}

// Next returns the next event, like Pop, and advances Now() to its time, but
// leaves the event pending: the caller re-arms the slot with Schedule or ends it
// with Cancel. Until it does, the event stays first and Next returns it again.
//
// This is the hold step of a simulator, where the slot that fires is nearly
// always scheduled again: rescheduling the first event in place costs one sift
// down from the root, where Pop and a fresh Schedule cost a sift down of the last
// entry and a sift up of the new one.
func (q *Queue[P]) Next() (Event[P], bool) {
	q.settle()
	e, ok := q.first()
	if !ok {
		return Event[P]{}, false
	}
	q.now = e.at
	return Event[P]{Slot: int(e.slot), At: e.at, Payload: q.payload[e.slot]}, true
}

// Following returns the slot of the event that follows the first one, when
// there is one: the next in the run or the heap's least candidate. It is a
// hint, not an order (a far event or a re-armed first one may still come before
// it); the simulator uses it to warm the next device's memory while it handles
// the current one.
func (q *Queue[P]) Following() (int, bool) {
	var buf [1]int
	if up := q.Upcoming(buf[:0], 1); len(up) > 0 {
		return up[0], true
	}
	return 0, false
}

// maxUpcoming bounds Upcoming's look ahead.
const maxUpcoming = 4

// Upcoming appends to dst the slots of up to n (at most 4) events that follow
// the first one, in order, as Following names the next: a hint for warming
// memory some events ahead (the record of the event after next, the deeper
// state of the next), not an order. It reads the run's next events and the
// heap's root and least child, changes nothing and does not allocate.
func (q *Queue[P]) Upcoming(dst []int, n int) []int {
	n = min(n, maxUpcoming)
	if n <= 0 {
		return dst
	}
	run := q.run[q.head:min(q.head+n+1, len(q.run))] // sorted
	h := q.heap
	if len(h) == root { // the usual case: nothing scheduled into this minute
		for _, e := range run[min(1, len(run)):] {
			dst = append(dst, int(e.slot))
		}
		return dst
	}
	// The heap's candidates, sorted: its root, then the root's least child
	// (minChild when the root's children are all there).
	var hc [2]entry
	hc[0] = h[root]
	k := 1
	if c := firstChild(root); c+arity <= len(h) {
		_, hc[1] = minChild(h, c)
		k = 2
	} else if c < len(h) {
		hc[1] = h[c]
		for j := c + 1; j < len(h); j++ {
			if h[j].less(hc[1]) {
				hc[1] = h[j]
			}
		}
		k = 2
	}
	// Merge the two sorted lists; the first of all is the first event.
	heapPart := hc[:k]
	for taken := 0; taken <= n && (len(run) > 0 || len(heapPart) > 0); taken++ {
		var e entry
		if len(heapPart) == 0 || len(run) > 0 && run[0].less(heapPart[0]) {
			e, run = run[0], run[1:]
		} else {
			e, heapPart = heapPart[0], heapPart[1:]
		}
		if taken > 0 {
			dst = append(dst, int(e.slot))
		}
	}
	return dst
}

// removeAt takes the entry at heap index i out and fills the hole with the last
// entry.
func (q *Queue[P]) removeAt(i int) {
	gone := q.heap[i].slot
	q.idx[gone].pos = 0
	var zero P
	q.payload[gone] = zero // drop what the payload may point to
	last := len(q.heap) - 1
	e := q.heap[last]
	q.heap = q.heap[:last]
	if i == last {
		return
	}
	switch {
	case i == root:
		q.sink(e)
	case e.less(q.heap[parent(i)]):
		q.up(i, e)
	default:
		q.down(i, e)
	}
}

// sink places e at the root or below: after Pop, e is the entry that was last
// in the heap; after Next, it is the re-armed first event. It walks the hole at
// the root down to a leaf along the least children without comparing them to e,
// then sifts e up from there (Floyd's bottom-up heuristic). Either way e nearly
// always belongs near the bottom (the last entry came from there; a re-armed
// timer is hours out, behind nearly every pending one), so this saves the
// compare with e at every level, the one whose branch the processor cannot
// predict.
func (q *Queue[P]) sink(e entry) {
	h := q.heap
	n := len(h)
	i := root
	for {
		c := firstChild(i)
		if c+arity > n {
			break
		}
		m, me := minChild(h, c)
		h[i] = me
		q.idx[me.slot].pos = int32(i)
		i = m
	}
	// At most one node, the last parent, has fewer than arity children.
	if c := firstChild(i); c < n {
		m, me := c, h[c]
		for j := c + 1; j < n; j++ {
			if h[j].less(me) {
				m, me = j, h[j]
			}
		}
		h[i] = me
		q.idx[me.slot].pos = int32(i)
		i = m
	}
	q.up(i, e)
}

func parent(i int) int     { return i/arity + arity - 2 }
func firstChild(i int) int { return arity*i - (arity-1)*(arity-1) + 1 }

// up places e at index i or above, moving larger parents down.
func (q *Queue[P]) up(i int, e entry) {
	h := q.heap
	for i > root {
		p := parent(i)
		pe := h[p]
		if !e.less(pe) {
			break
		}
		h[i] = pe
		q.idx[pe.slot].pos = int32(i)
		i = p
	}
	h[i] = e
	q.idx[e.slot].pos = int32(i)
}

// down places e at index i or below, moving smaller children up.
func (q *Queue[P]) down(i int, e entry) {
	h := q.heap
	n := len(h)
	for {
		c := firstChild(i)
		if c >= n {
			break
		}
		end := min(c+arity, n)
		m, me := c, h[c]
		for j := c + 1; j < end; j++ {
			if h[j].less(me) {
				m, me = j, h[j]
			}
		}
		if !me.less(e) {
			break
		}
		h[i] = me
		q.idx[me.slot].pos = int32(i)
		i = m
	}
	h[i] = e
	q.idx[e.slot].pos = int32(i)
}

// renumber gives the pending events the sequence numbers 0 … Len()-1 in their
// current order. Sequence numbers are 32 bits to keep an entry at 16 bytes; they
// run out after 4 billion schedules, and renumbering then keeps every order
// (so the heap stays valid) while freeing the numbers above Len(). It allocates,
// once per 4 billion schedules.
func (q *Queue[P]) renumber() {
	live := slices.Clone(q.heap[root:])
	for _, b := range q.far {
		live = append(live, b...)
	}
	live = append(live, q.run[q.head:]...)
	slices.SortFunc(live, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
	})
	for rank, e := range live {
		switch i := q.idx[e.slot].pos; {
		case i > 0:
			q.heap[i].seq = uint32(rank)
		case q.idx[e.slot].bkt == inRun:
			q.run[-i-1].seq = uint32(rank)
		default:
			q.far[q.idx[e.slot].bkt][-i-1].seq = uint32(rank)
		}
	}
	q.seq = uint32(len(live))
}

// minChild returns the least of a full set of siblings, which start at heap
// index c, and its index. For the default arity it plays a two-round tournament
// of branch-free picks: which child is least is a coin toss the processor cannot
// predict, so a pick is a conditional move of an index, not a jump.
func minChild(h []entry, c int) (int, entry) {
	kids := h[c : c+arity : c+arity]
	if arity == 4 {
		a := lesser(kids, 0, 1)
		b := lesser(kids, 2, 3)
		m := lesser(kids, a, b)
		return c + m, kids[m&(arity-1)]
	}
	if arity == 8 {
		a := lesser(kids, lesser(kids, 0, 1), lesser(kids, 2, 3))
		b := lesser(kids, lesser(kids, 4, 5), lesser(kids, 6, 7))
		m := lesser(kids, a, b)
		return c + m, kids[m&(arity-1)]
	}
	m, me := 0, kids[0]
	for j := 1; j < arity; j++ {
		if kids[j].less(me) {
			m, me = j, kids[j]
		}
	}
	return c + m, me
}

// lesser returns whichever of the indexes i and j holds the lesser entry,
// computing the choice as flags rather than jumps.
func lesser(kids []entry, i, j int) int {
	a, b := kids[i&(arity-1)], kids[j&(arity-1)]
	pick := b2i(b.at < a.at) | b2i(b.at == a.at)&b2i(b.seq < a.seq)
	return i ^ (i^j)&-pick
}

// b2i compiles to a flag set, without a jump.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
