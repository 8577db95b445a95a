package tenant

import (
	"fmt"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/mdm"
)

// Action is an admin action on one app of one device (T12).
type Action uint8

const (
	ActionInstall    Action = iota + 1 // install an app that is not installed
	ActionReinstall                    // install again, present or not
	ActionReevaluate                   // evaluate the app afresh at the next check-in: timers of T3 and T5 are reset
	ActionUninstall                    // needs the app installed and no required deployment (T8)
	ActionRepair                       // install over the installed app; needs it installed
	numActions
)

var actionNames = [...]string{0: "", ActionInstall: "install", ActionReinstall: "reinstall",
	ActionReevaluate: "reevaluate", ActionUninstall: "uninstall", ActionRepair: "repair"}

func (a Action) String() string {
	if int(a) < len(actionNames) && actionNames[a] != "" {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", uint8(a))
}

// ActionRequest asks for an admin action.
type ActionRequest struct {
	Device mdm.DeviceID `json:"deviceId"`
	App    mdm.AppID    `json:"appId"`
	Action Action       `json:"action"`
	// Online says whether the device can be reached now. The tenant does not
	// know (it sees check-ins, not the network); the caller does. T12: an app
	// deployed as required, or as available through a device group, needs the
	// device online; a user-available app, or one not deployed to the device
	// (admin approval), is queued and goes out when the device next checks in.
	Online bool `json:"online"`
}

// ActionError is a refused admin action (T12). It wraps ErrDeviceOffline,
// ErrNotInstalled, ErrAlreadyInstalled, ErrUninstallNotAllowed or
// ErrUnknownAction.
type ActionError struct {
	Request ActionRequest
	Rule    string
	Reason  string
	Remedy  string
	Err     error
}

func (e *ActionError) Error() string {
	return fmt.Sprintf("%s of app %s on device %s refused (%s): %s: %s",
		e.Request.Action, e.Request.App, e.Request.Device, e.Rule, e.Reason, e.Remedy)
}

func (e *ActionError) Unwrap() error { return e.Err }

// DeviceAction performs an admin action on one app of one device (T12). The
// command goes out at the device's next check-in; the device is pushed now
// (Change.Notify). Choosing a superseded app installs the app that supersedes it
// (the last of the chain). A refused action changes nothing.
func (t *Tenant) DeviceAction(now time.Time, q ActionRequest) (Change, error) {
	if err := checkTime("now", now); err != nil {
		return Change{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	refuse := func(err error, rule, reason, remedy string) (Change, error) {
		return Change{}, &ActionError{Request: q, Rule: rule, Reason: reason, Remedy: remedy, Err: err}
	}
	if q.Action == 0 || q.Action >= numActions {
		return refuse(ErrUnknownAction, "T12", "is not an action", "use install, reinstall, reevaluate, uninstall or repair")
	}
	d := t.device(q.Device)
	if d == nil {
		return Change{}, unknownDevice("device", q.Device)
	}
	e, ok := t.cat.lookup(q.App)
	if !ok {
		return Change{}, unknownApp("app", q.App)
	}
	if q.Action == ActionInstall && len(e.above) > 0 {
		e = t.latest(e)
	}
	res, err := t.res.ResolveDeviceIndex(assign.DeviceIndex(d.idx))
	if err != nil {
		return Change{}, err
	}
	eff, targeted := res.LookupIndex(assign.AppIndex(e.idx))
	required := targeted && eff.Intent&assign.IntentRequired != 0
	if !q.Online && t.needsOnline(d, e, eff, targeted) {
		return refuse(ErrDeviceOffline, "T12", "the app is deployed "+eff.Intent.String()+" to the device, which is offline",
			"try again when the device is online")
	}
	present := false
	if p, ok := d.find(t.cat, e.id); ok {
		present = d.recs[p].has(fPresent)
	}
	switch q.Action {
	case ActionInstall:
		if present {
			return refuse(ErrAlreadyInstalled, "T12", "the app is installed", "use reinstall or repair")
		}
	case ActionUninstall:
		if !present {
			return refuse(ErrNotInstalled, "T12", "the app is not installed", "nothing to uninstall")
		}
		if required {
			return refuse(ErrUninstallNotAllowed, "T8", "a required deployment of the app reaches the device",
				"remove the device from the required assignment first")
		}
	case ActionRepair:
		if !present {
			return refuse(ErrNotInstalled, "T12", "the app is not installed", "use install")
		}
	}
	p := d.ensure(t.cat, e.idx)
	r := &d.recs[p]
	r.nextTry, r.attempts = 0, 0
	r.flags &^= fAdminInstall | fAdminUninstall | fAdminRepair | fDefer
	fx := tenantFx{t: t, now: now}
	eng := engine{cat: t.cat, pol: &t.pol, fx: &fx, d: d}
	switch q.Action {
	case ActionInstall, ActionReinstall:
		r.flags |= fAdminInstall
		eng.setState(r, mdm.StateInstallRequested, mdm.DetailNone)
	case ActionRepair:
		r.flags |= fAdminRepair
		eng.setState(r, mdm.StateInstallRequested, mdm.DetailNone)
	case ActionUninstall:
		r.flags |= fAdminUninstall
	}
	if q.Action != ActionReevaluate {
		d.endCmd(r) // the admin's command replaces the one in flight
	}
	d.nextEval = forceEval
	n := now.UnixNano()
	t.push.notify(d, n)
	return Change{Notify: []mdm.DeviceID{d.facts.ID}}, nil
}

// latest returns the last app of e's supersedence chain: the app superseding e
// that nothing supersedes (the first by index when the graph forks).
func (t *Tenant) latest(e *appEntry) *appEntry {
	for _, s := range e.above {
		if len(t.cat.apps[s].supBy) == 0 {
			return t.cat.apps[s]
		}
	}
	return e
}

// needsOnline applies T12's deployment table: required (device or user) and
// device-available deployments need the device online; user-available ones and
// apps not deployed to the device (admin approval) do not.
func (t *Tenant) needsOnline(d *deviceState, e *appEntry, eff assign.Effective, targeted bool) bool {
	if !targeted {
		return false
	}
	if eff.Intent&assign.IntentRequired != 0 {
		return true
	}
	x, err := t.res.Explain(d.facts.ID, e.id)
	if err != nil {
		return true
	}
	for _, rt := range x.Applied {
		if rt.Kind == mdm.DeviceMembers && rt.Intent == mdm.Available {
			return true
		}
	}
	return false
}
