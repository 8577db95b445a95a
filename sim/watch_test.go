package sim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
)

func smallScenario(t *testing.T) *Scenario {
	t.Helper()
	sc, err := DecodeScenario(readSmall(t))
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

// Watching a pair records its story without changing the run: the same trace
// hash as the unwatched run. The story is consistent with the tenant's status
// (T1): the last status change recorded is the status at the end, and every
// change starts where the previous one ended.
func TestRun_watch(t *testing.T) {
	sc := smallScenario(t)
	plain, err := Run(context.Background(), sc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// dev-000002 is an iOS device of the small fleet: outlook is required on it
	// through the ios device group, from a VPP pool short at the start (L5).
	rep, err := Run(context.Background(), sc, Options{Watch: &Watch{Device: "dev-000002", App: "outlook"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TraceHash != plain.TraceHash {
		t.Fatalf("watching changed the run: trace %s, unwatched %s", rep.TraceHash, plain.TraceHash)
	}
	w := rep.Watch
	if w == nil || w.Device != "dev-000002" || w.App != "outlook" || w.At != sc.Duration || !w.Enrolled {
		t.Fatalf("watch %+v", w)
	}
	if w.CatalogApp == "" || w.Platform != mdm.PlatformIOS {
		t.Errorf("catalog id %q, platform %s: want the synced app's catalog id and iOS", w.CatalogApp, w.Platform)
	}
	if len(w.History) == 0 || w.History[0].Event != "enrolled" {
		t.Fatalf("history does not start with the enrollment: %+v", w.History)
	}
	checkIns, state := w.QuietAfter, mdm.StateUnknown
	var last Duration
	for _, e := range w.History {
		if e.At < last {
			t.Errorf("history out of order at %s", e)
		}
		last = e.At
		checkIns += e.Quiet
		if strings.HasPrefix(e.Event, "check-in") {
			checkIns++
		}
		for _, c := range e.Changes {
			if c.From != state {
				t.Errorf("%s: change from %s, but the previous change ended in %s", e, c.From, state)
			}
			state = c.To
		}
	}
	if checkIns != w.CheckIns {
		t.Errorf("history holds %d check-ins, the watch counted %d", checkIns, w.CheckIns)
	}
	if w.State == nil || w.State.State != state || state != mdm.StateInstalled {
		t.Errorf("status at the end %+v, last change to %s: want both installed", w.State, state)
	}
	if w.Explained == nil || !w.Explained.Reached || !strings.Contains(w.Explanation, "a-outlook (required)") {
		t.Errorf("A11 explanation:\n%s", w.Explanation)
	}
	var b strings.Builder
	if err := w.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"device dev-000002 (iOS", "why (A11):", "status: installed", "enrolled", "sends install"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
}

// Stopping early (Options.Until) runs the same events up to that time: the
// watched history is the first part of the whole run's, the last sample is
// taken then, and liveness, checked at the end only, says it was not.
func TestRun_until(t *testing.T) {
	sc := smallScenario(t)
	watch := &Watch{Device: "dev-000003", App: "vpn"}
	full, err := Run(context.Background(), sc, Options{Watch: watch})
	if err != nil {
		t.Fatal(err)
	}
	until := 3*Day + 12*time.Hour
	part, err := Run(context.Background(), sc, Options{Watch: watch, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	if got := part.Samples[len(part.Samples)-1].At; got != Duration(until) || part.Watch.At != Duration(until) {
		t.Errorf("stopped at %s (watch %s), want %s", got, part.Watch.At, Duration(until))
	}
	if !strings.Contains(part.Liveness.Note, "Options.Until") || part.Liveness.Checked != 0 {
		t.Errorf("liveness %+v: want it not checked", part.Liveness)
	}
	var before []WatchEvent
	for _, e := range full.Watch.History {
		if e.At <= Duration(until) {
			before = append(before, e)
		}
	}
	if diff := cmp.Diff(before, part.Watch.History); diff != "" {
		t.Errorf("history until %s differs from the whole run's (-whole +until):\n%s", Duration(until), diff)
	}
	if part.Watch.CheckIns >= full.Watch.CheckIns || part.Watch.CheckIns == 0 {
		t.Errorf("check-ins: %d until %s, %d in all", part.Watch.CheckIns, Duration(until), full.Watch.CheckIns)
	}
}

// Options that do not fit the scenario are refused before anything runs.
func TestRun_invalidOptions(t *testing.T) {
	sc := smallScenario(t)
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{Watch: &Watch{Device: "dev-000201", App: "vpn"}}, `Watch.Device "dev-000201" is not a device of the fleet: its devices are dev-000001 to dev-000200`},
		{Options{Watch: &Watch{Device: "laptop", App: "vpn"}}, `Watch.Device "laptop"`},
		{Options{Watch: &Watch{Device: "dev-000001", App: "vpp:vpp-main:p-outlook:ios"}}, `is not an app of the scenario: use one of vpn, outlook`},
		{Options{Until: 11 * Day}, "Until 11d is outside the run (0 to 10d)"},
		{Options{Until: -time.Hour}, "outside the run"},
	} {
		rep, err := Run(context.Background(), sc, tc.opts)
		if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tc.want) || rep != nil {
			t.Errorf("%+v: %v, report %v; want ErrInvalidOptions saying %q", tc.opts, err, rep != nil, tc.want)
		}
	}
}

// L1: the tenant learns a VPP token's expDate from the sToken the admin
// uploads, so it stops granting through the token when the date comes, not at
// the next store sync (twice a day) that would hear it from Apple. In the small
// scenario the pool is short until the licenses bought at 3d, so devices wait
// for outlook and check in around the date.
func TestRun_tokenExpiresAtItsDate(t *testing.T) {
	sc := smallScenario(t)
	expiry := Duration(2*Day + 8*time.Hour)
	sc.Stores.VPP[0].ExpiresAfter = expiry
	var first eventq.Time
	rep, err := run(context.Background(), sc, Options{}, func(s *sim, _ int) {
		st, _ := s.ten.TokenState("vpp-main")
		if st == mdm.TokenExpired && first == 0 {
			first = s.now
		}
		if st == mdm.TokenExpired && s.now < eventq.Time(expiry) {
			t.Fatalf("token expired at %s, before its date %s", virtual(s.now), expiry)
		}
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, text(rep))
	}
	if first == 0 {
		t.Fatal("the token never expired")
	}
	if late := time.Duration(first - eventq.Time(expiry)); late > time.Hour {
		t.Fatalf("the tenant recorded the token expired %s after its date", late)
	}
	t.Logf("recorded expired %s after the date", time.Duration(first-eventq.Time(expiry)))
}
