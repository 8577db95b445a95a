package tenant

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/mdmkit/mdmkit/mdm"
)

// The engine tests drive one device through the check-in engine with a fake
// around it (no resolver, no pools): each case names the SPEC rule it checks.

type fakeFx struct {
	next      mdm.CommandID
	available map[int32]int // licenses left per app with a pool
	held      map[int32]bool
	counts    map[int32]*[16]int
	reclaims  int
}

func newFakeFx() *fakeFx {
	return &fakeFx{available: map[int32]int{}, held: map[int32]bool{}, counts: map[int32]*[16]int{}}
}

func (f *fakeFx) newCommandID() mdm.CommandID { f.next++; return f.next }

// tokenAllowsPrevent: the engine tests use the default (L9 is tested on the
// tenant, TestTenant_L9_PreventAutoUpdate).
func (f *fakeFx) tokenAllowsPrevent(mdm.TokenID) bool { return true }

func (f *fakeFx) grant(d *deviceState, e *appEntry, r *record) (mdm.InstallDetail, bool) {
	if f.held[e.idx] {
		return mdm.DetailNone, false
	}
	if f.available[e.idx] <= 0 {
		return mdm.DetailLicenseUnavailable, false // not watched: asked at every evaluation
	}
	f.available[e.idx]--
	f.held[e.idx] = true
	return mdm.DetailNone, false
}

func (f *fakeFx) reclaim(d *deviceState, e *appEntry, r *record, why reclaimReason) bool {
	if !f.held[e.idx] {
		return false
	}
	f.reclaims++
	f.held[e.idx] = false
	f.available[e.idx]++
	return true
}

func (f *fakeFx) counted(app int32, from, to mdm.InstallState) {
	c := f.counts[app]
	if c == nil {
		c = new([16]int)
		f.counts[app] = c
	}
	if from != mdm.StateUnknown {
		c[from]--
	}
	if to != mdm.StateUnknown {
		c[to]++
	}
}

// rig is one device and a catalog.
type rig struct {
	t     *testing.T
	cat   *catalog
	pol   mdm.Policy
	fx    *fakeFx
	d     *deviceState
	now   time.Time
	inv   map[mdm.AppID]string // what is on the device: app → version
	ts    []target
	fresh bool
	res   []mdm.CommandResult
	req   []mdm.PortalRequest
	out   CheckInResult
	wake  int64 // the engine's wake-up push of the last check-in (never for none)
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newRig(t *testing.T) *rig {
	return &rig{t: t, cat: newCatalog(), pol: mdm.DefaultPolicy(), fx: newFakeFx(),
		d: &deviceState{anchor: t0.UnixNano(),
			facts: mdm.Device{ID: "dev-1", Platform: mdm.PlatformWindows, OSVersion: "10.0.19045", JoinType: mdm.JoinEntra}},
		now: t0, inv: map[mdm.AppID]string{}}
}

func win32(id string, deps ...mdm.Dependency) *mdm.App {
	return &mdm.App{ID: mdm.AppID(id), DisplayName: id, Type: mdm.AppTypeWin32, Version: "1.0",
		Package: mdm.Package{FileName: id + ".intunewin", Size: mdm.MiB}, Dependencies: deps}
}

func (g *rig) add(a *mdm.App) int32 {
	g.t.Helper()
	if err := mdm.ValidateApp(a, mdm.AddOptions{FromSync: a.Type.IsSynced()}); err != nil {
		g.t.Fatal(err)
	}
	apps := append(g.cat.list(), a)
	if err := mdm.ValidateGraph(apps, &g.pol); err != nil {
		g.t.Fatal(err)
	}
	idx, ok := g.cat.byID[a.ID]
	if !ok {
		idx = int32(len(g.cat.apps))
	}
	return g.cat.put(idx, a).idx
}

func (g *rig) idx(id string) int32 { return g.cat.byID[mdm.AppID(id)] }

// target sets the resolution: "app:required", "app:available+uninstall", ...
func (g *rig) target(specs ...string) {
	g.ts = g.ts[:0]
	for _, s := range specs {
		app, in, _ := strings.Cut(s, ":")
		t := target{app: g.idx(app)}
		for _, w := range strings.Split(in, "+") {
			switch w {
			case "required":
				t.intent |= inRequired
			case "available":
				t.intent |= inAvailable
			case "uninstall":
				t.intent |= inUninstall
			case "awoe":
				t.intent |= inAWOE
			default:
				g.t.Fatalf("bad intent %q", w)
			}
		}
		g.ts = append(g.ts, t)
	}
	g.fresh = true
}

func (g *rig) advance(d time.Duration) { g.now = g.now.Add(d) }

// checkIn runs a check-in and returns the commands as "install a", "uninstall b".
func (g *rig) checkIn() []string {
	g.t.Helper()
	rep := mdm.Report{Device: g.d.facts.ID, Results: g.res, Requests: g.req}
	for app, v := range g.inv {
		rep.Inventory = append(rep.Inventory, mdm.InstalledApp{App: app, Version: v})
	}
	sortInventory(rep.Inventory)
	if err := rep.Validate(); err != nil {
		g.t.Fatal(err)
	}
	g.out.Reset()
	e := engine{cat: g.cat, pol: &g.pol, fx: g.fx, d: g.d, now: g.now.UnixNano(), out: &g.out, nextEval: never, wake: never}
	e.step(g.ts, g.fresh, &rep)
	g.wake = e.wake
	g.fresh = false
	g.res, g.req = nil, nil
	for _, c := range g.out.Changes {
		if c.From != c.To && !LegalTransition(c.From, c.To) {
			g.t.Errorf("illegal transition %v", c)
		}
	}
	var cmds []string
	for _, c := range g.out.Commands {
		cmds = append(cmds, c.Kind.String()+" "+string(c.App))
	}
	return cmds
}

func sortInventory(inv []mdm.InstalledApp) {
	for i := 1; i < len(inv); i++ {
		for j := i; j > 0 && inv[j-1].App > inv[j].App; j-- {
			inv[j-1], inv[j] = inv[j], inv[j-1]
		}
	}
}

// answer reports an outcome for the command of app sent at the last check-in, and
// applies it to the inventory on success.
func (g *rig) answer(app string, o mdm.Outcome) {
	g.t.Helper()
	for _, c := range g.out.Commands {
		if string(c.App) != app {
			continue
		}
		g.res = append(g.res, mdm.CommandResult{Command: c.ID, Kind: c.Kind, App: c.App, Outcome: o, Code: 1603})
		if o == mdm.OutcomeSucceeded {
			if c.Kind == mdm.CommandUninstall {
				delete(g.inv, c.App)
			} else {
				g.inv[c.App] = c.Version
			}
		}
		return
	}
	g.t.Fatalf("no command for %s in %v", app, g.out.Commands)
}

func (g *rig) state(app string) string {
	p, ok := g.d.find(g.cat, mdm.AppID(app))
	if !ok {
		return "none"
	}
	r := &g.d.recs[p]
	if r.detail == mdm.DetailNone {
		return r.state.String()
	}
	return r.state.String() + "/" + r.detail.String()
}

func (g *rig) expect(got []string, want ...string) {
	g.t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		g.t.Fatalf("at %s: commands %q, want %q", g.now.Sub(t0), got, want)
	}
}

func (g *rig) expectState(app, want string) {
	g.t.Helper()
	if got := g.state(app); got != want {
		g.t.Fatalf("at %s: %s is %s, want %s", g.now.Sub(t0), app, got, want)
	}
}

// T3: a required app not detected is installed at the check-in; once installed
// nothing more is sent.
func TestEngine_T3_RequiredInstall(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:required")
	g.expect(g.checkIn(), "install a")
	g.expectState("a", "installRequested")
	g.advance(time.Minute)
	g.expect(g.checkIn()) // no result yet: acknowledged
	g.expectState("a", "installing")
	g.answer2("a", mdm.OutcomeSucceeded)
	g.expect(g.checkIn())
	g.expectState("a", "installed")
	g.advance(8 * time.Hour)
	g.expect(g.checkIn())
}

// answer2 answers the command last sent for app (found in the record).
func (g *rig) answer2(app string, o mdm.Outcome) {
	g.t.Helper()
	p, ok := g.d.find(g.cat, mdm.AppID(app))
	if !ok || g.d.cmd(&g.d.recs[p]) == nil {
		g.t.Fatalf("no command in flight for %s", app)
	}
	r := &g.d.recs[p]
	c := g.d.cmd(r)
	g.res = append(g.res, mdm.CommandResult{Command: c.id, Kind: c.kind, App: mdm.AppID(app), Outcome: o, Code: 1603})
	if o == mdm.OutcomeSucceeded {
		if c.kind == mdm.CommandUninstall {
			delete(g.inv, mdm.AppID(app))
		} else {
			g.inv[mdm.AppID(app)] = g.cat.apps[r.app].version
		}
	}
}

// T3: the user removes a required app: it is reinstalled when the device's
// reinstall cycle (Policy.ReinstallWindow, anchored at enrollment) next ticks
// after the last check-in that saw it, not at every check-in before, and not
// 24 h after the check-in that saw it missing.
func TestEngine_T3_UserRemovalReinstalledWithinWindow(t *testing.T) {
	g := requiredAnswered(t, mdm.OutcomeSucceeded) // +1m: present
	delete(g.inv, "a")
	g.advance(time.Hour)
	g.expect(g.checkIn()) // +1h1m: missing; the next tick is +24h
	g.expectState("a", "notInstalled/userRemoved")
	g.expectNextTry("a", 24*time.Hour)
	for i := 0; i < 2; i++ {
		g.advance(8 * time.Hour)
		g.expect(g.checkIn())
	}
	g.advance(7*time.Hour - time.Minute - time.Second) // a second before the tick
	g.expect(g.checkIn())
	g.advance(time.Second)
	g.expect(g.checkIn(), "install a")
}

// T3: the reinstall cycle ticks every Policy.ReinstallWindow from enrollment.
// At a check-in that finds a required app missing or failed, the app is
// reinstalled at once if a tick passed since the service last knew it was fine
// (the last check-in where it was present, or when the failed command was
// sent), else at the next tick, when the device is pushed. So an app removed
// just after a check-in is back by the next tick, within the window of the
// removal, for a device online then.
func TestEngine_T3_ReinstallCycle(t *testing.T) {
	day := mdm.DefaultPolicy().ReinstallWindow
	installed := func(t *testing.T) *rig {
		g := requiredAnswered(t, mdm.OutcomeSucceeded)
		g.expectState("a", "installed")
		return g
	}
	t.Run("removal seen before the tick: at the tick, pushed", func(t *testing.T) {
		g := installed(t)
		g.advance(20 * time.Hour) // +20h1m: present
		g.expect(g.checkIn())
		delete(g.inv, "a")
		g.advance(3 * time.Hour) // +23h1m: missing
		g.expect(g.checkIn())
		g.expectNextTry("a", day)
		if got := time.Duration(g.wake - t0.UnixNano()); got != day {
			t.Fatalf("wake-up push at +%s, want the tick at +%s", got, day)
		}
		g.advance(59 * time.Minute) // +24h0m: the tick, 57 min after the removal was seen
		g.expect(g.checkIn(), "install a")
	})
	t.Run("a tick passed since the last check-in that saw it: at once", func(t *testing.T) {
		g := installed(t)
		g.advance(23 * time.Hour) // +23h1m: present
		g.expect(g.checkIn())
		delete(g.inv, "a")
		g.advance(2 * time.Hour) // +25h1m: missing, and the tick at +24h passed since +23h1m
		g.expect(g.checkIn(), "install a")
		g.expectState("a", "installRequested")
	})
	t.Run("failed install: at the first tick after the command was sent", func(t *testing.T) {
		g := failedAt(t, 10*time.Hour, time.Hour)
		g.expect(g.checkIn()) // +11h: failed
		g.expectState("a", "failed/seeInstallErrorCode")
		g.expectNextTry("a", day)
		g.advance(13*time.Hour - time.Second)
		g.expect(g.checkIn())
		g.advance(time.Second) // +24h: the tick
		g.expect(g.checkIn(), "install a")
	})
	t.Run("failure reported after a tick passed since the command was sent: at once", func(t *testing.T) {
		g := failedAt(t, 23*time.Hour, 2*time.Hour)
		g.expect(g.checkIn(), "install a") // +25h: failed, and retried
	})
	t.Run("failed uninstall: at the first tick after the command was sent", func(t *testing.T) {
		g := installed(t) // the service installed it (A10)
		g.target("a:uninstall")
		g.advance(12 * time.Hour)
		g.expect(g.checkIn(), "uninstall a") // sent at +12h1m
		g.answer("a", mdm.OutcomeFailed)
		g.advance(time.Minute)
		g.expect(g.checkIn()) // +12h2m
		g.expectState("a", "uninstallFailed/seeUninstallErrorCode")
		g.expectNextTry("a", day)
		g.advance(day - 12*time.Hour - 2*time.Minute - time.Second)
		g.expect(g.checkIn())
		g.advance(time.Second) // +24h: the tick
		g.expect(g.checkIn(), "uninstall a")
	})
	t.Run("the cycle is the device's: anchored at its enrollment", func(t *testing.T) {
		g := installed(t)
		g.d.anchor = t0.Add(5 * time.Hour).UnixNano() // enrolled at +5h
		delete(g.inv, "a")
		g.advance(time.Hour) // +1h1m: missing; the device's ticks are at +5h, +29h, ...
		g.expect(g.checkIn())
		g.expectNextTry("a", 5*time.Hour)
		g.advance(4*time.Hour - time.Minute)
		g.expect(g.checkIn(), "install a")
	})
}

// requiredAnswered is a rig whose device got app a as required at t0, answered
// the install with o and checked in again a minute later, with nothing sent.
func requiredAnswered(t *testing.T, o mdm.Outcome) *rig {
	t.Helper()
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:required")
	g.checkIn()
	g.answer("a", o)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	return g
}

// failedAt is a rig whose device is sent app a, required, at t0+sent, and
// reports it failed after later; the check-in is the caller's.
func failedAt(t *testing.T, sent, later time.Duration) *rig {
	t.Helper()
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:required")
	g.advance(sent)
	g.expect(g.checkIn(), "install a")
	g.answer("a", mdm.OutcomeFailed)
	g.advance(later)
	return g
}

// expectNextTry checks when the record of app is retried, as a time after t0.
func (g *rig) expectNextTry(app string, at time.Duration) {
	g.t.Helper()
	p, ok := g.d.find(g.cat, mdm.AppID(app))
	if !ok {
		g.t.Fatalf("no record of %s", app)
	}
	if got := time.Duration(g.d.recs[p].nextTry - t0.UnixNano()); got != at {
		g.t.Fatalf("at %s: %s is retried at +%s, want +%s", g.now.Sub(t0), app, got, at)
	}
}

// T3, T5: "retry" re-sends RetryAttempts times RetryInterval apart, then fails;
// the failed install comes back after the reinstall window.
func TestEngine_T5_RetryThenFail(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:required")
	g.expect(g.checkIn(), "install a")
	for i := 0; i < g.pol.RetryAttempts; i++ {
		g.answer("a", mdm.OutcomeRetry)
		g.advance(time.Minute)
		g.expect(g.checkIn())
		g.expectState("a", "pendingInstall/retrying")
		g.advance(g.pol.RetryInterval - time.Second)
		g.expect(g.checkIn())
		g.advance(time.Second) // RetryInterval after the "retry" arrived
		g.expect(g.checkIn(), "install a")
		g.expectState("a", "installRequested/retrying")
	}
	g.answer("a", mdm.OutcomeRetry)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.expectState("a", "failed/seeInstallErrorCode")
	// T3: again at the device's next reinstall tick (+24h from enrollment)
	g.advance(t0.Add(g.pol.ReinstallWindow).Sub(g.now) - time.Second)
	g.expect(g.checkIn())
	g.advance(time.Second)
	g.expect(g.checkIn(), "install a")
}

// T4: a new version of a required app is sent as an update; an available app
// the user installed from the portal is updated too; one installed outside the
// portal is not.
func TestEngine_T4_Update(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.add(win32("b"))
	g.add(win32("c"))
	g.target("a:required", "b:available", "c:available")
	g.inv["c"] = "1.0" // installed by the user outside the portal
	g.req = []mdm.PortalRequest{{App: "b", Action: mdm.PortalInstall}}
	g.expect(g.checkIn(), "install a", "install b")
	g.answer("a", mdm.OutcomeSucceeded)
	g.answer("b", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	for _, id := range []string{"a", "b", "c"} {
		a := g.cat.apps[g.idx(id)].app
		a.Version = "2.0"
		g.cat.put(g.idx(id), &a)
	}
	g.advance(time.Hour)
	g.expect(g.checkIn(), "update a", "update b")
	g.expectState("c", "installed/updateAvailable")
	g.answer("a", mdm.OutcomeSucceeded)
	g.answer("b", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.expectState("a", "installed")
	g.expectState("b", "installed")
}

// A10: an uninstall intent removes only what the service installed.
func TestEngine_A10_UninstallOnlyManaged(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.add(win32("b"))
	g.target("a:required")
	g.inv["b"] = "1.0"
	g.checkIn()
	g.answer("a", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.checkIn()
	g.target("a:uninstall", "b:uninstall")
	g.advance(time.Minute)
	g.expect(g.checkIn(), "uninstall a")
	g.expectState("b", "installed/installedOutsideManagement")
	g.answer("a", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.expectState("a", "notInstalled")
}

// A7 row 7: available (user) + uninstall (device): a copy installed by an earlier
// required assignment is uninstalled; a copy the user installed from the portal
// stays, and the app stays offered.
func TestEngine_A7_Row7(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.add(win32("b"))
	g.target("a:required", "b:available")
	g.req = []mdm.PortalRequest{{App: "b", Action: mdm.PortalInstall}}
	g.expect(g.checkIn(), "install a", "install b")
	g.answer("a", mdm.OutcomeSucceeded)
	g.answer("b", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.checkIn()
	g.target("a:available+uninstall", "b:available+uninstall")
	g.advance(time.Minute)
	g.expect(g.checkIn(), "uninstall a")
	g.answer("a", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.expectState("a", "notInstalled")
	g.expectState("b", "installed")
	// still offered: the user may install a again, and then it stays (A7)
	g.req = []mdm.PortalRequest{{App: "a", Action: mdm.PortalInstall}}
	g.expect(g.checkIn(), "install a")
	g.answer("a", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.advance(24 * time.Hour)
	g.expect(g.checkIn())
	g.expectState("a", "installed")
}

// A7 row 19: uninstall and available without enrollment behaves as row 7.
func TestEngine_A7_Row19(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:required")
	g.checkIn()
	g.answer("a", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.checkIn()
	g.target("a:awoe+uninstall")
	g.expect(g.checkIn(), "uninstall a")
}

// T8: an uninstall is never attempted while a required assignment reaches the
// device, even for a replaced app (T9 replace then leaves the new app out).
func TestEngine_T8_NoUninstallWhileRequired(t *testing.T) {
	g := newRig(t)
	g.add(win32("old"))
	n := win32("new")
	n.Supersedes = []mdm.Supersedence{{App: "old", Kind: mdm.Replace}}
	g.add(n)
	g.target("old:required", "new:required")
	g.inv["old"] = "1.0"
	g.expect(g.checkIn())
	g.expectState("old", "installed")
	g.expectState("new", "failed/supersededAppUninstallFailed")
}

// T9: the supersedence matrix, A superseded by B, B targeted (required).
func TestEngine_T9_Matrix(t *testing.T) {
	for _, kind := range []mdm.SupersedenceKind{mdm.Update, mdm.Replace} {
		for _, c := range []struct {
			aPresent, bPresent bool
			want               []string
		}{
			{false, false, []string{"install B"}},
			{true, false, map[mdm.SupersedenceKind][]string{mdm.Update: {"install B"}, mdm.Replace: {"uninstall A"}}[kind]},
			{false, true, nil},
			{true, true, map[mdm.SupersedenceKind][]string{mdm.Update: nil, mdm.Replace: {"uninstall A"}}[kind]},
		} {
			t.Run(fmt.Sprintf("%s/A=%v/B=%v", kind, c.aPresent, c.bPresent), func(t *testing.T) {
				g := newRig(t)
				g.add(win32("A"))
				b := win32("B")
				b.Supersedes = []mdm.Supersedence{{App: "A", Kind: kind}}
				g.add(b)
				g.target("B:required")
				if c.aPresent {
					g.inv["A"] = "1.0"
				}
				if c.bPresent {
					g.inv["B"] = "1.0"
				}
				g.expect(g.checkIn(), c.want...)
				if kind == mdm.Replace && c.aPresent && !c.bPresent {
					// "install B once A is gone"
					g.expectState("B", "pendingInstall/supersededAppUninstallPending")
					g.answer("A", mdm.OutcomeSucceeded)
					g.advance(time.Minute)
					g.expect(g.checkIn(), "install B")
					g.expectChange("A", "installed → notInstalled (removedBySupersedence)")
				}
			})
		}
	}
}

// T9: replace, and the old app's uninstall fails: the new app is not installed;
// the uninstall is retried within the reinstall window (T3), and then B goes on.
func TestEngine_T9_ReplaceUninstallFails(t *testing.T) {
	g := newRig(t)
	g.add(win32("A"))
	b := win32("B")
	b.Supersedes = []mdm.Supersedence{{App: "A", Kind: mdm.Replace}}
	g.add(b)
	g.target("B:required")
	g.inv["A"] = "1.0"
	g.expect(g.checkIn(), "uninstall A")
	g.answer("A", mdm.OutcomeFailed)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.expectState("A", "uninstallFailed/seeUninstallErrorCode")
	g.expectState("B", "failed/supersededAppUninstallFailed")
	g.advance(g.pol.ReinstallWindow)
	g.expect(g.checkIn(), "uninstall A")
	g.answer("A", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn(), "install B")
}

// T9: in a chain every app is superseded by the last one.
func TestEngine_T9_Chain(t *testing.T) {
	g := newRig(t)
	g.add(win32("A"))
	b := win32("B")
	b.Supersedes = []mdm.Supersedence{{App: "A", Kind: mdm.Replace}}
	g.add(b)
	c := win32("C")
	c.Supersedes = []mdm.Supersedence{{App: "B", Kind: mdm.Replace}}
	g.add(c)
	// A is targeted, C is on the device: A is not installed
	g.target("A:required")
	g.inv["C"] = "1.0"
	g.expect(g.checkIn())
	g.expectState("A", "notApplicable/supersedingAppsDetected")
	// C targeted on a device holding A: A goes (replace through the chain), then C
	delete(g.inv, "C")
	g.inv["A"] = "1.0"
	g.target("C:required")
	g.advance(time.Minute)
	g.expect(g.checkIn(), "uninstall A")
}

// T9: superseding apps are never targeted implicitly.
func TestEngine_T9_NoImplicitTargeting(t *testing.T) {
	g := newRig(t)
	g.add(win32("A"))
	b := win32("B")
	b.Supersedes = []mdm.Supersedence{{App: "A", Kind: mdm.Update}}
	g.add(b)
	g.target("A:required")
	g.expect(g.checkIn(), "install A")
}

// T9: A depends on B and C supersedes B: A reports a conflict.
func TestEngine_T9_DependencyConflict(t *testing.T) {
	g := newRig(t)
	g.add(win32("B"))
	c := win32("C")
	c.Supersedes = []mdm.Supersedence{{App: "B", Kind: mdm.Update}}
	g.add(c)
	g.add(win32("A", mdm.Dependency{App: "B"}))
	g.target("A:required", "C:required")
	g.expect(g.checkIn(), "install C")
	g.expectState("A", "failed/supersedenceConflict")
}

// T10: dependencies install first, deepest first; a failing dependency fails
// the parent.
func TestEngine_T10_DependenciesFirst(t *testing.T) {
	g := newRig(t)
	g.add(win32("c"))
	g.add(win32("b", mdm.Dependency{App: "c"}))
	g.add(win32("a", mdm.Dependency{App: "b"}))
	g.target("a:required")
	g.expect(g.checkIn(), "install c")
	g.expectState("a", "pendingInstall/installingDependencies")
	g.expectState("b", "pendingInstall/installingDependencies")
	g.answer("c", mdm.OutcomeFailed)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.expectState("a", "failed/dependencyFailedToInstall")
	g.advance(g.pol.ReinstallWindow)
	g.expect(g.checkIn(), "install c")
	g.answer("c", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn(), "install b")
	g.answer("b", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn(), "install a")
}

// C9: a missing detect-only dependency fails the parent, which is not attempted.
func TestEngine_C9_DetectOnlyMissing(t *testing.T) {
	g := newRig(t)
	g.add(win32("rt"))
	g.add(win32("a", mdm.Dependency{App: "rt", Kind: mdm.DetectOnly}))
	g.target("a:required")
	g.expect(g.checkIn())
	g.expectState("a", "failed/dependencyNotDetected")
	g.inv["rt"] = "1.0" // the runtime appears by other means
	g.advance(time.Hour)
	g.expect(g.checkIn(), "install a")
}

// T11: requirements not met: requirementsNotMet and no command.
func TestEngine_T11_Requirements(t *testing.T) {
	g := newRig(t)
	a := win32("a")
	a.Requirements.MinMemoryMB = 8192
	g.add(a)
	g.d.facts.MemoryMB = 4096
	g.target("a:required")
	g.expect(g.checkIn())
	g.expectState("a", "requirementsNotMet/minimumPhysicalMemoryNotMet")
}

// L5: VPP first come first served: without a license the install is not sent and
// the state says license unavailable; once one frees, the next check-in sends it.
func TestEngine_L5_LicenseUnavailable(t *testing.T) {
	g := newRig(t)
	g.d.facts = mdm.Device{ID: "ipad-1", Platform: mdm.PlatformIOS, OSVersion: "17.4"}
	app := &mdm.App{ID: "vpp", DisplayName: "VPP", Type: mdm.AppTypeIOSVPP,
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "123"}}
	i := g.add(app)
	g.target("vpp:required")
	g.expect(g.checkIn())
	g.expectState("vpp", "failed/licenseUnavailable")
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.fx.available[i] = 1
	g.advance(time.Minute)
	g.expect(g.checkIn(), "install vpp")
}

// A9: removing the assignment does not uninstall, except on Android Enterprise
// corporate modes.
func TestEngine_A9_Unassign(t *testing.T) {
	for _, mode := range []mdm.AndroidEnterpriseMode{mdm.AndroidModePersonallyOwnedWorkProfile, mdm.AndroidModeFullyManaged} {
		t.Run(mode.String(), func(t *testing.T) {
			g := newRig(t)
			g.d.facts = mdm.Device{ID: "ae-1", Platform: mdm.PlatformAndroidEnterprise, AndroidMode: mode}
			g.add(&mdm.App{ID: "mgp", DisplayName: "MGP", Type: mdm.AppTypeManagedGooglePlay, Identifier: "com.contoso.app"})
			g.target("mgp:required")
			g.checkIn()
			g.answer("mgp", mdm.OutcomeSucceeded)
			g.advance(time.Minute)
			g.checkIn()
			g.target()
			g.advance(time.Minute)
			if mode.UninstallsOnUnassign() {
				g.expect(g.checkIn(), "uninstall mgp")
			} else {
				g.expect(g.checkIn())
				g.expectState("mgp", "installed")
			}
		})
	}
}

// T6: the user may restart an install that made no progress for the stuck
// threshold, not before.
func TestEngine_T6_StuckRestart(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:available")
	g.req = []mdm.PortalRequest{{App: "a", Action: mdm.PortalInstall}}
	g.expect(g.checkIn(), "install a")
	g.advance(time.Hour)
	g.req = []mdm.PortalRequest{{App: "a", Action: mdm.PortalInstall}}
	g.expect(g.checkIn())
	if len(g.out.Refused) != 1 {
		t.Fatalf("refused %v", g.out.Refused)
	}
	g.advance(time.Hour)
	g.req = []mdm.PortalRequest{{App: "a", Action: mdm.PortalInstall}}
	g.expect(g.checkIn(), "install a")
}

// T7: available apps are never reinstalled after the user removes them; a
// portal uninstall is refused for a Win32 app that does not allow it.
func TestEngine_T7_Available(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:available")
	g.expect(g.checkIn())
	g.expectState("a", "available")
	g.req = []mdm.PortalRequest{{App: "a", Action: mdm.PortalInstall}}
	g.expect(g.checkIn(), "install a")
	g.answer("a", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.req = []mdm.PortalRequest{{App: "a", Action: mdm.PortalUninstall}}
	g.expect(g.checkIn())
	if len(g.out.Refused) != 1 {
		t.Fatalf("refused %v", g.out.Refused)
	}
	delete(g.inv, "a")
	g.advance(time.Hour)
	g.expect(g.checkIn())
	g.expectState("a", "notInstalled/userRemoved")
	g.advance(7 * 24 * time.Hour)
	g.expect(g.checkIn())
}

// T14: a required app with a deadline ahead is offered until the deadline and
// installed at it.
func TestEngine_T14_Deadline(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:required")
	g.ts[0].deadline = t0.Add(48 * time.Hour).UnixNano()
	g.expect(g.checkIn())
	g.expectState("a", "available")
	g.advance(47 * time.Hour)
	g.expect(g.checkIn())
	g.advance(time.Hour)
	g.expect(g.checkIn(), "install a")
}

// T3: a command unanswered for the re-evaluation cycle is treated as lost and
// sent again.
func TestEngine_T3_ReevaluationCycle(t *testing.T) {
	g := newRig(t)
	g.add(win32("a"))
	g.target("a:required")
	g.expect(g.checkIn(), "install a")
	g.advance(g.pol.ReevaluationCycle - time.Minute)
	g.expect(g.checkIn())
	g.expectState("a", "installing")
	g.advance(time.Minute)
	g.expect(g.checkIn(), "install a")
}

// T1: pendingReboot holds until the device reports the final outcome.
func TestEngine_T1_PendingReboot(t *testing.T) {
	g := requiredAnswered(t, mdm.OutcomePendingReboot)
	g.expectState("a", "pendingReboot/pendingReboot")
	g.answer2("a", mdm.OutcomeSucceeded)
	g.advance(time.Minute)
	g.expect(g.checkIn())
	g.expectState("a", "installed")
}

func (g *rig) expectChange(app, want string) {
	g.t.Helper()
	for _, c := range g.out.Changes {
		if string(c.App) == app && strings.TrimPrefix(c.String(), app+": ") == want {
			return
		}
	}
	g.t.Fatalf("at %s: no change %s %s in %v", g.now.Sub(t0), app, want, g.out.Changes)
}

// A tenant of a million devices holds tens of millions of records: keep them
// at 32 bytes.
func TestRecordSize(t *testing.T) {
	if n := unsafe.Sizeof(record{}); n > 32 {
		t.Fatalf("record is %d bytes, want at most 32", n)
	}
}

// A steady check-in on a large fleet finds its device's state cold: what it
// reads (the locks, the flags and times, the id, the inventory fingerprint of a
// device with up to fpInline apps) must sit in the state's first two cache
// lines, which DeviceRef.Prefetch warms; and the state's size must be a
// multiple of 64 bytes so that the allocator starts every state on a line.
func TestDeviceStateLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is for 64-bit platforms")
	}
	var d deviceState
	hot := []struct {
		name      string
		off, size uintptr
		line0     bool
	}{
		{"mu", unsafe.Offsetof(d.mu), unsafe.Sizeof(d.mu), true},
		{"push", unsafe.Offsetof(d.push), unsafe.Sizeof(d.push), true},
		{"stale", unsafe.Offsetof(d.stale), 1, true},
		{"removed", unsafe.Offsetof(d.removed), 1, true},
		{"fpN", unsafe.Offsetof(d.fpN), unsafe.Sizeof(d.fpN), true},
		{"epoch", unsafe.Offsetof(d.epoch), unsafe.Sizeof(d.epoch), true},
		{"nextEval", unsafe.Offsetof(d.nextEval), unsafe.Sizeof(d.nextEval), true},
		{"lastIn", unsafe.Offsetof(d.lastIn), unsafe.Sizeof(d.lastIn), true},
		{"lock", unsafe.Offsetof(d.lock), unsafe.Sizeof(d.lock), true},
		{"id", unsafe.Offsetof(d.id), unsafe.Sizeof(d.id), true},
		{"fp", unsafe.Offsetof(d.fp), unsafe.Sizeof(d.fp), false},
	}
	for _, f := range hot {
		limit := uintptr(128)
		if f.line0 {
			limit = 64
		}
		if f.off+f.size > limit {
			t.Errorf("%s at %d..%d, want within the first %d bytes", f.name, f.off, f.off+f.size, limit)
		}
	}
	if s := unsafe.Sizeof(d); s%64 != 0 {
		t.Errorf("deviceState is %d bytes, want a multiple of 64", s)
	}
	if fpInline < 20 {
		t.Errorf("the inline fingerprint holds %d apps, want at least the issue's steady device's 20", fpInline)
	}
}

// The steady check-in compares the inventory with the fingerprint of the last
// one, inline for up to fpInline items and in seenExt beyond (or for a catalog
// index too large for the inline form): both find every change that matters
// (an app gone, added, moved, another version, an invalid id; which apps
// outside the catalog a device holds is none of the service's business), and
// a device that shrinks back below fpInline drops the external copy.
func TestInventoryFingerprint(t *testing.T) {
	for _, n := range []int{3, fpInline, fpInline + 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			g := newRig(t)
			for i := 0; i < n; i++ {
				id := fmt.Sprintf("app-%03d", i)
				g.add(win32(id))
				g.inv[mdm.AppID(id)] = "1.0"
			}
			g.inv["zz-foreign"] = "9"
			if len(g.inv) > fpInline {
				g.inv["zz-other"] = "1"
			}
			g.checkIn()
			inv := func() []mdm.InstalledApp {
				var out []mdm.InstalledApp
				for app, v := range g.inv {
					out = append(out, mdm.InstalledApp{App: app, Version: v})
				}
				sortInventory(out)
				return out
			}
			wide := len(g.inv) > fpInline
			if (g.d.fpN == fpWide) != wide || (g.d.seenExt != nil) != wide {
				t.Fatalf("%d items: fpN %d, seenExt %d items", len(g.inv), g.d.fpN, len(g.d.seenExt))
			}
			same := inv()
			if !g.d.inventoryUnchanged(g.cat, same) {
				t.Fatal("the same inventory reads as changed")
			}
			changed := map[string][]mdm.InstalledApp{}
			x := inv()
			x[1].Version = "2.0"
			changed["another version"] = x
			changed["an app gone"] = inv()[1:]
			x = inv()
			x[0], x[1] = x[1], x[0]
			changed["two apps swapped"] = x
			x = inv()
			x[len(x)-1].App = "bad\x01id"
			changed["an invalid id outside the catalog"] = x
			changed["one app more"] = append(inv(), mdm.InstalledApp{App: "zzz", Version: "1"})
			for what, inv := range changed {
				if g.d.inventoryUnchanged(g.cat, inv) {
					t.Errorf("%s reads as unchanged", what)
				}
			}
			// back to three apps: inline again, no external copy kept
			for app := range g.inv {
				if app >= "app-003" {
					delete(g.inv, app)
				}
			}
			g.advance(time.Minute)
			g.checkIn()
			if g.d.fpN != 3 || g.d.seenExt != nil || !g.d.inventoryUnchanged(g.cat, inv()) {
				t.Fatalf("after shrinking: fpN %d, seenExt %v", g.d.fpN, g.d.seenExt)
			}
		})
	}
}

// L4: a device whose user licence needs an Apple account the user has not
// signed in with cannot be helped by asking the pool again: its next check-ins
// take the steady path (no full evaluation is due), and the account arriving
// (PutUser) evaluates it again, at once.
func TestTenant_L4_NoAccountWaitsForTheUser(t *testing.T) {
	now := t0
	ten, must := tenantRig(t)
	must(ten.AddToken(now, "tok"))
	app := mdm.App{ID: "maps", DisplayName: "Maps", Type: mdm.AppTypeIOSVPP, Version: "5",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "361309726"}}
	if err := ten.UpsertSyncedApp(now, app); err != nil {
		t.Fatal(err)
	}
	if err := ten.SetPoolCounts(now, &app, 5, 0); err != nil {
		t.Fatal(err)
	}
	must(ten.PutUser(now, mdm.User{ID: "ada"}))
	must(ten.EnrollDevice(now, mdm.Device{ID: "ipad", Platform: mdm.PlatformIOS, OSVersion: "17.4", PrimaryUser: "ada"}))
	must(ten.PutGroup(now, mdm.Group{ID: "u", Kind: mdm.UserMembers, Users: []mdm.UserID{"ada"}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a", App: "maps", Intent: mdm.Required, Target: mdm.GroupTarget("u"),
		Settings: mdm.AssignmentSettings{LicenseType: mdm.LicenseUser}}))
	var out CheckInResult
	checkIn := func() {
		t.Helper()
		if err := ten.CheckIn(now, &mdm.Report{Device: "ipad"}, &out); err != nil {
			t.Fatal(err)
		}
	}
	checkIn()
	if len(out.Changes) != 1 || out.Changes[0].Detail != mdm.DetailUserNotLoggedIntoAppStore {
		t.Fatalf("changes %v", out.Changes)
	}
	now = now.Add(8 * time.Hour)
	if d := ten.device("ipad"); d.nextEval <= now.UnixNano() {
		t.Fatalf("a full evaluation is due at %s: the next check-in would ask the pool again for nothing", toTime(d.nextEval))
	}
	checkIn()
	must(ten.PutUser(now, mdm.User{ID: "ada", HasAppleAccount: true}))
	checkIn()
	if len(out.Commands) != 1 || out.Commands[0].App != "maps" {
		t.Fatalf("after the Apple account: commands %v, changes %v", out.Commands, out.Changes)
	}
}

// T4: a new version alone does not make every device evaluate in full: the
// devices holding the app see it in their inventory's fingerprint and get the
// update; the others keep their steady check-in. A change that may alter a
// decision elsewhere (requirements, T11) does make every device evaluate.
func TestTenant_T4_NewVersionReachesHolders(t *testing.T) {
	now := t0
	ten, must := tenantRig(t)
	must(ten.AddApp(now, *win32("vpn")))
	must(ten.AddApp(now, *win32("notes")))
	for _, d := range []mdm.DeviceID{"pc-1", "pc-2"} {
		must(ten.EnrollDevice(now, mdm.Device{ID: d, Platform: mdm.PlatformWindows, OSVersion: "10.0.19045"}))
	}
	must(ten.PutGroup(now, mdm.Group{ID: "g1", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"pc-1"}}))
	must(ten.PutGroup(now, mdm.Group{ID: "g2", Kind: mdm.DeviceMembers, Devices: []mdm.DeviceID{"pc-2"}}))
	must(ten.Assign(now, mdm.Assignment{ID: "a1", App: "vpn", Intent: mdm.Required, Target: mdm.GroupTarget("g1")}))
	must(ten.Assign(now, mdm.Assignment{ID: "a2", App: "notes", Intent: mdm.Required, Target: mdm.GroupTarget("g2")}))
	var out CheckInResult
	inv := map[mdm.DeviceID][]mdm.InstalledApp{}
	checkIn := func(d mdm.DeviceID) {
		t.Helper()
		if err := ten.CheckIn(now, &mdm.Report{Device: d, Inventory: inv[d]}, &out); err != nil {
			t.Fatal(err)
		}
	}
	for d, app := range map[mdm.DeviceID]mdm.AppID{"pc-1": "vpn", "pc-2": "notes"} {
		checkIn(d)
		inv[d] = []mdm.InstalledApp{{App: app, Version: "1.0"}}
		now = now.Add(time.Minute)
		checkIn(d)
		now = now.Add(time.Minute)
		checkIn(d) // steady
	}
	epoch := ten.epoch
	a, _ := ten.App("vpn")
	a.Version = "2.0"
	must(ten.UpdateApp(now, a))
	if ten.epoch != epoch {
		t.Fatal("a new version alone made every device evaluate in full")
	}
	now = now.Add(time.Minute)
	checkIn("pc-1")
	if len(out.Commands) != 1 || out.Commands[0].Kind != mdm.CommandUpdate {
		t.Fatalf("the holder: commands %v", out.Commands)
	}
	d2 := ten.device("pc-2")
	if d2.epoch != ten.epoch || d2.nextEval <= now.UnixNano() {
		t.Fatal("a device without the app would evaluate in full")
	}
	a.Requirements.MinMemoryMB = 4096
	must(ten.UpdateApp(now, a))
	if ten.epoch == epoch {
		t.Fatal("new requirements (T11) did not make every device evaluate")
	}
}

// tenantRig is an empty tenant and a check for its admin operations.
func tenantRig(t *testing.T) (*Tenant, func(Change, error)) {
	t.Helper()
	ten, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return ten, func(_ Change, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}
