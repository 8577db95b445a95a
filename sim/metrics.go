package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"gonum.org/v1/gonum/stat"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/tenant"
)

// numStates and numDetails bound the install states and details (T1), for
// counting without maps.
const (
	numStates  = 16
	numDetails = 64
)

// metrics is what a run measures as it goes. Counters are plain integers on the
// simulator's one goroutine; per-(device, app) facts are bit sets and flat
// arrays indexed by device and scenario app.
type metrics struct {
	nApps int

	checkIns, pushCheckIns, steps, missed, enrolled uint64
	pushes, duePushes                               uint64
	commands                                        [8]uint64 // by mdm.CommandKind
	changes                                         [numStates][numDetails]uint64
	poolChecks                                      uint64
	licenseEffects, usersLeft, claims               int

	// Time to install a required app: from when it became required on the
	// device (the assignment, or the enrollment, whichever is later) to the
	// first installed status, in seconds; overall and by app.
	tti    []float64
	ttiApp [][]float64
	// Restore: a required app the user removed, from the check-in that saw it
	// missing to installed again (T3), in seconds.
	restore []float64

	installedOnce []uint64               // bit per (device, app): installed at least once
	removedAt     map[uint64]eventq.Time // (device, app) → when the removal was seen
	uninstalling  map[uint64]bool        // (device, app) an uninstall was sent for, no result yet

	left []uint64 // users who left

	samples                    []Sample
	syncs                      SyncSummary
	pushRes                    PushSummary
	actions                    []ActionOutcome
	refusedSetup               []ActionOutcome
	takeBacks, takeBacksFailed int
	// pairs waiting for a license, and installed in an older version
	// (samples.go)
	waiting, outdated pairSet
}

func (m *metrics) init(s *sim) {
	m.nApps = len(s.sc.Apps)
	m.ttiApp = make([][]float64, m.nApps)
	m.installedOnce = make([]uint64, (s.nDev*m.nApps+63)/64)
	m.removedAt = map[uint64]eventq.Time{}
	m.uninstalling = map[uint64]bool{}
	m.waiting = pairSet{state: mdm.StateFailed, detail: mdm.DetailLicenseUnavailable}
	m.outdated = pairSet{state: mdm.StateInstalled, detail: mdm.DetailUpdateAvailable}
}

func (m *metrics) usersLeftSet(n int) []uint64 {
	if m.left == nil {
		m.left = make([]uint64, (n+63)/64)
	}
	return m.left
}

// changes records the status changes of a check-in of device i: invariants
// first (T1), then time to install and restores.
func (s *sim) changes(i int, cs []tenant.StateChange) {
	s.checkChanges(i, cs)
	if s.err != nil {
		return
	}
	m := &s.m
	for _, c := range cs {
		m.changes[c.To&(numStates-1)][c.Detail&(numDetails-1)]++
		s.trace.word(uint64(c.To)<<8 | uint64(c.Detail) | 2<<40)
		a, ok := s.apps.of(c.App)
		if !ok {
			continue
		}
		m.waiting.track(m, i, a, c)
		m.outdated.track(m, i, a, c)
		key := uint64(i)<<20 | uint64(a)
		if len(m.uninstalling) > 0 {
			delete(m.uninstalling, key) // the uninstall's outcome is in
		}
		switch c.To {
		case mdm.StateInstalled:
			if at, ok := m.removedAt[key]; ok {
				m.restore = append(m.restore, time.Duration(s.now-at).Seconds())
				delete(m.removedAt, key)
			}
			bit := i*m.nApps + a
			if m.installedOnce[bit/64]&(1<<(bit%64)) != 0 {
				continue
			}
			m.installedOnce[bit/64] |= 1 << (bit % 64)
			if s.apps.required[a] == 0 || (s.apps.ambiguous(a) && !s.requiredOn(i, c.App)) {
				continue
			}
			since := max(s.dev[i].enrolled, s.apps.reqSince[a])
			d := time.Duration(s.now - since).Seconds()
			m.tti = append(m.tti, d)
			m.ttiApp[a] = append(m.ttiApp[a], d)
		case mdm.StateNotInstalled:
			if c.Detail == mdm.DetailUserRemoved && s.apps.required[a] > 0 && s.requiredOn(i, c.App) {
				m.removedAt[key] = s.now
			}
		}
	}
}

// requiredOn asks the tenant whether a required assignment reaches device i
// for app (A6: required wins). It is called for the rarer status changes only.
func (s *sim) requiredOn(i int, app mdm.AppID) bool {
	in, err := s.ten.Intent(s.f.ids[i], app)
	return err == nil && in&assign.IntentRequired != 0
}

// commands records the commands of a check-in of device i and checks them (T8,
// L18).
func (s *sim) commands(i int, cmds []mdm.Command) {
	for k := range cmds {
		c := &cmds[k]
		s.m.commands[c.Kind&7]++
		s.trace.word(uint64(c.Kind) | 3<<40)
		switch c.Kind {
		case mdm.CommandUninstall:
			s.checkUninstall(i, c.App)
			if a, ok := s.apps.of(c.App); ok {
				s.m.uninstalling[uint64(i)<<20|uint64(a)] = true
			}
		case mdm.CommandInstall, mdm.CommandUpdate:
			if a, ok := s.apps.of(c.App); ok && s.apps.licensed[a] {
				s.checkPool(a, "check-in of "+string(s.f.ids[i]))
			}
		}
		if s.err != nil {
			return
		}
	}
}

// Sample is the state of the run at one time: compliance and license use.
type Sample struct {
	At    Duration `json:"at"`
	Hours float64  `json:"hours"` // At in hours, for charts
	// Enrolled is how many devices have enrolled so far.
	Enrolled int `json:"enrolled"`
	// Compliance is the share of (device, required app) statuses that are
	// installed, over every app with a required assignment; see AppSample.
	Compliance float64 `json:"compliance"`
	// Failures is the number of status changes into a failed state so far,
	// and FailureKinds the same by kind (as Report.Failures names them),
	// sorted by name.
	Failures     uint64       `json:"failures"`
	FailureKinds []Count      `json:"failureKinds,omitempty"`
	Apps         []AppSample  `json:"apps"`
	Pools        []PoolSample `json:"pools,omitempty"`
}

// AppSample is one app's status counts at a sample (T1, tenant.AppStatus).
// Targeted counts the devices with a status that asks for the app (every state
// but notApplicable, requirementsNotMet and available); Installed those with
// it installed. Devices without a status yet (no check-in since the app reached
// them) are not counted, as the product does not count them either.
type AppSample struct {
	App       mdm.AppID `json:"app"`
	Required  bool      `json:"required"`
	Targeted  int       `json:"targeted"`
	Installed int       `json:"installed"`
	Failed    int       `json:"failed"`
	Pending   int       `json:"pending"` // requested, installing, pending reboot or install
	// WaitingLicense counts, of Failed, the devices that wait for a license
	// (failed with detail licenseUnavailable, L5): they install when one frees.
	WaitingLicense int `json:"waitingLicense"`
	// NotInstalled counts the devices where the app is not installed and no
	// install is under way (T1 notInstalled: the user removed it, or it was
	// uninstalled; T3 reinstalls a required one).
	NotInstalled int `json:"notInstalled"`
	// Outdated counts, of Installed, the devices holding an older version
	// than the catalog's (installed, updateAvailable): an update not sent yet,
	// or held back (L9: assignments preventing automatic updates).
	Outdated int `json:"outdated"`
}

// PoolSample is one license pool at a sample (L5, L10, L14, L18).
type PoolSample struct {
	App      mdm.AppID `json:"app"`
	Assigned int       `json:"assigned"`
	Total    int       `json:"total"`
	Waiting  int       `json:"waiting"`
}

// sample records compliance and license use now.
func (m *metrics) sample(s *sim) {
	sm := Sample{At: Duration(s.now), Hours: time.Duration(s.now).Hours(), Enrolled: int(m.enrolled)}
	var inst, targ int
	for a, spec := range s.apps.specs {
		cid := s.apps.catalog[a]
		if cid == "" {
			continue
		}
		st, err := s.ten.AppStatus(cid)
		if err != nil {
			continue
		}
		as := AppSample{App: spec.ID, Required: s.apps.required[a] > 0, WaitingLicense: m.waiting.of(a), Outdated: m.outdated.of(a)}
		for _, c := range st.States {
			switch c.State {
			case mdm.StateNotApplicable, mdm.StateRequirementsNotMet, mdm.StateAvailable:
				continue
			case mdm.StateInstalled:
				as.Installed += c.Count
			case mdm.StateFailed, mdm.StateUninstallFailed:
				as.Failed += c.Count
			case mdm.StateInstallRequested, mdm.StateInstalling, mdm.StatePendingReboot, mdm.StatePendingInstall:
				as.Pending += c.Count
			case mdm.StateNotInstalled:
				as.NotInstalled += c.Count
			}
			as.Targeted += c.Count
		}
		if as.Required {
			inst += as.Installed
			targ += as.Targeted
		}
		sm.Apps = append(sm.Apps, as)
		if st.HasPool {
			sm.Pools = append(sm.Pools, PoolSample{App: spec.ID, Assigned: st.Licenses.Assigned,
				Total: st.Licenses.Total, Waiting: st.Licenses.Waiting})
		}
	}
	if targ > 0 {
		sm.Compliance = float64(inst) / float64(targ)
	}
	for st := range numStates {
		if st == int(mdm.StateFailed) || st == int(mdm.StateUninstallFailed) {
			for _, n := range m.changes[st] {
				sm.Failures += n
			}
		}
	}
	sm.FailureKinds = m.failureKinds()
	m.samples = append(m.samples, sm)
}

// SyncSummary counts store syncs and lists the failed ones.
type SyncSummary struct {
	Runs   int           `json:"runs"`
	Failed int           `json:"failed"`
	Errors []SyncFailure `json:"errors,omitempty"` // the first MaxListed failures
}

// SyncFailure is one failed sync.
type SyncFailure struct {
	At    Duration    `json:"at"`
	Token mdm.TokenID `json:"token"`
	Error string      `json:"error"`
}

// MaxListed bounds the lists of a report that could grow with the run (failed
// syncs, refused actions): the counts stay exact.
const MaxListed = 50

func (m *metrics) sync(now eventq.Time, token mdm.TokenID, rep *storesync.Report) {
	m.syncs.Runs++
	if rep == nil || rep.Err == nil {
		return
	}
	m.syncs.Failed++
	if len(m.syncs.Errors) < MaxListed {
		m.syncs.Errors = append(m.syncs.Errors, SyncFailure{At: Duration(now), Token: token, Error: oneLine(rep.Err.Error())})
	}
}

func (m *metrics) lastSyncError(token mdm.TokenID) string {
	for i := len(m.syncs.Errors) - 1; i >= 0; i-- {
		if m.syncs.Errors[i].Token == token {
			return m.syncs.Errors[i].Error
		}
	}
	return "no error recorded"
}

// PushSummary counts the license pushes to Apple (S5).
type PushSummary struct {
	Runs   int `json:"runs"`
	Sent   int `json:"sent"`
	Failed int `json:"failed"`
	Errors int `json:"errors"` // pushes that stopped on an error (token state, outage)
}

func (m *metrics) push(res *storesync.PushResult, err error) {
	m.pushRes.Runs++
	if res != nil {
		m.pushRes.Sent += res.Sent
		m.pushRes.Failed += len(res.Failures)
	}
	if err != nil {
		m.pushRes.Errors++
	}
}

func (m *metrics) takeBack(err error) {
	m.takeBacks++
	if err != nil {
		m.takeBacksFailed++
	}
}

// ActionOutcome is what became of an admin action.
type ActionOutcome struct {
	At     Duration   `json:"at"`
	Action ActionKind `json:"action"`
	What   string     `json:"what"`
	OK     bool       `json:"ok"`
	Error  string     `json:"error,omitempty"`
}

func (m *metrics) action(at Duration, k int, a *ActionSpec, err error) {
	o := ActionOutcome{At: at, Action: a.Action, What: describeAction(a), OK: err == nil}
	if err != nil {
		o.Error = oneLine(err.Error())
	}
	m.actions = append(m.actions, o)
}

func (m *metrics) refused(at Duration, what string, err error) {
	m.refusedSetup = append(m.refusedSetup, ActionOutcome{At: at, Action: ActAssign, What: what, Error: oneLine(err.Error())})
}

func describeAction(a *ActionSpec) string {
	switch a.Action {
	case ActAssign:
		return fmt.Sprintf("assign %s: %s %s to %s", a.Assignment.ID, a.Assignment.App, a.Assignment.Intent, a.Assignment.Target)
	case ActUnassign:
		return "unassign " + string(a.ID)
	case ActChangeIntent:
		return fmt.Sprintf("change %s to %s", a.ID, *a.Intent)
	case ActBuyLicenses:
		return fmt.Sprintf("buy %d licenses of %s", a.Count, a.App)
	case ActRefund:
		return fmt.Sprintf("refund %d licenses of %s", a.Count, a.App)
	case ActUsersLeave:
		if a.Count > 0 {
			return fmt.Sprintf("%d users leave", a.Count)
		}
		return fmt.Sprintf("%g%% of users leave", a.Share*100)
	case ActNewVersion:
		return fmt.Sprintf("%s version %s", a.App, a.Version)
	}
	return string(a.Action)
}

// oneLine makes an error message one line for the report, cut (at a
// character boundary) past 600 bytes: errors carry their remedy, which is
// worth keeping, but the report must stay bounded.
func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", "; ")
	if len(s) > 600 {
		cut := 597
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// Percentiles summarise a distribution of durations (gonum's stat.Quantile,
// empirical).
type Percentiles struct {
	Count int      `json:"count"`
	P50   Duration `json:"p50"`
	P90   Duration `json:"p90"`
	P99   Duration `json:"p99"`
	Max   Duration `json:"max"`
	// Histogram counts the samples by upper bound, doubling from one minute,
	// for a distribution chart.
	Histogram []Bucket `json:"histogram,omitempty"`
}

// Bucket is one bar of a histogram: samples above the previous bound and at
// most UpTo.
type Bucket struct {
	UpTo  Duration `json:"upTo"`
	Count int      `json:"count"`
}

// percentiles sorts xs (seconds) in place and summarises it.
func percentiles(xs []float64, hist bool) Percentiles {
	p := Percentiles{Count: len(xs)}
	if len(xs) == 0 {
		return p
	}
	slices.Sort(xs)
	q := func(f float64) Duration {
		return Duration(time.Duration(math.Round(stat.Quantile(f, stat.Empirical, xs, nil))) * time.Second)
	}
	p.P50, p.P90, p.P99 = q(0.5), q(0.9), q(0.99)
	p.Max = Duration(time.Duration(math.Round(xs[len(xs)-1])) * time.Second)
	if hist {
		bound, k := 60.0, 0
		for k < len(xs) {
			n := 0
			for k < len(xs) && xs[k] <= bound {
				n++
				k++
			}
			p.Histogram = append(p.Histogram, Bucket{UpTo: Duration(time.Duration(bound) * time.Second), Count: n})
			bound *= 2
		}
	}
	return p
}
