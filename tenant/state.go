package tenant

import (
	"fmt"

	"github.com/mdmkit/mdmkit/mdm"
)

// StateChange is one (device, app) status change of a check-in (T1).
type StateChange struct {
	App    mdm.AppID         `json:"appId"`
	From   mdm.InstallState  `json:"from"`
	To     mdm.InstallState  `json:"to"`
	Detail mdm.InstallDetail `json:"detail"`
}

func (c StateChange) String() string {
	return fmt.Sprintf("%s: %s → %s (%s)", c.App, c.From, c.To, c.Detail)
}

// stateSet is a set of install states as a bit mask.
type stateSet uint16

func states(ss ...mdm.InstallState) stateSet {
	var s stateSet
	for _, x := range ss {
		s |= 1 << x
	}
	return s
}

func (s stateSet) has(x mdm.InstallState) bool { return s&(1<<x) != 0 }

// legalNext is the T1 transition table: for each state, the states a (device,
// app) status may move to. StateUnknown stands for "no status yet" (T1: no status
// exists before the device's first check-in after the assignment); a status that
// disappears (the app is no longer targeted and nothing of it is left) is not a
// transition and is not listed.
//
// The table is the one place that says what the lifecycle allows; the check-in
// engine never consults it (it would cost time on the hot path) but every test
// that drives the engine checks each reported change against it.
var legalNext = [...]stateSet{
	mdm.StateUnknown: states(mdm.StateNotApplicable, mdm.StateAvailable, mdm.StateInstallRequested,
		mdm.StateInstalled, mdm.StateFailed, mdm.StateRequirementsNotMet, mdm.StateNotInstalled,
		mdm.StatePendingInstall),
	// never installed: the user may ask for it, a required assignment may arrive,
	// the app may appear on its own, the requirements may change.
	mdm.StateAvailable: states(mdm.StateInstallRequested, mdm.StateInstalled, mdm.StateFailed,
		mdm.StateRequirementsNotMet, mdm.StatePendingInstall, mdm.StateNotApplicable, mdm.StateNotInstalled),
	// a command is queued: the device acknowledges it (installing) or reports
	// its outcome at once; a lost command is re-evaluated.
	mdm.StateInstallRequested: states(mdm.StateInstalling, mdm.StateInstalled, mdm.StateFailed,
		mdm.StatePendingReboot, mdm.StatePendingInstall, mdm.StateNotInstalled, mdm.StateAvailable,
		mdm.StateNotApplicable, mdm.StateRequirementsNotMet),
	mdm.StateInstalling: states(mdm.StateInstalled, mdm.StateFailed, mdm.StatePendingReboot,
		mdm.StateInstallRequested, mdm.StateNotInstalled, mdm.StatePendingInstall,
		mdm.StateAvailable, mdm.StateNotApplicable, mdm.StateRequirementsNotMet),
	// installed: the user removes it, an uninstall runs (and may fail or wait for
	// a reboot), an update or repair is requested.
	mdm.StateInstalled: states(mdm.StateNotInstalled, mdm.StateUninstallFailed, mdm.StatePendingReboot,
		mdm.StateInstallRequested, mdm.StateFailed, mdm.StateNotApplicable),
	mdm.StateFailed: states(mdm.StateInstallRequested, mdm.StateInstalled, mdm.StateRequirementsNotMet,
		mdm.StatePendingInstall, mdm.StateNotApplicable, mdm.StateAvailable, mdm.StateNotInstalled),
	mdm.StateRequirementsNotMet: states(mdm.StateInstallRequested, mdm.StateInstalled, mdm.StateAvailable,
		mdm.StateNotApplicable, mdm.StatePendingInstall, mdm.StateFailed, mdm.StateNotInstalled),
	mdm.StateNotInstalled: states(mdm.StateInstallRequested, mdm.StateInstalled, mdm.StateAvailable,
		mdm.StateNotApplicable, mdm.StateRequirementsNotMet, mdm.StatePendingInstall, mdm.StateFailed),
	// a failed uninstall is retried (T3): it succeeds, the user removes the app,
	// or the intent changes and the app counts as installed again.
	mdm.StateUninstallFailed: states(mdm.StateNotInstalled, mdm.StateInstalled, mdm.StatePendingReboot,
		mdm.StateInstallRequested, mdm.StateNotApplicable),
	// waiting for a restart after an install or an uninstall.
	mdm.StatePendingReboot: states(mdm.StateInstalled, mdm.StateFailed, mdm.StateNotInstalled,
		mdm.StateUninstallFailed, mdm.StateInstallRequested, mdm.StateNotApplicable),
	// waiting for a license, a dependency or the removal of a replaced app.
	mdm.StatePendingInstall: states(mdm.StateInstallRequested, mdm.StateInstalled, mdm.StateFailed,
		mdm.StateRequirementsNotMet, mdm.StateNotApplicable, mdm.StateAvailable, mdm.StateNotInstalled),
	// not targeted (any more), or superseded: targeting may come back.
	mdm.StateNotApplicable: states(mdm.StateAvailable, mdm.StateInstallRequested, mdm.StateInstalled,
		mdm.StateFailed, mdm.StateRequirementsNotMet, mdm.StateNotInstalled, mdm.StatePendingInstall),
}

// LegalTransition reports whether the T1 lifecycle allows a (device, app) status
// to move from one state to another. StateUnknown as from means "no status yet".
// A move to the same state is not a transition and is not legal: a change always
// changes something, and a change of detail alone is reported with From == To
// only when the detail differs, which this function does not judge.
func LegalTransition(from, to mdm.InstallState) bool {
	if int(from) >= len(legalNext) {
		return false
	}
	return legalNext[from].has(to)
}
