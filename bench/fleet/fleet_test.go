// Package fleet benchmarks the whole simulator on the built-in default scenario
// (issue 7): 100,000 devices for 30 days, full stack — tenant check-ins, virtual
// devices, store sync against the in-process fakes, invariants and metrics.
//
//	go test ./bench/fleet -run XXX -bench DefaultScenario -benchtime 1x
//
// BareScenario runs the same fleet with nothing to manage, for the cost of the
// simulator's own machinery.
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
	runScenario(b, sc)
}

// BenchmarkBareScenario runs the default scenario's fleet with nothing to
// manage: no apps, no stores, no assignments, no faults and no admin timeline.
// What is left is the simulator's own machinery on the same 100,000 devices —
// the event queue, enrollment, the virtual devices and their users, and the
// tenant's steady check-ins — so its events/s is the ceiling the full default
// scenario could reach if managing apps cost nothing (bench/RESULTS.md, "SimPy
// comparison").
func BenchmarkBareScenario(b *testing.B) {
	devices, days := envInt("FLEET_DEVICES", sim.DefaultDevices), envInt("FLEET_DAYS", sim.DefaultDays)
	sc := sim.DefaultScenario(devices, days)
	sc.Apps, sc.Assignments, sc.Timeline = nil, nil, nil
	sc.Stores, sc.Faults = sim.StoresSpec{}, sim.FaultsSpec{}
	runScenario(b, sc)
}

// runScenario runs sc once per op and reports events/s and events/op.
func runScenario(b *testing.B, sc *sim.Scenario) {
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
