package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mdmkit/mdmkit/sim"
)

// builtinPrefix names a built-in scenario in -scenario.
const builtinPrefix = "builtin:"

// scenarioFlags are the flags that choose and size the scenario, shared by a
// run and explain.
type scenarioFlags struct {
	fs       *flag.FlagSet
	scenario string
	seed     uint64
	devices  int
	days     int
	quiet    bool
}

func newFlags(name string, stderr io.Writer) *scenarioFlags {
	f := &scenarioFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	f.fs.StringVar(&f.scenario, "scenario", builtinPrefix+"mid",
		"the scenario: a `FILE` (JSON, comments allowed; see fleetsim example-scenario), or builtin:mid\n"+
			"(5,000 devices over 14 days, seconds to run) or builtin:large (100,000 devices over 30 days)")
	f.fs.Uint64Var(&f.seed, "seed", 0, "the seed of every random draw, a whole number `N` (default: the scenario's; the built-in ones have 1)")
	f.fs.IntVar(&f.devices, "devices", 0, "the fleet size, `N` devices; user and license counts scale with it\n"+
		"(default: the scenario's; builtin:mid 5000, builtin:large 100000)")
	f.fs.IntVar(&f.days, "days", 0, "the run's length, `N` simulated days; the built-in scenarios rescale their timeline to fit\n"+
		"(default: the scenario's; builtin:mid 14, builtin:large 30)")
	f.fs.BoolVar(&f.quiet, "q", false, "quiet: no progress bar, and no note of the files -out wrote; errors still go to stderr\n"+
		"(default off: the bar shows on a terminal once a run takes over a second)")
	return f
}

// parse parses args; a bad flag or -h has been reported when ok is false, with
// the exit status.
func (f *scenarioFlags) parse(args []string, stderr io.Writer) (code int, ok bool) {
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if f.fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fleetsim: unexpected argument %q (flags go before nothing else; see fleetsim -h)\n", f.fs.Arg(0))
		return exitUsage, false
	}
	set := f.set()
	if set["devices"] && (f.devices < 1 || f.devices > sim.MaxDevices) {
		fmt.Fprintf(stderr, "fleetsim: -devices %d: give a fleet size from 1 to %d\n", f.devices, sim.MaxDevices)
		return exitUsage, false
	}
	maxDays := int(sim.MaxRunDuration / sim.Day)
	if set["days"] && (f.days < 1 || f.days > maxDays) {
		fmt.Fprintf(stderr, "fleetsim: -days %d: give a number of days from 1 to %d\n", f.days, maxDays)
		return exitUsage, false
	}
	return exitOK, true
}

// set names the flags given on the command line.
func (f *scenarioFlags) set() map[string]bool {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	return set
}

// load returns the scenario the flags name, sized and seeded as they say; a
// problem is reported on stderr and load returns nil.
func (f *scenarioFlags) load(stderr io.Writer) *sim.Scenario {
	set := f.set()
	var sc *sim.Scenario
	if name, ok := strings.CutPrefix(f.scenario, builtinPrefix); ok {
		var err error
		// A built-in scenario is built for the size asked: its times scale
		// with the days, so its timeline always fits.
		if sc, err = sim.Builtin(name, f.devices, f.days); err != nil {
			fmt.Fprintf(stderr, "fleetsim: -scenario %s: %v\n", f.scenario, err)
			return nil
		}
	} else {
		file, err := os.Open(f.scenario)
		if err != nil {
			fmt.Fprintf(stderr, "fleetsim: -scenario: %v\n", err)
			return nil
		}
		sc, err = sim.ReadScenario(file, f.scenario)
		file.Close()
		if err != nil {
			fmt.Fprintln(stderr, err)
			return nil
		}
		if set["devices"] {
			sc = sc.WithDevices(f.devices)
		}
		if set["days"] {
			sc = sc.WithDays(f.days)
		}
		// WithDays moves nothing else: a timeline past the new end is refused
		// here, before anything runs, naming the field.
		if err := sc.Validate(); err != nil {
			// Only -devices and -days change a file that validated: name the
			// ones given.
			var with []string
			if set["devices"] {
				with = append(with, fmt.Sprintf("-devices %d", f.devices))
			}
			if set["days"] {
				with = append(with, fmt.Sprintf("-days %d", f.days))
			}
			fmt.Fprintf(stderr, "fleetsim: %s with %s:\n%v\n", f.scenario, strings.Join(with, " "), err)
			return nil
		}
	}
	if set["seed"] {
		sc.Seed = f.seed
	}
	return sc
}

// repro is the command line that runs the same scenario again: the same
// scenario, seed, fleet size and days.
func (f *scenarioFlags) repro(sc *sim.Scenario) string {
	return fmt.Sprintf("fleetsim -scenario %s -seed %d -devices %d -days %s", f.scenario, sc.Seed, sc.Fleet.Devices, days(sc.Duration))
}

func days(d sim.Duration) string {
	if d%sim.Duration(sim.Day) == 0 {
		return fmt.Sprint(int64(d) / int64(sim.Day))
	}
	return fmt.Sprintf("%g", float64(d)/float64(sim.Day))
}

// usage prints the command's usage with fs's flags.
func usage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, usageHead)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, usageTail)
}
