package tenant_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/tenant"
)

// What an HTTP server sends is JSON in Graph's manner: camelCase names, enums
// by name (T1 states and details, command kinds, license outcomes), zero
// times and empty lists left out; and it reads back to the same value.
func TestJSON_ResultTypes(t *testing.T) {
	next := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	refused := &tenant.RequestError{App: "notes", Action: mdm.PortalInstall, Rule: "T7", Err: tenant.ErrNotOffered}
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"DeviceStatus", tenant.DeviceStatus{Device: "laptop-1", Apps: []tenant.AppState{
			{App: "vpn", State: mdm.StateInstalled, Intent: "required", Present: true, Managed: true},
			{App: "notes", State: mdm.StateFailed, Detail: mdm.DetailSeeInstallErrorCode, Intent: "required", Code: 1603, NextAttempt: next},
		}}, `{"deviceId":"laptop-1","apps":[` +
			`{"appId":"vpn","installState":"installed","installStateDetail":"noAdditionalDetails","intent":"required","present":true,"managed":true},` +
			`{"appId":"notes","installState":"failed","installStateDetail":"seeInstallErrorCode","intent":"required","present":false,"managed":false,"errorCode":1603,"nextAttempt":"2026-03-03T09:00:00Z"}]}`},
		{"CheckInResult", tenant.CheckInResult{
			Commands: []mdm.Command{{ID: 7, Kind: mdm.CommandInstall, App: "vpn", Version: "4.2"}},
			Changes:  []tenant.StateChange{{App: "vpn", From: mdm.StateUnknown, To: mdm.StateInstallRequested}},
			Refused:  []tenant.RefusedRequest{{Request: mdm.PortalRequest{App: "notes", Action: mdm.PortalInstall}, Err: refused}},
			Stale:    1,
		}, `{"commands":[{"commandId":7,"kind":"install","appId":"vpn","version":"4.2"}],` +
			`"changes":[{"appId":"vpn","from":"unknown","to":"installRequested","detail":"noAdditionalDetails"}],` +
			`"refused":[{"request":{"appId":"notes","action":"install"},"rule":"T7","reason":"notOffered","message":"portal install of notes refused (T7): app not offered to this device"}],` +
			`"stale":1}`},
		{"empty CheckInResult", tenant.CheckInResult{}, `{}`},
		{"Change", tenant.Change{Notify: []mdm.DeviceID{"ipad-b"},
			Licenses: []license.Effect{{Key: license.PoolKey{Token: "tok-1", Product: "361309726"},
				Holder: license.Holder{Kind: license.UserHolder, ID: "ada"}, Outcome: license.Reclaimed, Reason: license.UserLeft},
				{Key: license.PoolKey{Token: "tok-1", Product: "book-1"}, Holder: license.Holder{Kind: license.UserHolder, ID: "ada"},
					Outcome: license.Kept, Reason: license.UserLeft, Kept: license.KeptBook}}},
			`{"notify":["ipad-b"],"licenses":[` +
				`{"token":"tok-1","product":"361309726","holder":{"kind":"user","id":"ada"},"outcome":"reclaimed","reason":"userLeft"},` +
				`{"token":"tok-1","product":"book-1","holder":{"kind":"user","id":"ada"},"outcome":"kept","reason":"userLeft","kept":"book"}]}`},
		{"AppStatus", tenant.AppStatus{App: "maps", Installed: 1, Failed: 1,
			States:  []tenant.StateCount{{State: mdm.StateInstalled, Count: 1}, {State: mdm.StateFailed, Count: 1}},
			HasPool: true, Licenses: license.Stats{Total: 1, Assigned: 1, Waiting: 1}},
			`{"appId":"maps","installedDeviceCount":1,"failedDeviceCount":1,"notInstalledDeviceCount":0,"uninstallFailedDeviceCount":0,` +
				`"pendingInstallDeviceCount":0,"unknownDeviceCount":0,"notApplicableDeviceCount":0,` +
				`"states":[{"state":"installed","count":1},{"state":"failed","count":1}],` +
				`"licenses":{"total":1,"assigned":1,"available":0,"retired":0,"overage":0,"waiting":1}}`},
		{"AppStatus without a pool", tenant.AppStatus{App: "vpn"},
			`{"appId":"vpn","installedDeviceCount":0,"failedDeviceCount":0,"notInstalledDeviceCount":0,"uninstallFailedDeviceCount":0,` +
				`"pendingInstallDeviceCount":0,"unknownDeviceCount":0,"notApplicableDeviceCount":0}`},
		{"ActionRequest", tenant.ActionRequest{Device: "laptop-1", App: "vpn", Action: tenant.ActionReinstall, Online: true},
			`{"deviceId":"laptop-1","appId":"vpn","action":"reinstall","online":true}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := json.Marshal(c.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != c.want {
				t.Fatalf("JSON\n got %s\nwant %s", b, c.want)
			}
			back := reflect.New(reflect.TypeOf(c.v))
			if err := json.Unmarshal(b, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(c.v, back.Elem().Interface(), cmpopts.EquateEmpty(), cmp.Comparer(sameError)); d != "" {
				t.Fatalf("does not read back (-sent +read):\n%s", d)
			}
		})
	}
}

// A refused request reads back to an error that still wraps its sentinel.
func sameError(a, b error) bool {
	var x, y *tenant.RequestError
	if !errors.As(a, &x) || !errors.As(b, &y) {
		return a == nil && b == nil
	}
	return *x == *y
}

// Bad enum names are refused when reading, naming the field.
func TestJSON_RefusesUnknownNames(t *testing.T) {
	var ch tenant.Change
	err := json.Unmarshal([]byte(`{"licenses":[{"token":"t","product":"p","holder":{"kind":"user","id":"ada"},"outcome":"stolen"}]}`), &ch)
	if err == nil {
		t.Fatal("an unknown license outcome was accepted")
	}
	var q tenant.ActionRequest
	if err := json.Unmarshal([]byte(`{"action":"format"}`), &q); !errors.Is(err, mdm.ErrUnknownEnum) {
		t.Fatalf("unknown action: %v", err)
	}
}
