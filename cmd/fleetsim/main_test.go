package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/sim"
	"github.com/mdmkit/mdmkit/sim/report"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files with the output of this build")

// fleetsim runs the command with stdout and stderr apart; tty says whether
// stderr is a terminal.
func fleetsim(t *testing.T, tty bool, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, tty)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./cmd/fleetsim -update to accept it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// wallTime is the one line of the summary that changes from run to run.
var wallTime = regexp.MustCompile(`(?m)^wall time .*, [0-9]+ events/s$`)

// The summary's layout, on a small scenario with a fixed seed: what ran,
// compliance, time to install, the apps, licenses used of total and the
// shortfall per pool, failures by kind, conflicts (A6), admin actions, syncs,
// liveness, events and their rate, the seed and the trace hash. Only the wall
// time and rate are masked. The scenario or the library changing what happens
// changes the numbers: go test ./cmd/fleetsim -update, and read the diff.
func TestSummary_golden(t *testing.T) {
	code, stdout, stderr := fleetsim(t, false, "-scenario", "testdata/summary.jsonc")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stderr != "" {
		t.Errorf("stderr not a terminal, yet something printed there: %q", stderr)
	}
	if !wallTime.MatchString(stdout) {
		t.Errorf("no line with the wall time and events/s:\n%s", stdout)
	}
	golden(t, "summary.golden", wallTime.ReplaceAllString(stdout, "wall time (masked), (masked) events/s"))
	for _, want := range []string{"compliance at the end", "time to install", "license pools", "failures by kind",
		"conflicts met (A6)", "events: ", "seed 11, trace hash "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the summary lacks %q", want)
		}
	}
}

// validate's messages: every problem of every file, with the file, line and
// column, the field, the value, what is wrong and what to do; "ok" and what a
// valid file holds; exit 2 when any file is invalid.
func TestValidate_golden(t *testing.T) {
	files, err := filepath.Glob("testdata/validate/*")
	if err != nil || len(files) < 5 {
		t.Fatalf("testdata/validate: %v %v", files, err)
	}
	var out bytes.Buffer // stdout and stderr in the order written
	code := run(context.Background(), append([]string{"validate"}, files...), &out, &out, false)
	if code != exitUsage {
		t.Errorf("exit %d, want %d: invalid files among them", code, exitUsage)
	}
	golden(t, "validate.golden", out.String())

	code, stdout, stderr := fleetsim(t, false, "validate", "testdata/validate/good.jsonc")
	if code != exitOK || stderr != "" || !strings.HasPrefix(stdout, "testdata/validate/good.jsonc: ok: scenario \"good\"") {
		t.Errorf("a valid file: exit %d, %q, %q", code, stdout, stderr)
	}
	for _, args := range [][]string{{"validate"}, {"validate", "testdata/no-such-file.json"}, {"validate", "-x"}} {
		if code, _, stderr := fleetsim(t, false, args...); code != exitUsage || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and why", args, code, stderr)
		}
	}
}

// What example-scenario writes is a scenario validate accepts, with comments,
// and it runs.
func TestExampleScenario(t *testing.T) {
	code, stdout, stderr := fleetsim(t, false, "example-scenario")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "// ") || !strings.Contains(stdout, `"timeline"`) {
		t.Errorf("not a commented scenario:\n%s", stdout)
	}
	file := filepath.Join(t.TempDir(), "my.jsonc")
	if err := os.WriteFile(file, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := fleetsim(t, false, "validate", file); code != exitOK || !strings.Contains(out, ": ok: scenario \"example\", 1000 devices") {
		t.Fatalf("validate: exit %d, %q, %q", code, out, stderr)
	}
	if code, out, stderr := fleetsim(t, false, "-scenario", file, "-devices", "200"); code != exitOK || !strings.Contains(out, "scenario example: 200 devices") {
		t.Fatalf("run: exit %d, %s, %s", code, out, stderr)
	}
	if code, _, _ := fleetsim(t, false, "example-scenario", "extra"); code != exitUsage {
		t.Errorf("example-scenario extra: exit %d", code)
	}
}

// explain: the A11 explanation, the status and the history of one
// (device, app) pair at a moment, from the same run as the summary's:
// dev-000127, an iPhone that enrolls when the outlook pool is used up, waits
// for a license (L5), and gets one after the admin buys more on day 2.
func TestExplain_golden(t *testing.T) {
	code, stdout, stderr := fleetsim(t, false, "explain", "-scenario", "testdata/summary.jsonc", "-device", "dev-000127",
		"-app", "outlook", "-at", "5d")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	golden(t, "explain.golden", stdout)
	for _, want := range []string{"why (A11):", "a-outlook (required)", "status: installed", "history (",
		"failed (licenseUnavailable)", "admin action: buy 20 licenses of outlook: ok", "sends install"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("explain lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = fleetsim(t, false, "explain", "-scenario", "testdata/summary.jsonc", "-device", "dev-000002",
		"-app", "outlook", "-json")
	var w sim.WatchReport
	if code != exitOK || json.Unmarshal([]byte(stdout), &w) != nil || w.Device != "dev-000002" || w.At != sim.Duration(7*sim.Day) || len(w.History) == 0 {
		t.Errorf("-json: exit %d, %+v, %s", code, w, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-device", "dev-000002"}, "give -device"},
		{[]string{"-device", "dev-000151", "-app", "outlook"}, "not a device of the fleet: its devices are dev-000001 to dev-000150"},
		{[]string{"-device", "dev-000002", "-app", "outlok"}, "not an app of the scenario: use one of vpn, authenticator, outlook"},
		{[]string{"-device", "dev-000002", "-app", "outlook", "-at", "8d"}, "Until 8d is outside the run (0 to 7d)"},
		{[]string{"-device", "dev-000002", "-app", "outlook", "-at", "soon"}, "invalid value \"soon\" for flag -at"},
		{[]string{"-device", "dev-000002", "-app", "outlook", "-at", "0s"}, "-at 0s is not after the start of the run"},
		{[]string{"-device", "dev-000002", "-app", "outlook", "-at", "-1h"}, "-at -1h is not after the start of the run"},
	} {
		args := append([]string{"explain", "-scenario", "testdata/summary.jsonc"}, tc.args...)
		if code, _, stderr := fleetsim(t, false, args...); code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
}

// -out writes the JSON report, the text summary, the four charts and one
// HTML page that embeds the charts and loads nothing from elsewhere.
func TestOut(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := fleetsim(t, false, "-scenario", "testdata/summary.jsonc", "-out", dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "open "+filepath.Join(dir, "report.html")+" in a browser") {
		t.Errorf("stderr does not say where the page is: %q", stderr)
	}
	for _, f := range []string{report.FileJSON, report.FileSummary, report.FileHTML, "compliance.png", "time-to-install.png", "licenses.png", "failures.png"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep sim.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if rep.Scenario != "golden" || rep.Seed != 11 || len(rep.Samples) == 0 || !strings.Contains(stdout, "trace hash "+rep.TraceHash) {
		t.Errorf("report.json: scenario %q, seed %d, %d samples, trace %s", rep.Scenario, rep.Seed, len(rep.Samples), rep.TraceHash)
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "summary.txt"))
	if wallTime.ReplaceAllString(string(summary), "") != wallTime.ReplaceAllString(stdout, "") {
		t.Error("summary.txt is not the summary printed")
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"compliance", "time-to-install", "licenses", "failures"} {
		png, _ := os.ReadFile(filepath.Join(dir, name+".png"))
		if len(png) == 0 || !bytes.Contains(html, []byte(`src="data:image/png;base64,`+b64(png[:300]))) {
			t.Errorf("report.html does not embed %s.png", name)
		}
	}
	if m := regexp.MustCompile(`(?i)(https?:|src="//|href=|<script|<link|url\(|@import)`).Find(html); m != nil {
		t.Errorf("report.html references something outside itself: %q", m)
	}
	if code, _, stderr := fleetsim(t, false, "-scenario", "testdata/summary.jsonc", "-q", "-out", filepath.Join(dir, "report.json")); code != exitUsage || !strings.Contains(stderr, "-out") {
		t.Errorf("-out on a file: exit %d, %q", code, stderr)
	}
}

// b64 is the base64 of the first whole 3-byte groups of b: the start of its
// encoding in a longer text.
func b64(b []byte) string {
	n := len(b) / 3 * 3
	return base64.StdEncoding.EncodeToString(b[:n])
}

// Exit statuses: 0 a completed run, 2 bad usage or an invalid scenario, 1 a
// violation, with the report printed and the reproduction line on stderr.
func TestExitCodes(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"duration\": \"30d\",\n  \"sed\": 1\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-nope"}, {"-devices", "0"}, {"-days", "-3"}, {"-days", "401"}, {"extra"},
		{"-scenario", "testdata/no-such-file.json"}, {"-scenario", "builtin:huge"}, {"-scenario", bad},
		{"-scenario", "testdata/summary.jsonc", "-days", "1"}, // the timeline is past the end
	} {
		if code, _, stderr := fleetsim(t, false, args...); code != exitUsage || stderr == "" {
			t.Errorf("fleetsim %v: exit %d, stderr %q; want %d and why", args, code, stderr, exitUsage)
		}
	}
	_, _, stderr := fleetsim(t, false, "-scenario", bad)
	if !strings.Contains(stderr, "bad.json:3:3: sed is not a field of the scenario") {
		t.Errorf("invalid scenario: %q: want the file, line, column and field", stderr)
	}
	_, _, stderr = fleetsim(t, false, "-scenario", "testdata/summary.jsonc", "-days", "1")
	if !strings.Contains(stderr, "timeline[0].at \"2d\" is after the end of the run (1d)") {
		t.Errorf("-days before the timeline's end: %q", stderr)
	}

	// 1: the library's invariants hold on every scenario known, so the run is
	// replaced by one that ends in a violation, as sim.Run returns it: the
	// report so far and a *sim.Violation carrying the command's own
	// reproduction line.
	var gotOpts sim.Options
	runSim = func(ctx context.Context, sc *sim.Scenario, opts sim.Options) (*sim.Report, error) {
		gotOpts = opts
		v := &sim.Violation{Rule: "T8", At: sim.Duration(26 * time.Hour), Event: "check-in of dev-000007",
			Device: "dev-000007", App: "vpn", What: "an uninstall was sent while a required assignment reaches the device",
			Scenario: sc.Name, Seed: sc.Seed, Repro: opts.Repro}
		return &sim.Report{Scenario: sc.Name, Seed: sc.Seed, Devices: sc.Fleet.Devices, TraceHash: "0123456789abcdef", Violation: v}, v
	}
	defer func() { runSim = sim.Run }()
	code, stdout, stderr := fleetsim(t, false, "-scenario", "builtin:mid", "-devices", "300", "-days", "3", "-seed", "9")
	if code != exitViolation {
		t.Fatalf("exit %d, want %d", code, exitViolation)
	}
	repro := "fleetsim -scenario builtin:mid -seed 9 -devices 300 -days 3"
	if gotOpts.Repro != repro {
		t.Errorf("Options.Repro %q, want %q", gotOpts.Repro, repro)
	}
	if !strings.Contains(stderr, "fleetsim: T8 violated at 1d2h (check-in of dev-000007)") || !strings.Contains(stderr, "reproduce with: "+repro+"\n") {
		t.Errorf("stderr %q: want the rule, the time, the event and the reproduction line", stderr)
	}
	if !strings.Contains(stdout, "scenario mid: 300 devices") || !strings.Contains(stdout, "VIOLATION: T8 violated") {
		t.Errorf("the report so far is not printed:\n%s", stdout)
	}
}

// A scenario file made invalid by -devices or -days: the message names the
// flags given, and only them.
func TestScaledFileInvalid(t *testing.T) {
	src, err := os.ReadFile("testdata/summary.jsonc")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "many.jsonc")
	// 40,000,000 licenses for 150 devices: scaled to 1,000 devices, more than a store app may own
	big := strings.Replace(string(src), `"licenses": 40}`, `"licenses": 40000000}`, 1)
	if err := os.WriteFile(file, []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args      []string
		want, not string
	}{
		{[]string{"-devices", "1000"}, "with -devices 1000:\n", "-days"},
		{[]string{"-days", "1"}, "with -days 1:\n", "-devices"},
		{[]string{"-devices", "1000", "-days", "1"}, "with -devices 1000 -days 1:\n", ""},
	} {
		code, _, stderr := fleetsim(t, false, append([]string{"-scenario", file}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) || (tc.not != "" && strings.Contains(stderr, tc.not)) {
			t.Errorf("%v: exit %d, stderr %q; want 2, %q and no %q", tc.args, code, stderr, tc.want, tc.not)
		}
	}
}

// The reproduction line names the scenario, the seed, the fleet size and the
// days the run had, so that it runs the same scenario again.
func TestRepro(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "fleetsim -scenario builtin:mid -seed 1 -devices 5000 -days 14"},
		{[]string{"-scenario", "builtin:large", "-days", "3"}, "fleetsim -scenario builtin:large -seed 1 -devices 100000 -days 3"},
		{[]string{"-scenario", "testdata/summary.jsonc", "-seed", "4", "-devices", "90"}, "fleetsim -scenario testdata/summary.jsonc -seed 4 -devices 90 -days 7"},
	} {
		f := newFlags("fleetsim", &bytes.Buffer{})
		if code, ok := f.parse(tc.args, &bytes.Buffer{}); !ok {
			t.Fatalf("%v: exit %d", tc.args, code)
		}
		sc := f.load(&bytes.Buffer{})
		if sc == nil {
			t.Fatalf("%v: no scenario", tc.args)
		}
		if got := f.repro(sc); got != tc.want {
			t.Errorf("%v: repro %q, want %q", tc.args, got, tc.want)
		}
	}
}

// -h explains every flag with its default, and the sub-commands and exit
// statuses; explain -h its own flags (two are required, and say so).
func TestHelp(t *testing.T) {
	code, stdout, stderr := fleetsim(t, false, "-h")
	if code != exitOK || stdout != "" {
		t.Fatalf("-h: exit %d, stdout %q", code, stdout)
	}
	golden(t, "usage.golden", stderr)
	check := func(help string, flags ...string) {
		t.Helper()
		// A flag's entry runs from its "  -name" line to the next flag's.
		entries := regexp.MustCompile(`(?m)^  -`).Split(help, -1)
		for _, name := range flags {
			found := false
			for _, e := range entries {
				if strings.HasPrefix(e, name+" ") || strings.HasPrefix(e, name+"\t") || strings.HasPrefix(e, name+"\n") {
					found = true
					if !strings.Contains(e, "default") && !strings.Contains(e, "required") {
						t.Errorf("-%s does not say its default:\n-%s", name, e)
					}
				}
			}
			if !found {
				t.Errorf("-%s is not in the help:\n%s", name, help)
			}
		}
	}
	check(stderr, "scenario", "seed", "devices", "days", "out", "json", "q")
	for _, want := range []string{"fleetsim validate FILE", "fleetsim example-scenario", "fleetsim explain", "exit status: 0"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("-h lacks %q", want)
		}
	}
	_, _, stderr = fleetsim(t, false, "explain", "-h")
	check(stderr, "scenario", "seed", "devices", "days", "q", "device", "app", "at", "json")
	if code, _, stderr := fleetsim(t, false, "help"); code != exitOK || !strings.Contains(stderr, "-out DIR") {
		t.Errorf("help: exit %d, %q", code, stderr)
	}
}

// The progress bar: on a terminal once the run takes longer than the delay,
// with the simulated day, events per second and the time left, and gone
// before the summary; never when stderr is not a terminal, nor with -q.
func TestProgress(t *testing.T) {
	var w bytes.Buffer
	p := newProgress(&w, true, 0)
	var o sim.Options
	p.attach(&o)
	if o.Progress == nil || o.ProgressEvery == 0 {
		t.Fatal("the bar did not ask the run for progress")
	}
	o.Progress(sim.Progress{Now: 36 * time.Hour, End: 72 * time.Hour, Events: 1000})
	time.Sleep(120 * time.Millisecond) // past the bar's render throttle
	o.Progress(sim.Progress{Now: 48 * time.Hour, End: 72 * time.Hour, Events: 2000})
	p.done()
	out := w.String()
	for _, want := range []string{"day 1.5 of 3", "day 2.0 of 3", "events/s", "% |█"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar %q lacks %q", out, want)
		}
	}
	if !strings.HasSuffix(strings.TrimRight(out, " "), "\r") {
		t.Errorf("the bar is not cleared at the end: %q", out)
	}

	// A run quicker than the delay shows nothing.
	w.Reset()
	p = newProgress(&w, true, time.Hour)
	o = sim.Options{}
	p.attach(&o)
	o.Progress(sim.Progress{Now: time.Hour, End: 72 * time.Hour, Events: 10})
	p.done()
	if w.Len() != 0 {
		t.Errorf("a bar before the delay: %q", w.String())
	}
	// Not a terminal, or -q: no bar, nothing asked of the run.
	o = sim.Options{}
	newProgress(&w, false, 0).attach(&o)
	if o.Progress != nil {
		t.Error("a bar off a terminal")
	}
	if _, _, stderr := fleetsim(t, true, "-q", "-scenario", "testdata/summary.jsonc"); stderr != "" {
		t.Errorf("-q on a terminal printed %q", stderr)
	}
	// -q also drops the note of the files -out wrote, as its help says.
	if _, _, stderr := fleetsim(t, true, "-q", "-scenario", "testdata/summary.jsonc", "-out", t.TempDir()); stderr != "" {
		t.Errorf("-q -out printed %q", stderr)
	}
}

// -json prints the report's JSON form, the same bytes for the same flags.
func TestJSON(t *testing.T) {
	args := []string{"-devices", "150", "-days", "3", "-seed", "5", "-json"}
	code, stdout, stderr := fleetsim(t, false, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep sim.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v", err)
	}
	if rep.Scenario != "mid" || rep.Seed != 5 || rep.Devices != 150 || rep.Duration != sim.Duration(3*sim.Day) {
		t.Fatalf("report: %s, seed %d, %d devices, %s", rep.Scenario, rep.Seed, rep.Devices, rep.Duration)
	}
	if _, again, _ := fleetsim(t, false, args...); again != stdout {
		t.Error("two runs with the same flags printed different JSON")
	}
}

// Interrupting a run (Ctrl-C cancels its context) exits 130.
func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"-scenario", "builtin:mid"}, &out, &errb, false); code != exitInterrupted || !strings.Contains(errb.String(), "interrupted") {
		t.Errorf("exit %d, %q", code, errb.String())
	}
}
