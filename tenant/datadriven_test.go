package tenant_test

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// Transcript tests: every file under testdata/ is a story in SPEC terms, a
// script of admin actions, device behaviour and check-ins with the commands and
// states the service produces. Regenerate the expectations with
//
//	go test ./tenant -run TestTranscripts -rewrite
//
// and read the diff. The commands are described in testdata/README.

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// vdevice is the harness's device: what is installed and the commands it holds.
type vdevice struct {
	inv     map[mdm.AppID]string
	pending map[mdm.AppID]mdm.Command
}

type harness struct {
	t    testing.TB
	ten  *tenant.Tenant
	now  time.Time
	devs map[mdm.DeviceID]*vdevice
	out  tenant.CheckInResult
}

func newHarness(t testing.TB, pol mdm.Policy) *harness {
	ten, err := tenant.New(tenant.Config{Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, ten: ten, now: start, devs: map[mdm.DeviceID]*vdevice{}}
}

func TestTranscripts(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if !strings.HasSuffix(path, ".txt") {
			return // README, and rapid's failure files under testdata/rapid
		}
		h := newHarness(t, mdm.DefaultPolicy())
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return h.run(t, d)
		})
	})
}

func arg(d *datadriven.TestData, key string) string {
	a, ok := d.Arg(key)
	if !ok || len(a.Vals) == 0 {
		return ""
	}
	return a.Vals[0]
}

func args(d *datadriven.TestData, key string) []string {
	a, ok := d.Arg(key)
	if !ok {
		return nil
	}
	return a.Vals
}

func (h *harness) change(ch tenant.Change, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	if len(ch.Notify) > 0 {
		fmt.Fprintf(&b, "push: %s\n", joinIDs(ch.Notify))
	}
	for _, c := range ch.Commands {
		fmt.Fprintf(&b, "command: %s\n", c)
	}
	for _, l := range ch.Licenses {
		fmt.Fprintf(&b, "license: %s %s %s (%s)\n", l.Key, l.Holder, l.Outcome, l.Reason)
	}
	if b.Len() == 0 {
		return "ok"
	}
	return strings.TrimRight(b.String(), "\n")
}

func joinIDs[T ~string](ids []T) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = string(id)
	}
	return strings.Join(s, " ")
}

var appTypes = map[string]mdm.AppType{
	"win32": mdm.AppTypeWin32, "msstore": mdm.AppTypeMicrosoftStore, "ios-vpp": mdm.AppTypeIOSVPP,
	"book": mdm.AppTypeVPPBook, "msfb": mdm.AppTypeStoreForBusiness, "ios-store": mdm.AppTypeIOSStore,
	"mgp": mdm.AppTypeManagedGooglePlay, "ios-lob": mdm.AppTypeIOSLOB, "web": mdm.AppTypeWebLink,
}

func (h *harness) app(d *datadriven.TestData) mdm.App {
	typ, ok := appTypes[arg(d, "type")]
	if !ok {
		h.t.Fatalf("%s: unknown app type %q", d.Pos, arg(d, "type"))
	}
	id := arg(d, "id")
	a := mdm.App{ID: mdm.AppID(id), DisplayName: id, Type: typ, Version: arg(d, "version")}
	switch typ {
	case mdm.AppTypeWin32:
		a.Package = mdm.Package{FileName: id + ".intunewin", Size: mdm.MiB}
	case mdm.AppTypeIOSLOB:
		a.Package = mdm.Package{FileName: id + ".ipa", Size: mdm.MiB}
	case mdm.AppTypeMicrosoftStore:
		a.URL = "https://apps.microsoft.com/detail/" + id
	case mdm.AppTypeWebLink:
		a.URL = "https://intranet.contoso.com/" + id
	case mdm.AppTypeIOSStore, mdm.AppTypeManagedGooglePlay:
		a.Identifier = "com.contoso." + id
	}
	if typ.IsSynced() {
		a.Origin = mdm.StoreOrigin{Store: typ.Store(), Token: mdm.TokenID(arg(d, "token")), ProductID: arg(d, "product")}
		if a.Origin.ProductID == "" {
			a.Origin.ProductID = id
		}
		switch arg(d, "licensing") {
		case "online":
			a.Origin.Licensing = mdm.LicenseOnline
		case "offline":
			a.Origin.Licensing = mdm.LicenseOffline
		}
	}
	for _, v := range args(d, "deps") {
		name, kind, _ := strings.Cut(v, ":")
		dep := mdm.Dependency{App: mdm.AppID(name)}
		if kind == "detect" {
			dep.Kind = mdm.DetectOnly
		}
		a.Dependencies = append(a.Dependencies, dep)
	}
	for _, v := range args(d, "supersedes") {
		name, kind, _ := strings.Cut(v, ":")
		s := mdm.Supersedence{App: mdm.AppID(name)}
		if kind == "replace" {
			s.Kind = mdm.Replace
		}
		a.Supersedes = append(a.Supersedes, s)
	}
	if v := arg(d, "min-memory"); v != "" {
		a.Requirements.MinMemoryMB, _ = strconv.ParseInt(v, 10, 64)
	}
	a.Requirements.MinOSVersion = arg(d, "min-os")
	a.AllowUserUninstall = d.HasArg("allow-uninstall")
	return a
}

var platforms = map[string]mdm.Platform{"windows": mdm.PlatformWindows, "ios": mdm.PlatformIOS,
	"macos": mdm.PlatformMacOS, "android": mdm.PlatformAndroid, "ae": mdm.PlatformAndroidEnterprise}

func (h *harness) device(d *datadriven.TestData) mdm.Device {
	pl, ok := platforms[arg(d, "platform")]
	if !ok {
		h.t.Fatalf("%s: unknown platform %q", d.Pos, arg(d, "platform"))
	}
	dev := mdm.Device{ID: mdm.DeviceID(arg(d, "id")), Platform: pl, PrimaryUser: mdm.UserID(arg(d, "user")),
		OSVersion: arg(d, "os"), SerialNumber: arg(d, "serial"), HasBooksApp: d.HasArg("books")}
	if dev.OSVersion == "" {
		dev.OSVersion = map[mdm.Platform]string{mdm.PlatformWindows: "10.0.19045", mdm.PlatformIOS: "17.4",
			mdm.PlatformMacOS: "14.4", mdm.PlatformAndroid: "14", mdm.PlatformAndroidEnterprise: "14"}[pl]
	}
	if v := arg(d, "memory"); v != "" {
		dev.MemoryMB, _ = strconv.ParseInt(v, 10, 64)
	}
	switch arg(d, "join") {
	case "ad":
		dev.JoinType = mdm.JoinAD
	case "hybrid":
		dev.JoinType = mdm.JoinHybrid
	case "workplace":
		dev.JoinType = mdm.JoinWorkplace
	case "entra":
		dev.JoinType = mdm.JoinEntra
	}
	switch arg(d, "mode") {
	case "fullyManaged":
		dev.AndroidMode = mdm.AndroidModeFullyManaged
	case "dedicated":
		dev.AndroidMode = mdm.AndroidModeDedicated
	case "workProfile":
		dev.AndroidMode = mdm.AndroidModePersonallyOwnedWorkProfile
	}
	return dev
}

var intents = map[string]mdm.Intent{"required": mdm.Required, "available": mdm.Available,
	"uninstall": mdm.Uninstall, "awoe": mdm.AvailableWithoutEnrollment}

func (h *harness) assignment(d *datadriven.TestData) mdm.Assignment {
	in, ok := intents[arg(d, "intent")]
	if !ok {
		h.t.Fatalf("%s: unknown intent %q", d.Pos, arg(d, "intent"))
	}
	app := mdm.AppID(arg(d, "app"))
	a := mdm.Assignment{ID: mdm.AssignmentID(arg(d, "id")), App: app, Intent: in}
	switch tg := arg(d, "target"); {
	case tg == "all-users":
		a.Target = mdm.AllUsersTarget()
	case tg == "all-devices":
		a.Target = mdm.AllDevicesTarget()
	case strings.HasPrefix(tg, "exclude:"):
		a.Target = mdm.ExclusionTarget(mdm.GroupID(strings.TrimPrefix(tg, "exclude:")))
	default:
		a.Target = mdm.GroupTarget(mdm.GroupID(tg))
	}
	if at, ok := h.ten.App(app); ok {
		a.Settings = mdm.DefaultSettings(at.Type)
	}
	switch arg(d, "license") {
	case "user":
		a.Settings.LicenseType = mdm.LicenseUser
	case "device":
		a.Settings.LicenseType = mdm.LicenseDevice
	}
	if v := arg(d, "uninstall-on-removal"); v != "" {
		b := v == "true"
		a.Settings.UninstallOnDeviceRemoval = &b
	}
	if v := arg(d, "deadline"); v != "" {
		dur, err := time.ParseDuration(v)
		if err != nil {
			h.t.Fatal(err)
		}
		a.Settings.Deadline = h.now.Add(dur)
	}
	return a
}

func (h *harness) vdev(id string) *vdevice {
	v := h.devs[mdm.DeviceID(id)]
	if v == nil {
		v = &vdevice{inv: map[mdm.AppID]string{}, pending: map[mdm.AppID]mdm.Command{}}
		h.devs[mdm.DeviceID(id)] = v
	}
	return v
}

var outcomes = []struct {
	key string
	o   mdm.Outcome
}{{"ok", mdm.OutcomeSucceeded}, {"fail", mdm.OutcomeFailed}, {"retry", mdm.OutcomeRetry},
	{"reboot", mdm.OutcomePendingReboot}, {"notnow", mdm.OutcomeNotNow}}

// checkIn builds the device's report: the outcomes named for the commands it
// holds (applied to its inventory), its inventory and the portal requests.
func (h *harness) checkIn(d *datadriven.TestData) string {
	id := arg(d, "device")
	v := h.vdev(id)
	rep := mdm.Report{Device: mdm.DeviceID(id)}
	for _, oc := range outcomes {
		apps := args(d, oc.key)
		if a, ok := d.Arg(oc.key); ok && len(a.Vals) == 0 && oc.key == "ok" {
			for app := range v.pending {
				apps = append(apps, string(app))
			}
			sort.Strings(apps)
		}
		for _, app := range apps {
			c, ok := v.pending[mdm.AppID(app)]
			if !ok {
				h.t.Fatalf("%s: device %s holds no command for %s", d.Pos, id, app)
			}
			rep.Results = append(rep.Results, mdm.CommandResult{Command: c.ID, Kind: c.Kind, App: c.App, Outcome: oc.o, Code: codeOf(oc.o)})
			switch oc.o {
			case mdm.OutcomeSucceeded:
				if c.Kind == mdm.CommandUninstall {
					delete(v.inv, c.App)
				} else {
					v.inv[c.App] = c.Version
				}
				delete(v.pending, c.App)
			case mdm.OutcomeFailed, mdm.OutcomeRetry, mdm.OutcomeNotNow:
				delete(v.pending, c.App)
			}
		}
	}
	for _, app := range args(d, "portal-install") {
		rep.Requests = append(rep.Requests, mdm.PortalRequest{App: mdm.AppID(app), Action: mdm.PortalInstall})
	}
	for _, app := range args(d, "portal-uninstall") {
		rep.Requests = append(rep.Requests, mdm.PortalRequest{App: mdm.AppID(app), Action: mdm.PortalUninstall})
	}
	for app, ver := range v.inv {
		rep.Inventory = append(rep.Inventory, mdm.InstalledApp{App: app, Version: ver})
	}
	sort.Slice(rep.Inventory, func(i, j int) bool { return rep.Inventory[i].App < rep.Inventory[j].App })
	if err := h.ten.CheckIn(h.now, &rep, &h.out); err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	for _, c := range h.out.Commands {
		v.pending[c.App] = c
		fmt.Fprintf(&b, "command: %s\n", c)
	}
	for _, c := range h.out.Changes {
		if c.From != c.To && !tenant.LegalTransition(c.From, c.To) {
			h.t.Errorf("%s: illegal transition %s", d.Pos, c)
		}
		fmt.Fprintf(&b, "change: %s\n", c)
	}
	for _, r := range h.out.Refused {
		fmt.Fprintf(&b, "refused: %v\n", r.Err)
	}
	if h.out.Stale > 0 {
		fmt.Fprintf(&b, "stale results: %d\n", h.out.Stale)
	}
	if b.Len() == 0 {
		return "nothing"
	}
	return strings.TrimRight(b.String(), "\n")
}

func codeOf(o mdm.Outcome) int32 {
	if o == mdm.OutcomeFailed {
		return 1603
	}
	return 0
}

func (h *harness) since(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return "+" + t.Sub(start).String()
}

func (h *harness) run(t *testing.T, d *datadriven.TestData) string {
	h.t = t
	switch d.Cmd {
	case "app":
		a := h.app(d)
		if a.Type.IsSynced() {
			if err := h.ten.UpsertSyncedApp(h.now, a); err != nil {
				return "error: " + err.Error()
			}
			return "ok"
		}
		return h.change(h.ten.AddApp(h.now, a))
	case "update-app":
		a, ok := h.ten.App(mdm.AppID(arg(d, "id")))
		if !ok {
			return "error: no such app"
		}
		if v := arg(d, "version"); v != "" {
			a.Version = v
		}
		if a.Type.IsSynced() {
			if err := h.ten.UpsertSyncedApp(h.now, a); err != nil {
				return "error: " + err.Error()
			}
			return "ok"
		}
		return h.change(h.ten.UpdateApp(h.now, a))
	case "delete-app":
		return h.change(h.ten.DeleteApp(h.now, mdm.AppID(arg(d, "id"))))
	case "token":
		id := mdm.TokenID(arg(d, "id"))
		if _, known := h.ten.TokenState(id); !known {
			if out := h.change(h.ten.AddToken(h.now, id)); out != "ok" {
				return out
			}
		}
		if v := arg(d, "expires"); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil {
				t.Fatal(err)
			}
			return h.change(h.ten.SetTokenExpiry(h.now, id, h.now.Add(dur)))
		}
		return "ok"
	case "token-state":
		st, ok := h.ten.TokenState(mdm.TokenID(arg(d, "id")))
		if !ok {
			return "unknown token"
		}
		return st.String()
	case "set-token-state":
		var st mdm.TokenState
		if err := st.UnmarshalText([]byte(arg(d, "state"))); err != nil {
			t.Fatal(err)
		}
		if err := h.ten.SetTokenState(h.now, mdm.TokenID(arg(d, "id")), st); err != nil {
			return "error: " + err.Error()
		}
		return "ok"
	case "pool":
		a, ok := h.ten.App(mdm.AppID(arg(d, "app")))
		if !ok {
			return "error: no such app"
		}
		total, _ := strconv.Atoi(arg(d, "total"))
		if err := h.ten.SetPoolCounts(h.now, &a, total, 0); err != nil {
			return "error: " + err.Error()
		}
		return h.poolLine(a.ID)
	case "user":
		return h.change(h.ten.PutUser(h.now, mdm.User{ID: mdm.UserID(arg(d, "id")), UserPrincipalName: arg(d, "upn"),
			HasAppleAccount: d.HasArg("apple")}))
	case "delete-user":
		return h.change(h.ten.DeleteUser(h.now, mdm.UserID(arg(d, "id"))))
	case "device":
		return h.change(h.ten.EnrollDevice(h.now, h.device(d)))
	case "remove-device":
		return h.change(h.ten.RemoveDevice(h.now, mdm.DeviceID(arg(d, "id"))))
	case "group":
		g := mdm.Group{ID: mdm.GroupID(arg(d, "id"))}
		switch arg(d, "kind") {
		case "users":
			g.Kind = mdm.UserMembers
			for _, m := range args(d, "members") {
				g.Users = append(g.Users, mdm.UserID(m))
			}
		case "devices":
			g.Kind = mdm.DeviceMembers
			for _, m := range args(d, "members") {
				g.Devices = append(g.Devices, mdm.DeviceID(m))
			}
		}
		return h.change(h.ten.PutGroup(h.now, g))
	case "add-member":
		return h.change(h.ten.AddMember(h.now, mdm.GroupID(arg(d, "group")), arg(d, "member")))
	case "remove-member":
		return h.change(h.ten.RemoveMember(h.now, mdm.GroupID(arg(d, "group")), arg(d, "member")))
	case "assign":
		return h.change(h.ten.Assign(h.now, h.assignment(d)))
	case "unassign":
		return h.change(h.ten.Unassign(h.now, mdm.AssignmentID(arg(d, "id"))))
	case "change-intent":
		return h.change(h.ten.ChangeIntent(h.now, mdm.AssignmentID(arg(d, "id")), intents[arg(d, "intent")]))
	case "action":
		acts := map[string]tenant.Action{"install": tenant.ActionInstall, "reinstall": tenant.ActionReinstall,
			"reevaluate": tenant.ActionReevaluate, "uninstall": tenant.ActionUninstall, "repair": tenant.ActionRepair}
		return h.change(h.ten.DeviceAction(h.now, tenant.ActionRequest{Device: mdm.DeviceID(arg(d, "device")),
			App: mdm.AppID(arg(d, "app")), Action: acts[arg(d, "do")], Online: !d.HasArg("offline")}))
	case "advance":
		dur, err := time.ParseDuration(arg(d, "by"))
		if err != nil {
			t.Fatal(err)
		}
		h.now = h.now.Add(dur)
		return "now " + h.since(h.now)
	case "check-in":
		return h.checkIn(d)
	case "user-removes":
		delete(h.vdev(arg(d, "device")).inv, mdm.AppID(arg(d, "app")))
		return "ok"
	case "user-installs":
		h.vdev(arg(d, "device")).inv[mdm.AppID(arg(d, "app"))] = arg(d, "version")
		return "ok"
	case "pushes":
		due := h.ten.DuePushes(h.now, nil)
		next, ok := h.ten.NextPush()
		s := "due: " + joinIDs(due)
		if ok {
			s += "\nnext: " + h.since(next)
		}
		return s
	case "status":
		st, err := h.ten.DeviceStatus(mdm.DeviceID(arg(d, "device")))
		if err != nil {
			return "error: " + err.Error()
		}
		var b strings.Builder
		for _, a := range st.Apps {
			fmt.Fprintf(&b, "%s: %s/%s intent=%s present=%v managed=%v", a.App, a.State, a.Detail, a.Intent, a.Present, a.Managed)
			if !a.NextAttempt.IsZero() {
				fmt.Fprintf(&b, " next=%s", h.since(a.NextAttempt))
			}
			b.WriteByte('\n')
		}
		if b.Len() == 0 {
			return "no apps"
		}
		return strings.TrimRight(b.String(), "\n")
	case "app-status":
		st, err := h.ten.AppStatus(mdm.AppID(arg(d, "app")))
		if err != nil {
			return "error: " + err.Error()
		}
		var parts []string
		for _, c := range st.States {
			parts = append(parts, fmt.Sprintf("%s=%d", c.State, c.Count))
		}
		s := "states: " + strings.Join(parts, " ")
		s += fmt.Sprintf("\ngraph: installed=%d failed=%d notInstalled=%d uninstallFailed=%d pendingInstall=%d notApplicable=%d",
			st.Installed, st.Failed, st.NotInstalled, st.UninstallFailed, st.PendingInstall, st.NotApplicable)
		if st.HasPool {
			s += fmt.Sprintf("\nlicenses: %d of %d used, %d waiting", st.Licenses.Assigned, st.Licenses.Total, st.Licenses.Waiting)
		}
		return s
	case "offered":
		apps, err := h.ten.Offered(h.now, mdm.DeviceID(arg(d, "device")), nil)
		if err != nil {
			return "error: " + err.Error()
		}
		return "offered: " + joinIDs(apps)
	case "license-changes":
		var b strings.Builder
		for _, c := range h.ten.TakeLicenseChanges(nil) {
			who := "serial " + c.SerialNumber
			if c.ClientUserID != "" {
				who = "user " + c.ClientUserID
			}
			fmt.Fprintf(&b, "%s %s/%s %s\n", c.Op, c.Token, c.Product, who)
		}
		if b.Len() == 0 {
			return "none"
		}
		return strings.TrimRight(b.String(), "\n")
	case "explain":
		x, err := h.ten.Explain(mdm.DeviceID(arg(d, "device")), mdm.AppID(arg(d, "app")))
		if err != nil {
			return "error: " + err.Error()
		}
		return x.String()
	}
	t.Fatalf("%s: unknown command %q", d.Pos, d.Cmd)
	return ""
}

func (h *harness) poolLine(app mdm.AppID) string {
	st, err := h.ten.AppStatus(app)
	if err != nil || !st.HasPool {
		return "no pool"
	}
	return fmt.Sprintf("pool: %d of %d used, %d waiting", st.Licenses.Assigned, st.Licenses.Total, st.Licenses.Waiting)
}

var _ = license.Change{}
