package eventq

import "math/bits"

// calendar is a calendar queue (R. Brown, "Calendar queues", CACM 31(10), 1988)
// with the same contract as Queue: nbuckets buckets (a power of two) of width
// 2^shift nanoseconds; an event at t lives in bucket (t>>shift) mod nbuckets, in a
// list sorted by time. Pop scans forward from the bucket of the current time for
// a head that falls in that bucket's current "day".
//
// The lists are intrusive and doubly linked through per-slot arrays, so Schedule
// on a pending slot and Cancel unlink in O(1) and nothing is allocated per event.
// Links hold slot+1, so that 0 is "none"; a node's prev < 0 marks the head of
// bucket -prev-1, and prev == 0 marks a slot with no pending event.
//
// Ties: equal times fall in the same bucket, and an insert goes after every
// event with a time ≤ its own, so list order is schedule order and no sequence
// number is stored.
type calendar[P any] struct {
	node   []calNode[P] // per slot
	bucket []calBucket
	mask   int   // len(bucket)-1
	shift  uint8 // log2 of the bucket width in ns
	day    int64 // virtual bucket number (t>>shift) the scan is on
	n      int
	now    Time
	// Brown's rule picks the width when the bucket count changes, which in a
	// steady fleet is never, while the spread of pending times may change at
	// once (a push makes every device check in within a minute). So, as in
	// Oh and Ahn's dynamic calendar queue, the work of each op — buckets
	// scanned past the first, list nodes stepped over — is counted, and when a
	// window of ops uses more than calWork per op the width is measured again.
	work, ops, window int
	minWindow         int // calMinWindow; tests lower it to reach resizes in few ops
	// buckets reserved for the largest nbuckets that Slots() can ask for, so that
	// resizing never allocates.
	spare []calBucket
}

type calNode[P any] struct {
	at         Time
	next, prev int32
	payload    P // beside the links: Pop reads both, one cache miss instead of two
}

type calBucket struct{ head, tail int32 }

const (
	calMinBuckets = 4
	calMinWindow  = 1024 // ops between reviews of the width, at least
	calWork       = 8    // work per op above which the width is measured again
)

func newCalendar[P any](slots int) (*calendar[P], error) {
	q := &calendar[P]{shift: 30, window: calMinWindow, minWindow: calMinWindow} // ~1 s buckets until a resize measures better
	if err := q.Grow(slots); err != nil {
		return nil, err
	}
	q.bucket = q.spare[:calMinBuckets]
	q.mask = calMinBuckets - 1
	return q, nil
}

func (q *calendar[P]) Grow(slots int) error {
	if slots < 0 || slots > MaxSlots {
		return &Error{Op: "Grow", Slot: slots, Slots: len(q.node), Now: q.now, Err: ErrSlotRange}
	}
	if slots <= len(q.node) {
		return nil
	}
	add := slots - len(q.node)
	q.node = append(q.node, make([]calNode[P], add)...)
	// Resizing doubles nbuckets once n > 2·nbuckets, so n ≤ slots needs at most
	// the power of two ≥ slots/2.
	if need := max(calMinBuckets, 1<<bits.Len(uint(slots/2))); need > len(q.spare) {
		spare := make([]calBucket, need)
		copy(spare, q.bucket)
		q.spare = spare
		q.bucket = spare[:len(q.bucket)]
	}
	return nil
}

func (q *calendar[P]) Slots() int { return len(q.node) }
func (q *calendar[P]) Len() int   { return q.n }
func (q *calendar[P]) Now() Time  { return q.now }

func (q *calendar[P]) Pending(slot int) (Time, bool) {
	if uint(slot) >= uint(len(q.node)) || q.node[slot].prev == 0 {
		return 0, false
	}
	return q.node[slot].at, true
}

func (q *calendar[P]) Schedule(slot int, at Time, p P) error {
	if uint(slot) >= uint(len(q.node)) || at < q.now {
		return q.refuse(slot, at)
	}
	q.node[slot].payload = p
	if q.node[slot].prev != 0 {
		q.unlink(slot)
	} else {
		q.n++
		if q.n > 2*len(q.bucket) {
			q.node[slot].at = at
			q.resize(2*len(q.bucket), slot)
			return nil
		}
	}
	q.insert(slot, at)
	q.tally()
	return nil
}

func (q *calendar[P]) refuse(slot int, at Time) error {
	if uint(slot) >= uint(len(q.node)) {
		return &Error{Op: "Schedule", Slot: slot, Slots: len(q.node), At: at, Now: q.now, Err: ErrSlotRange}
	}
	return &Error{Op: "Schedule", Slot: slot, Slots: len(q.node), At: at, Now: q.now, Err: ErrPast}
}

func (q *calendar[P]) Cancel(slot int) (bool, error) {
	if uint(slot) >= uint(len(q.node)) {
		return false, &Error{Op: "Cancel", Slot: slot, Slots: len(q.node), Now: q.now, Err: ErrSlotRange}
	}
	if q.node[slot].prev == 0 {
		return false, nil
	}
	q.remove(slot)
	return true, nil
}

func (q *calendar[P]) Peek() (Event[P], bool) {
	s := q.next()
	if s < 0 {
		return Event[P]{}, false
	}
	return Event[P]{Slot: s, At: q.node[s].at, Payload: q.node[s].payload}, true
}

func (q *calendar[P]) Pop() (Event[P], bool) {
	s := q.next()
	if s < 0 {
		return Event[P]{}, false
	}
	ev := Event[P]{Slot: s, At: q.node[s].at, Payload: q.node[s].payload}
	q.now = ev.At
	q.remove(s)
	q.tally()
	return ev, true
}

// remove takes slot out for good (Pop, Cancel), shrinking the calendar when it
// has become sparse.
func (q *calendar[P]) remove(slot int) {
	q.unlink(slot)
	var zero P
	q.node[slot].payload = zero
	q.n--
	if q.n < len(q.bucket)/2 && len(q.bucket) > calMinBuckets {
		q.resize(len(q.bucket)/2, -1)
	}
}

// next returns the slot of the earliest event, moving the scan to its day, or -1.
// Every pending event is at or after the scan's day (insert moves the scan back
// if needed), so the first bucket whose head falls in the day being scanned holds
// the minimum.
func (q *calendar[P]) next() int {
	if q.n == 0 {
		return -1
	}
	day := q.day
	for i := range len(q.bucket) {
		statScan++
		if h := q.bucket[int(day)&q.mask].head; h != 0 && int64(q.node[h-1].at>>q.shift) == day {
			q.day = day
			q.work += i
			return int(h - 1)
		}
		day++
	}
	q.work += 2 * len(q.bucket)
	// A whole year of empty days: jump straight to the earliest head.
	best := int32(0)
	for _, b := range q.bucket {
		if b.head != 0 && (best == 0 || q.node[b.head-1].at < q.node[best-1].at) {
			best = b.head
		}
	}
	q.day = int64(q.node[best-1].at >> q.shift)
	return int(best - 1)
}

// insert links slot, due at at, into its bucket after every event due at or
// before at. Scanning from the tail is short in the common case of a new event
// later than those already in its bucket.
func (q *calendar[P]) insert(slot int, at Time) {
	day := int64(at >> q.shift)
	if day < q.day {
		q.day = day // a Peek moved the scan past this day
	}
	b := &q.bucket[int(day)&q.mask]
	nd := &q.node[slot]
	nd.at = at
	self := int32(slot + 1)
	after := b.tail
	for after != 0 && q.node[after-1].at > at {
		statStep++
		q.work++
		after = q.node[after-1].prev
		if after < 0 {
			after = 0
		}
	}
	if after == 0 { // new head
		nd.prev = -int32(int(day)&q.mask) - 1
		nd.next = b.head
		if b.head != 0 {
			q.node[b.head-1].prev = self
		} else {
			b.tail = self
		}
		b.head = self
		return
	}
	an := &q.node[after-1]
	nd.prev = after
	nd.next = an.next
	if an.next != 0 {
		q.node[an.next-1].prev = self
	} else {
		b.tail = self
	}
	an.next = self
}

// unlink takes slot out of its bucket list and marks it not pending.
func (q *calendar[P]) unlink(slot int) {
	nd := &q.node[slot]
	var b *calBucket
	if nd.prev < 0 {
		b = &q.bucket[-nd.prev-1]
		b.head = nd.next
	} else {
		q.node[nd.prev-1].next = nd.next
	}
	if nd.next != 0 {
		q.node[nd.next-1].prev = nd.prev
	} else {
		if b == nil {
			b = &q.bucket[int(nd.at>>q.shift)&q.mask]
		}
		b.tail = nd.prev
		if nd.prev < 0 {
			b.tail = 0
		}
	}
	nd.prev, nd.next = 0, 0
}

// tally counts one op and, once the window is over or its work budget spent,
// measures the width again if the ops were costly. While new widths do not help
// (a spread no width suits), the window doubles, up to about one op per event,
// so that the O(n) resizes stay a bounded share of the work.
func (q *calendar[P]) tally() {
	q.ops++
	if q.ops < q.window && q.work <= calWork*q.window {
		return
	}
	if q.work > calWork*q.ops {
		q.resize(len(q.bucket), -1)
		q.window = min(2*q.window, max(q.minWindow, 2*len(q.bucket)))
	} else {
		q.window = q.minWindow
	}
	q.ops, q.work = 0, 0
}

// calSample is how many of the earliest events resize looks at to choose the
// bucket width, as in Brown's paper.
const calSample = 25

// resize rebuilds the calendar with nb buckets and a width of about three times
// the mean gap between the earliest events (Brown's rule, gaps over twice the
// mean left out), rounded to a power of two so that a bucket number is a shift.
// extra, if ≥ 0, is a slot not yet linked whose node.at is set; it joins the
// rebuilt calendar.
func (q *calendar[P]) resize(nb, extra int) {
	statResize++
	// Gather every pending slot in (time, schedule order): bucket lists are in
	// that order within equal times, and a stable sort keeps it.
	var earliest [calSample]Time
	k := 0
	consider := func(at Time) {
		if k < calSample {
			k++
		} else if at >= earliest[calSample-1] {
			return
		}
		i := k - 1
		for i > 0 && earliest[i-1] > at {
			earliest[i] = earliest[i-1]
			i--
		}
		earliest[i] = at
	}
	var lo, hi Time
	first := true
	for _, b := range q.bucket {
		for s := b.head; s != 0; s = q.node[s-1].next {
			at := q.node[s-1].at
			consider(at)
			if first || at < lo {
				lo = at
			}
			if first || at > hi {
				hi = at
			}
			first = false
		}
	}
	if extra >= 0 {
		consider(q.node[extra].at)
	}
	width := int64(0)
	if k > 1 {
		sum := int64(0)
		for i := 1; i < k; i++ {
			sum += int64(earliest[i] - earliest[i-1])
		}
		mean := sum / int64(k-1)
		sum, m := 0, 0
		for i := 1; i < k; i++ {
			if g := int64(earliest[i] - earliest[i-1]); g <= 2*mean {
				sum += g
				m++
			}
		}
		if m > 0 {
			width = 3 * sum / int64(m)
		}
		if width == 0 && q.n > 0 { // all sampled events at one time
			width = int64(hi-lo) / int64(q.n)
		}
	}
	shift := q.shift
	if width > 0 {
		shift = uint8(bits.Len64(uint64(width)) - 1)
	}

	old := q.bucket
	// Relink in place: take all lists out first, into one chain in bucket
	// order; then insert each in chain order, which keeps schedule order among
	// equal times because equal times were in one old list, in order.
	chain := int32(0)
	tail := int32(0)
	for i := range old {
		h := old[i].head
		if h == 0 {
			continue
		}
		if chain == 0 {
			chain = h
		} else {
			q.node[tail-1].next = h
		}
		tail = old[i].tail
		old[i] = calBucket{}
	}
	q.bucket = q.spare[:nb]
	clear(q.bucket)
	q.mask = nb - 1
	q.shift = shift
	q.day = int64(q.now >> shift)
	for s := chain; s != 0; {
		nx := q.node[s-1].next
		at := q.node[s-1].at
		q.node[s-1].prev, q.node[s-1].next = 0, 0
		q.insert(int(s-1), at)
		s = nx
	}
	if extra >= 0 {
		q.insert(extra, q.node[extra].at)
	}
}

var statScan, statStep, statResize int
