// Package eventq is the event queue of the simulator: pending events keyed by
// (virtual time, schedule order), at most one per slot, where a slot is a device
// or another actor that owns one timer.
//
// The simulator runs on one goroutine and calls Schedule, Cancel and Pop millions
// of times a second, so the queue is built for that loop:
//
//   - one pending event per slot, rescheduled and cancelled in place through a
//     per-slot position index, so there are never dead entries to skip;
//   - Next hands out the first event and leaves it pending, so that the
//     simulator re-arms the slot that fired in place;
//   - events more than a minute ahead wait unsorted in a ring of one-minute
//     buckets; when its minute comes a bucket is sorted as a whole (a few hundred
//     events for 100,000 devices) into the run, which is read in order, and only
//     events scheduled into the current minute go to a small heap beside it;
//   - ties at the same time pop in the order they were scheduled, so a run is a
//     pure function of its inputs (DESIGN "Determinism");
//   - Schedule, Cancel and Pop do not allocate in steady state: New and Grow
//     reserve the heap and the indexes for every slot, and a bucket keeps its
//     capacity (up to eight times the average) from one minute to the next;
//   - a refused call (a slot out of range, a time in the past) returns an *Error
//     and leaves the queue unchanged.
//
// Queue is a sorted run and a 4-ary heap for the current minute in front of the
// ring of far buckets. A calendar queue with dynamic bucket width was built beside the plain
// heap and measured on the hold model with fleet-like increments; the heap won at
// every size measured and does not degrade when a whole fleet is pushed to the
// same minute. The far buckets came later, for the simulator's cache: with them
// the hold model runs about twice as fast, and the default fleet scenario spends
// half the time in the queue it did (bench/results/sim.md). The run came last:
// a bucket sorted once, as integers, and read in order costs less per event
// than a sift up into the heap and a sift down out of it through levels gone
// cold meanwhile (hold model 84-88 -> 70-72 ns). The calendar queue is
// kept in the tests, where the model test checks it against the same contract and
// BenchmarkCompareHold and BenchmarkComparePush measure it.
package eventq
