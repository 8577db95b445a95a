// Package fleet benchmarks the whole simulator on the built-in default scenario
// (issue 7): 100,000 devices for 30 days, full stack — tenant check-ins, virtual
// devices, store sync against the in-process fakes, invariants and metrics.
//
//	go test ./bench/fleet -run XXX -bench DefaultScenario -benchtime 1x
//
// FLEET_DEVICES and FLEET_DAYS change the size (1,000,000 devices for 7 days is
// the large run).
package fleet

import (
	"context"
	"os"
	"strconv"
	"testing"

	"github.com/mdmkit/mdmkit/sim"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkDefaultScenario runs the default scenario once per op and reports
// events/s: every event popped from the queue (check-ins, the devices' own
// events, enrollments, pushes answered, the global timeline, sync, push and
// sampling events) over the wall time of the run, setup and the end-of-run
// liveness check included.
func BenchmarkDefaultScenario(b *testing.B) {
	devices, days := envInt("FLEET_DEVICES", sim.DefaultDevices), envInt("FLEET_DAYS", sim.DefaultDays)
	sc := sim.DefaultScenario(devices, days)
	var events uint64
	b.ReportAllocs()
	for b.Loop() {
		rep, err := sim.Run(context.Background(), sc, sim.Options{})
		if err != nil {
			b.Fatal(err)
		}
		events += rep.Events.Total
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}
