// Command fleetsim runs mdmkit's fleet simulator and reports what happened: a
// built-in scenario or a scenario file, a readable summary on stdout, and with
// -out a directory with the JSON report, charts and an HTML page.
//
//	fleetsim                                   # the built-in mid-size scenario: 5,000 devices, 14 days, seconds
//	fleetsim -scenario builtin:large           # issue 7's 100,000 devices over 30 days (the benchmark)
//	fleetsim -devices 20000 -days 7            # the built-in scenario, scaled
//	fleetsim -scenario what-if.jsonc -seed 3   # a scenario file, another seed
//	fleetsim -out report                       # also report/report.json, report/report.html, report/*.png
//	fleetsim -json > report.json               # the JSON report on stdout instead of the summary
//
//	fleetsim validate what-if.jsonc            # check a file: each problem with its field, line and column
//	fleetsim example-scenario > what-if.jsonc  # a commented scenario to start from
//	fleetsim explain -device dev-000042 -app vpn-client -at 3d12h
//	                                           # why a device has (or lacks) an app at a moment, and its history
//
// Flags of a run (explain takes the same, and -device, -app, -at):
//
//	-scenario FILE   the scenario: a file (JSON, comments allowed), or builtin:mid or builtin:large (default builtin:mid)
//	-seed N          the seed of every random draw (default: the scenario's; the built-in ones have 1)
//	-devices N       the fleet size; user and license counts scale with it (default: the scenario's)
//	-days N          simulated days; the built-in scenarios rescale their timeline (default: the scenario's)
//	-out DIR         write report.json, summary.txt, compliance.png, time-to-install.png,
//	                 licenses.png, failures.png and report.html into DIR (default: none)
//	-json            print the JSON report on stdout instead of the text summary (default off)
//	-q               quiet: no progress bar, and no note of the files -out wrote; errors still go to stderr
//	                 (default off; the bar shows on a terminal once a run takes over a second)
//
// Scenario files are JSON with comments ("//" and "/* */", as JSONC); the
// format is the documentation of sim.Scenario, and example-scenario prints a
// commented one.
//
// Exit status: 0 when the run completes; 1 when an invariant or liveness check
// fails (the report is still printed, and the line that reproduces the run
// goes to stderr); 2 for bad usage or an invalid scenario (each problem with
// its field and line); 130 when interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"golang.org/x/term"

	"github.com/mdmkit/mdmkit/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, term.IsTerminal(int(os.Stderr.Fd()))))
}

// Exit statuses.
const (
	exitOK          = 0
	exitViolation   = 1
	exitUsage       = 2
	exitInterrupted = 130 // as a shell reports SIGINT
)

// runSim runs a simulation. Tests replace it to make a run end in a violation:
// the library's invariants hold on every scenario its tests know, so exit
// status 1 cannot be provoked honestly through a scenario file.
var runSim = sim.Run

// run is the command, apart from the process: args without the program name,
// tty saying whether stderr is a terminal (for the progress bar). It returns
// the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	if len(args) > 0 {
		switch args[0] {
		case "validate":
			return validate(args[1:], stdout, stderr)
		case "example-scenario":
			return exampleScenario(args[1:], stdout, stderr)
		case "explain":
			return explain(ctx, args[1:], stdout, stderr, tty)
		case "help":
			f, _, _ := simulateFlags(stderr)
			usage(stderr, f.fs)
			return exitOK
		}
	}
	return simulate(ctx, args, stdout, stderr, tty)
}

const usageHead = `usage:
  fleetsim [flags]                  run a scenario and print a summary
  fleetsim validate FILE...         check scenario files; each problem names its field, line and column
  fleetsim example-scenario         print a commented scenario to start from (fleetsim example-scenario > my.jsonc)
  fleetsim explain [flags] -device ID -app ID [-at TIME]
                                    why a device has, or lacks, an app at a moment of the run, and its history

flags:
`

const usageTail = `
exit status: 0 the run completed; 1 an invariant or liveness check failed (the line that
reproduces the run goes to stderr); 2 bad usage or an invalid scenario; 130 interrupted.
`

// errorExit maps the error of a run to a message on stderr and an exit status.
func errorExit(err error, stderr io.Writer) int {
	var v *sim.Violation
	switch {
	case errors.As(err, &v):
		fmt.Fprintf(stderr, "fleetsim: %s violated at %s (%s): %s\nreproduce with: %s\n", v.Rule, v.At, v.Event, v.What, v.Repro)
		return exitViolation
	case errors.Is(err, sim.ErrInvalidScenario), errors.Is(err, sim.ErrInvalidOptions):
		fmt.Fprintln(stderr, err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "fleetsim: interrupted")
		return exitInterrupted
	}
	// Anything else is the simulator failing, not the library's rules: a bug to
	// report, with the run that shows it.
	fmt.Fprintf(stderr, "fleetsim: the run failed: %v\n", err)
	return exitViolation
}
