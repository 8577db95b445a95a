package assign

import (
	"errors"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// fixture builds small tenants for tests; every call must succeed.
type fixture struct {
	t testing.TB
	r *Resolver
}

func newFixture(t testing.TB) *fixture { return &fixture{t: t, r: New()} }

func (f *fixture) ok(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) user(id mdm.UserID) {
	f.t.Helper()
	f.ok(f.r.PutUser(mdm.User{ID: id}))
}

func (f *fixture) device(d mdm.Device) Affected {
	f.t.Helper()
	a, err := f.r.PutDevice(d)
	f.ok(err)
	return a
}

func (f *fixture) userGroup(id mdm.GroupID, users []mdm.UserID, nested ...mdm.GroupID) Affected {
	f.t.Helper()
	a, err := f.r.PutGroup(mdm.Group{ID: id, Kind: mdm.UserMembers, Users: users, Groups: nested})
	f.ok(err)
	return a
}

func (f *fixture) deviceGroup(id mdm.GroupID, devices []mdm.DeviceID, nested ...mdm.GroupID) Affected {
	f.t.Helper()
	a, err := f.r.PutGroup(mdm.Group{ID: id, Kind: mdm.DeviceMembers, Devices: devices, Groups: nested})
	f.ok(err)
	return a
}

func (f *fixture) app(id mdm.AppID, t mdm.AppType) {
	f.t.Helper()
	f.ok(f.r.PutApp(&mdm.App{ID: id, DisplayName: string(id), Type: t}))
}

func (f *fixture) assign(id mdm.AssignmentID, app mdm.AppID, in mdm.Intent, tg mdm.Target) Affected {
	f.t.Helper()
	a, err := f.r.Assign(mdm.Assignment{ID: id, App: app, Intent: in, Target: tg})
	f.ok(err)
	return a
}

func (f *fixture) assignFull(a mdm.Assignment) Affected {
	f.t.Helper()
	af, err := f.r.Assign(a)
	f.ok(err)
	return af
}

// effective returns the Effective of app on device, and whether it is there.
func (f *fixture) effective(d mdm.DeviceID, app mdm.AppID) (Effective, bool) {
	f.t.Helper()
	res, err := f.r.ResolveDevice(d)
	f.ok(err)
	return res.Lookup(app)
}

func (f *fixture) intent(d mdm.DeviceID, app mdm.AppID) Intent {
	f.t.Helper()
	e, _ := f.effective(d, app)
	return e.Intent
}

// wantRefused checks that err is a *mdm.ValidationError with the rule, wrapping
// the sentinel.
func wantRefused(t testing.TB, err error, rule string, sentinel error) *mdm.ValidationError {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want a %s refusal wrapping %v", rule, sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q does not wrap %v", err, sentinel)
	}
	var ve *mdm.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %q is not a *mdm.ValidationError", err)
	}
	if ve.Rule != rule {
		t.Fatalf("error %q names rule %q, want %q", err, ve.Rule, rule)
	}
	if ve.Field == "" || ve.Reason == "" || ve.Remedy == "" {
		t.Fatalf("error %q lacks a field, reason or remedy: %+v", err, *ve)
	}
	return ve
}

func boolp(b bool) *bool { return &b }

var day = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
