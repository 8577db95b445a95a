package tenant

import (
	"slices"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// AppStatus is the status of one app across the tenant's devices (T1): how many
// devices are in each state, in Graph's seven states and in the finer states,
// and, for a store app, its licenses.
type AppStatus struct {
	App mdm.AppID `json:"appId"`
	// Counts by Graph's resultantAppState (mdm.InstallState.GraphState), named
	// in JSON as Graph's mobileAppInstallSummary names them.
	Installed       int `json:"installedDeviceCount"`
	Failed          int `json:"failedDeviceCount"`
	NotInstalled    int `json:"notInstalledDeviceCount"`
	UninstallFailed int `json:"uninstallFailedDeviceCount"`
	PendingInstall  int `json:"pendingInstallDeviceCount"`
	Unknown         int `json:"unknownDeviceCount"`
	NotApplicable   int `json:"notApplicableDeviceCount"`
	// States lists every finer state with a non-zero count, in state order.
	States []StateCount `json:"states,omitempty"`
	// Licenses are the counts of the app's pool (L5, L14); HasPool is false for
	// apps that need no license or whose pool sync has not created yet. (JSON:
	// "licenses" only with a pool; see AppStatus.MarshalJSON.)
	HasPool  bool          `json:"-"`
	Licenses license.Stats `json:"-"`
}

// StateCount is the number of devices in one state.
type StateCount struct {
	State mdm.InstallState `json:"state"`
	Count int              `json:"count"`
}

// AppStatus returns the status of an app. Devices that have not checked in
// since the app reached them have no status and are not counted (T1).
func (t *Tenant) AppStatus(app mdm.AppID) (AppStatus, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.cat.lookup(app)
	if !ok {
		return AppStatus{}, unknownApp("app", app)
	}
	s := AppStatus{App: app}
	c := t.counts[e.idx]
	for _, st := range mdm.InstallStates() {
		n := int(c.n[st].Load())
		if n == 0 || st == mdm.StateUnknown {
			continue
		}
		s.States = append(s.States, StateCount{State: st, Count: n})
		switch st.GraphState() {
		case mdm.StateInstalled:
			s.Installed += n
		case mdm.StateFailed:
			s.Failed += n
		case mdm.StateNotInstalled:
			s.NotInstalled += n
		case mdm.StateUninstallFailed:
			s.UninstallFailed += n
		case mdm.StatePendingInstall:
			s.PendingInstall += n
		case mdm.StateNotApplicable:
			s.NotApplicable += n
		default:
			s.Unknown += n
		}
	}
	if p := t.poolOf(e); p != nil {
		if st, err := p.Stats(); err == nil {
			s.HasPool, s.Licenses = true, st
		}
	}
	return s, nil
}

// DeviceStatus is the status of every app on one device.
type DeviceStatus struct {
	Device mdm.DeviceID `json:"deviceId"`
	Apps   []AppState   `json:"apps,omitempty"` // by app id
}

// AppState is the status of one (device, app).
type AppState struct {
	App    mdm.AppID         `json:"appId"`
	State  mdm.InstallState  `json:"installState"`
	Detail mdm.InstallDetail `json:"installStateDetail"`
	// Intent is the effective intent as of the device's last check-in, in A6's
	// words ("required and available"); "none" when no assignment reaches it.
	Intent string `json:"intent"`
	// Present says whether the app was in the device's last inventory, and
	// Managed whether the service installed it (A10).
	Present bool `json:"present"`
	Managed bool `json:"managed"`
	// Code is the error code of the last failed command, 0 otherwise.
	Code int32 `json:"errorCode,omitempty"`
	// NextAttempt is when the service will try again after a failure, a user
	// removal or a "retry" (T3, T5); zero when nothing waits.
	NextAttempt time.Time `json:"nextAttempt,omitzero"`
}

// DeviceStatus returns every app status of a device, including apps present
// but not targeted (those without a status are left out).
func (t *Tenant) DeviceStatus(device mdm.DeviceID) (DeviceStatus, error) {
	apps, err := t.AppendAppStates(nil, device)
	if err != nil {
		return DeviceStatus{}, err
	}
	return DeviceStatus{Device: device, Apps: apps}, nil
}

// AppendAppStates appends to dst the app statuses DeviceStatus lists for a
// device, in the same order, and returns the extended slice; an unknown device
// is an error and leaves dst as it was. A caller that walks a whole fleet
// passes the same buffer for every device (dst[:0]) and allocates once, where
// DeviceStatus allocates a list per device.
func (t *Tenant) AppendAppStates(dst []AppState, device mdm.DeviceID) ([]AppState, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := t.device(device)
	if d == nil {
		return dst, unknownDevice("device", device)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for k := range d.recs {
		r := &d.recs[k]
		if r.state == mdm.StateUnknown {
			continue
		}
		a := AppState{App: t.cat.apps[r.app].id, State: r.state, Detail: r.detail, Intent: intentText(r.intent),
			Present: r.has(fPresent), Managed: r.has(fManaged), Code: r.code}
		if r.nextTry > 0 {
			a.NextAttempt = toTime(r.nextTry)
		}
		dst = append(dst, a)
	}
	return dst, nil
}

// Explain says why a device gets an app, or why not (A11): the resolver's
// explanation of every assignment that reached the device, the exclusions and
// the A6 row applied.
func (t *Tenant) Explain(device mdm.DeviceID, app mdm.AppID) (*assign.Explanation, error) {
	return t.res.Explain(device, app)
}

// Intent returns the effective intent of an app on a device (A6) as Explain's
// Effective has it, 0 when no assignment reaches the device, without building
// the explanation: it reads the device's resolution, cached until a change
// touches it, and allocates nothing.
func (t *Tenant) Intent(device mdm.DeviceID, app mdm.AppID) (assign.Intent, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := t.device(device)
	if d == nil {
		return 0, unknownDevice("device", device)
	}
	res, err := t.res.ResolveDeviceIndex(assign.DeviceIndex(d.idx))
	if err != nil {
		return 0, err
	}
	eff, _ := res.Lookup(app)
	return eff.Intent, nil
}

// Offered appends to dst the apps the company portal offers on a device now, by
// app id (T7): apps available (or available without enrollment) to it, and
// required apps whose deadline is still ahead (T14), whose requirements the
// device meets (T11). Only the primary user sees user-targeted apps: they reach
// the device through its primary user (D3).
func (t *Tenant) Offered(now time.Time, device mdm.DeviceID, dst []mdm.AppID) ([]mdm.AppID, error) {
	if err := checkTime("now", now); err != nil {
		return dst, err
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := t.device(device)
	if d == nil {
		return dst, unknownDevice("device", device)
	}
	res, err := t.res.ResolveDeviceIndex(assign.DeviceIndex(d.idx))
	if err != nil {
		return dst, err
	}
	n := now.UnixNano()
	for i := 0; i < res.Len(); i++ {
		e := res.At(i)
		if int(e.AppIndex) >= len(t.cat.apps) || t.cat.apps[e.AppIndex] == nil {
			continue
		}
		offered := e.Intent&(assign.IntentAvailable|assign.IntentAvailableWithoutEnrollment) != 0 ||
			(e.Intent&assign.IntentRequired != 0 && nanos(e.Deadline) > n)
		if !offered {
			continue
		}
		if t.cat.apps[e.AppIndex].app.Evaluate(&d.facts) != mdm.DetailNone {
			continue
		}
		dst = append(dst, e.App)
	}
	return dst, nil
}

// App returns a copy of a catalog app.
func (t *Tenant) App(id mdm.AppID) (mdm.App, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	e, ok := t.cat.lookup(id)
	if !ok {
		return mdm.App{}, false
	}
	return cloneApp(&e.app), true
}

// Apps returns a copy of every catalog app, by id.
func (t *Tenant) Apps() []mdm.App {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]mdm.App, 0, len(t.cat.byID))
	for _, e := range t.cat.apps {
		if e != nil {
			out = append(out, cloneApp(&e.app))
		}
	}
	slices.SortFunc(out, func(a, b mdm.App) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}
