package mdm

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func drawID(t *rapid.T, label string) string {
	return rapid.StringMatching(`[A-Za-z0-9._-]{1,12}`).Draw(t, label)
}

func drawTarget(t *rapid.T) Target {
	k := TargetKind(rapid.IntRange(int(TargetGroup), int(TargetAllDevices)).Draw(t, "targetKind"))
	tg := Target{Kind: k}
	if tg.HasGroup() {
		tg.Group = GroupID(drawID(t, "group"))
	}
	return tg
}

func drawAssignment(t *rapid.T) Assignment {
	a := Assignment{
		ID:     AssignmentID(drawID(t, "id")),
		App:    AppID(drawID(t, "app")),
		Intent: rapid.SampledFrom(Intents()).Draw(t, "intent"),
		Target: drawTarget(t),
	}
	s := &a.Settings
	s.LicenseType = LicenseType(rapid.IntRange(0, 2).Draw(t, "license"))
	switch rapid.IntRange(0, 2).Draw(t, "uninstallOnRemoval") {
	case 1:
		v := true
		s.UninstallOnDeviceRemoval = &v
	case 2:
		v := false
		s.UninstallOnDeviceRemoval = &v
	}
	s.PreventAutoUpdate = rapid.Bool().Draw(t, "preventAutoUpdate")
	if a.Intent == Required && rapid.Bool().Draw(t, "hasDeadline") {
		s.Deadline = time.Unix(rapid.Int64Range(0, 4e9).Draw(t, "deadline"), rapid.Int64Range(0, 1e9-1).Draw(t, "nanos")).UTC()
	}
	switch rapid.IntRange(0, 2).Draw(t, "graceKind") {
	case 1: // whole minutes
		s.RestartGracePeriod = time.Duration(rapid.Int64Range(0, int64(MaxRestartGracePeriod/time.Minute)).Draw(t, "graceMinutes")) * time.Minute
	case 2: // any duration in range
		s.RestartGracePeriod = time.Duration(rapid.Int64Range(0, int64(MaxRestartGracePeriod)).Draw(t, "graceNanos"))
	}
	return a
}

// A1, A2, T14: every assignment ValidateAssignment accepts survives its Graph JSON
// form unchanged, and the decoded form is accepted too.
func TestJSON_AssignmentRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := drawAssignment(t)
		if ValidateAssignment(&a, nil) != nil {
			t.Skip("not a valid assignment")
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("valid assignment does not encode: %v", err)
		}
		var back Assignment
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("decode of %s: %v", b, err)
		}
		if diff := cmp.Diff(a, back); diff != "" {
			t.Fatalf("round trip of %s (-want +got):\n%s", b, diff)
		}
		if err := ValidateAssignment(&back, nil); err != nil {
			t.Fatalf("decoded assignment refused: %v", err)
		}
	})
}

// T14: the Graph form counts the grace period in minutes. A count whose
// duration does not fit in an int64 used to wrap silently, here to 44 s, which
// then passed validation.
func TestJSON_AssignmentRestartGraceOverflow(t *testing.T) {
	for _, m := range []int64{307445734561825861, math.MaxInt64, math.MinInt64, math.MaxInt64/int64(time.Minute) + 1} {
		j := `{"id":"a","appId":"x","intent":"required","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"},` +
			`"settings":{"restartSettings":{"gracePeriodInMinutes":` + itoa64(m) + `}}}`
		var a Assignment
		err := json.Unmarshal([]byte(j), &a)
		if err == nil {
			err = ValidateAssignment(&a, nil)
		}
		ve, ok := err.(*ValidationError)
		if !ok || ve.Field != "settings.restartSettings.gracePeriodInMinutes" || ve.Err != ErrInvalidSetting {
			t.Errorf("gracePeriodInMinutes %d: decoded to %v, err = %v; want ErrInvalidSetting on settings.restartSettings.gracePeriodInMinutes",
				m, a.Settings.RestartGracePeriod, err)
		}
	}
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }
