package tenant

import (
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// intentSet is the effective intent of an app on a device as a bit set, as the
// resolver computes it (A6): "required and available" is two bits.
type intentSet uint8

const (
	inRequired intentSet = 1 << iota
	inAvailable
	inUninstall
	inAWOE // available without enrollment
)

// offered reports whether the company portal offers the app (A7, T7).
func (s intentSet) offered() bool { return s&(inAvailable|inAWOE) != 0 }

// target is one app that assignments reach on a device, as resolution says.
type target struct {
	app      int32
	intent   intentSet
	row      uint8 // the A6 row that decided, 0 for a single intent
	opts     targetOpts
	deadline int64 // T14, unix nanoseconds; 0 for none
}

// targetOpts are the assignment settings the engine reads.
type targetOpts uint8

const (
	optUninstallOnRemoval targetOpts = 1 << iota // A12: every reaching assignment says so
	optPreventAutoUpdate                         // L9
	optUserLicense                               // L4: user licensing
	optDeadline                                  // T14: the app has a deadline (deviceState.dls)
)

// recFlags are the facts the service keeps about one (device, app).
type recFlags uint16

const (
	fPresent        recFlags = 1 << iota // in the last inventory
	fCurrent                             // the present version is the catalog's (T4)
	fManaged                             // the service installed it (A10)
	fViaRequired                         // a required assignment installed it (A7 row 7)
	fViaPortal                           // the user installed it from the portal (A7, T4)
	fWasInstalled                        // present at some time since its status began (available vs notInstalled)
	fPortalWant                          // the user asked for it in the portal and it is not installed yet (L6)
	fLicensed                            // holds a license of the app's pool (L5)
	fDefer                               // the device said "not now": do not resend at this check-in
	fAdminInstall                        // T12 install or reinstall, queued
	fAdminUninstall                      // T12 uninstall, queued
	fAdminRepair                         // T12 repair, queued
	fUserUninstall                       // the user asked for an uninstall in the portal (T7)
	fDependency                          // needed by an app being installed (T10); recomputed per evaluation
	fTargeted                            // reached by an assignment at the last resolution
	fPending                             // a command is in flight (deviceState.cmds)
)

// oneShot are the requests a record carries until they are acted on.
const oneShot = fAdminInstall | fAdminUninstall | fAdminRepair | fUserUninstall | fPortalWant

// want is what the engine intends for a record in one evaluation.
type want uint8

const (
	wantNone want = iota
	wantInstall
	wantUninstall
)

// via says why a command was sent; it decides what the success records (A7, A10).
type via uint8

const (
	viaNone via = iota
	viaRequired
	viaPortal
	viaDependency
	viaAdmin
	viaIntent       // an uninstall intent (A10)
	viaRow7         // rows 7 and 19: remove the copy a required assignment installed (A7)
	viaUnassign     // A9: Android Enterprise corporate modes
	viaSupersedence // T9 replace
	viaUser         // the user, from the portal (T7)
	viaUpdate       // a new version (T4, L9)
)

// block says why a wanted install cannot proceed now.
type block uint8

const (
	blkNone          block = iota
	blkSuperseded          // a superseding app is present (T9)
	blkReplacePend         // waiting for a replaced app to go (T9)
	blkReplaceFailed       // the replaced app could not be removed (T9)
	blkConflict            // a dependency is superseded by an app in play (T9)
	blkDepMissing          // a detect-only dependency is missing (C9)
	blkDepFailed           // a dependency failed (T10)
	blkDepReq              // a dependency's requirements are not met
	blkDepInstalling       // dependencies install first (T10)
)

var blockStates = [...]struct {
	state  mdm.InstallState
	detail mdm.InstallDetail
}{
	blkSuperseded:    {mdm.StateNotApplicable, mdm.DetailSupersedingAppsDetected},
	blkReplacePend:   {mdm.StatePendingInstall, mdm.DetailSupersededAppUninstallPending},
	blkReplaceFailed: {mdm.StateFailed, mdm.DetailSupersededAppUninstallFailed},
	blkConflict:      {mdm.StateFailed, mdm.DetailSupersedenceConflict},
	blkDepMissing:    {mdm.StateFailed, mdm.DetailDependencyMissing},
	blkDepFailed:     {mdm.StateFailed, mdm.DetailDependencyFailed},
	blkDepReq:        {mdm.StateRequirementsNotMet, mdm.DetailDependencyRequirementsNotMet},
	blkDepInstalling: {mdm.StatePendingInstall, mdm.DetailInstallingDependencies},
}

// record is the service's status of one (device, app). It is kept small (32
// bytes) because a tenant of a million devices holds tens of millions of them:
// what few records carry (a command in flight, a deadline) lives in the
// device's side tables. Times are unix nanoseconds; 0 means "none".
type record struct {
	app      int32
	state    mdm.InstallState
	detail   mdm.InstallDetail
	flags    recFlags
	intent   intentSet
	row      uint8
	opts     targetOpts
	attempts uint8 // T5: "retry" re-sends used
	want     want  // scratch of one evaluation
	wvia     via   // scratch of one evaluation: why want
	blk      block // scratch of one evaluation
	// tryOp is what nextTry holds back: wantInstall (an install or update
	// failed, was removed, or asked to retry) or wantUninstall (an uninstall
	// did). Another operation the intent asks for later does not wait for it.
	tryOp   want
	code    int32 // error code of the last failed command
	nextTry int64 // no install (or uninstall, per tryOp) before this time (T3, T5)
}

// inflight is a command sent to a device and not answered yet: at most one per
// (device, app).
type inflight struct {
	id     mdm.CommandID
	sentAt int64
	app    int32
	kind   mdm.CommandKind
	via    via // why it was sent: decides what its success records (A7, A10)
}

// appTime is an app's deadline on a device (T14).
type appTime struct {
	app int32
	at  int64
}

func (r *record) has(f recFlags) bool { return r.flags&f != 0 }

func (r *record) pending() bool { return r.flags&fPending != 0 }

// keep reports whether the record must outlive an evaluation: it carries a
// status someone may ask about or a fact the service must not forget.
func (r *record) keep() bool {
	return r.intent != 0 ||
		r.flags&(fPending|fPresent|fManaged|fLicensed|fPortalWant|fAdminInstall|fAdminUninstall|fAdminRepair|fUserUninstall|fDependency) != 0
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

const never = int64(1<<63 - 1)
