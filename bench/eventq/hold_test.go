// Package eventq benchmarks the simulator's event queue, sim/eventq, on the hold
// model: a fixed population of pending timers where each step takes the first
// event and schedules the same slot again a random increment later. That is the
// simulator's steady state: every device has one pending timer, and a device that
// checks in schedules its next check-in about 8 hours on.
package eventq

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/sim/eventq"
)

// holdPending is the population: 100,000 pending timers.
const holdPending = 100_000

// increments draws the hold increments the fleet sees: mostly the steady 8 h
// check-in with ±1 h jitter, and one in twenty a short one (minutes: enrollment
// burst, install finishing, push re-notification).
func increments() []eventq.Time {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]eventq.Time, 1<<20)
	for i := range out {
		if r.IntN(20) == 0 {
			out[i] = eventq.Time(time.Minute) + eventq.Time(r.Int64N(int64(14*time.Minute)))
		} else {
			out[i] = eventq.Time(7*time.Hour) + eventq.Time(r.Int64N(int64(2*time.Hour)))
		}
	}
	return out
}

// filled returns a queue with holdPending timers spread over the first 8 hours,
// warmed by two rounds of hold steps so the heap has its steady shape.
func filled(b *testing.B, inc []eventq.Time) *eventq.Queue[struct{}] {
	q, err := eventq.New[struct{}](holdPending)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for s := range holdPending {
		if err := q.Schedule(s, eventq.Time(r.Int64N(int64(8*time.Hour))), struct{}{}); err != nil {
			b.Fatal(err)
		}
	}
	for j := range 2 * holdPending {
		ev, _ := q.Next()
		_ = q.Schedule(ev.Slot, ev.At+inc[j&(len(inc)-1)], struct{}{})
	}
	return q
}

// BenchmarkEventQueueHold is the hold model with 100,000 pending timers (issue 7:
// at least 5,000,000 events/s). One op is one event: the first timer fires and
// its slot is scheduled again. "next" is the simulator's step (Next, then
// Schedule re-arms the slot in place); "pop" takes the event out with Pop and
// schedules it afresh, for comparison.
func BenchmarkEventQueueHold(b *testing.B) {
	inc := increments()
	for _, v := range []struct {
		name string
		take func(*eventq.Queue[struct{}]) (eventq.Event[struct{}], bool)
	}{
		{"next", (*eventq.Queue[struct{}]).Next},
		{"pop", (*eventq.Queue[struct{}]).Pop},
	} {
		b.Run(v.name, func(b *testing.B) {
			q := filled(b, inc)
			b.ReportAllocs()
			b.ResetTimer()
			for j := range b.N {
				ev, _ := v.take(q)
				if err := q.Schedule(ev.Slot, ev.At+inc[j&(len(inc)-1)], struct{}{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
