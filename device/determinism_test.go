package device

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// toyService stands in for the tenant: it requires a few apps on every device,
// answers portal requests, and resends what was answered "not now". It exists
// to drive devices through everything they do for the determinism tests and the
// fleet benchmark.
type toyService struct {
	required    []mdm.AppID
	outstanding []map[mdm.AppID]bool // per device: apps with a command in flight
	nextID      mdm.CommandID
	cmds        []mdm.Command
}

func (s *toyService) answer(i int, r *mdm.Report) []mdm.Command {
	out := s.outstanding[i]
	for _, res := range r.Results {
		if res.Outcome != mdm.OutcomePendingReboot { // not final: the command is still in flight
			delete(out, res.App)
		}
	}
	s.cmds = s.cmds[:0]
	send := func(kind mdm.CommandKind, app mdm.AppID) {
		if out[app] {
			return
		}
		out[app] = true
		s.nextID++
		s.cmds = append(s.cmds, mdm.Command{ID: s.nextID, Kind: kind, App: app, Version: "1.0"})
	}
	for _, req := range r.Requests {
		kind := mdm.CommandInstall
		if req.Action == mdm.PortalUninstall {
			kind = mdm.CommandUninstall
		}
		send(kind, req.App)
	}
	k := 0
	for _, app := range s.required { // both sorted: merge-walk
		for k < len(r.Inventory) && r.Inventory[k].App < app {
			k++
		}
		if k == len(r.Inventory) || r.Inventory[k].App != app {
			send(mdm.CommandInstall, app)
		}
	}
	return s.cmds
}

type toyConfig struct {
	seed    uint64
	devices int
	days    int
	timely  bool // step every device at its NextEvent; otherwise only at check-ins
	shared  bool // one random source for the fleet; otherwise one per device
}

func toyProfile() Profile {
	p := DefaultProfile()
	p.BooksAppProbability = 0.5
	p.UnmanagedApps = []UnmanagedApp{{App: "personal-game", Version: "3.1", Probability: 0.3}}
	p.User.PortalInstallEvery = Duration(3 * Day)
	p.User.PortalUninstallEvery = Duration(10 * Day)
	p.User.RemoveEvery = Duration(5 * Day)
	p.User.LeaveAfter = Duration(60 * Day)
	p.Install.StuckProbability = 0.02
	p.Schedule.AbsenceEvery = Duration(20 * Day)
	return p
}

// runToy runs a small fleet against toyService and returns the transcript of
// every check-in: the device, the time, the events since its last check-in and
// the report as JSON.
func runToy(t testing.TB, c toyConfig) string {
	portal := PortalFunc(func(_ mdm.DeviceID, dst []Offer) []Offer {
		return append(dst, Offer{App: "portal-app-1", Removable: true}, Offer{App: "portal-app-2"})
	})
	f, err := NewFleet(FleetConfig{Policy: mdm.DefaultPolicy(), Start: start, Portal: portal})
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.NewBehavior(toyProfile())
	if err != nil {
		t.Fatal(err)
	}
	svc := &toyService{required: []mdm.AppID{"req-1", "req-2", "req-3"}}
	shared := rand.New(rand.NewPCG(c.seed, 1))
	devs := make([]Device, c.devices)
	rngs := make([]*rand.Rand, c.devices)
	checkIn := make([]Time, c.devices)
	events := make([]Events, c.devices)
	nth := make([]int, c.devices) // check-ins so far, per device
	svc.outstanding = make([]map[mdm.AppID]bool, c.devices)
	for i := range devs {
		rngs[i] = shared
		if !c.shared {
			rngs[i] = rand.New(rand.NewPCG(c.seed, uint64(i)+2))
		}
		enroll := Time(i) * 7 * minute
		if err := devs[i].Init(mdm.DeviceID(fmt.Sprintf("dev-%03d", i)), b, enroll, rngs[i]); err != nil {
			t.Fatal(err)
		}
		checkIn[i] = enroll
		svc.outstanding[i] = map[mdm.AppID]bool{}
	}
	var out strings.Builder
	var r mdm.Report
	end := Time(c.days) * day
	for {
		i, at := -1, Never
		for k := range devs {
			w := checkIn[k]
			if c.timely {
				w = min(w, devs[k].NextEvent())
			}
			if w < at {
				i, at = k, w
			}
		}
		if at > end {
			break
		}
		d, rng := &devs[i], rngs[i]
		ev, err := d.Step(at, rng)
		if err != nil {
			t.Fatal(err)
		}
		events[i] |= ev
		if at < checkIn[i] {
			continue
		}
		if !d.Online(at) {
			checkIn[i] = d.NextOnline(at)
			continue
		}
		ev, err = d.CheckIn(at, rng, &r)
		if err != nil {
			t.Fatal(err)
		}
		events[i] |= ev
		js, err := json.Marshal(&r)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%v %s %v %s\n", at, r.Device, events[i], js)
		events[i] = 0
		if ev, err = d.Receive(at, rng, svc.answer(i, &r)); err != nil {
			t.Fatal(err)
		}
		events[i] |= ev
		// About every 8 hours, with a jitter that depends on nothing random, so
		// that timely and late stepping meet the same check-in times.
		nth[i]++
		checkIn[i] = at + 8*hour + Time((i*7919+nth[i]*31)%60)*minute
	}
	return out.String()
}

// The same seed and the same calls give the same reports byte for byte; another
// seed gives others (so the comparison can fail).
func TestDevice_Deterministic(t *testing.T) {
	cfg := toyConfig{seed: 42, devices: 40, days: 21, timely: true, shared: true}
	a, b := runToy(t, cfg), runToy(t, cfg)
	if a != b {
		t.Fatalf("two runs with seed 42 differ:\n%s", firstDiff(a, b))
	}
	for _, want := range []string{`"outcome":"succeeded"`, `"outcome":"notNow"`, `"outcome":"failed"`,
		`"action":"install"`, "userLeft", `"personal-game"`, `"com.apple.iBooks"`} {
		if !strings.Contains(a, want) {
			t.Errorf("the run never shows %s: the toy fleet does not exercise it", want)
		}
	}
	cfg.seed = 43
	if runToy(t, cfg) == a {
		t.Fatal("seeds 42 and 43 give the same run")
	}
}

// Stepping late runs exactly what stepping on time runs: a fleet stepped at
// every device event and one stepped only at check-ins report the same.
func TestDevice_LateStepsChangeNothing(t *testing.T) {
	cfg := toyConfig{seed: 7, devices: 30, days: 30, timely: true}
	timely := runToy(t, cfg)
	cfg.timely = false
	late := runToy(t, cfg)
	if timely != late {
		t.Fatalf("late stepping changed the run:\n%s", firstDiff(timely, late))
	}
	if n := strings.Count(timely, "\n"); n < 30*30 {
		t.Fatalf("only %d check-ins: the comparison covers too little", n)
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}
