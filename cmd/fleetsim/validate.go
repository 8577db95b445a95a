package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/mdmkit/mdmkit/sim"
)

// validate checks scenario files without running them: "FILE: ok" with what
// the scenario holds on stdout, or every problem on stderr, each with the file,
// line and column, the field, the value, what is wrong and what to do. It
// exits 2 when any file is invalid.
func validate(args []string, stdout, stderr io.Writer) int {
	fs, code, ok := subcommand("validate", args, stderr, "usage: fleetsim validate FILE...\n\n"+
		"Checks scenario files without running them. Each problem is printed as\n"+
		"FILE:LINE:COLUMN: FIELD VALUE what is wrong: what to do. Exit status 2 when any file is invalid.\n")
	if !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "fleetsim validate: name the scenario files to check (fleetsim validate FILE...)")
		return exitUsage
	}
	for _, name := range fs.Args() {
		sc, err := readScenario(name)
		if err != nil {
			fmt.Fprintln(stderr, err)
			code = exitUsage
			continue
		}
		fmt.Fprintf(stdout, "%s: ok: scenario %q, %d devices, %d users, %d apps, %d assignments, %d timeline actions, %s, seed %d\n",
			name, sc.Name, sc.Fleet.Devices, sc.Fleet.Users, len(sc.Apps), len(sc.Assignments), len(sc.Timeline), sc.Duration, sc.Seed)
	}
	return code
}

// subcommand parses the flags of a sub-command that has none but -h; when ok
// is false, the exit status is code (-h is not an error).
func subcommand(name string, args []string, stderr io.Writer, help string) (fs *flag.FlagSet, code int, ok bool) {
	fs = flag.NewFlagSet("fleetsim "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, help) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return fs, exitOK, false
		}
		return fs, exitUsage, false
	}
	return fs, exitOK, true
}

func readScenario(name string) (*sim.Scenario, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("fleetsim: %w", err)
	}
	defer f.Close()
	return sim.ReadScenario(f, name)
}

//go:embed example-scenario.jsonc
var exampleJSONC []byte

// exampleScenario prints a commented scenario to start from; validate accepts
// it as it is (a test checks).
func exampleScenario(args []string, stdout, stderr io.Writer) int {
	fs, code, ok := subcommand("example-scenario", args, stderr, "usage: fleetsim example-scenario > my.jsonc\n\n"+
		"Prints a commented scenario (JSON with // and /* */ comments) to start from:\n"+
		"1,000 devices, a Win32 app, a store app, a VPP app short of licenses, faults and an admin timeline.\n")
	if !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "fleetsim example-scenario: unexpected argument %q: it prints on stdout (fleetsim example-scenario > my.jsonc)\n", fs.Arg(0))
		return exitUsage
	}
	if _, err := stdout.Write(exampleJSONC); err != nil {
		fmt.Fprintf(stderr, "fleetsim: %v\n", err)
		return exitUsage
	}
	return exitOK
}
