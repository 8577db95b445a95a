package device

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/mdmkit/mdmkit/mdm"
)

// An install reaches the inventory when its attempt ends, and its result goes
// out at the next check-in, once.
func TestDevice_InstallReportedAtNextCheckIn(t *testing.T) {
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, quietProfile(), 0, 1)
	mustReceive(t, d, 0, rng, install(1, "app-b", "2.0"), install(2, "app-a", "1.0"))
	if got := d.NextEvent(); got != 10*minute {
		t.Fatalf("NextEvent = %v, want +10m", got)
	}
	r := mustCheckIn(t, d, 5*minute, rng)
	if len(r.Inventory) != 0 || len(r.Results) != 0 {
		t.Fatalf("at 5m: %+v, want nothing yet", r)
	}
	if d.Pending() != 2 {
		t.Fatalf("Pending = %d, want 2", d.Pending())
	}
	r = mustCheckIn(t, d, 10*minute, rng)
	if got := inv(r); got != "app-a@1.0 app-b@2.0" {
		t.Fatalf("inventory %q, want sorted app-a@1.0 app-b@2.0", got)
	}
	want := []mdm.CommandResult{
		{Command: 1, Kind: mdm.CommandInstall, App: "app-b", Outcome: mdm.OutcomeSucceeded},
		{Command: 2, Kind: mdm.CommandInstall, App: "app-a", Outcome: mdm.OutcomeSucceeded},
	}
	if !reflect.DeepEqual(r.Results, want) {
		t.Fatalf("results %+v, want %+v", r.Results, want)
	}
	r = mustCheckIn(t, d, 20*minute, rng)
	if len(r.Results) != 0 || d.Pending() != 0 || d.NextEvent() != Never {
		t.Fatalf("second check-in repeats results %+v (pending %d, next %v)", r.Results, d.Pending(), d.NextEvent())
	}
	if v, managed, ok := d.Installed("app-a"); !ok || v != "1.0" || !managed {
		t.Fatalf("Installed(app-a) = %q %v %v", v, managed, ok)
	}
}

// T5: an install result "retry". The device reports it (CodeRetry) and asks for
// a check-in at once, so that the service's re-sends, Policy.RetryInterval apart,
// keep their spacing; each re-send is a new attempt.
func TestDevice_T5Retry(t *testing.T) {
	p := quietProfile()
	p.Install.RetryProbability = 1
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, p, 0, 1)
	pol := mdm.DefaultPolicy()
	now := Time(0)
	for attempt := 1; attempt <= pol.RetryAttempts; attempt++ {
		id := mdm.CommandID(attempt)
		mustReceive(t, d, now, rng, install(id, "app", "1"))
		if r := mustCheckIn(t, d, now+10*minute-1, rng); len(r.Results) != 0 {
			t.Fatalf("attempt %d: result before the attempt ended: %+v", attempt, r.Results)
		}
		if ev := mustStep(t, d, now+10*minute, rng); ev != EventCheckInRequested {
			t.Fatalf("attempt %d: events %v, want a check-in requested", attempt, ev)
		}
		r := mustCheckIn(t, d, now+10*minute, rng)
		want := []mdm.CommandResult{{Command: id, Kind: mdm.CommandInstall, App: "app", Outcome: mdm.OutcomeRetry, Code: CodeRetry}}
		if !reflect.DeepEqual(r.Results, want) || len(r.Inventory) != 0 || d.Pending() != 0 {
			t.Fatalf("attempt %d: %+v %q, want %+v and nothing installed", attempt, r.Results, inv(r), want)
		}
		now += 10*minute + Time(pol.RetryInterval) // the service re-sends after the interval
	}

	// A re-send whose attempt succeeds installs the app.
	ok, err := f.NewBehavior(quietProfile())
	if err != nil {
		t.Fatal(err)
	}
	d.b = ok
	mustReceive(t, d, now, rng, install(9, "app", "1"))
	r := mustCheckIn(t, d, now+10*minute, rng)
	want := []mdm.CommandResult{{Command: 9, Kind: mdm.CommandInstall, App: "app", Outcome: mdm.OutcomeSucceeded}}
	if !reflect.DeepEqual(r.Results, want) || inv(r) != "app@1" {
		t.Fatalf("got %+v inventory %q, want %+v and app@1", r.Results, inv(r), want)
	}
}

// T6: an install that made no progress for StuckInstallThreshold (2 h) is
// restarted by the user after the profile's delay; the restart is a new attempt.
func TestDevice_T6StuckRestart(t *testing.T) {
	p := quietProfile()
	p.Install.StuckProbability = 1
	p.User.RestartStuckProbability = 1
	p.User.RestartStuckDelay = Fixed(15 * time.Minute)
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, p, 0, 1)
	mustReceive(t, d, hour, rng, install(1, "app", "1"))
	restart := hour + 2*hour + 15*minute
	if got := d.NextEvent(); got != restart {
		t.Fatalf("stuck install: NextEvent = %v, want threshold+delay %v", got, restart)
	}
	if r := mustCheckIn(t, d, restart-1, rng); len(r.Results) != 0 || d.Pending() != 1 {
		t.Fatalf("stuck install reported %+v", r.Results)
	}
	good, err := f.NewBehavior(quietProfile())
	if err != nil {
		t.Fatal(err)
	}
	d.b = good
	mustStep(t, d, restart, rng)
	if got := d.NextEvent(); got != restart+10*minute {
		t.Fatalf("after the restart NextEvent = %v, want the new attempt's end %v", got, restart+10*minute)
	}
	r := mustCheckIn(t, d, restart+10*minute, rng)
	if len(r.Results) != 1 || r.Results[0].Outcome != mdm.OutcomeSucceeded || inv(r) != "app@1" {
		t.Fatalf("got %+v %q", r.Results, inv(r))
	}
}

// T6 with a user who does not restart: the install stays stuck until a reboot
// restarts it; a restart due while the device is offline waits for it online.
func TestDevice_T6StuckUntilReboot(t *testing.T) {
	p := quietProfile()
	p.Install.StuckProbability = 1
	p.Reboot.Every = Duration(3 * Day)
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, p, 0, 2)
	mustReceive(t, d, 0, rng, install(1, "app", "1"))
	if d.ops[0].phase != phStuck || d.ops[0].due != Never {
		t.Fatalf("op %+v, want stuck with no restart", d.ops[0])
	}
	reboot := d.rebootAt
	if d.NextEvent() != reboot {
		t.Fatalf("NextEvent %v, want the reboot %v", d.NextEvent(), reboot)
	}
	good, _ := f.NewBehavior(p)
	good.install = compileAttempt(Fixed(10*time.Minute), 0, 0, 0, 0, nil)
	d.b = good
	r := mustCheckIn(t, d, reboot+10*minute, rng)
	if len(r.Results) != 1 || r.Results[0].Outcome != mdm.OutcomeSucceeded {
		t.Fatalf("after the reboot: %+v, want succeeded", r.Results)
	}

	// A restart that falls in the night waits for the morning.
	p = quietProfile()
	p.Install.StuckProbability = 1
	p.User.RestartStuckProbability = 1
	p.User.RestartStuckDelay = Fixed(0)
	p.Schedule.NightOffProbability = 1
	d, rng = newDevice(t, f, p, 0, 3)
	mustReceive(t, d, 17*hour+30*minute, rng, install(1, "app", "1")) // stuck until 19:30, in the night
	mustStep(t, d, 19*hour+30*minute, rng)
	if got, want := d.ops[0].due, day+7*hour; got != want {
		t.Fatalf("restart deferred to %v, want the next online time %v", got, want)
	}
}

// A "pending reboot" result goes out at the next check-in; at the reboot, which
// the user does after the drawn delay and the device at the latest after the
// restart grace period (T14), the app appears in the inventory and the command
// is reported again with its final result.
func TestDevice_PendingRebootCompletesOnReboot(t *testing.T) {
	p := quietProfile()
	p.Install.PendingRebootProbability = 1
	p.Reboot.Delay = Fixed(time.Hour)
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, p, 0, 1)
	mustReceive(t, d, 0, rng, install(1, "app", "3"))
	r := mustCheckIn(t, d, 20*minute, rng)
	want := []mdm.CommandResult{{Command: 1, Kind: mdm.CommandInstall, App: "app", Outcome: mdm.OutcomePendingReboot, Code: CodeSoftReboot}}
	if !reflect.DeepEqual(r.Results, want) || len(r.Inventory) != 0 {
		t.Fatalf("got %+v %q, want %+v and no app yet", r.Results, inv(r), want)
	}
	if d.NextEvent() != 70*minute || d.Pending() != 1 {
		t.Fatalf("NextEvent = %v, pending %d: want the reboot at +1h10m and the command without its final result", d.NextEvent(), d.Pending())
	}
	// The app is busy until the reboot: another command for it waits.
	mustReceive(t, d, 30*minute, rng, install(2, "app", "3"))
	r = mustCheckIn(t, d, 70*minute, rng)
	if inv(r) != "app@3" {
		t.Fatalf("after the reboot inventory %q, want app@3", inv(r))
	}
	// After the reboot the command is reported again, with its final result.
	want = []mdm.CommandResult{
		{Command: 1, Kind: mdm.CommandInstall, App: "app", Outcome: mdm.OutcomeSucceeded},
		{Command: 2, Kind: mdm.CommandInstall, App: "app", Outcome: mdm.OutcomeNotNow},
	}
	if !reflect.DeepEqual(r.Results, want) {
		t.Fatalf("results %+v, want %+v", r.Results, want)
	}
	if d.Pending() != 0 || len(d.ops) != 0 {
		t.Fatalf("ops left after the reboot: %+v", d.ops)
	}

	// A reboot before the next check-in: only the final result goes out.
	d, rng = newDevice(t, f, p, 0, 1)
	mustReceive(t, d, 0, rng, install(1, "app", "3"))
	r = mustCheckIn(t, d, 2*hour, rng)
	want = []mdm.CommandResult{{Command: 1, Kind: mdm.CommandInstall, App: "app", Outcome: mdm.OutcomeSucceeded}}
	if !reflect.DeepEqual(r.Results, want) || inv(r) != "app@3" {
		t.Fatalf("got %+v %q, want %+v and app@3", r.Results, inv(r), want)
	}

	// T14: the user waits two days, the device restarts after the 24 h grace.
	p.Reboot.Delay = Fixed(48 * time.Hour)
	d, rng = newDevice(t, f, p, 0, 1)
	mustReceive(t, d, 0, rng, install(1, "app", "3"))
	mustStep(t, d, 10*minute, rng)
	if got, want := d.NextEvent(), 10*minute+24*hour; got != want {
		t.Fatalf("reboot at %v, want grace period end %v", got, want)
	}
}

// "Not now" while busy: the device is locked, the app is busy, or too many
// commands run.
func TestDevice_NotNowWhileBusy(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Profile)
		cmds    []mdm.Command
		outcome []mdm.Outcome
	}{
		{"same app in progress", nil,
			[]mdm.Command{install(1, "a", "1"), install(2, "a", "1")},
			[]mdm.Outcome{mdm.OutcomeSucceeded, mdm.OutcomeNotNow}},
		{"uninstall while installing", nil,
			[]mdm.Command{install(1, "a", "1"), uninstall(2, "a")},
			[]mdm.Outcome{mdm.OutcomeSucceeded, mdm.OutcomeNotNow}},
		{"concurrency limit", func(p *Profile) { p.MaxConcurrentCommands = 2 },
			[]mdm.Command{install(1, "a", "1"), install(2, "b", "1"), install(3, "c", "1")},
			[]mdm.Outcome{mdm.OutcomeSucceeded, mdm.OutcomeSucceeded, mdm.OutcomeNotNow}},
		{"locked", func(p *Profile) { p.NotNowProbability = 1 },
			[]mdm.Command{install(1, "a", "1"), uninstall(2, "b")},
			[]mdm.Outcome{mdm.OutcomeNotNow, mdm.OutcomeNotNow}},
		{"same id delivered twice", nil,
			[]mdm.Command{install(1, "a", "1"), install(1, "a", "1")},
			[]mdm.Outcome{mdm.OutcomeSucceeded, mdm.OutcomeNotNow}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := quietProfile()
			if tc.edit != nil {
				tc.edit(&p)
			}
			d, rng := newDevice(t, newFleet(t, nil), p, 0, 1)
			mustReceive(t, d, 0, rng, tc.cmds...)
			r := mustCheckIn(t, d, hour, rng)
			var got []mdm.Outcome
			for _, res := range r.Results {
				got = append(got, res.Outcome)
			}
			// Not-now answers are ready at once, results when the attempt
			// ends; compare as multisets in command order per kind.
			slices.Sort(got)
			want := slices.Clone(tc.outcome)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("outcomes %v, want %v", got, want)
			}
		})
	}
}

// A10: the inventory lists apps the user installed outside management; an
// uninstall command leaves them alone and fails with CodeNotManaged. The
// uninstall of an absent app succeeds; the update of one fails.
func TestDevice_UnmanagedAndAbsentApps(t *testing.T) {
	p := quietProfile()
	p.UnmanagedApps = []UnmanagedApp{{App: "zoom", Version: "5.1", Probability: 1}, {App: "never", Probability: 0}}
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, p, 0, 1)
	mustReceive(t, d, 0, rng, uninstall(1, "zoom"), uninstall(2, "gone"),
		mdm.Command{ID: 3, Kind: mdm.CommandUpdate, App: "gone", Version: "2"})
	r := mustCheckIn(t, d, 0, rng)
	want := []mdm.CommandResult{
		{Command: 1, Kind: mdm.CommandUninstall, App: "zoom", Outcome: mdm.OutcomeFailed, Code: CodeNotManaged},
		{Command: 2, Kind: mdm.CommandUninstall, App: "gone", Outcome: mdm.OutcomeSucceeded},
		{Command: 3, Kind: mdm.CommandUpdate, App: "gone", Outcome: mdm.OutcomeFailed, Code: CodeNotInstalled},
	}
	if !reflect.DeepEqual(r.Results, want) || inv(r) != "zoom@5.1" {
		t.Fatalf("got %+v %q, want %+v and zoom@5.1", r.Results, inv(r), want)
	}
	// Installed by the service, the same app is removed.
	mustReceive(t, d, 0, rng, install(4, "zoom", "5.2"))
	mustStep(t, d, 10*minute, rng)
	if _, managed, _ := d.Installed("zoom"); !managed {
		t.Fatal("an app the service installed is not managed")
	}
	mustCheckIn(t, d, 10*minute, rng)
	mustReceive(t, d, 10*minute, rng, uninstall(5, "zoom"))
	r = mustCheckIn(t, d, hour, rng)
	if len(r.Inventory) != 0 || r.Results[0].Outcome != mdm.OutcomeSucceeded {
		t.Fatalf("got %+v %q, want zoom removed", r.Results, inv(r))
	}
}

// Failure codes come from the profile's weighted list.
func TestDevice_FailureCodes(t *testing.T) {
	p := quietProfile()
	p.Install.FailureProbability = 1
	p.Install.FailureCodes = []WeightedCode{{Code: 1603, Weight: 1}, {Code: 0x643, Weight: 0}, {Code: -2147009281, Weight: 1}}
	d, rng := newDevice(t, newFleet(t, nil), p, 0, 1)
	seen := map[int32]int{}
	for i := range 200 {
		now := Time(i) * hour
		mustReceive(t, d, now, rng, install(mdm.CommandID(i+1), "a", "1"))
		r := mustCheckIn(t, d, now+10*minute, rng)
		if len(r.Results) != 1 || r.Results[0].Outcome != mdm.OutcomeFailed {
			t.Fatalf("got %+v", r.Results)
		}
		seen[r.Results[0].Code]++
	}
	if len(seen) != 2 || seen[1603] < 60 || seen[-2147009281] < 60 {
		t.Fatalf("codes drawn %v, want 1603 and -2147009281 about evenly, never the zero-weight one", seen)
	}
}

// T7: the user uninstalls an available app from the portal (a request the
// service acts on) or deletes it from the device; the device never puts it back
// by itself. A portal install requests an offered app that is not present.
func TestDevice_T7UserRemovalOfAvailable(t *testing.T) {
	offered := []Offer{{App: "avail", Removable: true}, {App: "other", Removable: false}}
	portal := PortalFunc(func(id mdm.DeviceID, dst []Offer) []Offer { return append(dst, offered...) })
	f := newFleet(t, portal)

	// setup returns a device whose user does one thing, holding "avail"
	// installed by the service.
	setup := func(t *testing.T, user func(*UserProfile)) (*Device, *rand.Rand) {
		p := quietProfile()
		user(&p.User)
		d, rng := newDevice(t, f, p, 0, 1)
		mustReceive(t, d, 0, rng, install(1, "avail", "1"))
		mustCheckIn(t, d, 10*minute, rng)
		return d, rng
	}

	t.Run("portal uninstall", func(t *testing.T) {
		d, rng := setup(t, func(u *UserProfile) { u.PortalUninstallEvery = Duration(time.Hour) })
		mustReceive(t, d, 10*minute, rng, install(2, "other", "1"))
		mustCheckIn(t, d, 20*minute, rng)
		var ev Events
		for now := 20 * minute; ev == 0; now += 10 * minute {
			if now > 30*day {
				t.Fatal("no portal visit in 30 days")
			}
			ev = mustStep(t, d, now, rng)
		}
		if ev != EventCheckInRequested {
			t.Fatalf("events %v, want checkInRequested", ev)
		}
		r := mustCheckIn(t, d, d.Now(), rng)
		want := []mdm.PortalRequest{{App: "avail", Action: mdm.PortalUninstall}}
		if !reflect.DeepEqual(r.Requests, want) || inv(r) != "avail@1 other@1" {
			t.Fatalf("requests %+v inventory %q, want %+v (only the removable app) and both still there", r.Requests, inv(r), want)
		}
	})

	t.Run("delete from device", func(t *testing.T) {
		d, rng := setup(t, func(u *UserProfile) { u.RemoveEvery = Duration(time.Hour) })
		if _, _, ok := d.Installed("avail"); !ok {
			t.Fatal("the app is not there to delete")
		}
		mustStep(t, d, d.NextEvent(), rng)
		if _, _, ok := d.Installed("avail"); ok {
			t.Fatal("the user's deletion did not remove the app")
		}
		for range 100 {
			mustStep(t, d, d.NextEvent(), rng)
		}
		if r := mustCheckIn(t, d, d.Now(), rng); len(r.Inventory) != 0 {
			t.Fatalf("the device put back a removed app by itself: %q", inv(r))
		}
	})

	t.Run("portal install", func(t *testing.T) {
		d, rng := setup(t, func(u *UserProfile) { u.PortalInstallEvery = Duration(time.Hour) })
		var ev Events
		for ev == 0 {
			ev = mustStep(t, d, d.NextEvent(), rng)
		}
		r := mustCheckIn(t, d, d.Now(), rng)
		want := []mdm.PortalRequest{{App: "other", Action: mdm.PortalInstall}}
		if !reflect.DeepEqual(r.Requests, want) {
			t.Fatalf("requests %+v, want %+v", r.Requests, want)
		}
		// While the request is pending no second one for the same app; once
		// reported, and the app installed, nothing is left to request.
		mustReceive(t, d, d.Now(), rng, install(2, "other", "1"))
		mustCheckIn(t, d, d.Now()+10*minute, rng)
		for range 20 {
			mustStep(t, d, d.NextEvent(), rng)
		}
		if r := mustCheckIn(t, d, d.Now(), rng); len(r.Requests) != 0 {
			t.Fatalf("requests %+v for apps already installed", r.Requests)
		}
	})
}

// L8: a book needs the built-in Books app; a user who deletes it cannot get it
// back from the service, and books fail from then on.
func TestDevice_L8BooksApp(t *testing.T) {
	p := quietProfile()
	p.BooksAppProbability = 1
	p.User.RemoveEvery = Duration(time.Hour)
	f := newFleet(t, nil)
	if err := f.MarkBook("book-1"); err != nil {
		t.Fatal(err)
	}
	d, rng := newDevice(t, f, p, 0, 1)
	if !d.HasBooksApp() {
		t.Fatal("Books app missing at enrollment with probability 1")
	}
	mustReceive(t, d, 0, rng, install(1, "book-1", "1"))
	if r := mustCheckIn(t, d, 10*minute, rng); inv(r) != "book-1@1 com.apple.iBooks@" {
		t.Fatalf("inventory %q", inv(r))
	}
	var ev Events
	for !ev.Has(EventBooksAppRemoved) {
		ev |= mustStep(t, d, d.NextEvent(), rng)
		if len(d.list()) == 0 && !ev.Has(EventBooksAppRemoved) {
			t.Fatal("Books app removed without the event")
		}
	}
	mustReceive(t, d, d.Now(), rng, install(2, "book-1", "1"), install(3, string(DefaultBooksApp), ""))
	r := mustCheckIn(t, d, d.Now(), rng)
	for _, res := range r.Results {
		if res.Outcome != mdm.OutcomeFailed || res.Code != CodeBooksAppMissing {
			t.Fatalf("result %+v, want failed with CodeBooksAppMissing", res)
		}
	}
	if len(r.Results) != 2 {
		t.Fatalf("results %+v", r.Results)
	}
}

// The user may leave the company: an event for the simulator, and the user does
// nothing more.
func TestDevice_UserLeaves(t *testing.T) {
	p := quietProfile()
	p.User.LeaveAfter = Duration(30 * Day)
	p.User.RemoveEvery = Duration(Day)
	d, rng := newDevice(t, newFleet(t, nil), p, 0, 1)
	var ev Events
	for !ev.Has(EventUserLeft) {
		if d.NextEvent() == Never {
			t.Fatal("no event left before the user left")
		}
		ev = mustStep(t, d, d.NextEvent(), rng)
	}
	if !d.UserLeft() || d.NextEvent() != Never {
		t.Fatalf("after leaving: left %v, next %v (want no more user actions)", d.UserLeft(), d.NextEvent())
	}
}

// Bad calls change nothing and return typed errors.
func TestDevice_RefusedCalls(t *testing.T) {
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, quietProfile(), hour, 1)
	mustReceive(t, d, hour, rng, install(1, "a", "1"))
	before := snapshot(d)

	_, err := d.Step(hour-1, rng)
	wantErr(t, err, ErrTimeBackwards, "now")
	_, err = d.CheckIn(hour-1, rng, &mdm.Report{})
	wantErr(t, err, ErrTimeBackwards, "now")
	_, err = d.Step(2*hour, nil)
	wantErr(t, err, ErrNoRand, "rng")
	_, err = d.Receive(2*hour, rng, []mdm.Command{install(2, "b", "1"), {ID: 3, Kind: 9, App: "c"}})
	wantErr(t, err, mdm.ErrInvalidMessage, "commands[1].kind")
	_, err = d.Receive(2*hour, rng, []mdm.Command{{ID: 3, Kind: mdm.CommandInstall}})
	wantErr(t, err, mdm.ErrInvalidID, "commands[0].appId")
	_, err = d.CheckIn(2*hour, rng, nil)
	wantErr(t, err, mdm.ErrInvalidMessage, "report")
	if !reflect.DeepEqual(before, snapshot(d)) {
		t.Fatal("a refused call changed the device")
	}

	var zero Device
	_, err = zero.Step(0, rng)
	wantErr(t, err, ErrNotInitialized, "device")
	if zero.Online(0) || zero.NextOnline(0) != Never {
		t.Fatal("a zero device claims to be online")
	}
	b, _ := f.NewBehavior(quietProfile())
	wantErr(t, zero.Init("", b, 0, rng), ErrUnknownDevice, "deviceId")
	wantErr(t, zero.Init("x", nil, 0, rng), ErrInvalidProfile, "behavior")
	wantErr(t, zero.Init("x", b, -1, rng), ErrTimeBackwards, "now")
	wantErr(t, zero.Init("x", b, 0, nil), ErrNoRand, "rng")
}

// snapshot copies a device deeply, for comparing before and after a call.
func snapshot(d *Device) Device {
	c := *d
	if d.more != nil {
		more := slices.Clone(*d.more)
		c.more = &more
	}
	c.ops = slices.Clone(d.ops)
	return c
}

// A device is small: the 1,000,000-device run keeps every one in memory.
func TestDevice_Size(t *testing.T) {
	if s := unsafe.Sizeof(Device{}); s > 208 {
		t.Fatalf("Device is %d bytes, budget 208 (InlineApps apps included)", s)
	}
	if s := unsafe.Sizeof(entry{}); s != 8 {
		t.Fatalf("entry is %d bytes, want 8", s)
	}
}

// The inventory's strings are the ones the fleet interned: after AddApp with
// the service's own string, the report hands the service back its bytes, so the
// service's string comparisons stop at the pointer.
func TestDevice_ReportSharesInternedStrings(t *testing.T) {
	f := newFleet(t, nil)
	serviceID := mdm.AppID(strings.Clone("com.contoso.crm"))
	if err := f.AddApp(serviceID); err != nil {
		t.Fatal(err)
	}
	d, rng := newDevice(t, f, quietProfile(), 0, 1)
	mustReceive(t, d, 0, rng, install(1, strings.Clone("com.contoso.crm"), "1"))
	r := mustCheckIn(t, d, hour, rng)
	if unsafe.StringData(string(r.Inventory[0].App)) != unsafe.StringData(string(serviceID)) ||
		unsafe.StringData(string(r.Results[0].App)) != unsafe.StringData(string(serviceID)) {
		t.Fatal("the report does not share the interned id's bytes")
	}
}

// The inventory moves out of the Device when it outgrows InlineApps and back
// when it fits again; it stays sorted by app id and every app keeps its version
// throughout (T1: the report is the device's inventory).
func TestDevice_InventoryBeyondInline(t *testing.T) {
	f := newFleet(t, nil)
	d, rng := newDevice(t, f, quietProfile(), 0, 1)
	n := InlineApps + 5
	want := map[string]string{}
	now := Time(0)
	for i := range n {
		app := fmt.Sprintf("app-%02d", (i*7)%n) // installed out of id order
		mustReceive(t, d, now, rng, install(mdm.CommandID(i+1), app, fmt.Sprint(i)))
		now += hour
		mustCheckIn(t, d, now, rng)
		want[app] = fmt.Sprint(i)
		if (d.more != nil) != (len(want) > InlineApps) {
			t.Fatalf("%d apps: out of line %v", len(want), d.more != nil)
		}
	}
	check := func() {
		t.Helper()
		r := mustCheckIn(t, d, now, rng)
		if len(r.Inventory) != len(want) {
			t.Fatalf("inventory %q, want %d apps", inv(r), len(want))
		}
		for k, a := range r.Inventory {
			if want[string(a.App)] != a.Version || k > 0 && r.Inventory[k-1].App >= a.App {
				t.Fatalf("inventory %q, want %v", inv(r), want)
			}
		}
	}
	check()
	for i := range n - 2 {
		app := fmt.Sprintf("app-%02d", (i*3)%n)
		if _, ok := want[app]; !ok {
			continue
		}
		mustReceive(t, d, now, rng, uninstall(mdm.CommandID(100+i), app))
		now += hour
		delete(want, app)
		check()
		if (d.more != nil) != (len(want) > InlineApps) {
			t.Fatalf("%d apps: out of line %v", len(want), d.more != nil)
		}
	}
}
