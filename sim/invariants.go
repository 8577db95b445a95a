package sim

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
	"github.com/mdmkit/mdmkit/tenant"
)

// ErrViolation is wrapped by every *Violation: a safety invariant broken while
// running, or a device that did not converge by the end (liveness).
var ErrViolation = errors.New("simulation invariant violated")

// Violation is what broke, where and when, and how to run it again.
type Violation struct {
	// Rule is the SPEC rule broken ("T1", "T8", "L18") or "liveness".
	Rule string `json:"rule"`
	// At is the virtual time of the event that broke it.
	At Duration `json:"at"`
	// Event says what the simulator was doing: "check-in of dev-000042".
	Event  string       `json:"event"`
	Device mdm.DeviceID `json:"device,omitempty"`
	App    mdm.AppID    `json:"app,omitempty"`
	// What is wrong, in words.
	What string `json:"what"`
	// Scenario and Seed identify the run; Repro is the command line that runs
	// it again.
	Scenario string `json:"scenario"`
	Seed     uint64 `json:"seed"`
	Repro    string `json:"repro"`
}

func (v *Violation) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s violated at %s (%s)", v.Rule, time.Duration(v.At), v.Event)
	if v.Device != "" {
		fmt.Fprintf(&b, ", device %s", v.Device)
	}
	if v.App != "" {
		fmt.Fprintf(&b, ", app %s", v.App)
	}
	fmt.Fprintf(&b, ": %s; scenario %q, seed %d; reproduce with: %s", v.What, v.Scenario, v.Seed, v.Repro)
	return b.String()
}

func (v *Violation) Unwrap() error { return ErrViolation }

// repro is the command line that runs the scenario again.
func (s *sim) repro() string {
	if s.opts.Repro != "" {
		return s.opts.Repro
	}
	return fmt.Sprintf("fleetsim -seed %d -devices %d -days %s  # scenario %q", s.sc.Seed, s.sc.Fleet.Devices,
		trimDays(s.sc.Duration), s.sc.Name)
}

func trimDays(d Duration) string {
	if time.Duration(d)%Day == 0 {
		return fmt.Sprint(int64(time.Duration(d) / Day))
	}
	return fmt.Sprintf("%g", float64(d)/float64(Day))
}

// violate stops the run: device i (or -1) broke rule.
func (s *sim) violate(i int, what, rule, detail string) {
	s.violateApp(i, "", rule, what+": "+detail)
}

func (s *sim) violateApp(i int, app mdm.AppID, rule, what string) {
	if s.err != nil {
		return
	}
	v := &Violation{Rule: rule, At: Duration(s.now), What: what, App: s.apps.scenarioID(app),
		Scenario: s.sc.Name, Seed: s.sc.Seed, Repro: s.repro()}
	if i >= 0 {
		v.Device = s.f.ids[i]
		v.Event = "check-in of " + string(v.Device)
	} else {
		v.Event = s.eventName
	}
	s.err = v
}

// stateSet is a set of install states.
type stateSet uint16

func setOf(ss ...mdm.InstallState) stateSet {
	var s stateSet
	for _, x := range ss {
		s |= 1 << x
	}
	return s
}

func (s stateSet) has(x mdm.InstallState) bool { return x < 16 && s&(1<<x) != 0 }

// The lifecycle as SPEC T1 states it, read independently of the tenant's own
// table: what can only follow what. A status never goes back to "none"
// (StateUnknown); an install is acknowledged (installing) only after it was
// requested; an uninstall fails, and an install or uninstall waits for a
// reboot, only after a command was in flight or the app was installed.
var (
	onlyAfter = map[mdm.InstallState]stateSet{
		mdm.StateInstalling:      setOf(mdm.StateInstallRequested),
		mdm.StateUninstallFailed: setOf(mdm.StateInstalled, mdm.StatePendingReboot, mdm.StateUninstallFailed),
		mdm.StatePendingReboot:   setOf(mdm.StateInstallRequested, mdm.StateInstalling, mdm.StateInstalled, mdm.StateUninstallFailed, mdm.StatePendingReboot),
	}
	// An installed app that disappears is "not installed" (removed), never
	// "available", which means never installed (T1).
	neverAfterInstalled = setOf(mdm.StateAvailable, mdm.StateUnknown)
)

// legalChange reports whether a status change is allowed by SPEC T1 (the
// simulator's reading) and by the tenant's declared lifecycle
// (tenant.LegalTransition). A change of detail alone (From == To) is legal.
func legalChange(c tenant.StateChange) (bool, string) {
	if c.From == c.To {
		return c.To != mdm.StateUnknown, "a change to no status"
	}
	if c.To == mdm.StateUnknown {
		return false, "a status went back to none (T1: a status exists from the first check-in on)"
	}
	if allowed, ok := onlyAfter[c.To]; ok && !allowed.has(c.From) {
		return false, fmt.Sprintf("%s cannot follow %s (T1)", c.To, c.From)
	}
	if c.From == mdm.StateInstalled && neverAfterInstalled.has(c.To) {
		return false, "an installed app cannot become never-installed (T1: removed apps are notInstalled)"
	}
	if !tenant.LegalTransition(c.From, c.To) {
		return false, "the tenant's own lifecycle table does not allow it (tenant.LegalTransition)"
	}
	return true, ""
}

// checkChanges checks every status change of a check-in of device i (T1).
func (s *sim) checkChanges(i int, cs []tenant.StateChange) {
	for _, c := range cs {
		if ok, why := legalChange(c); !ok {
			s.violateApp(i, c.App, "T1", fmt.Sprintf("illegal status change %s → %s (%s): %s", c.From, c.To, c.Detail, why))
			return
		}
	}
}

// checkUninstall checks that an uninstall sent to device i does not remove an
// app a required assignment reaches (T8, A6: required wins).
func (s *sim) checkUninstall(i int, app mdm.AppID) {
	x, err := s.ten.Explain(s.f.ids[i], app)
	if err != nil {
		s.violateApp(i, app, "T8", "an uninstall was sent for an app the tenant cannot explain: "+err.Error())
		return
	}
	if x.Reached && x.Effective.Intent&assign.IntentRequired != 0 {
		s.violateApp(i, app, "T8", "an uninstall was sent while a required assignment reaches the device: "+
			strings.ReplaceAll(x.String(), "\n", "; "))
	}
}

// poolWatch remembers a pool's assigned count, to tell a grant made while over
// the total (forbidden, L18) from an overage a refund left.
type poolWatch struct {
	assigned int
	checked  bool
}

// checkPool checks the pool of scenario app a (L18): never more assigned than
// held, except an overage a store refund caused, which may only shrink.
func (s *sim) checkPool(a int, event string) {
	cid := s.apps.catalog[a]
	if cid == "" {
		return
	}
	st, err := s.ten.AppStatus(cid)
	if err != nil || !st.HasPool {
		return
	}
	l := st.Licenses
	w := &s.apps.watch[a]
	over := l.Assigned > l.Total
	switch {
	case l.Assigned < 0 || l.Total < 0 || l.Available < 0:
		s.violatePool(a, event, fmt.Sprintf("negative counts %+v", l))
	case over && l.Overage != l.Assigned-l.Total:
		s.violatePool(a, event, fmt.Sprintf("%d assigned of %d without the overage reported (overage %d)", l.Assigned, l.Total, l.Overage))
	case over && w.checked && l.Assigned > w.assigned:
		s.violatePool(a, event, fmt.Sprintf("granted while over its total: %d → %d assigned of %d", w.assigned, l.Assigned, l.Total))
	case !over && l.Available != l.Total-l.Assigned:
		s.violatePool(a, event, fmt.Sprintf("available %d is not total %d minus assigned %d", l.Available, l.Total, l.Assigned))
	}
	w.assigned, w.checked = l.Assigned, true
	s.m.poolChecks++
}

func (s *sim) violatePool(a int, event, what string) {
	if s.err != nil {
		return
	}
	s.err = &Violation{Rule: "L18", At: Duration(s.now), Event: event, App: s.apps.specs[a].ID,
		What: "pool over-allocated: " + what, Scenario: s.sc.Name, Seed: s.sc.Seed, Repro: s.repro()}
}

// checkPools checks every pool, after an admin action or a store sync.
func (s *sim) checkPools(event string) {
	for a := range s.apps.specs {
		if s.apps.licensed[a] {
			s.checkPool(a, event)
		}
	}
}

// virtual is a time for messages.
func virtual(t eventq.Time) string { return "+" + time.Duration(t).String() }
