package device

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"pgregory.net/rapid"
)

var rapidApps = []string{"app-a", "app-b", "app-c", "app-d", "app-e", "book-1", string(DefaultBooksApp)}

// drawProfile draws a profile with every behaviour in play and short times, so
// that a few dozen actions meet retries, reboots, stuck installs, nights and the
// user.
func drawProfile(t *rapid.T) Profile {
	minutes := func(name string, lo, hi int) Duration {
		return Duration(time.Duration(rapid.IntRange(lo, hi).Draw(t, name)) * time.Minute)
	}
	prob := func(name string, hi float64) float64 {
		return rapid.SampledFrom([]float64{0, hi / 4, hi / 2, hi}).Draw(t, name)
	}
	p := Profile{}
	p.Install.Duration = Dist{Kind: DistUniform, Min: minutes("installMin", 0, 5), Max: minutes("installMax", 5, 60)}
	p.Install.FailureProbability = prob("fail", 0.25)
	p.Install.RetryProbability = prob("retry", 0.25)
	p.Install.PendingRebootProbability = prob("reboot", 0.25)
	p.Install.StuckProbability = prob("stuck", 0.25)
	p.Install.FailureCodes = []WeightedCode{{1603, 1}, {1602, 1}}
	p.Uninstall.Duration = Exponential(time.Duration(minutes("uninstallMean", 1, 20)))
	p.Uninstall.FailureProbability = prob("uninstallFail", 0.3)
	p.NotNowProbability = prob("notNow", 0.3)
	p.MaxConcurrentCommands = rapid.IntRange(0, 3).Draw(t, "maxConcurrent")
	p.Reboot.Delay = Exponential(time.Duration(minutes("rebootDelay", 1, 600)))
	p.Reboot.Every = rapid.SampledFrom([]Duration{0, Duration(6 * time.Hour), Duration(3 * Day)}).Draw(t, "rebootEvery")
	p.Schedule = ScheduleProfile{
		UTCOffset:             minutes("utcOffset", -14*60, 14*60),
		NightOffProbability:   prob("nightOff", 1),
		NightStart:            minutes("nightStart", 0, 24*60-1),
		NightEnd:              minutes("nightEnd", 0, 24*60-1),
		WeekendOffProbability: prob("weekendOff", 1),
		Jitter:                minutes("jitter", 0, 180),
		AbsenceEvery:          rapid.SampledFrom([]Duration{0, Duration(2 * Day), Duration(10 * Day)}).Draw(t, "absenceEvery"),
		AbsenceLength:         Uniform(0, 3*Day),
	}
	if p.Schedule.NightStart == p.Schedule.NightEnd {
		p.Schedule.NightOffProbability = 0
	}
	every := func(name string) Duration {
		return rapid.SampledFrom([]Duration{0, Duration(time.Hour), Duration(Day)}).Draw(t, name)
	}
	p.User = UserProfile{
		PortalInstallEvery:      every("portalInstall"),
		PortalUninstallEvery:    every("portalUninstall"),
		RemoveEvery:             every("remove"),
		LeaveAfter:              rapid.SampledFrom([]Duration{0, Duration(2 * Day)}).Draw(t, "leave"),
		RestartStuckProbability: prob("restartStuck", 1),
		RestartStuckDelay:       Fixed(time.Duration(minutes("restartDelay", 0, 120))),
	}
	p.BooksAppProbability = prob("books", 1)
	p.UnmanagedApps = []UnmanagedApp{{App: "app-e", Version: "9", Probability: prob("unmanaged", 1)}}
	return p
}

// TestDevice_RapidConsistency drives a device with any sequence of commands,
// steps and check-ins and checks, after every call: the inventory is sorted by
// app id and unique; results name only commands received, each delivery is
// answered at most once and Pending counts exactly the unanswered ones (so every
// delivery is answered exactly once when nothing is pending); time never runs
// backwards and a refused call changes nothing; NextEvent is in the future; a
// "pending reboot" result comes at most once before a delivery's final result.
// After a drain with check-ins whenever online, nothing is left pending when the
// device can finish everything (no stuck install waits for a reboot that never
// comes).
func TestDevice_RapidConsistency(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := drawProfile(t)
		if err := p.Validate(); err != nil {
			t.Fatalf("drawn profile invalid: %v", err)
		}
		offered := []Offer{{App: "app-a", Removable: true}, {App: "app-b"}, {App: "app-c", Removable: true}}
		f, err := NewFleet(FleetConfig{Policy: mdm.DefaultPolicy(), Start: start,
			Portal: PortalFunc(func(_ mdm.DeviceID, dst []Offer) []Offer { return append(dst, offered...) })})
		if err != nil {
			t.Fatal(err)
		}
		if err := f.MarkBook("book-1"); err != nil {
			t.Fatal(err)
		}
		b, err := f.NewBehavior(p)
		if err != nil {
			t.Fatal(err)
		}
		rng := newRand(rapid.Uint64().Draw(t, "seed"))
		now := Time(rapid.Int64Range(0, int64(7*day)).Draw(t, "enroll"))
		d, err := New("dev", b, now, rng)
		if err != nil {
			t.Fatal(err)
		}
		m := &rapidModel{d: d, cmds: map[mdm.CommandID]mdm.Command{}, delivered: map[mdm.CommandID]int{},
			answered: map[mdm.CommandID]int{}, interim: map[mdm.CommandID]int{}, mayHold: map[mdm.AppID]bool{}}
		for _, a := range d.AppendInventory(nil) {
			m.mayHold[a.App] = true
		}
		m.check(t, now)

		var report mdm.Report
		for range rapid.IntRange(1, 80).Draw(t, "actions") {
			switch rapid.IntRange(0, 4).Draw(t, "action") {
			case 0: // step, possibly late
				now += Time(rapid.Int64Range(0, int64(12*hour)).Draw(t, "dt"))
				if _, err := d.Step(now, rng); err != nil {
					t.Fatalf("Step: %v", err)
				}
			case 1: // step exactly at the next event
				if next := d.NextEvent(); next != Never {
					now = next
				}
				if _, err := d.Step(now, rng); err != nil {
					t.Fatalf("Step: %v", err)
				}
			case 2: // check in
				now += Time(rapid.Int64Range(0, int64(9*hour)).Draw(t, "dt"))
				m.checkIn(t, now, rng, &report)
			case 3: // receive commands
				now += Time(rapid.Int64Range(0, int64(hour)).Draw(t, "dt"))
				var cmds []mdm.Command
				for range rapid.IntRange(0, 4).Draw(t, "n") {
					if len(m.cmds) > 0 && rapid.Bool().Draw(t, "resend") {
						id := mdm.CommandID(rapid.IntRange(1, len(m.cmds)).Draw(t, "id"))
						cmds = append(cmds, m.cmds[id])
						continue
					}
					c := mdm.Command{ID: mdm.CommandID(len(m.cmds) + 1),
						Kind:    mdm.CommandKind(rapid.IntRange(1, 3).Draw(t, "kind")),
						App:     mdm.AppID(rapid.SampledFrom(rapidApps).Draw(t, "app")),
						Version: rapid.SampledFrom([]string{"", "1", "2"}).Draw(t, "version")}
					m.cmds[c.ID] = c
					cmds = append(cmds, c)
				}
				_, err := d.Receive(now, rng, cmds)
				switch {
				case errors.Is(err, ErrOffline):
					if d.Online(now) {
						t.Fatalf("ErrOffline while Online(%v)", now)
					}
				case err != nil:
					t.Fatalf("Receive: %v", err)
				default:
					for _, c := range cmds {
						m.delivered[c.ID]++
						if c.Kind != mdm.CommandUninstall {
							m.mayHold[c.App] = true
						}
					}
				}
			case 4: // a call back in time is refused and changes nothing
				if now > 0 {
					before := snapshot(d)
					_, err := d.Step(now-1, rng)
					if !errors.Is(err, ErrTimeBackwards) || !reflect.DeepEqual(before, snapshot(d)) {
						t.Fatalf("Step back in time: %v, or the device changed", err)
					}
					_, err = d.Receive(now-1, rng, []mdm.Command{install(999, "app-a", "1")})
					if !errors.Is(err, ErrTimeBackwards) || !reflect.DeepEqual(before, snapshot(d)) {
						t.Fatalf("Receive back in time: %v, or the device changed", err)
					}
				}
			}
			m.check(t, now)
		}

		// Drain for 60 days: step at least hourly and at every device event
		// (coming online among them), checking in whenever online.
		for end := now + 60*day; now < end; now = min(now+hour, d.NextEvent()) {
			if _, err := d.Step(now, rng); err != nil {
				t.Fatal(err)
			}
			if d.Online(now) {
				m.checkIn(t, now, rng, &report)
			}
			m.check(t, now)
		}
		canFinish := p.Install.StuckProbability == 0 || p.Reboot.Every > 0
		if canFinish && d.Pending() != 0 {
			t.Fatalf("%d commands never answered: %+v", d.Pending(), d.ops)
		}
		for id, n := range m.delivered {
			if canFinish && m.answered[id] != n {
				t.Fatalf("command %v delivered %d times, answered %d", id, n, m.answered[id])
			}
		}
	})
}

type rapidModel struct {
	d         *Device
	cmds      map[mdm.CommandID]mdm.Command
	delivered map[mdm.CommandID]int
	answered  map[mdm.CommandID]int // final results
	interim   map[mdm.CommandID]int // "pending reboot" results
	mayHold   map[mdm.AppID]bool    // apps the device had at enrollment or was told to install
	last      Time
}

func (m *rapidModel) checkIn(t *rapid.T, now Time, rng *rand.Rand, r *mdm.Report) {
	_, err := m.d.CheckIn(now, rng, r)
	if errors.Is(err, ErrOffline) {
		if m.d.Online(now) {
			t.Fatalf("ErrOffline while Online(%v)", now)
		}
		return
	}
	if err != nil {
		t.Fatalf("CheckIn: %v", err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("report does not validate: %v", err)
	}
	if !slices.IsSortedFunc(r.Inventory, func(a, b mdm.InstalledApp) int {
		switch {
		case a.App < b.App:
			return -1
		case a.App > b.App:
			return 1
		}
		return 0
	}) {
		t.Fatalf("inventory not sorted: %+v", r.Inventory)
	}
	for _, res := range r.Results {
		c, ok := m.cmds[res.Command]
		if !ok || m.delivered[res.Command] == 0 {
			t.Fatalf("result for a command never received: %+v", res)
		}
		if res.App != c.App || res.Kind != c.Kind {
			t.Fatalf("result %+v does not match command %+v", res, c)
		}
		if res.Outcome == mdm.OutcomePendingReboot {
			// not final: at most one per delivery, before its final result
			m.interim[res.Command]++
			if m.interim[res.Command] > m.delivered[res.Command]-m.answered[res.Command] {
				t.Fatalf("command %v: %d pending-reboot results for %d unanswered deliveries", res.Command,
					m.interim[res.Command], m.delivered[res.Command]-m.answered[res.Command])
			}
			continue
		}
		m.answered[res.Command]++
		if m.interim[res.Command] > 0 && res.Outcome == mdm.OutcomeSucceeded {
			m.interim[res.Command]--
		}
		if m.answered[res.Command] > m.delivered[res.Command] {
			t.Fatalf("command %v answered %d times, delivered %d", res.Command, m.answered[res.Command], m.delivered[res.Command])
		}
		if (res.Outcome == mdm.OutcomeFailed) != (res.Code != 0 && res.Outcome != mdm.OutcomeRetry && res.Outcome != mdm.OutcomePendingReboot) {
			t.Fatalf("result %+v: a code goes with failed, retry and pending reboot only", res)
		}
	}
	for _, req := range r.Requests {
		if req.App != "app-a" && req.App != "app-b" && req.App != "app-c" {
			t.Fatalf("portal request for %q, which the portal never offered", req.App)
		}
	}
}

func (m *rapidModel) check(t *rapid.T, now Time) {
	d := m.d
	if d.Now() < m.last || d.Now() > now {
		t.Fatalf("time ran backwards: %v after %v", d.Now(), m.last)
	}
	m.last = d.Now()
	if d.NextEvent() <= d.Now() {
		t.Fatalf("NextEvent %v not after the device's time %v", d.NextEvent(), d.Now())
	}
	inv := d.AppendInventory(nil)
	for i := 1; i < len(inv); i++ {
		if inv[i-1].App >= inv[i].App {
			t.Fatalf("inventory not sorted and unique: %+v", inv)
		}
	}
	for _, a := range inv {
		if !m.mayHold[a.App] {
			t.Fatalf("inventory holds %q, never installed: %+v", a.App, inv)
		}
	}
	unanswered := 0
	for id, n := range m.delivered {
		unanswered += n - m.answered[id]
	}
	if d.Pending() != unanswered {
		t.Fatalf("Pending %d, but %d deliveries unanswered", d.Pending(), unanswered)
	}
}
