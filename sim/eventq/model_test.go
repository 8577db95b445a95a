package eventq

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// payload is the payload the tests use: what the simulator is expected to carry.
type payload struct{ Kind, Arg uint32 }

// queue is the contract both implementations meet, so that one model test
// checks both.
type queue interface {
	Grow(slots int) error
	Slots() int
	Len() int
	Now() Time
	Pending(slot int) (Time, bool)
	Schedule(slot int, at Time, p payload) error
	Cancel(slot int) (bool, error)
	Peek() (Event[payload], bool)
	Pop() (Event[payload], bool)
	// check verifies the internal invariants (heap order and positions, or sorted
	// bucket lists and links); it is declared in the test files.
	check() error
}

var (
	_ queue = (*Queue[payload])(nil)
	_ queue = (*calendar[payload])(nil)
)

// impls lists the implementations under test. seqStart lets a test start the
// heap's sequence numbers near their end, so that renumbering runs.
var impls = []struct {
	name string
	new  func(slots int, seqStart uint32) (queue, error)
}{
	{"heap", func(slots int, seqStart uint32) (queue, error) {
		q, err := New[payload](slots)
		if err != nil {
			return nil, err
		}
		q.seq = seqStart
		return q, nil
	}},
	{"calendar", func(slots int, _ uint32) (queue, error) {
		q, err := newCalendar[payload](slots)
		if err != nil {
			return nil, err
		}
		q.minWindow, q.window = 2, 2 // review the width often, so that tests reach it
		return q, nil
	}},
}

// model is the obviously correct queue: a slice searched linearly.
type model struct {
	slots   int
	now     Time
	seq     uint64
	pending []modelEvent
}

type modelEvent struct {
	slot int
	at   Time
	seq  uint64
	p    payload
}

func (m *model) find(slot int) int {
	return slices.IndexFunc(m.pending, func(e modelEvent) bool { return e.slot == slot })
}

func (m *model) schedule(slot int, at Time, p payload) error {
	switch {
	case slot < 0 || slot >= m.slots:
		return ErrSlotRange
	case at < m.now:
		return ErrPast
	}
	if i := m.find(slot); i >= 0 {
		m.pending = slices.Delete(m.pending, i, i+1)
	}
	m.pending = append(m.pending, modelEvent{slot, at, m.seq, p})
	m.seq++
	return nil
}

func (m *model) cancel(slot int) (bool, error) {
	if slot < 0 || slot >= m.slots {
		return false, ErrSlotRange
	}
	if i := m.find(slot); i >= 0 {
		m.pending = slices.Delete(m.pending, i, i+1)
		return true, nil
	}
	return false, nil
}

func (m *model) peek() (Event[payload], bool) {
	if len(m.pending) == 0 {
		return Event[payload]{}, false
	}
	e := slices.MinFunc(m.pending, func(a, b modelEvent) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.seq, b.seq))
	})
	return Event[payload]{Slot: e.slot, At: e.at, Payload: e.p}, true
}

func (m *model) pop() (Event[payload], bool) {
	ev, ok := m.peek()
	if ok {
		m.now = ev.At
		m.cancel(ev.Slot)
	}
	return ev, ok
}

// next is Next on the model: the first event, left pending, with now at its time.
func (m *model) next() (Event[payload], bool) {
	ev, ok := m.peek()
	if ok {
		m.now = ev.At
	}
	return ev, ok
}

func (m *model) pendingAt(slot int) (Time, bool) {
	if i := m.find(slot); i >= 0 {
		return m.pending[i].at, true
	}
	return 0, false
}

// TestQueue_Model runs random Schedule, Cancel, Pop, Peek, Pending and Grow calls
// on each implementation and on the model, and compares every result and the
// whole state after each step. No SPEC rule: DESIGN "Determinism" (ties pop in
// schedule order) and "Errors" (bad input changes nothing).
func TestQueue_Model(t *testing.T) {
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				slots := rapid.IntRange(1, 40).Draw(t, "slots")
				seqStart := uint32(0)
				if rapid.Bool().Draw(t, "seqNearEnd") {
					seqStart = math.MaxUint32 - uint32(rapid.IntRange(0, 30).Draw(t, "seqLeft"))
				}
				q, err := impl.new(slots, seqStart)
				if err != nil {
					t.Fatal(err)
				}
				m := &model{slots: slots}
				// Times are drawn at several scales so that the calendar meets
				// both crowded and sparse buckets, and from a few values so
				// that ties are common.
				scale := rapid.SampledFrom([]int64{1, 1000, 1 << 20, 1 << 30, 1 << 36, 1 << 42, 1 << 46}).Draw(t, "scale")
				drawSlot := func(t *rapid.T) int {
					return rapid.IntRange(-1, m.slots).Draw(t, "slot") // one either side out of range
				}
				t.Repeat(map[string]func(*rapid.T){
					"Schedule": func(t *rapid.T) {
						slot := drawSlot(t)
						at := m.now + Time(rapid.Int64Range(-2, 12).Draw(t, "delta")*scale)
						p := payload{rapid.Uint32().Draw(t, "kind"), rapid.Uint32().Draw(t, "arg")}
						got := q.Schedule(slot, at, p)
						want := m.schedule(slot, at, p)
						sameErr(t, "Schedule", got, want)
					},
					// Fill schedules many at once: Repeat takes about 30 steps,
					// too few to reach the calendar's resizes one event a step.
					"Fill": func(t *rapid.T) {
						for range rapid.IntRange(1, 2*m.slots).Draw(t, "count") {
							slot := rapid.IntRange(0, m.slots-1).Draw(t, "slot")
							at := m.now + Time(rapid.Int64Range(0, 12).Draw(t, "delta")*scale)
							p := payload{Kind: uint32(slot), Arg: uint32(m.seq)}
							sameErr(t, "Schedule", q.Schedule(slot, at, p), m.schedule(slot, at, p))
						}
					},
					"Drain": func(t *rapid.T) {
						for range rapid.IntRange(1, 2*m.slots).Draw(t, "count") {
							got, gotOK := q.Pop()
							want, wantOK := m.pop()
							if gotOK != wantOK || got != want {
								t.Fatalf("Pop() = %+v %v, want %+v %v", got, gotOK, want, wantOK)
							}
						}
					},
					"Cancel": func(t *rapid.T) {
						slot := drawSlot(t)
						got, gotErr := q.Cancel(slot)
						want, wantErr := m.cancel(slot)
						sameErr(t, "Cancel", gotErr, wantErr)
						if got != want {
							t.Fatalf("Cancel(%d) = %v, want %v", slot, got, want)
						}
					},
					"Pop": func(t *rapid.T) {
						got, gotOK := q.Pop()
						want, wantOK := m.pop()
						if gotOK != wantOK || got != want {
							t.Fatalf("Pop() = %+v %v, want %+v %v", got, gotOK, want, wantOK)
						}
					},
					// Next, then (most of the time) re-arm or end the slot it
					// returned: the simulator's hold step. The heap only; the
					// calendar was measured with Pop.
					"Next": func(t *rapid.T) {
						hq, ok := q.(*Queue[payload])
						if !ok {
							t.Skip("Next is the heap's")
						}
						got, gotOK := hq.Next()
						want, wantOK := m.next()
						if gotOK != wantOK || got != want {
							t.Fatalf("Next() = %+v %v, want %+v %v", got, gotOK, want, wantOK)
						}
						if !gotOK {
							return
						}
						switch rapid.IntRange(0, 2).Draw(t, "then") {
						case 0: // re-arm, possibly at the same time
							at := m.now + Time(rapid.Int64Range(0, 12).Draw(t, "delta")*scale)
							p := payload{Kind: 7, Arg: uint32(m.seq)}
							sameErr(t, "Schedule", hq.Schedule(got.Slot, at, p), m.schedule(got.Slot, at, p))
						case 1:
							g, _ := hq.Cancel(got.Slot)
							w, _ := m.cancel(got.Slot)
							if g != w {
								t.Fatalf("Cancel after Next = %v, want %v", g, w)
							}
						}
					},
					"Peek": func(t *rapid.T) {
						got, gotOK := q.Peek()
						want, wantOK := m.peek()
						if gotOK != wantOK || got != want {
							t.Fatalf("Peek() = %+v %v, want %+v %v", got, gotOK, want, wantOK)
						}
					},
					"Grow": func(t *rapid.T) {
						n := rapid.IntRange(-1, m.slots+10).Draw(t, "n")
						err := q.Grow(n)
						if n < 0 {
							sameErr(t, "Grow", err, ErrSlotRange)
							return
						}
						sameErr(t, "Grow", err, nil)
						m.slots = max(m.slots, n)
					},
					"": func(t *rapid.T) {
						if q.Len() != len(m.pending) || q.Slots() != m.slots || q.Now() != m.now {
							t.Fatalf("Len, Slots, Now = %d, %d, %v; want %d, %d, %v",
								q.Len(), q.Slots(), q.Now(), len(m.pending), m.slots, m.now)
						}
						for s := -1; s <= m.slots; s++ {
							at, ok := q.Pending(s)
							wantAt, wantOK := m.pendingAt(s)
							if at != wantAt || ok != wantOK {
								t.Fatalf("Pending(%d) = %v %v, want %v %v", s, at, ok, wantAt, wantOK)
							}
						}
						if err := q.check(); err != nil {
							t.Fatal(err)
						}
					},
				})
			})
		})
	}
}

// sameErr fails unless got and want are both nil or got is an *Error wrapping
// want.
func sameErr(t *rapid.T, op string, got, want error) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Fatalf("%s: unexpected error %v", op, got)
		}
		return
	}
	var e *Error
	if !errors.Is(got, want) || !errors.As(got, &e) || e.Op != op {
		t.Fatalf("%s: error %v, want an *Error from %s wrapping %v", op, got, op, want)
	}
}

func (q *Queue[P]) check() error {
	if len(q.heap) < root {
		return fmt.Errorf("heap shorter than its root offset: %d", len(q.heap))
	}
	seen := 0
	for i := root; i < len(q.heap); i++ {
		e := q.heap[i]
		if i > root && e.less(q.heap[parent(i)]) {
			return fmt.Errorf("heap order broken at %d", i)
		}
		if int(q.idx[e.slot].pos) != i {
			return fmt.Errorf("slot %d at heap index %d, position says %d", e.slot, i, q.idx[e.slot].pos)
		}
		if e.seq >= q.seq {
			return fmt.Errorf("slot %d has sequence number %d, not below the next %d", e.slot, e.seq, q.seq)
		}
	}
	if q.horizon%farWidth != 0 {
		return fmt.Errorf("horizon %v is not a multiple of the bucket width", q.horizon)
	}
	far := 0
	for b, bucket := range q.far {
		for k, e := range bucket {
			far++
			if farBucket(e.at) != b || e.at < q.horizon || e.at-q.horizon >= farSpan {
				return fmt.Errorf("slot %d at %v is in far bucket %d, horizon %v", e.slot, e.at, b, q.horizon)
			}
			if q.idx[e.slot].pos != -int32(k+1) || q.idx[e.slot].bkt != int32(b) {
				return fmt.Errorf("slot %d at far bucket %d index %d, position says %d in bucket %d", e.slot, b, k, q.idx[e.slot].pos, q.idx[e.slot].bkt)
			}
			if e.seq >= q.seq {
				return fmt.Errorf("slot %d has sequence number %d, not below the next %d", e.slot, e.seq, q.seq)
			}
		}
	}
	if far != q.nFar {
		return fmt.Errorf("%d far events, count says %d", far, q.nFar)
	}
	for k := q.head; k < len(q.run); k++ {
		e := q.run[k]
		if k > q.head && e.less(q.run[k-1]) {
			return fmt.Errorf("run out of order at %d", k)
		}
		if e.at >= q.horizon {
			return fmt.Errorf("slot %d at %v is in the run, horizon %v", e.slot, e.at, q.horizon)
		}
		if q.idx[e.slot].pos != -int32(k+1) || q.idx[e.slot].bkt != inRun {
			return fmt.Errorf("slot %d at run index %d, position says %d in bucket %d", e.slot, k, q.idx[e.slot].pos, q.idx[e.slot].bkt)
		}
		if e.seq >= q.seq {
			return fmt.Errorf("slot %d has sequence number %d, not below the next %d", e.slot, e.seq, q.seq)
		}
	}
	for k := range q.head {
		if q.run[k] != (entry{}) {
			return fmt.Errorf("run entry %d before the head is not cleared", k)
		}
	}
	for _, x := range q.idx {
		if x.pos != 0 {
			seen++
		}
	}
	if seen != q.Len() {
		return fmt.Errorf("%d slots marked pending, %d events in the queue", seen, q.Len())
	}
	return nil
}

func (q *calendar[P]) check() error {
	count := 0
	for bi, b := range q.bucket {
		prev := -int32(bi) - 1
		last := int32(0)
		for s := b.head; s != 0; s = q.node[s-1].next {
			nd := q.node[s-1]
			if nd.prev != prev {
				return fmt.Errorf("bucket %d: slot %d has prev %d, want %d", bi, s-1, nd.prev, prev)
			}
			if int(nd.at>>q.shift)&q.mask != bi {
				return fmt.Errorf("slot %d at %v is in bucket %d, belongs in %d", s-1, nd.at, bi, int(nd.at>>q.shift)&q.mask)
			}
			if last != 0 && q.node[last-1].at > nd.at {
				return fmt.Errorf("bucket %d out of order at slot %d", bi, s-1)
			}
			if int64(nd.at>>q.shift) < q.day {
				return fmt.Errorf("slot %d at %v is before the scan's day %d", s-1, nd.at, q.day)
			}
			prev, last = s, s
			count++
		}
		if b.tail != last {
			return fmt.Errorf("bucket %d: tail %d, last node %d", bi, b.tail, last)
		}
	}
	if count != q.n {
		return fmt.Errorf("%d events linked, count says %d", count, q.n)
	}
	pending := 0
	for _, nd := range q.node {
		if nd.prev != 0 {
			pending++
		}
	}
	if pending != q.n {
		return fmt.Errorf("%d slots marked pending, count says %d", pending, q.n)
	}
	return nil
}
