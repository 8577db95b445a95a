package sim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
)

// Report is what a run measured. Its JSON form is deterministic: the same
// scenario and seed give the same bytes on any machine and at any GOMAXPROCS
// (lists are sorted, maps never reach it, wall-clock figures are left out).
// Samples and histograms are there for charts.
type Report struct {
	Scenario    string    `json:"scenario"`
	Description string    `json:"description,omitempty"`
	Seed        uint64    `json:"seed"`
	Start       time.Time `json:"start"`
	Duration    Duration  `json:"duration"`
	Devices     int       `json:"devices"`
	Users       int       `json:"users"`
	Apps        int       `json:"apps"`
	// TraceHash fingerprints the run's event trace (every event's time and
	// slot, every command and status change): equal hashes, equal runs.
	TraceHash string `json:"traceHash"`

	Events EventCounts `json:"events"`
	// Compliance is the compliance of the last sample (see Sample).
	Compliance float64 `json:"compliance"`
	// TimeToInstall is the time from when an app became required on a device
	// (its assignment, or the device's enrollment, whichever is later) to its
	// first installed status, over every required app.
	TimeToInstall Percentiles `json:"timeToInstall"`
	// Restore is the time from the check-in that saw a required app removed by
	// the user to its installed status again (T3: within 24 h).
	Restore  Percentiles     `json:"restore"`
	PerApp   []AppReport     `json:"perApp"`
	Pools    []PoolReport    `json:"pools,omitempty"`
	Commands CommandCounts   `json:"commands"`
	Failures []Count         `json:"failures,omitempty"` // status changes into failed and uninstallFailed, by detail
	Waiting  []Count         `json:"waiting,omitempty"`  // status changes into pendingInstall, by detail
	Conflict ConflictReport  `json:"conflicts"`
	Actions  []ActionOutcome `json:"actions,omitempty"`
	// Refused lists setup assignments the tenant refused for a shortfall (L14).
	Refused  []ActionOutcome `json:"refused,omitempty"`
	Syncs    SyncSummary     `json:"syncs"`
	Pushes   PushSummary     `json:"licensePushes"`
	Liveness LivenessReport  `json:"liveness"`
	Samples  []Sample        `json:"samples"`
	// Violation is set when the run stopped on one.
	Violation *Violation `json:"violation,omitempty"`
	// Watch is the watched (device, app) pair's story (Options.Watch).
	Watch *WatchReport `json:"watch,omitempty"`
	// Run has the wall-clock figures; they differ from run to run, so they are
	// not in the JSON form.
	Run RunStats `json:"-"`
}

// RunStats are wall-clock figures of a run.
type RunStats struct {
	Wall         time.Duration
	EventsPerSec float64
}

// EventCounts counts what the event loop did. Total is every event popped
// from the queue; the others say what some of them were.
type EventCounts struct {
	Total         uint64 `json:"total"`
	CheckIns      uint64 `json:"checkIns"`
	PushCheckIns  uint64 `json:"pushCheckIns"`  // check-ins answering a push or a portal request
	MissedOffline uint64 `json:"missedOffline"` // check-ins due while offline, deferred to the next time online
	DeviceSteps   uint64 `json:"deviceSteps"`   // the devices' own events (installs ending, users acting, ...)
	Enrollments   uint64 `json:"enrollments"`
	Pushes        uint64 `json:"pushes"`    // push notifications sent (T2), re-notifications included
	DuePushes     uint64 `json:"duePushes"` // of which handed out later by the tenant (re-notifications, wake-ups)
	PoolChecks    uint64 `json:"poolChecks"`
	UsersLeft     int    `json:"usersLeft"`
}

// AppReport is one app at the end of the run.
type AppReport struct {
	App  mdm.AppID   `json:"app"`
	Name string      `json:"name"`
	Type mdm.AppType `json:"type"`
	// Intents are those of the app's include assignments at the end:
	// "required", "required, available", "uninstall", "none", ...
	Intents   string `json:"intents"`
	Required  bool   `json:"required"`
	Targeted  int    `json:"targeted"`
	Installed int    `json:"installed"`
	Failed    int    `json:"failed"`
	Pending   int    `json:"pending"`
	// WaitingLicense (of Failed), NotInstalled and Outdated (of Installed)
	// are as in AppSample.
	WaitingLicense int         `json:"waitingLicense"`
	NotInstalled   int         `json:"notInstalled"`
	Outdated       int         `json:"outdated"`
	TimeToInstall  Percentiles `json:"timeToInstall"`
}

// PoolReport is a license pool at the end, with its peak use.
type PoolReport struct {
	App      mdm.AppID   `json:"app"`
	Token    mdm.TokenID `json:"token"`
	Total    int         `json:"total"`
	Assigned int         `json:"assigned"`
	Waiting  int         `json:"waiting"`
	// PeakWaiting is the most holders waiting at once over the samples: how
	// short the pool fell.
	PeakWaiting int `json:"peakWaiting"`
}

// CommandCounts counts the commands the tenant sent.
type CommandCounts struct {
	Install   uint64 `json:"install"`
	Uninstall uint64 `json:"uninstall"`
	Update    uint64 `json:"update"`
}

// Count is a named count.
type Count struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

func sortedCounts(m map[string]int) []Count {
	out := make([]Count, 0, len(m))
	for k, v := range m {
		out = append(out, Count{k, v})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Name, b.Name)) })
	return out
}

// ConflictReport counts the A6 conflict rows met, over a sample of devices at
// the end of the run (every app reaching them explained, A11).
type ConflictReport struct {
	SampledDevices int     `json:"sampledDevices"`
	Pairs          int     `json:"pairs"` // (device, app) resolutions read
	Rows           []Count `json:"rows,omitempty"`
}

// conflictSample is how many devices the conflict count explains.
const conflictSample = 2000

func (s *sim) conflicts() ConflictReport {
	var cr ConflictReport
	n := int(s.m.enrolled)
	if n == 0 {
		return cr
	}
	step := max(1, len(s.dev)/conflictSample)
	rows := map[string]int{}
	for i := 0; i < len(s.dev); i += step {
		if s.dev[i].flags&fEnrolled == 0 {
			continue
		}
		cr.SampledDevices++
		for a := range s.apps.specs {
			cid := s.apps.catalog[a]
			if cid == "" {
				continue
			}
			x, err := s.ten.Explain(s.f.ids[i], cid)
			if err != nil || !x.Reached {
				continue
			}
			cr.Pairs++
			if x.Effective.Row != 0 {
				rows[fmt.Sprintf("row %d: %s", x.Effective.Row, intentName(x.Effective.Intent))]++
			}
		}
	}
	cr.Rows = sortedCounts(rows)
	return cr
}

func intentName(i assign.Intent) string { return i.String() }

// report builds the report of the run so far.
func (s *sim) report() *Report {
	sc := s.sc
	m := &s.m
	r := &Report{Scenario: sc.Name, Description: sc.Description, Seed: sc.Seed, Start: s.start, Duration: sc.Duration,
		Devices: s.nDev, Users: len(s.f.users), Apps: len(sc.Apps), TraceHash: fmt.Sprintf("%016x", s.trace.sum())}
	r.Events = EventCounts{Total: s.events, CheckIns: m.checkIns, PushCheckIns: m.pushCheckIns, MissedOffline: m.missed,
		DeviceSteps: m.steps, Enrollments: m.enrolled, Pushes: m.pushes, DuePushes: m.duePushes, PoolChecks: m.poolChecks,
		UsersLeft: m.usersLeft}
	r.Commands = CommandCounts{Install: m.commands[mdm.CommandInstall], Uninstall: m.commands[mdm.CommandUninstall],
		Update: m.commands[mdm.CommandUpdate]}
	r.TimeToInstall = percentiles(m.tti, true)
	r.Restore = percentiles(m.restore, true)
	fail, wait := map[string]int{}, map[string]int{}
	for st := range numStates {
		for d, n := range m.changes[st] {
			if n == 0 {
				continue
			}
			name := mdm.InstallDetail(d).String()
			switch mdm.InstallState(st) {
			case mdm.StateFailed:
				fail["install: "+name] += int(n)
			case mdm.StateUninstallFailed:
				fail["uninstall: "+name] += int(n)
			case mdm.StatePendingInstall:
				wait[name] += int(n)
			}
		}
	}
	r.Failures, r.Waiting = sortedCounts(fail), sortedCounts(wait)
	r.Samples = m.samples
	var last *Sample
	if len(m.samples) > 0 {
		last = &m.samples[len(m.samples)-1]
		r.Compliance = last.Compliance
	}
	for a, spec := range s.apps.specs {
		ar := AppReport{App: spec.ID, Name: spec.displayName(), Type: spec.Type, Intents: s.apps.intents(a), Required: s.apps.required[a] > 0,
			TimeToInstall: percentiles(m.ttiApp[a], false)}
		if last != nil {
			for _, as := range last.Apps {
				if as.App == spec.ID {
					ar.Targeted, ar.Installed, ar.Failed, ar.Pending = as.Targeted, as.Installed, as.Failed, as.Pending
					ar.WaitingLicense, ar.NotInstalled, ar.Outdated = as.WaitingLicense, as.NotInstalled, as.Outdated
				}
			}
		}
		r.PerApp = append(r.PerApp, ar)
		if spec.Store == nil {
			continue
		}
		pr := PoolReport{App: spec.ID, Token: spec.Store.Token}
		for _, sm := range m.samples {
			for _, ps := range sm.Pools {
				if ps.App == spec.ID {
					pr.Total, pr.Assigned, pr.Waiting = ps.Total, ps.Assigned, ps.Waiting
					pr.PeakWaiting = max(pr.PeakWaiting, ps.Waiting)
				}
			}
		}
		r.Pools = append(r.Pools, pr)
	}
	r.Conflict = s.conflicts()
	r.Actions, r.Refused = m.actions, m.refusedSetup
	r.Syncs, r.Pushes = m.syncs, m.pushRes
	r.Liveness = s.live
	return r
}

// WriteJSON writes the report's JSON form, indented, with a final newline.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// RequiredStatuses is how many (device, app) statuses of apps with a required
// assignment the last sample counted: what Compliance is a share of. With
// none, Compliance is 0 and means nothing.
func (r *Report) RequiredStatuses() int {
	n := 0
	if len(r.Samples) > 0 {
		for _, a := range r.Samples[len(r.Samples)-1].Apps {
			if a.Required {
				n += a.Targeted
			}
		}
	}
	return n
}

// WriteText writes a readable summary: what ran, compliance and time to
// install, licenses, failures, conflicts, admin actions, syncs, events and
// their rate, the seed and the trace hash.
func (r *Report) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("scenario %s: %d devices, %d users, %d apps, %s from %s, seed %d\n", r.Scenario, r.Devices, r.Users, r.Apps,
		r.Duration, r.Start.Format("2006-01-02"), r.Seed)
	if r.RequiredStatuses() == 0 {
		p("\ncompliance at the end: no required (device, app) statuses\n")
	} else {
		p("\ncompliance at the end: %.1f%% of required (device, app) statuses installed\n", 100*r.Compliance)
	}
	p("time to install, required apps: %s\n", r.TimeToInstall.text())
	p("restore after a user removed a required app (T3): %s\n", r.Restore.text())

	tw := tabwriter.NewWriter(b, 2, 8, 2, ' ', 0)
	fmt.Fprintln(b, "\napps")
	fmt.Fprintln(tw, "  app\tintents\ttargeted\tinstalled\toutdated\tpending\tfailed\twaiting\tremoved\tp50\tp90\tp99\t")
	for _, a := range r.PerApp {
		t := a.TimeToInstall
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t\n", a.App, a.Intents, a.Targeted, a.Installed, a.Outdated, a.Pending,
			a.Failed-a.WaitingLicense, a.WaitingLicense, a.NotInstalled, short(t.P50, t.Count), short(t.P90, t.Count), short(t.P99, t.Count))
	}
	tw.Flush()
	p("  (targeted: devices with a status; outdated: of installed, an older version than the catalog's, T4, L9;\n" +
		"   failed: the last install failed; waiting: for a license, L5;\n" +
		"   removed: not installed, by the user or an uninstall; p50-p99: time to install a required app)\n")
	if len(r.Pools) > 0 {
		fmt.Fprintln(b, "\nlicense pools (used of total; devices or users waiting for a license at the end and at the worst sample: the shortfall)")
		fmt.Fprintln(tw, "  app\ttoken\tused\ttotal\twaiting\tpeak waiting\t")
		for _, pl := range r.Pools {
			fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\t\n", pl.App, pl.Token, pl.Assigned, pl.Total, pl.Waiting, pl.PeakWaiting)
		}
		tw.Flush()
	}
	p("\ncommands sent: %d install, %d update, %d uninstall\n", r.Commands.Install, r.Commands.Update, r.Commands.Uninstall)
	counts := func(title string, cs []Count) {
		if len(cs) == 0 {
			return
		}
		p("%s:", title)
		for i, c := range cs {
			p("%s %s %d", sep(i), c.Name, c.Count)
		}
		p("\n")
	}
	counts("failures by kind", r.Failures)
	counts("waiting by reason", r.Waiting)
	if r.Conflict.SampledDevices > 0 {
		p("conflicts met (A6), over %d sampled devices and %d (device, app) resolutions:", r.Conflict.SampledDevices, r.Conflict.Pairs)
		if len(r.Conflict.Rows) == 0 {
			p(" none")
		}
		for i, c := range r.Conflict.Rows {
			p("%s %s ×%d", sep(i), c.Name, c.Count)
		}
		p("\n")
	}
	// Times of actions and failed syncs in one column, as wide as the widest.
	atW := len("setup")
	for _, a := range r.Actions {
		atW = max(atW, len(a.At.String()))
	}
	for _, e := range r.Syncs.Errors {
		atW = max(atW, len(e.At.String()))
	}
	if len(r.Actions) > 0 || len(r.Refused) > 0 {
		p("\nadmin actions\n")
		for _, a := range r.Refused {
			p("  %-*s %s: refused: %s\n", atW, "setup", a.What, a.Error)
		}
		for _, a := range r.Actions {
			status := "ok"
			if !a.OK {
				status = "refused: " + a.Error
			}
			p("  %-*s %s: %s\n", atW, a.At, a.What, status)
		}
	}
	p("\nstore syncs: %d, %d failed; license pushes: %d, %d changes sent, %d refused, %d stopped on an error\n",
		r.Syncs.Runs, r.Syncs.Failed, r.Pushes.Runs, r.Pushes.Sent, r.Pushes.Failed, r.Pushes.Errors)
	for _, e := range r.Syncs.Errors {
		p("  %-*s %s: %s\n", atW, e.At, e.Token, e.Error)
	}
	lv := r.Liveness
	if lv.Note != "" {
		p("liveness: %s\n", lv.Note)
	} else {
		p("liveness: %d devices checked after %s (last change %s + window %s), %d skipped; %d required statuses",
			lv.Checked, lv.LastChange+lv.Window, lv.LastChange, lv.Window, lv.Skipped, lv.Pairs)
		for _, c := range lv.Allowed {
			p("; %d %s", c.Count, c.Name)
		}
		p("\n")
	}
	e := r.Events
	p("\nevents: %d (%d check-ins, %d answering pushes; %d device events; %d enrollments; %d pushes)\n",
		e.Total, e.CheckIns, e.PushCheckIns, e.DeviceSteps, e.Enrollments, e.Pushes)
	if r.Run.Wall > 0 {
		p("wall time %s, %.0f events/s\n", r.Run.Wall.Round(time.Millisecond), r.Run.EventsPerSec)
	}
	p("seed %d, trace hash %s\n", r.Seed, r.TraceHash)
	if r.Violation != nil {
		p("\nVIOLATION: %s\n", r.Violation.Error())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (p Percentiles) text() string {
	if p.Count == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50 %s, p90 %s, p99 %s, max %s over %d installs", p.P50, p.P90, p.P99, p.Max, p.Count)
}

func short(d Duration, n int) string {
	if n == 0 {
		return "-"
	}
	t := time.Duration(d)
	switch {
	case t >= Day:
		return fmt.Sprintf("%.1fd", t.Hours()/24)
	case t >= time.Hour:
		return fmt.Sprintf("%.1fh", t.Hours())
	}
	return fmt.Sprintf("%.0fm", t.Minutes())
}

// traceHash fingerprints the event trace: FNV-1a over 64-bit words, cheap
// enough for every event.
type traceHash struct{ h uint64 }

const (
	fnvOffset = 0xcbf29ce484222325
	fnvPrime  = 0x100000001b3
)

func (t *traceHash) word(x uint64) {
	if t.h == 0 {
		t.h = fnvOffset
	}
	t.h = (t.h ^ x) * fnvPrime
}

func (t *traceHash) event(at, slot uint64) {
	t.word(at)
	t.word(slot)
}

func (t *traceHash) sum() uint64 {
	h := t.h
	h ^= h >> 33 // finish: fold the high bits into the low
	return h
}

// sep is what goes before the i-th item of a list on one line.
func sep(i int) string {
	if i == 0 {
		return ""
	}
	return ";"
}
