package sim

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
)

// Watching one (device, app) pair: Options.Watch makes the run record, at every
// check-in of the device, what concerned the app — what the device reported
// (its inventory, command results, portal requests), the status changes the
// tenant made (T1) and the commands it sent — and, when the run stops
// (Options.Until or the end), the pair's status and the tenant's A11
// explanation. That is what an admin asks of a real tenant ("why does this
// laptop not have the VPN client?"), asked of a simulated one at any moment.
// Watching costs one comparison per check-in of the other devices.

// ErrInvalidOptions is wrapped by the error Run returns for Options it cannot
// honour: a watch naming a device or app the scenario does not have, a stop
// time outside the run.
var ErrInvalidOptions = errors.New("invalid simulation options")

// Watch names the (device, app) pair to watch.
type Watch struct {
	// Device is a device id of the fleet: "dev-" and its number, zero-padded
	// to at least six digits ("dev-000042").
	Device mdm.DeviceID
	// App is the app's id in the scenario (for a synced app, not the catalog
	// id store sync gives it).
	App mdm.AppID
}

// WatchReport is the story of the watched pair until the run stopped.
type WatchReport struct {
	Device mdm.DeviceID `json:"device"`
	App    mdm.AppID    `json:"app"`
	// CatalogApp is the app's id in the tenant's catalog when it differs
	// (synced apps); "" when the app is not in the catalog yet.
	CatalogApp mdm.AppID `json:"catalogApp,omitempty"`
	// At is the virtual time the run stopped: the explanation and the status
	// are those of that moment.
	At Duration `json:"at"`
	// The device's facts as it enrolls: platform, OS version, primary user.
	Platform    mdm.Platform `json:"platform"`
	OSVersion   string       `json:"osVersion"`
	PrimaryUser mdm.UserID   `json:"primaryUser,omitempty"`
	Enrolled    bool         `json:"enrolled"`
	// CheckIns counts the device's check-ins until At.
	CheckIns int `json:"checkIns"`
	// History lists, in time order, the device's enrollment, the admin actions
	// that concern the app (with their outcome; users leaving, when the
	// device's primary user left), and every check-in where something
	// concerned the app or that first saw the primary user gone.
	History []WatchEvent `json:"history"`
	// QuietAfter counts the check-ins after the last event of History where
	// nothing concerned the app.
	QuietAfter int `json:"quietAfter,omitempty"`
	// State is the pair's status in the tenant at At; nil when there is none
	// (the device has not checked in since the app reached it, T1).
	State *WatchState `json:"state,omitempty"`
	// Explanation is the tenant's A11 explanation at At, as text; Explained is
	// the same as a value (nil when the device is not enrolled or the app not in
	// the catalog yet, and then Explanation says why).
	Explanation string              `json:"explanation"`
	Explained   *assign.Explanation `json:"-"`
}

// WatchState is the pair's status in the tenant (tenant.DeviceStatus).
type WatchState struct {
	State  mdm.InstallState  `json:"state"`
	Detail mdm.InstallDetail `json:"detail"`
	// Intent is the effective intent as of the device's last check-in.
	Intent string `json:"intent"`
	// Present: the app was in the last inventory; Managed: the service
	// installed it (A10).
	Present bool `json:"present"`
	Managed bool `json:"managed"`
	// Code is the error code of the last failed command.
	Code int32 `json:"code,omitempty"`
	// NextAttempt is when the service tries again (T3, T5), as a time since the
	// start; nil when nothing waits.
	NextAttempt *Duration `json:"nextAttempt,omitempty"`
}

// WatchEvent is one moment of the watched pair's story.
type WatchEvent struct {
	At Duration `json:"at"`
	// Event is "enrolled", "admin action", "check-in" or "check-in answering a
	// push" (or a portal request).
	Event string `json:"event"`
	// Quiet counts the check-ins since the previous event where nothing
	// concerned the app.
	Quiet int `json:"quiet,omitempty"`
	// What says what an admin action did and what became of it, or that the
	// device's primary user has left.
	What string `json:"what,omitempty"`
	// Reported is the app in the device's inventory when it differs from the
	// previous check-in: "absent", "version 4.2", or "present" for an app
	// without a version (a web clip).
	Reported string         `json:"reported,omitempty"`
	Results  []WatchResult  `json:"results,omitempty"`
	Requests []string       `json:"requests,omitempty"` // portal requests: "install", "uninstall"
	Changes  []WatchChange  `json:"changes,omitempty"`
	Commands []WatchCommand `json:"commands,omitempty"`
}

// WatchResult is a command result the device reported for the app.
type WatchResult struct {
	Kind    mdm.CommandKind `json:"kind"`
	Outcome mdm.Outcome     `json:"outcome"`
	Code    int32           `json:"code,omitempty"`
}

// WatchChange is a status change of the pair (T1).
type WatchChange struct {
	From   mdm.InstallState  `json:"from"`
	To     mdm.InstallState  `json:"to"`
	Detail mdm.InstallDetail `json:"detail,omitempty"`
}

// WatchCommand is a command the tenant sent for the app.
type WatchCommand struct {
	Kind    mdm.CommandKind `json:"kind"`
	Version string          `json:"version,omitempty"`
}

// watcher records the watched pair while the run goes.
type watcher struct {
	dev      int // the device's slot
	app      int // the scenario app
	rep      WatchReport
	quiet    int
	reported string // inventory as last reported; "" before the first check-in
	userGone bool   // the primary user has left, and History says so
}

// checkOptions refuses options the scenario cannot honour and sets the watch
// and the stop time up.
func (s *sim) checkOptions() error {
	o := &s.opts
	if o.Until < 0 || o.Until > time.Duration(s.sc.Duration) {
		return fmt.Errorf("%w: Until %s is outside the run (0 to %s): give a time within the scenario's duration",
			ErrInvalidOptions, Duration(o.Until), s.sc.Duration)
	}
	if o.Until > 0 {
		s.end = eventq.Time(o.Until)
	}
	if o.Watch == nil {
		return nil
	}
	i, ok := s.deviceIndex(o.Watch.Device)
	if !ok {
		return fmt.Errorf("%w: Watch.Device %q is not a device of the fleet: its devices are %s to %s",
			ErrInvalidOptions, o.Watch.Device, s.f.ids[0], s.f.ids[len(s.f.ids)-1])
	}
	// Scenario app a is index a of Scenario.Apps (appTable), which setup
	// builds later.
	a := slices.IndexFunc(s.sc.Apps, func(sp AppSpec) bool { return sp.ID == o.Watch.App })
	if a < 0 {
		ids := make([]string, len(s.sc.Apps))
		for k := range s.sc.Apps {
			ids[k] = string(s.sc.Apps[k].ID)
		}
		return fmt.Errorf("%w: Watch.App %q is not an app of the scenario: use one of %s",
			ErrInvalidOptions, o.Watch.App, strings.Join(ids, ", "))
	}
	md := s.f.device(s.sc, i)
	s.watch = &watcher{dev: i, app: a, rep: WatchReport{Device: md.ID, App: o.Watch.App,
		Platform: md.Platform, OSVersion: md.OSVersion, PrimaryUser: md.PrimaryUser}}
	return nil
}

// stoppedEarly reports whether the run stops before the scenario's end
// (Options.Until); liveness is then not checked, and the report says so.
func (s *sim) stoppedEarly() bool {
	if s.end >= eventq.Time(s.sc.Duration) {
		return false
	}
	s.live.Note = fmt.Sprintf("the run stopped at %s (Options.Until), before the scenario's end %s: liveness is checked at the end only",
		Duration(s.end), s.sc.Duration)
	s.live.Skipped = int(s.m.enrolled)
	return true
}

// checkIn records a check-in of the watched device: what it reported and what
// the tenant answered for the app.
func (w *watcher) checkIn(s *sim, pushed bool) {
	w.rep.CheckIns++
	cid := s.apps.catalog[w.app]
	ev := WatchEvent{At: Duration(s.now), Event: "check-in"}
	if pushed {
		ev.Event = "check-in answering a push"
	}
	reported := "absent"
	if cid != "" {
		for _, it := range s.rep.Inventory {
			if it.App == cid {
				reported = "present"
				if it.Version != "" {
					reported = "version " + it.Version
				}
			}
		}
	}
	if reported != w.reported {
		ev.Reported, w.reported = reported, reported
	}
	// The directory deletes a user who leaves (a timeline action or the
	// device's own user, L7, L15): what reached the device through the user
	// stops reaching it. The check-in after it shows it.
	if u := s.f.dev[w.dev].user; u >= 0 && !w.userGone && has(s.m.left, int(u)) {
		w.userGone = true
		ev.What = fmt.Sprintf("primary user %s has left the company and is deleted from the directory (L15)", s.f.users[u].ID)
	}
	if cid != "" {
		for _, r := range s.rep.Results {
			if r.App == cid {
				ev.Results = append(ev.Results, WatchResult{Kind: r.Kind, Outcome: r.Outcome, Code: r.Code})
			}
		}
		for _, q := range s.rep.Requests {
			if q.App == cid {
				ev.Requests = append(ev.Requests, q.Action.String())
			}
		}
		for _, c := range s.result.Changes {
			if c.App == cid {
				ev.Changes = append(ev.Changes, WatchChange{From: c.From, To: c.To, Detail: c.Detail})
			}
		}
		for _, c := range s.result.Commands {
			if c.App == cid {
				ev.Commands = append(ev.Commands, WatchCommand{Kind: c.Kind, Version: c.Version})
			}
		}
	}
	if ev.What == "" && ev.Reported == "" && ev.Results == nil && ev.Requests == nil && ev.Changes == nil && ev.Commands == nil {
		w.quiet++
		return
	}
	ev.Quiet, w.quiet = w.quiet, 0
	w.rep.History = append(w.rep.History, ev)
}

// finish completes the watch when the run stops: enrollment, admin actions,
// the status and the explanation now.
func (w *watcher) finish(s *sim) *WatchReport {
	r := &w.rep
	r.At = Duration(s.now)
	r.QuietAfter = w.quiet
	st := &s.dev[w.dev]
	var extra []WatchEvent
	if st.flags&fEnrolled != 0 {
		r.Enrolled = true
		extra = append(extra, WatchEvent{At: Duration(st.enrolled), Event: "enrolled"})
	}
	for k := 0; k < s.timeline && k < len(s.sc.Timeline); k++ {
		a := &s.sc.Timeline[k]
		if !s.concerns(a, s.apps.specs[w.app].ID) && (a.Action != ActUsersLeave || !w.userGone) {
			continue
		}
		what := describeAction(a)
		if k < len(s.m.actions) && s.m.actions[k].What == what {
			if o := s.m.actions[k]; o.OK {
				what += ": ok"
			} else {
				what += ": refused: " + o.Error
			}
		}
		extra = append(extra, WatchEvent{At: a.At, Event: "admin action", What: what})
	}
	// Enrollment and admin actions come before the check-ins of the same time:
	// they are what those check-ins answer.
	r.History = append(extra, r.History...)
	slices.SortStableFunc(r.History, func(a, b WatchEvent) int { return cmp.Compare(a.At, b.At) })

	cid := s.apps.catalog[w.app]
	if cid != s.apps.specs[w.app].ID {
		r.CatalogApp = cid
	}
	switch {
	case !r.Enrolled:
		r.Explanation = fmt.Sprintf("device %s has not enrolled by %s: nothing to explain", r.Device, r.At)
		return r
	case cid == "":
		r.Explanation = fmt.Sprintf("app %s is not in the catalog at %s: store sync has not brought it in (C4)", r.App, r.At)
		return r
	}
	x, err := s.ten.Explain(r.Device, cid)
	if err != nil {
		r.Explanation = "the tenant cannot explain it: " + err.Error()
	} else {
		r.Explained, r.Explanation = x, x.String()
	}
	if ds, err := s.ten.DeviceStatus(r.Device); err == nil {
		for _, a := range ds.Apps {
			if a.App != cid {
				continue
			}
			ws := &WatchState{State: a.State, Detail: a.Detail, Intent: a.Intent, Present: a.Present, Managed: a.Managed, Code: a.Code}
			if !a.NextAttempt.IsZero() {
				d := Duration(a.NextAttempt.Sub(s.start))
				ws.NextAttempt = &d
			}
			r.State = ws
		}
	}
	return r
}

// concerns reports whether admin action a touches app: it names the app, or an
// assignment of it.
func (s *sim) concerns(a *ActionSpec, app mdm.AppID) bool {
	if a.App == app || (a.Assignment != nil && a.Assignment.App == app) {
		return true
	}
	if a.ID == "" {
		return false
	}
	for _, as := range s.sc.Assignments {
		if as.ID == a.ID {
			return as.App == app
		}
	}
	for _, t := range s.sc.Timeline {
		if t.Assignment != nil && t.Assignment.ID == a.ID {
			return t.Assignment.App == app
		}
	}
	return false
}

// String is one line: when, what, and what concerned the app.
func (e WatchEvent) String() string {
	var parts []string
	if e.What != "" {
		parts = append(parts, e.What)
	}
	if e.Reported != "" {
		parts = append(parts, "reports the app "+e.Reported)
	}
	for _, r := range e.Results {
		t := fmt.Sprintf("result of %s: %s", r.Kind, r.Outcome)
		if r.Code != 0 {
			t += fmt.Sprintf(" (code %d)", r.Code)
		}
		parts = append(parts, t)
	}
	for _, q := range e.Requests {
		parts = append(parts, "user asks the portal to "+q)
	}
	for _, c := range e.Changes {
		t := fmt.Sprintf("status %s → %s", c.From, c.To)
		if c.Detail != mdm.DetailNone {
			t += " (" + c.Detail.String() + ")"
		}
		parts = append(parts, t)
	}
	for _, c := range e.Commands {
		t := "sends " + c.Kind.String()
		if c.Version != "" {
			t += " " + c.Version
		}
		parts = append(parts, t)
	}
	line := fmt.Sprintf("%-12s %s", seconds(e.At), e.Event)
	if len(parts) > 0 {
		line += ": " + strings.Join(parts, "; ")
	}
	return line
}

// WriteText writes the watch as a person reads it: the device, the A11
// explanation and the status at the stop time, then the history.
func (r *WatchReport) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	app := string(r.App)
	if r.CatalogApp != "" {
		app += " (catalog id " + string(r.CatalogApp) + ")"
	}
	user := "no primary user"
	if r.PrimaryUser != "" {
		user = "primary user " + string(r.PrimaryUser)
	}
	fmt.Fprintf(b, "device %s (%s %s, %s), app %s, at %s\n", r.Device, r.Platform, r.OSVersion, user, app, seconds(r.At))
	fmt.Fprintf(b, "\nwhy (A11):\n%s", indent(r.Explanation))
	b.WriteString("\nstatus: ")
	switch s := r.State; {
	case s == nil && r.Explained != nil && !r.Explained.Reached:
		b.WriteString("none (the app does not reach the device)\n")
	case s == nil:
		b.WriteString("none (no check-in since the app reached the device, T1)\n")
	default:
		fmt.Fprintf(b, "%s", s.State)
		if s.Detail != mdm.DetailNone {
			fmt.Fprintf(b, " (%s)", s.Detail)
		}
		fmt.Fprintf(b, "; intent %s; present %v, installed by the service %v", s.Intent, s.Present, s.Managed)
		if s.Code != 0 {
			fmt.Fprintf(b, "; last error code %d", s.Code)
		}
		if s.NextAttempt != nil {
			fmt.Fprintf(b, "; next attempt at %s", seconds(*s.NextAttempt))
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(b, "\nhistory (%d check-ins):\n", r.CheckIns)
	if len(r.History) == 0 {
		b.WriteString("  nothing happened\n")
	}
	for _, e := range r.History {
		if e.Quiet > 0 {
			fmt.Fprintf(b, "  %s\n", quiet(e.Quiet))
		}
		fmt.Fprintf(b, "  %s\n", e)
	}
	if r.QuietAfter > 0 {
		fmt.Fprintf(b, "  %s until %s\n", quiet(r.QuietAfter), seconds(r.At))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// seconds prints a time of the run to the second: events fall at any
// nanosecond, and a reader needs no more.
func seconds(d Duration) Duration { return Duration(time.Duration(d).Round(time.Second)) }

func quiet(n int) string {
	if n == 1 {
		return "… 1 check-in with nothing for the app"
	}
	return fmt.Sprintf("… %d check-ins with nothing for the app", n)
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	return "  " + strings.ReplaceAll(s, "\n", "\n  ") + "\n"
}
