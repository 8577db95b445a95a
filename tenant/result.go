package tenant

import (
	"github.com/mdmkit/mdmkit/mdm"
)

// CheckInResult is what a check-in produced. The caller owns it and passes the
// same value to every CheckIn, which resets it: in steady state a check-in
// allocates nothing. The slices are valid until the next CheckIn with the same
// result.
type CheckInResult struct {
	// Commands to deliver to the device with this answer, in a stable order
	// (dependencies before their parents, then by app id).
	Commands []mdm.Command `json:"commands,omitempty"`
	// Changes are the (device, app) status changes of this check-in, in the
	// order they happened; an app may move twice in one check-in (removed by the
	// user, then reinstalled). Every change is one step of the T1 lifecycle
	// (LegalTransition), or a change of detail alone (From == To).
	Changes []StateChange `json:"changes,omitempty"`
	// Refused lists the portal requests of the report that the service did not
	// act on, with why.
	Refused []RefusedRequest `json:"refused,omitempty"`
	// Stale counts command results for commands the service no longer waits
	// for (answered before, or re-sent after the re-evaluation cycle).
	Stale int `json:"stale,omitempty"`
}

// RefusedRequest is a portal request the service did not act on.
type RefusedRequest struct {
	Request mdm.PortalRequest
	// Err wraps ErrNotOffered, ErrAlreadyInstalled, ErrInstallInProgress,
	// ErrNotInstalled (an uninstall of an app not installed),
	// ErrUninstallNotAllowed or mdm.ErrUnknownApp.
	Err error
}

// Reset empties the result, keeping its memory.
func (r *CheckInResult) Reset() {
	r.Commands = r.Commands[:0]
	r.Changes = r.Changes[:0]
	r.Refused = r.Refused[:0]
	r.Stale = 0
}

// note records a status change.
func (r *CheckInResult) note(app mdm.AppID, from, to mdm.InstallState, det mdm.InstallDetail) {
	r.Changes = append(r.Changes, StateChange{App: app, From: from, To: to, Detail: det})
}
