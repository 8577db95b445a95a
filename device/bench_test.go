package device

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// steadyDevice returns an always-online device holding n apps the service
// installed, with nothing left to report.
func steadyDevice(b *testing.B, n int) (*Device, *mdm.Report, Time) {
	f := newFleet(b, nil)
	p := quietProfile()
	p.Install.Duration = Fixed(time.Second) // b.Loop may run 10^7 commands: stay within the 100-year run
	d, rng := newDevice(b, f, p, 0, 1)
	var cmds []mdm.Command
	for i := range n {
		cmds = append(cmds, install(mdm.CommandID(i+1), fmt.Sprintf("app-%02d", i), "1.0"))
	}
	if _, err := d.Receive(0, rng, cmds); err != nil {
		b.Fatal(err)
	}
	var r mdm.Report
	if _, err := d.CheckIn(minute, rng, &r); err != nil || len(r.Inventory) != n || len(r.Results) != n {
		b.Fatalf("setup: %v, %d apps, %d results", err, len(r.Inventory), len(r.Results))
	}
	return d, &r, minute
}

// BenchmarkReport builds the report of a steady check-in: 20 installed apps,
// nothing to report. The report is reused, as the simulator reuses it.
func BenchmarkReport(b *testing.B) {
	d, r, now := steadyDevice(b, 20)
	rng := newRand(2)
	b.ReportAllocs()
	for b.Loop() {
		now += Time(time.Second) // b.Loop may run 10^8 times: stay within the 100-year run
		if _, err := d.CheckIn(now, rng, r); err != nil {
			b.Fatal(err)
		}
	}
	if len(r.Inventory) != 20 || len(r.Results) != 0 {
		b.Fatalf("report has %d apps, %d results", len(r.Inventory), len(r.Results))
	}
}

// BenchmarkApplyCommands is one command's whole life on a steady device of 20
// apps: Receive an update, Step to its end, report it at a check-in.
func BenchmarkApplyCommands(b *testing.B) {
	d, r, now := steadyDevice(b, 20)
	rng := newRand(2)
	cmds := []mdm.Command{{Kind: mdm.CommandUpdate}}
	versions := [2]string{"1.1", "1.2"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		cmds[0].ID = mdm.CommandID(1000 + i)
		cmds[0].App = mdm.AppID(r.Inventory[i%20].App)
		cmds[0].Version = versions[i%2]
		if _, err := d.Receive(now, rng, cmds); err != nil {
			b.Fatal(err)
		}
		now = d.NextEvent()
		if _, err := d.Step(now, rng); err != nil {
			b.Fatal(err)
		}
		if _, err := d.CheckIn(now, rng, r); err != nil {
			b.Fatal(err)
		}
		if len(r.Results) != 1 || r.Results[0].Outcome != mdm.OutcomeSucceeded {
			b.Fatalf("results %+v", r.Results)
		}
	}
}

// BenchmarkDeviceMemory enrolls devices into one []Device, each with 8 or 20
// installed apps (8 fit in the Device, InlineApps; 20 do not), and reports the
// memory a device holds (B/device): the Device itself and its inventory. The
// fleet's catalog is shared and not counted.
func BenchmarkDeviceMemory(b *testing.B) {
	for _, apps := range []int{8, 20} {
		b.Run(fmt.Sprintf("apps=%d", apps), func(b *testing.B) { deviceMemory(b, apps) })
	}
}

func deviceMemory(b *testing.B, apps int) {
	f := newFleet(b, nil)
	p := quietProfile()
	for i := range apps {
		p.UnmanagedApps = append(p.UnmanagedApps, UnmanagedApp{App: mdm.AppID(fmt.Sprintf("app-%02d", i)), Version: "1.0", Probability: 1})
	}
	beh, err := f.NewBehavior(p)
	if err != nil {
		b.Fatal(err)
	}
	const n = 100_000
	ids := make([]mdm.DeviceID, n)
	for i := range ids {
		ids[i] = mdm.DeviceID(fmt.Sprintf("dev-%06d", i))
	}
	rng := newRand(1)
	var perDevice float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		devs := make([]Device, n)
		for i := range devs {
			if err := devs[i].Init(ids[i], beh, 0, rng); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perDevice = float64(after.HeapAlloc-before.HeapAlloc) / n
		if len(devs[n-1].list()) != apps {
			b.Fatalf("device holds %d apps", len(devs[n-1].list()))
		}
		runtime.KeepAlive(devs)
	}
	b.ReportMetric(perDevice, "B/device")
}
