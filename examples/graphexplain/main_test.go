package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mdmkit/mdmkit/assign"
	"github.com/mdmkit/mdmkit/examples/internal/golden"
	"github.com/mdmkit/mdmkit/mdm"
)

// The program on the embedded export: its output is the golden file (A6 rows 6
// and 8, an A5 exclusion that leaves the user-kind include, D3 on a userless
// kiosk, A11 explanations).
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(&out, defaultApps, defaultDirectory, defaultPairs); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "testdata/output.golden", out.Bytes())
}

// What the Graph decoding gives the resolver, checked on the data rather than
// on the text: Graph's settings (useDeviceLicensing, uninstallOnDeviceRemoval,
// the deadline) reach the effective settings (L4, A12, T14).
func TestLoadExport_Settings(t *testing.T) {
	r := assign.New()
	if _, err := loadDirectory(r, defaultDirectory); err != nil {
		t.Fatal(err)
	}
	exp, err := loadExport(r, defaultApps)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp.skipped) != 1 || !strings.Contains(exp.skipped[0], "managedIOSStoreApp") {
		t.Errorf("skipped %v, want the app protection entry", exp.skipped)
	}
	res, err := r.ResolveDevice("8a2ad16e-107a-4806-9b51-c6322463278e") // Dana's iPhone
	if err != nil {
		t.Fatal(err)
	}
	e, ok := res.Lookup("8eac871f-4920-41f2-b1f4-7e49e18692e2") // Outlook (VPP)
	if !ok || e.LicenseType != mdm.LicenseDevice || e.UninstallOnDeviceRemoval || e.Row != 8 {
		t.Errorf("Outlook on Dana's iPhone: %+v, want device licensing, kept on removal, row 8", e)
	}
	res, err = r.ResolveDevice("0edca4ec-a92d-44a3-9b94-1f4360908405") // ADA-LT-01
	if err != nil {
		t.Fatal(err)
	}
	e, ok = res.Lookup("dc3d716b-f22f-45fd-a5f0-f21231a06a7c") // Contoso VPN
	if !ok || e.Deadline.Format("2006-01-02T15:04") != "2026-02-25T17:00" {
		t.Errorf("VPN on ADA-LT-01: %+v, want the deadline of the required assignment", e)
	}
}

// Bad exports are refused with an error that names the app, the assignment,
// the field and the rule; a refused assignment is not half-made.
func TestLoadExport_Errors(t *testing.T) {
	const app = `{"@odata.type": "#microsoft.graph.win32LobApp", "id": "app-1", "displayName": "Tool",
		"publishingState": "published", "fileName": "tool.intunewin", "size": 1000, "assignments": [%s]}`
	const laptops = `{"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "92b850ad-7eb7-4f82-a3f6-5da874007cb4"}`
	for _, tc := range []struct {
		name, assignments string
		want              []string // in the message
		is                error
	}{
		{"no intent (A1)", `{"id": "x1", "target": ` + laptops + `}`, []string{"app-1", "intent", "A1"}, mdm.ErrMissingField},
		{"unknown intent", `{"id": "x1", "intent": "mandatory", "target": ` + laptops + `}`, []string{"mandatory"}, mdm.ErrUnknownEnum},
		{"unknown target type (A2)", `{"id": "x1", "intent": "required", "target": {"@odata.type": "#microsoft.graph.configurationManagerCollectionAssignmentTarget"}}`,
			[]string{"configurationManagerCollectionAssignmentTarget"}, mdm.ErrUnknownEnum},
		{"unknown group", `{"id": "x1", "intent": "required", "target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget", "groupId": "nope"}}`,
			[]string{"x1", "nope"}, nil},
		{"one group, two intents (A3)", `{"id": "x1", "intent": "required", "target": ` + laptops + `},
			{"id": "x2", "intent": "uninstall", "target": ` + laptops + `}`, []string{"x2", "A3"}, mdm.ErrConflictingIntent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := assign.New()
			if _, err := loadDirectory(r, defaultDirectory); err != nil {
				t.Fatal(err)
			}
			data := []byte(`{"value": [` + strings.Replace(app, "%s", tc.assignments, 1) + `]}`)
			_, err := loadExport(r, data)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			for _, a := range r.Assignments() {
				if a.ID != "x1" {
					t.Errorf("refused assignment %s was made", a.ID)
				}
			}
		})
	}
}

// A directory with a typo is refused, not half-read.
func TestLoadDirectory_Strict(t *testing.T) {
	_, err := loadDirectory(assign.New(), []byte(`{"users": [{"id": "u1", "mail": "ada@contoso.com"}]}`))
	if err == nil || !strings.Contains(err.Error(), "mail") {
		t.Fatalf("unknown field: %v", err)
	}
	_, err = loadDirectory(assign.New(), []byte(`{"groups": [{"id": "g1", "kind": "users", "users": ["nobody"]}]}`))
	if err == nil || !strings.Contains(err.Error(), "g1") {
		t.Fatalf("unknown member: %v", err)
	}
}
