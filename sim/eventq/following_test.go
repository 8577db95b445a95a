package eventq

import (
	"slices"
	"testing"
	"time"
)

// Following names the event after the first while both are in the heap, and
// nothing when the first is alone; it never changes the queue.
func TestQueue_Following(t *testing.T) {
	q, err := New[payload](4)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := q.Following(); ok {
		t.Fatal("Following on an empty queue")
	}
	for slot, at := range []Time{30, 10, 20} { // all within the first minute: the heap
		if err := q.Schedule(slot, at, payload{}); err != nil {
			t.Fatal(err)
		}
	}
	ev, _ := q.Next()
	if got, ok := q.Following(); ev.Slot != 1 || !ok || got != 2 {
		t.Fatalf("first %d, following %d %v; want 1 and 2", ev.Slot, got, ok)
	}
	q.Cancel(1)
	q.Pop() // slot 2
	if _, ok := q.Following(); ok {
		t.Fatal("Following with one event left")
	}
	// A far event (hours out) is not in the heap until its minute: no hint.
	if err := q.Schedule(3, Time(8*time.Hour), payload{}); err != nil {
		t.Fatal(err)
	}
	if got, ok := q.Following(); ok {
		t.Fatalf("Following = %d with the second event far", got)
	}
	if err := q.check(); err != nil {
		t.Fatal(err)
	}
}

// Upcoming names the events after the first, in order, from the run and the
// heap together, at most n of them, without changing the queue or allocating.
func TestQueue_Upcoming(t *testing.T) {
	q, err := New[payload](8)
	if err != nil {
		t.Fatal(err)
	}
	if up := q.Upcoming(nil, 3); len(up) != 0 {
		t.Fatalf("Upcoming on an empty queue: %v", up)
	}
	// Six events in one minute an hour out (the run, once it comes) ...
	base := Time(time.Hour)
	for slot, off := range []Time{50, 10, 40, 20, 60, 30} {
		if err := q.Schedule(slot, base+off, payload{}); err != nil {
			t.Fatal(err)
		}
	}
	ev, _ := q.Next()
	if ev.Slot != 1 {
		t.Fatalf("first %d, want 1", ev.Slot)
	}
	// ... and one scheduled into that minute meanwhile (the heap).
	if err := q.Schedule(6, base+35, payload{}); err != nil {
		t.Fatal(err)
	}
	want := []int{3, 5, 6, 2} // at +20, +30, +35, +40
	if up := q.Upcoming(nil, 4); !slices.Equal(up, want) {
		t.Fatalf("Upcoming(4) = %v, want %v", up, want)
	}
	if up := q.Upcoming(nil, 2); !slices.Equal(up, want[:2]) {
		t.Fatalf("Upcoming(2) = %v, want %v", up, want[:2])
	}
	if got, ok := q.Following(); !ok || got != 3 {
		t.Fatalf("Following = %d %v, want 3", got, ok)
	}
	buf := make([]int, 0, 4)
	if n := testing.AllocsPerRun(100, func() { buf = q.Upcoming(buf[:0], 4) }); n != 0 {
		t.Fatalf("Upcoming allocates %v times", n)
	}
	if err := q.check(); err != nil {
		t.Fatal(err)
	}
}
