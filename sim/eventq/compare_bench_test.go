package eventq

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"
)

type holdQ interface {
	Schedule(int, Time, payload) error
	Pop() (Event[payload], bool)
}

func incs(dist string) []Time {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]Time, 1<<20)
	for i := range out {
		switch dist {
		case "uniform":
			out[i] = Time(7*time.Hour) + Time(r.Int64N(int64(2*time.Hour)))
		case "exp":
			out[i] = Time(r.ExpFloat64() * float64(8*time.Hour))
		case "fleet":
			if r.IntN(20) == 0 {
				out[i] = Time(time.Minute) + Time(r.Int64N(int64(14*time.Minute)))
			} else {
				out[i] = Time(7*time.Hour) + Time(r.Int64N(int64(2*time.Hour)))
			}
		}
	}
	return out
}

func BenchmarkCompareHold(b *testing.B) {
	for _, impl := range impls {
		for _, dist := range []string{"uniform", "exp", "fleet"} {
			for _, n := range []int{1000, 100000, 1000000} {
				b.Run(fmt.Sprintf("%s/%s/n=%d", impl.name, dist, n), func(b *testing.B) {
					qq, _ := impl.new(n, 0)
					if c, ok := qq.(*calendar[payload]); ok {
						c.minWindow, c.window = calMinWindow, calMinWindow
					}
					q := qq.(holdQ)
					inc := incs(dist)
					r := rand.New(rand.NewPCG(3, 4))
					for s := range n {
						q.Schedule(s, Time(r.Int64N(int64(8*time.Hour))), payload{})
					}
					j := 0
					for range 2 * n {
						ev, _ := q.Pop()
						q.Schedule(ev.Slot, ev.At+inc[j&(1<<20-1)], ev.Payload)
						j++
					}
					runtime.GC()
					b.ReportAllocs()
					b.ResetTimer()
					statScan, statStep = 0, 0
					for range b.N {
						ev, _ := q.Pop()
						q.Schedule(ev.Slot, ev.At+inc[j&(1<<20-1)], ev.Payload)
						j++
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
					if c, ok := qq.(*calendar[payload]); ok {
						b.ReportMetric(float64(statScan)/float64(b.N), "scan/op")
						b.ReportMetric(float64(statStep)/float64(b.N), "step/op")
						b.ReportMetric(float64(c.shift), "shift")
						b.ReportMetric(float64(len(c.bucket)), "nb")
					}
				})
			}
		}
	}
}

func BenchmarkComparePush(b *testing.B) {
	for _, impl := range impls {
		for _, n := range []int{1000, 100000, 1000000} {
			b.Run(fmt.Sprintf("%s/n=%d", impl.name, n), func(b *testing.B) {
				qq, _ := impl.new(n, 0)
				if c, ok := qq.(*calendar[payload]); ok {
					c.minWindow, c.window = calMinWindow, calMinWindow
				}
				q := qq.(holdQ)
				inc := incs("fleet")
				r := rand.New(rand.NewPCG(3, 4))
				for s := range n {
					q.Schedule(s, Time(r.Int64N(int64(8*time.Hour))), payload{})
				}
				jit := make([]Time, n)
				for i := range jit {
					jit[i] = Time(r.Int64N(int64(time.Minute)))
				}
				j := 0
				step := func() {
					ev, _ := q.Pop()
					q.Schedule(ev.Slot, ev.At+inc[j&(1<<20-1)], ev.Payload)
					j++
					if j%(4*n) == 0 { // a push to the whole fleet every 4n events
						for s := range n {
							q.Schedule(s, ev.At+jit[s], payload{})
						}
					}
				}
				for range 2 * n {
					step()
				}
				runtime.GC()
				b.ReportAllocs()
				b.ResetTimer()
				statScan, statStep, statResize = 0, 0, 0
				for range b.N {
					step()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
				b.ReportMetric(float64(statScan)/float64(b.N), "scan/op")
				b.ReportMetric(float64(statStep)/float64(b.N), "step/op")
				b.ReportMetric(float64(statResize)/float64(b.N)*1e6, "resize/Mop")
			})
		}
	}
}
