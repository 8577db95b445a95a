package tenant_test

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// TestTenant_Rapid is a state-machine test of the whole check-in loop: a small
// tenant drawn by rapid (Win32 apps with dependencies and supersedence, a VPP
// app with a small pool, users, Windows and iOS devices, a user group and a
// device group), then random admin actions (assign, unassign, change intent,
// membership, pool counts, device actions), device behaviour (command outcomes
// of every kind, user removals, installs outside management, portal requests)
// and the passing of time, with pushes handed out. After every step:
//
//   - no pool is over-allocated (L18);
//   - no uninstall command while a required assignment reaches the device (T8);
//   - every command concerns an app targeted at the device, a dependency of one
//     (T10) or an app superseding or superseded by one (T9), or an app an admin
//     action named (T12);
//   - every status change is a step of the T1 lifecycle.
//
// Then actions stop, devices keep checking in (hourly and when pushed) and
// every command succeeds: within the policy windows every device converges to
// its effective intents, the VPP app to the catalog's version unless L9 holds
// it back (assignments preventing automatic updates, the token allowing
// that), and a last round of check-ins sends nothing.
func TestTenant_Rapid(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := newModel(rt)
		rt.Repeat(map[string]func(*rapid.T){
			"assign":       m.assign,
			"unassign":     m.unassign,
			"changeIntent": m.changeIntent,
			"membership":   m.membership,
			"poolCounts":   m.poolCounts,
			"deviceAction": m.deviceAction,
			"checkIn":      m.checkInAny,
			"checkIn2":     m.checkInAny,
			"checkIn3":     m.checkInAny,
			"userRemoves":  m.userRemoves,
			"userInstalls": m.userInstalls,
			"advance":      m.advance,
			"newVersion":   m.newVersion,
			"reenroll":     m.reenroll,
			"userChurn":    m.userChurn,
			"tokenState":   m.tokenState,
			"tokenUpdates": m.tokenUpdates,
			"":             m.invariants,
		})
		m.settle(rt)
	})
}

type mdev struct {
	id       mdm.DeviceID
	platform mdm.Platform
	memory   int64
	inv      map[mdm.AppID]string
	// held are the commands received and not reported; rebooting ones report
	// success next time.
	held      map[mdm.CommandID]mdm.Command
	rebooting map[mdm.CommandID]bool
	// adminApps are apps an admin action named for this device (T12).
	adminApps map[mdm.AppID]bool
}

type model struct {
	t       *tenant.Tenant
	now     time.Time
	apps    []mdm.App
	vpp     *mdm.App
	users   []mdm.UserID
	devs    []*mdev
	asgs    []mdm.AssignmentID
	nextAsg int
	out     tenant.CheckInResult
	pol     mdm.Policy
	// noPrevent: the token does not let assignments prevent automatic
	// updates (L9, SetTokenUpdatePrevention)
	noPrevent bool
}

func must(rt *rapid.T, err error) {
	if err != nil {
		rt.Fatal(err)
	}
}

func newModel(rt *rapid.T) *model {
	pol := mdm.DefaultPolicy()
	ten, err := tenant.New(tenant.Config{Policy: pol})
	must(rt, err)
	m := &model{t: ten, now: start, pol: pol}
	// Win32 apps: edges point to earlier apps only, so graphs are acyclic.
	n := rapid.IntRange(2, 5).Draw(rt, "win32Apps")
	for i := 0; i < n; i++ {
		a := mdm.App{ID: mdm.AppID(fmt.Sprintf("w%d", i)), DisplayName: fmt.Sprintf("w%d", i), Type: mdm.AppTypeWin32,
			Version: "1.0", Package: mdm.Package{FileName: "w.intunewin", Size: mdm.MiB}}
		if i > 0 && rapid.IntRange(0, 2).Draw(rt, "hasDep") == 0 {
			j := rapid.IntRange(0, i-1).Draw(rt, "dep")
			k := mdm.AutoInstall
			if rapid.IntRange(0, 3).Draw(rt, "detect") == 0 {
				k = mdm.DetectOnly
			}
			a.Dependencies = []mdm.Dependency{{App: m.apps[j].ID, Kind: k}}
		} else if i > 0 && rapid.IntRange(0, 2).Draw(rt, "hasSup") == 0 {
			j := rapid.IntRange(0, i-1).Draw(rt, "sup")
			a.Supersedes = []mdm.Supersedence{{App: m.apps[j].ID, Kind: rapid.SampledFrom([]mdm.SupersedenceKind{mdm.Update, mdm.Replace}).Draw(rt, "supKind")}}
		}
		if rapid.IntRange(0, 5).Draw(rt, "req") == 0 {
			a.Requirements.MinMemoryMB = 8192
		}
		if _, err := m.t.AddApp(m.now, a); err != nil {
			continue // a drawn graph the catalog refuses (C9, C10) is left out
		}
		rt.Logf("app %s deps=%v supersedes=%v minMemory=%d", a.ID, a.Dependencies, a.Supersedes, a.Requirements.MinMemoryMB)
		m.apps = append(m.apps, a)
	}
	_, err = m.t.AddToken(m.now, "tok")
	must(rt, err)
	vpp := mdm.App{ID: "vpp", DisplayName: "vpp", Type: mdm.AppTypeIOSVPP, Version: "1.0",
		Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: "tok", ProductID: "100"}}
	must(rt, m.t.UpsertSyncedApp(m.now, vpp))
	must(rt, m.t.SetPoolCounts(m.now, &vpp, rapid.IntRange(0, 2).Draw(rt, "vppTotal"), 0))
	m.apps = append(m.apps, vpp)
	m.vpp = &m.apps[len(m.apps)-1]

	nu := rapid.IntRange(1, 3).Draw(rt, "users")
	for i := 0; i < nu; i++ {
		u := mdm.UserID(fmt.Sprintf("u%d", i))
		_, err := m.t.PutUser(m.now, mdm.User{ID: u, HasAppleAccount: true})
		must(rt, err)
		m.users = append(m.users, u)
	}
	nd := rapid.IntRange(1, 4).Draw(rt, "devices")
	for i := 0; i < nd; i++ {
		pl := rapid.SampledFrom([]mdm.Platform{mdm.PlatformWindows, mdm.PlatformIOS}).Draw(rt, "platform")
		dev := mdm.Device{ID: mdm.DeviceID(fmt.Sprintf("d%d", i)), Platform: pl, OSVersion: "10.0.19045", MemoryMB: 4096}
		if pl == mdm.PlatformIOS {
			dev.OSVersion = "17.4"
		}
		if rapid.Bool().Draw(rt, "big") {
			dev.MemoryMB = 16384
		}
		if k := rapid.IntRange(-1, nu-1).Draw(rt, "primary"); k >= 0 {
			dev.PrimaryUser = m.users[k]
		}
		_, err := m.t.EnrollDevice(m.now, dev)
		must(rt, err)
		rt.Logf("device %s %s user=%s memory=%d", dev.ID, dev.Platform, dev.PrimaryUser, dev.MemoryMB)
		m.devs = append(m.devs, &mdev{id: dev.ID, platform: pl, memory: dev.MemoryMB, inv: map[mdm.AppID]string{},
			held: map[mdm.CommandID]mdm.Command{}, rebooting: map[mdm.CommandID]bool{}, adminApps: map[mdm.AppID]bool{}})
	}
	ug := mdm.Group{ID: "ug", Kind: mdm.UserMembers}
	for _, u := range m.users {
		if rapid.Bool().Draw(rt, "inUG") {
			ug.Users = append(ug.Users, u)
		}
	}
	dg := mdm.Group{ID: "dg", Kind: mdm.DeviceMembers}
	for _, d := range m.devs {
		if rapid.Bool().Draw(rt, "inDG") {
			dg.Devices = append(dg.Devices, d.id)
		}
	}
	_, err = m.t.PutGroup(m.now, ug)
	must(rt, err)
	rt.Logf("groups ug=%v dg=%v", ug.Users, dg.Devices)
	_, err = m.t.PutGroup(m.now, dg)
	must(rt, err)
	return m
}

func (m *model) pickApp(rt *rapid.T) *mdm.App {
	return &m.apps[rapid.IntRange(0, len(m.apps)-1).Draw(rt, "app")]
}

func (m *model) pickDev(rt *rapid.T) *mdev {
	return m.devs[rapid.IntRange(0, len(m.devs)-1).Draw(rt, "device")]
}

func (m *model) assign(rt *rapid.T) {
	a := m.pickApp(rt)
	intent := rapid.SampledFrom(mdm.Intents()).Draw(rt, "intent")
	// includes that reach most devices are drawn more often than exclusions
	target := rapid.SampledFrom([]mdm.Target{mdm.AllDevicesTarget(), mdm.AllUsersTarget(), mdm.GroupTarget("ug"),
		mdm.GroupTarget("dg"), mdm.AllDevicesTarget(), mdm.AllUsersTarget(), mdm.ExclusionTarget("ug"),
		mdm.ExclusionTarget("dg")}).Draw(rt, "target")
	m.nextAsg++
	as := mdm.Assignment{ID: mdm.AssignmentID(fmt.Sprintf("as%d", m.nextAsg)), App: a.ID, Intent: intent, Target: target,
		Settings: mdm.DefaultSettings(a.Type)}
	if a.Type.IsVPP() && rapid.Bool().Draw(rt, "userLicense") {
		as.Settings.LicenseType = mdm.LicenseUser
	}
	if a.Type.IsVPP() && (intent == mdm.Required || intent == mdm.Available) && rapid.Bool().Draw(rt, "preventAutoUpdate") {
		as.Settings.PreventAutoUpdate = true // L9
	}
	if intent == mdm.Required && rapid.IntRange(0, 4).Draw(rt, "deadline") == 0 {
		as.Settings.Deadline = m.now.Add(time.Duration(rapid.IntRange(1, 48).Draw(rt, "deadlineHours")) * time.Hour)
	}
	before := m.t.Assignments()
	ch, err := m.t.Assign(m.now, as)
	rt.Logf("%s assign %s %s %s %s: %v", m.now.Sub(start), as.ID, as.App, as.Intent, as.Target, err)
	if err != nil {
		// a refused assignment changes nothing
		if !slices.EqualFunc(before, m.t.Assignments(), func(a, b mdm.Assignment) bool { return a.ID == b.ID && a.Intent == b.Intent }) {
			rt.Fatalf("refused assignment %+v changed the assignments: %v", as, err)
		}
		return
	}
	m.asgs = append(m.asgs, as.ID)
	m.checkNotify(rt, ch)
}

func (m *model) checkNotify(rt *rapid.T, ch tenant.Change) {
	if !sort.SliceIsSorted(ch.Notify, func(i, j int) bool { return ch.Notify[i] < ch.Notify[j] }) {
		rt.Fatalf("Notify not sorted: %v", ch.Notify)
	}
}

func (m *model) unassign(rt *rapid.T) {
	if len(m.asgs) == 0 {
		return
	}
	k := rapid.IntRange(0, len(m.asgs)-1).Draw(rt, "asg")
	_, err := m.t.Unassign(m.now, m.asgs[k])
	rt.Logf("%s unassign %s", m.now.Sub(start), m.asgs[k])
	must(rt, err)
	m.asgs = slices.Delete(m.asgs, k, k+1)
}

func (m *model) changeIntent(rt *rapid.T) {
	if len(m.asgs) == 0 {
		return
	}
	id := m.asgs[rapid.IntRange(0, len(m.asgs)-1).Draw(rt, "asg")]
	in := rapid.SampledFrom(mdm.Intents()).Draw(rt, "intent")
	_, err := m.t.ChangeIntent(m.now, id, in) // may be refused (A3, A4, T14)
	rt.Logf("%s change intent %s %s: %v", m.now.Sub(start), id, in, err)
}

func (m *model) membership(rt *rapid.T) {
	g, member := mdm.GroupID("dg"), ""
	if rapid.Bool().Draw(rt, "userGroup") {
		g, member = "ug", string(m.users[rapid.IntRange(0, len(m.users)-1).Draw(rt, "user")])
	} else {
		member = string(m.pickDev(rt).id)
	}
	var err error
	if rapid.Bool().Draw(rt, "add") {
		_, err = m.t.AddMember(m.now, g, member)
		must(rt, err)
		rt.Logf("%s add %s to %s", m.now.Sub(start), member, g)
	} else {
		_, err = m.t.RemoveMember(m.now, g, member) // refused when not a member
		rt.Logf("%s remove %s from %s: %v", m.now.Sub(start), member, g, err)
	}
}

func (m *model) poolCounts(rt *rapid.T) {
	n := rapid.IntRange(0, 3).Draw(rt, "total")
	must(rt, m.t.SetPoolCounts(m.now, m.vpp, n, 0))
	rt.Logf("%s pool total %d", m.now.Sub(start), n)
}

func (m *model) deviceAction(rt *rapid.T) {
	d := m.pickDev(rt)
	a := m.pickApp(rt)
	act := tenant.Action(rapid.IntRange(1, 5).Draw(rt, "action"))
	_, err := m.t.DeviceAction(m.now, tenant.ActionRequest{Device: d.id, App: a.ID, Action: act,
		Online: rapid.Bool().Draw(rt, "online")})
	rt.Logf("%s action %s %s on %s: %v", m.now.Sub(start), act, a.ID, d.id, err)
	if err == nil {
		d.adminApps[a.ID] = true
		// "install" of a superseded app installs the latest superseding one
		for _, o := range m.apps {
			for _, s := range o.Supersedes {
				if s.App == a.ID {
					d.adminApps[o.ID] = true
				}
			}
		}
		m.closeAdminApps(d)
	}
}

// closeAdminApps adds the supersedence chains of admin-named apps.
func (m *model) closeAdminApps(d *mdev) {
	for changed := true; changed; {
		changed = false
		for _, o := range m.apps {
			for _, s := range o.Supersedes {
				if d.adminApps[s.App] && !d.adminApps[o.ID] {
					d.adminApps[o.ID] = true
					changed = true
				}
			}
		}
	}
}

func (m *model) advance(rt *rapid.T) {
	m.now = m.now.Add(time.Duration(rapid.IntRange(1, 30*60).Draw(rt, "minutes")) * time.Minute)
	for _, id := range m.t.DuePushes(m.now, nil) {
		if rapid.Bool().Draw(rt, "answerPush") {
			m.checkIn(rt, m.devByID(id), true)
		}
	}
}

// newVersion publishes a new version of an app (T4, L9): by hand for Win32
// apps, through sync for the VPP app.
func (m *model) newVersion(rt *rapid.T) {
	a := m.pickApp(rt)
	v := fmt.Sprintf("%d.0", rapid.IntRange(1, 3).Draw(rt, "version"))
	a.Version = v
	var err error
	if a.Type.IsSynced() {
		err = m.t.UpsertSyncedApp(m.now, *a)
	} else {
		cur, _ := m.t.App(a.ID)
		cur.Version = v
		_, err = m.t.UpdateApp(m.now, cur)
	}
	must(rt, err)
	rt.Logf("%s new version %s of %s", m.now.Sub(start), v, a.ID)
}

// reenroll takes a device out of management and enrolls it again (T13): the
// service forgets it; the device keeps what is on it, minus the uninstalls it
// was sent.
func (m *model) reenroll(rt *rapid.T) {
	d := m.pickDev(rt)
	ch, err := m.t.RemoveDevice(m.now, d.id)
	must(rt, err)
	for _, c := range ch.Commands {
		if c.Kind != mdm.CommandUninstall {
			rt.Fatalf("T13: %s sent to a device leaving management", c)
		}
		if a, _ := m.t.App(c.App); a.Type.IsWin32() {
			rt.Fatalf("T13: Win32 app %s uninstalled on unenrollment", c.App)
		}
		delete(d.inv, c.App)
	}
	clear(d.held)
	clear(d.rebooting)
	clear(d.adminApps)
	dev := mdm.Device{ID: d.id, Platform: d.platform, OSVersion: "10.0.19045", MemoryMB: d.memory}
	if d.platform == mdm.PlatformIOS {
		dev.OSVersion = "17.4"
	}
	if u := m.users[rapid.IntRange(0, len(m.users)-1).Draw(rt, "newPrimary")]; rapid.Bool().Draw(rt, "hasPrimary") {
		dev.PrimaryUser = u
	}
	_, err = m.t.EnrollDevice(m.now, dev)
	must(rt, err)
	rt.Logf("%s re-enrolled %s (user %s), uninstalls %v", m.now.Sub(start), d.id, dev.PrimaryUser, ch.Commands)
}

// userChurn deletes a user (L7, L15: their licenses go) and adds them back;
// their devices stay userless (D3).
func (m *model) userChurn(rt *rapid.T) {
	u := m.users[rapid.IntRange(0, len(m.users)-1).Draw(rt, "user")]
	_, err := m.t.DeleteUser(m.now, u)
	must(rt, err)
	_, err = m.t.PutUser(m.now, mdm.User{ID: u, HasAppleAccount: rapid.Bool().Draw(rt, "apple")})
	must(rt, err)
	rt.Logf("%s user %s deleted and added again", m.now.Sub(start), u)
}

// tokenState changes the VPP token's state (L3, S4): grants stop while it
// cannot assign licenses.
func (m *model) tokenState(rt *rapid.T) {
	s := rapid.SampledFrom([]mdm.TokenState{mdm.TokenValid, mdm.TokenExpired, mdm.TokenDuplicate}).Draw(rt, "tokenState")
	must(rt, m.t.SetTokenState(m.now, "tok", s))
	rt.Logf("%s token %s", m.now.Sub(start), s)
}

// tokenUpdates sets whether the token lets assignments prevent automatic
// updates (L9).
func (m *model) tokenUpdates(rt *rapid.T) {
	allowed := rapid.Bool().Draw(rt, "allowPrevent")
	ch, err := m.t.SetTokenUpdatePrevention(m.now, "tok", allowed)
	must(rt, err)
	m.checkNotify(rt, ch)
	m.noPrevent = !allowed
	rt.Logf("%s token allows preventing updates: %v", m.now.Sub(start), allowed)
}

func (m *model) devByID(id mdm.DeviceID) *mdev {
	for _, d := range m.devs {
		if d.id == id {
			return d
		}
	}
	return nil
}

func (m *model) userRemoves(rt *rapid.T) {
	d := m.pickDev(rt)
	a := m.pickApp(rt)
	delete(d.inv, a.ID)
	rt.Logf("%s user removes %s from %s", m.now.Sub(start), a.ID, d.id)
}

func (m *model) userInstalls(rt *rapid.T) {
	d := m.pickDev(rt)
	a := m.pickApp(rt)
	if a.Type.Platforms().Has(d.platform) {
		d.inv[a.ID] = a.Version
		rt.Logf("%s user installs %s on %s", m.now.Sub(start), a.ID, d.id)
	}
}

func (m *model) checkInAny(rt *rapid.T) { m.checkIn(rt, m.pickDev(rt), true) }

var anyOutcome = []mdm.Outcome{0, mdm.OutcomeSucceeded, mdm.OutcomeSucceeded, mdm.OutcomeFailed, mdm.OutcomeRetry,
	mdm.OutcomePendingReboot, mdm.OutcomeNotNow}

// checkIn reports the device's held commands (random outcomes when random, all
// succeeding otherwise), its inventory and, when random, portal requests, and
// checks what comes back.
func (m *model) checkIn(rt *rapid.T, d *mdev, random bool) {
	rep := mdm.Report{Device: d.id}
	ids := make([]mdm.CommandID, 0, len(d.held))
	for id := range d.held {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		c := d.held[id]
		o := mdm.OutcomeSucceeded
		if d.rebooting[id] {
			delete(d.rebooting, id)
		} else if random {
			o = rapid.SampledFrom(anyOutcome).Draw(rt, "outcome")
		}
		if o == 0 {
			continue // still working on it
		}
		rep.Results = append(rep.Results, mdm.CommandResult{Command: id, Kind: c.Kind, App: c.App, Outcome: o})
		switch o {
		case mdm.OutcomeSucceeded:
			if c.Kind == mdm.CommandUninstall {
				delete(d.inv, c.App)
			} else {
				d.inv[c.App] = c.Version
			}
			delete(d.held, id)
		case mdm.OutcomePendingReboot:
			if c.Kind == mdm.CommandUninstall {
				delete(d.inv, c.App)
			} else {
				d.inv[c.App] = c.Version
			}
			d.rebooting[id] = true
		default:
			delete(d.held, id)
		}
	}
	if random && rapid.IntRange(0, 3).Draw(rt, "portal") == 0 {
		offered, err := m.t.Offered(m.now, d.id, nil)
		must(rt, err)
		if len(offered) > 0 {
			app := rapid.SampledFrom(offered).Draw(rt, "portalApp")
			act := rapid.SampledFrom([]mdm.PortalAction{mdm.PortalInstall, mdm.PortalUninstall}).Draw(rt, "portalAction")
			rep.Requests = append(rep.Requests, mdm.PortalRequest{App: app, Action: act})
		}
	}
	for app, v := range d.inv {
		rep.Inventory = append(rep.Inventory, mdm.InstalledApp{App: app, Version: v})
	}
	sort.Slice(rep.Inventory, func(i, j int) bool { return rep.Inventory[i].App < rep.Inventory[j].App })
	must(rt, m.t.CheckIn(m.now, &rep, &m.out))
	if random {
		rt.Logf("%s check-in %s results=%v requests=%v inventory=%v → %v %v", m.now.Sub(start), d.id, rep.Results, rep.Requests, rep.Inventory, m.out.Commands, m.out.Changes)
	}
	for _, c := range m.out.Changes {
		if c.From != c.To && !tenant.LegalTransition(c.From, c.To) {
			rt.Fatalf("%s: illegal transition %s", d.id, c)
		}
	}
	for _, c := range m.out.Commands {
		m.checkCommand(rt, d, c)
		d.held[c.ID] = c
	}
}

// checkCommand applies the invariants on commands (T8, and what a command may
// concern).
func (m *model) checkCommand(rt *rapid.T, d *mdev, c mdm.Command) {
	x, err := m.t.Explain(d.id, c.App)
	must(rt, err)
	if c.Kind == mdm.CommandUninstall && x.Reached && x.Effective.Intent&assign.IntentRequired != 0 {
		rt.Fatalf("T8: uninstall of %s on %s while a required assignment reaches it:\n%s", c.App, d.id, x)
	}
	if x.Reached || d.adminApps[c.App] {
		return
	}
	// a dependency or supersedence relative of a targeted app
	related := map[mdm.AppID]bool{c.App: true}
	for changed := true; changed; {
		changed = false
		for _, a := range m.apps {
			for _, dep := range a.Dependencies {
				if related[dep.App] && !related[a.ID] {
					related[a.ID], changed = true, true
				}
			}
			for _, s := range a.Supersedes {
				if (related[s.App] || related[a.ID]) && !(related[s.App] && related[a.ID]) {
					related[s.App], related[a.ID], changed = true, true, true
				}
			}
		}
	}
	for app := range related {
		if y, err := m.t.Explain(d.id, app); err == nil && y.Reached {
			return
		}
		if d.adminApps[app] {
			return
		}
	}
	rt.Fatalf("%s sent to %s, which no assignment or admin action reaches, nor through dependencies or supersedence", c, d.id)
}

func (m *model) invariants(rt *rapid.T) {
	st, err := m.t.AppStatus(m.vpp.ID)
	must(rt, err)
	if st.HasPool && st.Licenses.Assigned > st.Licenses.Total {
		rt.Fatalf("L18: pool over-allocated: %+v", st.Licenses)
	}
	// A6: Intent is the intent Explain gives, 0 where nothing reaches.
	for _, d := range m.devs {
		for _, a := range m.apps {
			x, err := m.t.Explain(d.id, a.ID)
			must(rt, err)
			in, err := m.t.Intent(d.id, a.ID)
			must(rt, err)
			want := x.Effective.Intent
			if !x.Reached {
				want = 0
			}
			if in != want {
				rt.Fatalf("Intent(%s, %s) = %v, Explain says %v (reached %v)", d.id, a.ID, in, want, x.Reached)
			}
		}
	}
	// T1: the per-app counts are the devices' statuses, counted.
	count := map[mdm.AppID]map[mdm.InstallState]int{}
	for _, d := range m.devs {
		ds, err := m.t.DeviceStatus(d.id)
		must(rt, err)
		// AppendAppStates lists the same, after what the buffer held.
		sentinel := tenant.AppState{App: "sentinel"}
		buf, err := m.t.AppendAppStates([]tenant.AppState{sentinel}, d.id)
		must(rt, err)
		if len(buf) != 1+len(ds.Apps) || buf[0] != sentinel || !slices.Equal(buf[1:], ds.Apps) {
			rt.Fatalf("AppendAppStates(%s) = %v, DeviceStatus lists %v", d.id, buf, ds.Apps)
		}
		for _, a := range ds.Apps {
			if count[a.App] == nil {
				count[a.App] = map[mdm.InstallState]int{}
			}
			count[a.App][a.State]++
		}
	}
	for _, a := range m.apps {
		as, err := m.t.AppStatus(a.ID)
		must(rt, err)
		n := 0
		for _, c := range as.States {
			n += c.Count
			if count[a.ID][c.State] != c.Count {
				rt.Fatalf("%s: AppStatus counts %d %s, the devices say %d", a.ID, c.Count, c.State, count[a.ID][c.State])
			}
		}
		total := 0
		for _, c := range count[a.ID] {
			total += c
		}
		if n != total {
			rt.Fatalf("%s: AppStatus counts %d statuses, the devices have %d", a.ID, n, total)
		}
	}
}

// settle stops the actions: devices check in every hour and when pushed, all
// commands succeed, nobody touches anything. After three reinstall windows every
// device must have converged.
func (m *model) settle(rt *rapid.T) {
	must(rt, m.t.SetTokenState(m.now, "tok", mdm.TokenValid))
	// L9 at every settling: the token's setting drawn, and often a last
	// version of the VPP app for it to hold back or not.
	m.tokenUpdates(rt)
	if rapid.Bool().Draw(rt, "lastVPPVersion") {
		m.vpp.Version = "9.0"
		must(rt, m.t.UpsertSyncedApp(m.now, *m.vpp))
	}
	// users who were deleted and added back have their Apple account again
	for _, u := range m.users {
		_, err := m.t.PutUser(m.now, mdm.User{ID: u, HasAppleAccount: true})
		must(rt, err)
	}
	end := m.now.Add(3*m.pol.ReinstallWindow + 4*time.Hour)
	for m.now.Before(end) {
		m.now = m.now.Add(time.Hour)
		for _, d := range m.devs {
			m.checkIn(rt, d, false)
			m.checkIn(rt, d, false) // report what the first one sent
		}
		m.invariants(rt)
	}
	for _, d := range m.devs {
		m.checkIn(rt, d, false)
		if len(m.out.Commands) != 0 {
			rt.Fatalf("%s not quiet after settling: %v", d.id, m.out.Commands)
		}
		m.checkConverged(rt, d)
	}
}

// checkConverged compares the device with its effective intents.
func (m *model) checkConverged(rt *rapid.T, d *mdev) {
	st, err := m.t.DeviceStatus(d.id)
	must(rt, err)
	status := map[mdm.AppID]tenant.AppState{}
	for _, a := range st.Apps {
		status[a.App] = a
	}
	for _, a := range m.apps {
		x, err := m.t.Explain(d.id, a.ID)
		must(rt, err)
		if !x.Reached {
			continue
		}
		in := x.Effective.Intent
		s, ok := status[a.ID]
		_, present := d.inv[a.ID]
		switch {
		case in&assign.IntentRequired != 0 && (x.Effective.Deadline.IsZero() || !x.Effective.Deadline.After(m.now)):
			if present {
				m.checkVersion(rt, d, &a, x, s)
				continue
			}
			if !ok {
				rt.Fatalf("%s: required %s has no status", d.id, a.ID)
			}
			if !m.blockedLegitimately(rt, d, &a, s) {
				rt.Fatalf("%s: required %s not installed after settling: %s/%s", d.id, a.ID, s.State, s.Detail)
			}
		case in&assign.IntentUninstall != 0 && in&(assign.IntentAvailable|assign.IntentAvailableWithoutEnrollment) == 0:
			if present && ok && s.Managed && !m.neededOn(d, a.ID) {
				rt.Fatalf("%s: %s has an uninstall intent and is still installed by the service", d.id, a.ID)
			}
		}
	}
}

// checkVersion checks the version of the VPP app, required and present, after
// settling: the catalog's (T4) or a later one the device has (C4), unless
// every assignment prevents automatic updates and the token allows that (L9):
// then the status says an update is available.
func (m *model) checkVersion(rt *rapid.T, d *mdev, a *mdm.App, x *assign.Explanation, s tenant.AppState) {
	if a.ID != m.vpp.ID {
		return // Win32 updates meet requirements, supersedence and dependencies: TestEngine_T4_Update
	}
	cur, _ := m.t.App(a.ID)
	have := d.inv[a.ID]
	if have == cur.Version || mdm.CompareVersions(have, cur.Version) > 0 {
		return
	}
	if x.Effective.PreventAutoUpdate && !m.noPrevent {
		if s.State != mdm.StateInstalled || s.Detail != mdm.DetailUpdateAvailable {
			rt.Fatalf("%s: %s %s held back (L9, catalog %s) shows %s/%s", d.id, a.ID, have, cur.Version, s.State, s.Detail)
		}
		return
	}
	rt.Fatalf("%s: required %s is %s, the catalog's %s, after settling (T4, L9: prevent %v, token allows %v): %s/%s",
		d.id, a.ID, have, cur.Version, x.Effective.PreventAutoUpdate, !m.noPrevent, s.State, s.Detail)
}

// blockedLegitimately says whether a required app that is not installed is held
// back by a rule, and the rule's condition holds.
func (m *model) blockedLegitimately(rt *rapid.T, d *mdev, a *mdm.App, s tenant.AppState) bool {
	switch {
	case s.State == mdm.StateRequirementsNotMet:
		return true // T11 (the device's facts never change here)
	case s.Detail == mdm.DetailLicenseUnavailable:
		st, err := m.t.AppStatus(a.ID)
		must(rt, err)
		return st.Licenses.Available == 0 // L5: waiting
	case s.Detail == mdm.DetailSupersedingAppsDetected:
		return true // T9: a superseding app is on the device
	case s.Detail == mdm.DetailNoPrimaryUser:
		return true // L4: user licensing on a userless device
	case s.Detail == mdm.DetailDependencyMissing:
		return true // C9: a detect-only dependency is missing
	case s.Detail == mdm.DetailSupersedenceConflict, s.Detail == mdm.DetailSupersededAppUninstallFailed:
		return true // T9: the old app is required too, or a dependency is superseded
	case s.Detail == mdm.DetailDependencyRequirementsNotMet:
		return true
	case s.Detail == mdm.DetailDependencyFailed:
		// only when the dependency itself is held back
		for _, dep := range a.Dependencies {
			if _, ok := d.inv[dep.App]; !ok {
				return true
			}
		}
	}
	return false
}

// neededOn reports whether an app present on the device depends on app,
// directly or through other dependencies: it stays (C9, T8 by analogy).
func (m *model) neededOn(d *mdev, app mdm.AppID) bool {
	needed := map[mdm.AppID]bool{}
	for changed := true; changed; {
		changed = false
		for _, a := range m.apps {
			_, present := d.inv[a.ID]
			if !present && !needed[a.ID] {
				continue
			}
			for _, dep := range a.Dependencies {
				if !needed[dep.App] {
					needed[dep.App], changed = true, true
				}
			}
		}
	}
	return needed[app]
}
