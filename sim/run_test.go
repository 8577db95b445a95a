package sim

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
	"github.com/mdmkit/mdmkit/tenant"
)

func runSmall(t *testing.T) *Report {
	t.Helper()
	sc, err := DecodeScenario(readSmall(t))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatalf("%v\n%s", err, text(rep))
	}
	return rep
}

func text(r *Report) string {
	if r == nil {
		return ""
	}
	var b strings.Builder
	r.WriteText(&b)
	return b.String()
}

func TestRun_small(t *testing.T) {
	rep := runSmall(t)
	if rep.Events.Enrollments != 200 || rep.Events.CheckIns == 0 || rep.Events.Total < rep.Events.CheckIns {
		t.Fatalf("events %+v", rep.Events)
	}
	if rep.Liveness.Checked == 0 {
		t.Fatalf("liveness checked nothing: %+v", rep.Liveness)
	}
	if rep.Compliance < 0.8 {
		t.Fatalf("compliance %v at the end:\n%s", rep.Compliance, text(rep))
	}
	// The VPP pool starts short (50 licenses for about 80 iOS devices, L5) and
	// the timeline buys 40 more: some devices waited, none waits at the end.
	var pool *PoolReport
	for i := range rep.Pools {
		if rep.Pools[i].App == "outlook" {
			pool = &rep.Pools[i]
		}
	}
	if pool == nil || pool.Total != 90 || pool.PeakWaiting == 0 || pool.Assigned > pool.Total {
		t.Fatalf("outlook pool %+v", pool)
	}
	// The outage window (2d to 2d6h) fails the sync that falls in it (S3).
	if rep.Syncs.Failed == 0 {
		t.Fatalf("no sync failed during the outage: %+v", rep.Syncs)
	}
	for _, a := range rep.Actions {
		if !a.OK {
			t.Fatalf("action refused: %+v", a)
		}
	}
}

// Determinism: the same scenario and seed give byte-identical JSON at
// GOMAXPROCS 1 and 2 (DESIGN "Determinism"); another seed another run.
func TestRun_deterministic(t *testing.T) {
	sc := DefaultScenario(800, 12)
	once := func(procs int, seed uint64) []byte {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		c := sc.Clone()
		c.Seed = seed
		rep, err := Run(context.Background(), c, Options{})
		if err != nil {
			t.Fatalf("GOMAXPROCS %d: %v", procs, err)
		}
		var b bytes.Buffer
		if err := rep.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	one, two := once(1, 3), once(2, 3)
	if !bytes.Equal(one, two) {
		t.Fatalf("JSON differs between GOMAXPROCS 1 and 2:\n%s", firstDiff(one, two))
	}
	if other := once(2, 4); bytes.Equal(one, other) {
		t.Fatal("seeds 3 and 4 gave the same report")
	}
}

func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + itoa(i+1) + ":\n  " + la[i] + "\n  " + lb[i]
		}
	}
	return "lengths differ"
}

func itoa(i int) string { return strconv.Itoa(i) }

func tenantChange(from, to mdm.InstallState) tenant.StateChange {
	return tenant.StateChange{App: "x", From: from, To: to}
}

// quietProfile never fails, is always online and has a user who does nothing:
// the setting of the timing-fidelity tests.
func quietProfile() device.Profile {
	p := device.DefaultProfile()
	p.Install = device.InstallProfile{Duration: device.Uniform(2*time.Minute, 10*time.Minute)}
	p.Uninstall = device.UninstallProfile{Duration: device.Fixed(time.Minute)}
	p.NotNowProbability = 0
	p.Reboot = device.RebootProfile{}
	p.Schedule = device.ScheduleProfile{}
	p.User = device.UserProfile{}
	p.UnmanagedApps = nil
	return p
}

// quietScenario is devices Windows devices enrolling in the first hour, one
// Win32 app, default policy (8 h check-ins with 10% jitter).
func quietScenario(devices int, days int, p device.Profile) *Scenario {
	return &Scenario{
		Name: "quiet", Seed: 11, Duration: Duration(time.Duration(days) * Day),
		Fleet: FleetSpec{Devices: devices, Users: devices,
			Platforms:  []PlatformSpec{{Platform: mdm.PlatformWindows, Share: 1, OSVersions: []VersionShare{{"10.0.22631", 1}}}},
			Enrollment: []WaveSpec{{At: 0, Over: Duration(time.Hour), Share: 1}}},
		Apps:     []AppSpec{{ID: "tool", Type: mdm.AppTypeWin32, Version: "1.0"}},
		Behavior: BehaviorSpec{Profiles: []ProfileSpec{{Name: "default", Profile: p}}},
	}
}

// T2: with 8 h check-ins and no failures, a required app reaches every online
// device within one check-in interval plus the install time. (With the push
// of the assignment it is there in minutes; the bound holds without it.)
func TestRun_timingRequiredReachesEveryDevice(t *testing.T) {
	sc := quietScenario(300, 4, quietProfile())
	at := Duration(2 * Day)
	sc.Timeline = []ActionSpec{{At: at, Action: ActAssign,
		Assignment: &AssignmentSpec{ID: "a-tool", App: "tool", Intent: mdm.Required, Target: "allDevices"}}}
	present := make([]eventq.Time, 300)
	rep, err := run(context.Background(), sc, Options{}, func(s *sim, i int) {
		if present[i] == 0 && s.now >= eventq.Time(at) {
			if _, _, ok := s.dev[i].d.Installed("tool"); ok {
				present[i] = s.now
			}
		}
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, text(rep))
	}
	pol := mdm.DefaultPolicy()
	bound := time.Duration(float64(pol.OtherCheckIn.Steady)*(1+pol.CheckInJitter)) + 10*time.Minute
	var worst time.Duration
	for i, p := range present {
		if p == 0 {
			t.Fatalf("device %d never got the app:\n%s", i, text(rep))
		}
		worst = max(worst, time.Duration(p-eventq.Time(at)))
	}
	if worst > bound {
		t.Fatalf("the slowest device got the app %s after the assignment, over one interval plus install time (%s)", worst, bound)
	}
	t.Logf("slowest device: %s after the assignment (bound %s); service-side time to install %s", worst, bound, rep.TimeToInstall.text())
}

// T3: a required app the user removes comes back. Each device's reinstall
// cycle ticks every ReinstallWindow (24 h) from its enrollment; at the first
// check-in after the tick that follows the removal, or at the tick's push, the
// tenant installs it again. So the app is back within the window plus a push
// and an install of the check-in that saw it missing, and within the window
// plus one check-in interval of the removal.
func TestRun_timingRemovedRequiredReturns(t *testing.T) {
	p := quietProfile()
	p.User.RemoveEvery = Duration(3 * Day)
	sc := quietScenario(200, 12, p)
	sc.Assignments = []AssignmentSpec{{ID: "a-tool", App: "tool", Intent: mdm.Required, Target: "allDevices"}}
	type track struct {
		had               bool
		removed, detected eventq.Time
	}
	tr := make([]track, 200)
	var fromSeen, fromRemoval []time.Duration
	_, err := run(context.Background(), sc, Options{}, func(s *sim, i int) {
		_, _, ok := s.dev[i].d.Installed("tool")
		x := &tr[i]
		switch {
		case x.had && !ok:
			x.removed, x.detected = s.now, 0
		case !ok && x.removed != 0 && x.detected == 0 && s.dev[i].lastSeen == s.now:
			x.detected = s.now // the check-in that reported the inventory without it
		case ok && !x.had && x.removed != 0:
			fromRemoval = append(fromRemoval, time.Duration(s.now-x.removed))
			if x.detected != 0 {
				fromSeen = append(fromSeen, time.Duration(s.now-x.detected))
			}
			x.removed = 0
		}
		x.had = ok
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fromSeen) < 50 {
		t.Fatalf("only %d removals came back", len(fromSeen))
	}
	pol := mdm.DefaultPolicy()
	seenBound := pol.ReinstallWindow + 30*time.Second + 10*time.Minute
	removalBound := seenBound + time.Duration(float64(pol.OtherCheckIn.Steady)*(1+pol.CheckInJitter))
	check := func(what string, ds []time.Duration, bound time.Duration) {
		var worst time.Duration
		for _, d := range ds {
			worst = max(worst, d)
		}
		if worst > bound {
			t.Fatalf("%s: the slowest return took %s, over %s", what, worst, bound)
		}
		t.Logf("%s: %d returns, slowest %s (bound %s)", what, len(ds), worst, bound)
	}
	check("from the check-in that saw it missing", fromSeen, seenBound)
	check("from the removal", fromRemoval, removalBound)
}

func TestRun_refusesInvalid(t *testing.T) {
	sc := DefaultScenario(100, 3)
	sc.Fleet.Devices = 0
	_, err := Run(context.Background(), sc, Options{})
	if !errors.Is(err, ErrInvalidScenario) {
		t.Fatalf("err = %v", err)
	}
}

func TestRun_cancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, DefaultScenario(300, 5), Options{ProgressEvery: 100})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestRun_progress(t *testing.T) {
	var calls int
	var last Progress
	_, err := Run(context.Background(), DefaultScenario(200, 3), Options{ProgressEvery: 500, Progress: func(p Progress) {
		calls++
		if p.Now < last.Now || p.Events < last.Events {
			t.Fatalf("progress went back: %+v after %+v", p, last)
		}
		last = p
	}})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 2 || last.Now != last.End {
		t.Fatalf("%d calls, last %+v", calls, last)
	}
}

// Every status change a check-in reports is checked against SPEC T1 (and the
// tenant's own table): these are the ones the simulator's reading forbids.
func TestLegalChange(t *testing.T) {
	type c = struct{ from, to mdm.InstallState }
	bad := []c{
		{mdm.StateInstalled, mdm.StateUnknown},
		{mdm.StateUnknown, mdm.StateInstalling},
		{mdm.StateAvailable, mdm.StateInstalling},
		{mdm.StateUnknown, mdm.StateUninstallFailed},
		{mdm.StateNotInstalled, mdm.StateUninstallFailed},
		{mdm.StateUnknown, mdm.StatePendingReboot},
		{mdm.StateInstalled, mdm.StateAvailable},
	}
	for _, x := range bad {
		if ok, _ := legalChange(tenantChange(x.from, x.to)); ok {
			t.Errorf("%s → %s accepted", x.from, x.to)
		}
	}
	good := []c{
		{mdm.StateUnknown, mdm.StateInstallRequested},
		{mdm.StateInstallRequested, mdm.StateInstalling},
		{mdm.StateInstalling, mdm.StateInstalled},
		{mdm.StateInstalled, mdm.StateNotInstalled},
		{mdm.StateInstalled, mdm.StateUninstallFailed},
		{mdm.StateFailed, mdm.StateInstallRequested},
		{mdm.StateFailed, mdm.StateFailed}, // a change of detail alone
	}
	for _, x := range good {
		if ok, why := legalChange(tenantChange(x.from, x.to)); !ok {
			t.Errorf("%s → %s refused: %s", x.from, x.to, why)
		}
	}
}

func TestViolation_error(t *testing.T) {
	v := &Violation{Rule: "T8", At: Duration(3 * Day), Event: "check-in of dev-000042", Device: "dev-000042", App: "vpn",
		What: "an uninstall was sent while required", Scenario: "default", Seed: 9, Repro: "fleetsim -seed 9"}
	msg := v.Error()
	for _, want := range []string{"T8", "72h0m0s", "dev-000042", "vpn", "seed 9", "fleetsim -seed 9"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if !errors.Is(v, ErrViolation) {
		t.Error("not an ErrViolation")
	}
}

// simDevice fills four cache lines exactly (prefetch warms four; see its doc).
func TestSimDevice_FourCacheLines(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is for 64-bit platforms")
	}
	if n := unsafe.Sizeof(simDevice{}); n != 256 {
		t.Fatalf("simDevice is %d bytes, want 256", n)
	}
}
