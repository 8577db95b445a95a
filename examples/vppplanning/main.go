// Command vppplanning answers a purchasing question with the simulator: how many
// Apple VPP licenses must be owned so that 95% of the targeted devices have a
// required app within 24 hours of the assignment?
//
//	go run ./examples/vppplanning
//	go run ./examples/vppplanning -devices 3000 -goal 0.9 -seeds 10
//
// The fleet, the app and the rollout are a scenario file (scenario.json,
// embedded; package sim documents the format): 1,000 field-service iPads that
// enroll on Monday, and on Wednesday at 09:00 a VPP app assigned to all of them
// as required with device licensing. The run ends 24 hours later, Thursday at
// 09:00; its last metrics sample says how many iPads have the app installed
// then. The iPads' behaviour is a device profile: well-tested app (0.5% of
// installs fail, 1% answer "retry"), no restart needed (iOS apps), 30% of the
// iPads switched off at night, a rare absence.
//
// Why not simply buy 95% of the iPads' count? Because a license is taken when
// the install is sent (L5) and, with device licensing, kept by the device even
// when the install fails (it is reinstalled later, T3) — and some iPads are
// offline, some users delete the app, some results are reported only at the
// next check-in. The simulator plays all of that; this program varies the
// license count and searches for the smallest one that meets the goal in every
// one of several seeds (several plausible weeks, not one lucky one).
//
// The search is a bisection between a bound that cannot meet the goal (fewer
// licenses than 95% of the iPads: every install needs one) and one license
// per iPad. It assumes more licenses never install fewer apps, which holds
// here up to the noise of a different run; the answer's neighbour is run to
// show the goal missed one license lower.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim"
)

//go:embed scenario.json
var scenarioJSON []byte

// app is the scenario's id of the app whose licenses are planned.
const app = mdm.AppID("field-maps")

func main() {
	devices := flag.Int("devices", 0, "fleet size (default: the scenario's 1,000 iPads; counts scale with it)")
	goal := flag.Float64("goal", 0.95, "share of the targeted iPads that must have the app 24 h after the assignment")
	seeds := flag.Int("seeds", 5, "how many seeds (simulated weeks) the goal must hold in")
	flag.Parse()
	sc, err := sim.DecodeScenario(scenarioJSON)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vppplanning:", err)
		os.Exit(2)
	}
	if *devices > 0 {
		sc = sc.WithDevices(*devices)
	}
	if _, err := plan(context.Background(), os.Stdout, sc, *goal, *seeds); err != nil {
		fmt.Fprintln(os.Stderr, "vppplanning:", err)
		os.Exit(1)
	}
}

// outcome is one simulated run, read from its last metrics sample (the end of
// the run, 24 h after the assignment).
type outcome struct {
	seed      uint64
	devices   int // iPads enrolled, every one targeted (the group holds them all)
	installed int
	failed    int // installs that failed (each keeps its license)
	pending   int // installs sent, result not reported yet
	removed   int // the user deleted the app after the install
	waiting   int // no license to be had (L5)
	silent    int // no check-in since the assignment
}

func (o outcome) share() float64 { return float64(o.installed) / float64(o.devices) }

// trial is one license count, run with every seed.
type trial struct {
	licenses int
	runs     []outcome
}

// worst is the run with the fewest installs: the goal must hold in all runs.
func (t trial) worst() outcome {
	w := t.runs[0]
	for _, o := range t.runs[1:] {
		if o.share() < w.share() {
			w = o
		}
	}
	return w
}

// plan searches for the fewest licenses that meet the goal in every seed and
// prints the table of trials and the answer. It returns the answer, or -1
// when the goal cannot be met by buying licenses.
func plan(ctx context.Context, w io.Writer, base *sim.Scenario, goal float64, nseeds int) (int, error) {
	if goal <= 0 || goal > 1 || nseeds < 1 {
		return 0, fmt.Errorf("goal %v must be in (0, 1] and seeds %d at least 1", goal, nseeds)
	}
	at, window, err := rollout(base)
	if err != nil {
		return 0, err
	}
	n := base.Fleet.Devices
	seeds := make([]uint64, nseeds)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	when := base.StartTime().Add(at)
	fmt.Fprintf(w, "%s, required on %d iPads on %s at %s\n", appName(base), n, when.Weekday(), when.Format("15:04"))
	fmt.Fprintf(w, "goal: %s of them have it installed %s later, in each of %d seeds\n\n", pct(goal), hours(window), nseeds)
	head := fmt.Sprintf("installed %s later, seeds %d-%d", hours(window), seeds[0], seeds[len(seeds)-1])
	digits := len(fmt.Sprint(n))
	width := max(len(head), nseeds*(digits+1)-1)
	fmt.Fprintf(w, "licenses  %-*s  worst  goal\n", width, head)

	tried := map[int]trial{}
	try := func(licenses int, note string) (bool, error) {
		t, err := measure(ctx, base, licenses, seeds)
		if err != nil {
			return false, err
		}
		tried[licenses] = t
		met := t.worst().share() >= goal
		counts := make([]string, len(t.runs))
		for i, o := range t.runs {
			counts[i] = fmt.Sprintf("%*d", digits, o.installed)
		}
		verdict := "met"
		if !met {
			verdict = "missed"
		}
		line := fmt.Sprintf("%8d  %-*s  %5s  %s", licenses, width, strings.Join(counts, " "), pct(t.worst().share()), verdict)
		if note != "" {
			line += "  (" + note + ")"
		}
		fmt.Fprintln(w, line)
		return met, nil
	}

	// The upper end first: one license per iPad. If the goal is missed there,
	// licenses are not what holds the rollout back.
	met, err := try(n, "one per iPad")
	if err != nil {
		return 0, err
	}
	if !met {
		fmt.Fprintf(w, "\nthe goal is out of reach by buying licenses: with one per iPad the worst seed reaches %s.\n", pct(tried[n].worst().share()))
		explain(w, tried[n])
		return -1, nil
	}
	// The lower end: fewer licenses than the goal's count of iPads cannot meet
	// it, since every install takes a license. Run it anyway, for the table.
	lo := int(math.Ceil(goal*float64(n))) - 1
	hi := n
	if lo >= 0 {
		if met, err = try(lo, "fewer than the goal needs"); err != nil {
			return 0, err
		}
		if met { // cannot happen, but a plan should not rest on it
			return 0, fmt.Errorf("%d licenses met the goal of %d iPads: installs without a license", lo, int(math.Ceil(goal*float64(n))))
		}
	}
	// Bisection: lo misses the goal, hi meets it.
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		met, err := try(mid, "")
		if err != nil {
			return 0, err
		}
		if met {
			hi = mid
		} else {
			lo = mid
		}
	}

	fmt.Fprintf(w, "\nanswer: %d licenses (%s of the iPads), the fewest that meet the goal in every seed", hi, pct(float64(hi)/float64(n)))
	if t, ok := tried[hi-1]; ok {
		o := t.worst()
		fmt.Fprintf(w, "; with %d, seed %d reaches %s", hi-1, o.seed, pct(o.share()))
	}
	fmt.Fprintln(w, ".")
	explain(w, tried[hi])
	return hi, nil
}

// explain says where the iPads without the app stand, in the worst seed.
func explain(w io.Writer, t trial) {
	o := t.worst()
	fmt.Fprintf(w, "\nwith %d licenses, the %d of %d iPads without the app at the end, in seed %d:\n",
		t.licenses, o.devices-o.installed, o.devices, o.seed)
	for _, r := range []struct {
		n    int
		what string
	}{
		{o.failed, "install failed; the device keeps its license and gets the app again later (T3)"},
		{o.pending, "install sent, result not reported yet (devices report at their next check-in)"},
		{o.removed, "installed, then deleted by the user; reinstalled later (T3)"},
		{o.silent, "no check-in since the assignment (switched off or away)"},
		{o.waiting, "no license left for it (L5)"},
	} {
		if r.n > 0 {
			fmt.Fprintf(w, "%6d  %s\n", r.n, r.what)
		}
	}
}

// measure runs the scenario with the given license count once per seed, the
// seeds in parallel (each run is deterministic and independent), and reads
// each run's end.
func measure(ctx context.Context, base *sim.Scenario, licenses int, seeds []uint64) (trial, error) {
	t := trial{licenses: licenses, runs: make([]outcome, len(seeds))}
	errs := make([]error, len(seeds))
	var wg sync.WaitGroup
	for i, seed := range seeds {
		sc := base.Clone()
		sc.Seed = seed
		for k := range sc.Apps {
			if sc.Apps[k].ID == app {
				sc.Apps[k].Store.Licenses = licenses
			}
		}
		wg.Go(func() {
			rep, err := sim.Run(ctx, sc, sim.Options{})
			if err != nil {
				// A liveness violation is not expected here: devices still
				// waiting for a license at the end are allowed (L5).
				errs[i] = fmt.Errorf("%d licenses, seed %d: %w", licenses, seed, err)
				return
			}
			t.runs[i], errs[i] = read(rep, seed)
		})
	}
	wg.Wait()
	return t, errors.Join(errs...)
}

// read takes the outcome from the report's last sample, taken at the end.
func read(rep *sim.Report, seed uint64) (outcome, error) {
	if len(rep.Samples) == 0 {
		return outcome{}, errors.New("the report has no samples")
	}
	last := rep.Samples[len(rep.Samples)-1]
	o := outcome{seed: seed, devices: last.Enrolled}
	found := false
	for _, a := range last.Apps {
		if a.App == app {
			found = true
			o.installed, o.failed, o.pending = a.Installed, a.Failed, a.Pending
			// Targeted counts the devices with a status; the rest have not
			// checked in since the assignment. A targeted status that is not
			// installed, failed or pending is notInstalled: the user removed it.
			o.silent = last.Enrolled - a.Targeted
			o.removed = a.Targeted - a.Installed - a.Failed - a.Pending
		}
	}
	for _, p := range last.Pools {
		if p.App == app {
			// a device waiting for a license is in the failed state with
			// detail licenseUnavailable (L5): count it apart
			o.waiting = p.Waiting
			o.failed -= p.Waiting
		}
	}
	if !found {
		return outcome{}, fmt.Errorf("app %s is not in the report", app)
	}
	return o, nil
}

// rollout finds the assignment of the app in the scenario's timeline: when
// it is made, and how long the run goes on after it.
func rollout(sc *sim.Scenario) (at, window time.Duration, err error) {
	for _, a := range sc.Timeline {
		if a.Action == sim.ActAssign && a.Assignment != nil && a.Assignment.App == app {
			at = time.Duration(a.At)
			return at, time.Duration(sc.Duration) - at, nil
		}
	}
	return 0, 0, fmt.Errorf("the scenario's timeline assigns no %s", app)
}

func appName(sc *sim.Scenario) string {
	for _, a := range sc.Apps {
		if a.ID == app && a.Name != "" {
			return a.Name
		}
	}
	return string(app)
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// hours prints a window such as 24h0m0s as "24 h".
func hours(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", d/time.Hour)
	}
	return d.String()
}
