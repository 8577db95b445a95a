package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim"
)

// explain runs a scenario up to a moment while watching one (device, app)
// pair, then prints the tenant's A11 explanation of it at that moment, its
// status, and its history: what the device reported, the status changes and
// the commands, check-in by check-in, with the admin actions on the app.
func explain(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	f := newFlags("fleetsim explain", stderr)
	device := f.fs.String("device", "", "the device `ID`: dev- and its number, zero-padded to six digits or more, e.g. dev-000042 (required; no default)")
	app := f.fs.String("app", "", "the app `ID` as the scenario names it, e.g. vpn-client (required; no default)")
	var at sim.Duration
	f.fs.TextVar(&at, "at", sim.Duration(0), "the `moment` to explain, a span since the start such as 3d12h (default: the end of the run)")
	asJSON := f.fs.Bool("json", false, "print the pair's story as JSON instead of text (default off)")
	f.fs.Usage = func() {
		fmt.Fprint(stderr, "usage: fleetsim explain [flags] -device ID -app ID [-at TIME]\n\n"+
			"Runs the scenario up to a moment, watching one device and one app, and prints why the app\n"+
			"reaches the device or not (A11), its status then, and its history check-in by check-in.\n\nflags:\n")
		f.fs.PrintDefaults()
	}
	if code, ok := f.parse(args, stderr); !ok {
		return code
	}
	if f.set()["at"] && at <= 0 {
		// sim.Options.Until 0 means the end of the run: an explicit 0 would
		// silently explain the end instead of the start.
		fmt.Fprintf(stderr, "fleetsim explain: -at %s is not after the start of the run, where nothing has happened yet: "+
			"give a later moment such as 3d12h, or leave -at out for the end of the run\n", at)
		return exitUsage
	}
	sc := f.load(stderr)
	if sc == nil {
		return exitUsage
	}
	if *device == "" || *app == "" {
		ids := make([]string, len(sc.Apps))
		for i := range sc.Apps {
			ids[i] = string(sc.Apps[i].ID)
		}
		fmt.Fprintf(stderr, "fleetsim explain: give -device, a device of the fleet (dev- and its number from 1 to %d, "+
			"zero-padded to six digits or more: dev-000042), and -app, one of the scenario's apps: %s\n",
			sc.Fleet.Devices, strings.Join(ids, ", "))
		return exitUsage
	}
	opts := sim.Options{Repro: f.repro(sc), Until: time.Duration(at), ProgressEvery: progressEvery,
		Watch: &sim.Watch{Device: mdm.DeviceID(*device), App: mdm.AppID(*app)}}
	bar := newProgress(stderr, tty && !f.quiet, time.Second)
	bar.attach(&opts)
	rep, err := runSim(ctx, sc, opts)
	bar.done()
	if rep != nil && rep.Watch != nil {
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			err2 := enc.Encode(rep.Watch)
			if err2 != nil {
				fmt.Fprintf(stderr, "fleetsim: %v\n", err2)
				return exitUsage
			}
		} else {
			fmt.Fprintf(stdout, "scenario %s, seed %d, %d devices over %s; trace hash %s\n\n", rep.Scenario, rep.Seed, rep.Devices,
				rep.Duration, rep.TraceHash)
			if err := rep.Watch.WriteText(stdout); err != nil {
				fmt.Fprintf(stderr, "fleetsim: %v\n", err)
				return exitUsage
			}
		}
	}
	if err != nil {
		return errorExit(err, stderr)
	}
	return exitOK
}
