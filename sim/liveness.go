package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
	"github.com/mdmkit/mdmkit/tenant"
)

// Liveness at the end of a run (DESIGN, after TigerBeetle's VOPR): once the
// last change is over (the last admin action, fault window edge or
// enrollment), every device online enough must reach its effective intents
// within the policy windows. A device is online enough when it checked in
// after the last change plus the window W = reinstall window (T3) + one steady
// check-in interval with its jitter (T2) + the stuck-install threshold (T6):
// by then the service has had every chance the rules give it.
//
// At its last check-in, for every app whose effective intent is required, the
// status must be installed, or one the rules allow to last:
//   - not applicable, or requirements not met (T11);
//   - a command in flight (requested, installing, pending reboot): the device
//     holds it (a stuck install the user does not restart, T6);
//   - waiting for, or failed for want of, a license while the pool has none
//     free, or the token cannot assign (L5, L14, L3);
//   - the books app missing (L8); user licensing without the user's Apple
//     account or without a primary user (L4, L13); a superseding app present
//     (T9);
//   - failed or removed with a next attempt scheduled after that check-in (T3).
//
// For an app whose effective intent is uninstall (and nothing else), an app the
// service installed must be gone, or its failed uninstall be retried later.

// LivenessReport says what the end-of-run check looked at.
type LivenessReport struct {
	// LastChange is the time of the last change of the scenario.
	LastChange Duration `json:"lastChange"`
	// Window is W; devices that checked in after LastChange+Window were checked.
	Window Duration `json:"window"`
	// Checked devices were online enough; Skipped were not (not enrolled before
	// the last change, or not seen since LastChange+Window).
	Checked int `json:"checked"`
	Skipped int `json:"skipped"`
	// Pairs is the number of (device, required or uninstall app) statuses
	// checked, and Allowed counts those not installed (or not removed) that a
	// rule above allows, by reason.
	Pairs   int     `json:"pairs"`
	Allowed []Count `json:"allowed,omitempty"`
	// Note says why nothing was checked, when nothing was.
	Note string `json:"note,omitempty"`
}

// lastChange is the time of the last change a scenario makes.
func (s *sim) lastChange() eventq.Time {
	var t eventq.Time
	for _, a := range s.sc.Timeline {
		t = max(t, eventq.Time(a.At))
	}
	for _, o := range s.sc.Faults.StoreOutages {
		t = max(t, eventq.Time(o.To))
	}
	for _, r := range s.sc.Faults.RateLimits {
		t = max(t, eventq.Time(r.To))
	}
	for _, e := range s.faultEdges() {
		t = max(t, e)
	}
	if n := len(s.f.dev); n > 0 {
		t = max(t, s.f.dev[n-1].enroll)
	}
	return t
}

// livenessWindow is W.
func (s *sim) livenessWindow() time.Duration {
	steady := max(s.pol.AppleCheckIn.Steady, s.pol.OtherCheckIn.Steady)
	return s.pol.ReinstallWindow + time.Duration(float64(steady)*(1+s.pol.CheckInJitter)) + s.pol.StuckInstallThreshold
}

// liveness checks the end state; a device that did not converge is a
// violation.
func (s *sim) liveness() error {
	lr := &s.live
	last := s.lastChange()
	w := s.livenessWindow()
	lr.LastChange, lr.Window = Duration(last), Duration(w)
	from := last + eventq.Time(w)
	if from > s.end {
		lr.Note = fmt.Sprintf("the run ends %s after the last change, within the window %s: nothing to check",
			time.Duration(s.end-last), w)
		lr.Skipped = int(s.m.enrolled)
		return nil
	}
	// What every app's pool and token allow at the end.
	free := make([]bool, len(s.apps.specs))   // a license is free
	usable := make([]bool, len(s.apps.specs)) // the token can assign (L3)
	for a, spec := range s.apps.specs {
		usable[a] = true
		if !s.apps.licensed[a] || s.apps.catalog[a] == "" {
			free[a] = true
			continue
		}
		if st, err := s.ten.AppStatus(s.apps.catalog[a]); err == nil && st.HasPool {
			free[a] = st.Licenses.Available > 0
		}
		if ts, ok := s.ten.TokenState(spec.Store.Token); ok {
			usable[a] = ts.CanAssignLicenses()
		}
	}
	allowed := map[string]int{}
	var apps []tenant.AppState // one buffer for the whole fleet
	for i := range s.dev {
		st := &s.dev[i]
		if st.flags&fEnrolled == 0 || st.enrolled > last || st.lastSeen < from {
			lr.Skipped++
			continue
		}
		lr.Checked++
		var err error
		if apps, err = s.ten.AppendAppStates(apps[:0], s.f.ids[i]); err != nil {
			return s.liveFail(i, "", "the tenant has no status for a managed device: "+err.Error())
		}
		for _, as := range apps {
			required := strings.HasPrefix(as.Intent, "required")
			uninstall := as.Intent == "uninstall"
			if !required && !uninstall {
				continue
			}
			lr.Pairs++
			a, inScenario := s.apps.of(as.App)
			retryLater := !as.NextAttempt.IsZero() && as.NextAttempt.After(s.wall(st.lastSeen))
			if uninstall {
				inFlight := as.State == mdm.StateInstallRequested || as.State == mdm.StateInstalling || as.State == mdm.StatePendingReboot
				if as.Present && as.Managed && (inFlight || inScenario && s.m.uninstalling[uint64(i)<<20|uint64(a)]) {
					allowed["command in flight on the device"]++
					continue
				}
				if as.Present && as.Managed && !(as.State == mdm.StateUninstallFailed && retryLater) {
					return s.liveFail(i, as.App, fmt.Sprintf("an uninstall intent, but the app the service installed is still "+
						"present (%s, %s) at its last check-in %s", as.State, as.Detail, virtual(st.lastSeen)))
				}
				continue
			}
			reason := ""
			switch {
			case as.State == mdm.StateInstalled:
				continue
			case as.State == mdm.StateNotApplicable || as.State == mdm.StateRequirementsNotMet:
				reason = "requirements not met or not applicable (T11)"
			case as.State == mdm.StateInstallRequested || as.State == mdm.StateInstalling || as.State == mdm.StatePendingReboot:
				reason = "command in flight on the device"
			case as.Detail == mdm.DetailLicenseUnavailable && inScenario && (!free[a] || !usable[a]):
				reason = "no license free (L5, L14)"
			case as.Detail == mdm.DetailTokenNotValid && inScenario && !usable[a]:
				reason = "token cannot assign (L3)"
			case as.Detail == mdm.DetailBooksAppMissing:
				reason = "books app missing (L8)"
			case as.Detail == mdm.DetailUserNotLoggedIntoAppStore || as.Detail == mdm.DetailNoPrimaryUser:
				reason = "user licensing without an Apple account or a primary user (L4, L13)"
			case as.Detail == mdm.DetailSupersedingAppsDetected:
				reason = "a superseding app is on the device (T9)"
			case (as.State == mdm.StateFailed || as.State == mdm.StateNotInstalled || as.State == mdm.StatePendingInstall) && retryLater:
				reason = "next attempt scheduled (T3)"
			default:
				next := "none"
				if !as.NextAttempt.IsZero() {
					next = virtual(eventq.Time(as.NextAttempt.Sub(s.start)))
				}
				return s.liveFail(i, as.App, fmt.Sprintf("required (%s), but %s (%s) at its last check-in %s, "+
					"%s after the last change; next attempt %s", as.Intent, as.State, as.Detail, virtual(st.lastSeen),
					time.Duration(st.lastSeen-last), next))
			}
			allowed[reason]++
		}
	}
	lr.Allowed = sortedCounts(allowed)
	return nil
}

func (s *sim) liveFail(i int, app mdm.AppID, what string) error {
	v := &Violation{Rule: "liveness", At: Duration(s.end), Event: "end of run", Device: s.f.ids[i],
		App: s.apps.scenarioID(app), What: what, Scenario: s.sc.Name, Seed: s.sc.Seed, Repro: s.repro()}
	return v
}
