package mdm

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzDecodeApp feeds arbitrary bytes to the Graph mobileApp decoder: it must
// never panic, and whatever it accepts must encode and decode to the same app.
func FuzzDecodeApp(f *testing.F) {
	for _, typ := range AppTypes() {
		b, _ := json.Marshal(validApp(typ))
		f.Add(b)
	}
	f.Add([]byte(`{"@odata.type":"#microsoft.graph.win32LobApp","relationships":[{"@odata.type":"#microsoft.graph.mobileAppSupersedence","targetId":"x","supersedenceType":"replace"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a App
		if err := json.Unmarshal(b, &a); err != nil {
			return
		}
		valid := ValidateApp(&a, AddOptions{FromSync: a.Type.IsSynced()}) == nil
		out, err := json.Marshal(a)
		if err != nil {
			if valid {
				t.Fatalf("valid app does not encode: %v", err)
			}
			return // an invalid app may be refused
		}
		var back App
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if diff := cmp.Diff(a, back, cmpopts.EquateEmpty()); valid && diff != "" {
			t.Fatalf("valid app changed on the way through %s (-want +got):\n%s", out, diff)
		}
	})
}

// FuzzDecodeAssignment does the same for mobileAppAssignment.
func FuzzDecodeAssignment(f *testing.F) {
	f.Add([]byte(`{"id":"a","appId":"x","intent":"required","target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g"},"settings":{"useDeviceLicensing":false}}`))
	f.Add([]byte(`{"id":"a","intent":"uninstall","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a Assignment
		if err := json.Unmarshal(b, &a); err != nil {
			return
		}
		valid := ValidateAssignment(&a, nil) == nil
		out, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("accepted assignment does not encode: %v", err)
		}
		var back Assignment
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if diff := cmp.Diff(a, back); valid && diff != "" {
			t.Fatalf("valid assignment changed on the way through %s (-want +got):\n%s", out, diff)
		}
	})
}

// FuzzReport checks that Validate never panics on decoded reports.
func FuzzReport(f *testing.F) {
	f.Add([]byte(`{"deviceId":"d","inventory":[{"appId":"a","version":"1"}],"results":[{"commandId":1,"kind":"install","appId":"a","outcome":"failed","code":5}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Report
		if json.Unmarshal(b, &r) == nil {
			_ = r.Validate()
		}
	})
}
