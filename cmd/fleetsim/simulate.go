package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/sim"
	"github.com/mdmkit/mdmkit/sim/report"
)

// simulate runs a scenario: the summary (or the JSON report) on stdout, the
// report directory with -out.
func simulate(ctx context.Context, args []string, stdout, stderr io.Writer, tty bool) int {
	f, out, asJSON := simulateFlags(stderr)
	if code, ok := f.parse(args, stderr); !ok {
		return code
	}
	sc := f.load(stderr)
	if sc == nil {
		return exitUsage
	}
	// The run looks at ctx every ProgressEvery events: often enough that
	// Ctrl-C stops it at once.
	opts := sim.Options{Repro: f.repro(sc), ProgressEvery: progressEvery}
	bar := newProgress(stderr, tty && !f.quiet, time.Second)
	bar.attach(&opts)
	rep, err := runSim(ctx, sc, opts)
	bar.done()
	if rep != nil && !errors.Is(err, context.Canceled) { // an interrupted run's figures would mislead
		if code := write(rep, *asJSON, *out, f.quiet, stdout, stderr); code != exitOK {
			return code
		}
	}
	if err != nil {
		return errorExit(err, stderr)
	}
	return exitOK
}

// simulateFlags are the flags of a run: the scenario's, -out and -json.
func simulateFlags(stderr io.Writer) (f *scenarioFlags, out *string, asJSON *bool) {
	f = newFlags("fleetsim", stderr)
	out = f.fs.String("out", "", "write report.json, summary.txt, compliance.png, time-to-install.png, licenses.png,\n"+
		"failures.png and report.html (one page, charts embedded) into `DIR` (default: none)")
	asJSON = f.fs.Bool("json", false, "print the JSON report on stdout instead of the text summary (default off)")
	f.fs.Usage = func() { usage(stderr, f.fs) }
	return f, out, asJSON
}

// write prints the report and, with a directory, writes its files.
func write(rep *sim.Report, asJSON bool, dir string, quiet bool, stdout, stderr io.Writer) int {
	var err error
	if asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fleetsim: writing the report: %v\n", err)
		return exitUsage
	}
	if dir == "" {
		return exitOK
	}
	files, err := report.WriteDir(dir, rep)
	if err != nil {
		fmt.Fprintf(stderr, "fleetsim: -out %s: %v\n", dir, err)
		return exitUsage
	}
	if !quiet {
		fmt.Fprintf(stderr, "fleetsim: wrote %s into %s; open %s in a browser\n", strings.Join(files, ", "), dir,
			filepath.Join(dir, report.FileHTML))
	}
	return exitOK
}
