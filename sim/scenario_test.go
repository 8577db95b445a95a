package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/mdm"
)

func readSmall(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/small.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeScenario_small(t *testing.T) {
	sc, err := DecodeScenario(readSmall(t))
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "small" || sc.Fleet.Devices != 200 || len(sc.Apps) != 2 || dur(sc.Duration) != 10*Day {
		t.Fatalf("decoded %+v", sc)
	}
	if got := sc.Apps[1].Type; got != mdm.AppTypeIOSVPP {
		t.Fatalf("apps[1].type = %v", got)
	}
	// A profile gives only what differs from device.DefaultProfile().
	want := device.DefaultProfile()
	want.BooksAppProbability, want.Schedule.NightOffProbability = 0.9, 0.1
	if diff := cmp.Diff(want, sc.Behavior.Profiles[0].Profile); diff != "" {
		t.Fatalf("profile (-want +got):\n%s", diff)
	}
	// The JSON form round-trips: what a Go program builds can be written to a
	// file and read back unchanged.
	out, err := json.MarshalIndent(sc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeScenario(out)
	if err != nil {
		t.Fatalf("re-decoding the encoded scenario: %v\n%s", err, out)
	}
	if diff := cmp.Diff(sc, back); diff != "" {
		t.Fatalf("round trip changed the scenario (-before +after):\n%s", diff)
	}
}

// Every field's errors: each case changes one thing in testdata/small.json and
// expects an error that names the field, on the line where the value stands.
func TestDecodeScenario_fieldErrors(t *testing.T) {
	base := string(readSmall(t))
	cases := []struct {
		name, old, new string
		field          string // the error's field
		sentinel       error  // also wrapped, besides ErrInvalidScenario
	}{
		{"unknown top field", `"seed": 7,`, `"seed": 7, "sed": 1,`, "sed", nil},
		{"unknown nested field", `"userlessShare": 0.05,`, `"userlessShare": 0.05, "kiosks": 3,`, "fleet.kiosks", nil},
		{"field twice", `"seed": 7,`, `"seed": 7, "seed": 8,`, "seed", nil},
		{"wrong kind", `"seed": 7`, `"seed": "seven"`, "seed", nil},
		{"negative seed", `"seed": 7`, `"seed": -7`, "seed", nil},
		{"fraction for int", `"devices": 200`, `"devices": 200.5`, "fleet.devices", nil},
		{"bad duration", `"duration": "10d"`, `"duration": "ten days"`, "duration", nil},
		{"zero duration", `"duration": "10d"`, `"duration": "0s"`, "duration", nil},
		{"long duration", `"duration": "10d"`, `"duration": "500d"`, "duration", nil},
		{"sample too fine", `"sampleEvery": "6h"`, `"sampleEvery": "1s"`, "sampleEvery", nil},
		{"too many samples", `"sampleEvery": "6h"`, `"sampleEvery": "1m"`, "sampleEvery", nil}, // 14,401 in 10d
		{"start", `"seed": 7,`, `"seed": 7, "start": "yesterday",`, "start", nil},
		// package device counts a run's calendar in int64 nanoseconds: up to 2116
		{"start past the device calendar", `"seed": 7,`, `"seed": 7, "start": "2150-01-01T00:00:00Z",`, "start", nil},
		{"unknown platform", `"platform": "iOS"`, `"platform": "iOZ"`, "fleet.platforms[1].platform", mdm.ErrUnknownEnum},
		{"platform twice", `"platform": "iOS"`, `"platform": "windows"`, "fleet.platforms[1].platform", nil},
		{"platform shares", `"share": 0.4, "osVersions"`, `"share": 0.5, "osVersions"`, "fleet.platforms", nil},
		{"share range", `"share": 0.4, "osVersions"`, `"share": 1.4, "osVersions"`, "fleet.platforms[1].share", nil},
		{"os shares", `"version": "16.7", "share": 0.3`, `"version": "16.7", "share": 0.2`, "fleet.platforms[1].osVersions", nil},
		{"os version empty", `"version": "16.7"`, `"version": ""`, "fleet.platforms[1].osVersions[1].version", nil},
		{"join type on iOS", `"profile": "phone"}`, `"profile": "phone", "joinType": "adDomain"}`, "fleet.platforms[1].joinType", nil},
		{"devices", `"devices": 200`, `"devices": 0`, "fleet.devices", nil},
		{"users", `"users": 150`, `"users": 0`, "fleet.users", nil},
		{"userless share", `"userlessShare": 0.05`, `"userlessShare": -0.05`, "fleet.userlessShare", nil},
		{"group kind", `"kind": "users", "share": 0.3`, `"kind": "people", "share": 0.3`, "fleet.groups[0].kind", mdm.ErrUnknownEnum},
		{"group id twice", `{"id": "ios", "kind"`, `{"id": "sales", "kind"`, "fleet.groups[1].id", nil},
		{"nested unknown", `"kind": "users", "share": 0.3}`, `"kind": "users", "share": 0.3, "groups": ["nobody"]}`, "fleet.groups[0].groups[0]", nil},
		{"nested kind", `"kind": "users", "share": 0.3}`, `"kind": "users", "share": 0.3, "groups": ["ios"]}`, "fleet.groups[0].groups[0]", nil},
		{"platforms on user group", `"kind": "users", "share": 0.3}`, `"kind": "users", "share": 0.3, "platforms": ["iOS"]}`, "fleet.groups[0].platforms", nil},
		{"empty group", `"kind": "users", "share": 0.3`, `"kind": "users", "share": 0`, "fleet.groups[0].share", nil},
		{"wave shares", `"over": "1d", "share": 1`, `"over": "1d", "share": 0.9`, "fleet.enrollment", nil},
		{"wave after end", `"at": "0s", "over": "1d"`, `"at": "0s", "over": "11d"`, "fleet.enrollment[0].over", nil},
		// at+over would pass the int64 nanoseconds of virtual time and wrap below the end
		{"wave past the end of time", `"at": "0s", "over": "1d"`, `"at": "1d", "over": "106751d"`, "fleet.enrollment[0].over", nil},
		{"app id twice", `{"id": "outlook"`, `{"id": "vpn"`, "apps[1].id", nil},
		{"app type", `"type": "win32LobApp"`, `"type": "win33LobApp"`, "apps[0].type", mdm.ErrUnknownEnum},
		{"app type missing", `"type": "win32LobApp", `, ``, "apps[0].type", nil},
		{"package too large", `"sizeMB": 40`, `"sizeMB": 40000`, "apps[0].package.size", mdm.ErrPackageTooLarge},
		{"store on LOB", `"sizeMB": 40}`, `"sizeMB": 40, "store": {"token": "vpp-main", "licenses": 1}}`, "apps[0].store", nil},
		{"store missing", `, "store": {"token": "vpp-main", "licenses": 50}`, ``, "apps[1].store", nil},
		{"store token", `"token": "vpp-main", "licenses": 50`, `"token": "vpp-other", "licenses": 50`, "apps[1].store.token", nil},
		{"licenses", `"licenses": 50`, `"licenses": -50`, "apps[1].store.licenses", nil},
		{"licensing on VPP", `"licenses": 50}`, `"licenses": 50, "licensing": "online"}`, "apps[1].store.licensing", nil},
		// L1: an Apple token lives a year; the tenant refuses a later expDate
		{"token lives over a year", `{"id": "vpp-main", "location": "Contoso"}`,
			`{"id": "vpp-main", "location": "Contoso", "expiresAfter": "400d"}`, "stores.vpp[0].expiresAfter", nil},
		{"token id twice", `"stores": {"vpp": [{"id": "vpp-main", "location": "Contoso"}]}`,
			`"stores": {"vpp": [{"id": "vpp-main", "location": "Contoso"}], "storeForBusiness": [{"id": "vpp-main"}]}`, "stores.storeForBusiness[0].id", nil},
		{"assignment app", `"app": "vpn", "intent": "required"`, `"app": "vnp", "intent": "required"`, "assignments[0].app", nil},
		{"assignment intent", `"intent": "required", "target": "allUsers"`, `"intent": "requird", "target": "allUsers"`, "assignments[0].intent", mdm.ErrUnknownEnum},
		{"assignment target", `"target": "allUsers"`, `"target": "everyone"`, "assignments[0].target", nil},
		{"assignment group", `"target": "group:ios"`, `"target": "group:android"`, "assignments[1].target", nil},
		{"license type on LOB", `"target": "allUsers"}`, `"target": "allUsers", "licenseType": "user"}`, "assignments[0].licenseType", mdm.ErrInvalidSetting},
		{"deadline on available", `"intent": "required", "target": "allUsers"}`, `"intent": "available", "target": "allUsers", "deadline": "1d"}`, "assignments[0].deadline", mdm.ErrInvalidSetting},
		{"outage window", `"from": "2d", "to": "2d6h"`, `"from": "2d", "to": "1d"`, "faults.storeOutages[0].to", nil},
		{"outage token", `"storeOutages": [{"token": "vpp-main"`, `"storeOutages": [{"token": "nope"`, "faults.storeOutages[0].token", nil},
		// at+takeBackAfter would wrap to a time before the start: the run failed in its event queue
		{"take back past the end of time", `"faults": {`, `"faults": {"tokenClaims": [{"token": "vpp-main", "at": "1d", "takeBackAfter": "106751d"}], `,
			"faults.tokenClaims[0].takeBackAfter", nil},
		{"outage status", `"to": "2d6h"}`, `"to": "2d6h", "status": 200}`, "faults.storeOutages[0].status", nil},
		{"timeline order", `{"at": "5d", "action": "newVersion"`, `{"at": "1d", "action": "newVersion"`, "timeline[2].at", nil},
		{"timeline action", `"action": "buyLicenses"`, `"action": "buyLicences"`, "timeline[0].action", nil},
		{"timeline count", `"count": 40`, `"count": 0`, "timeline[0].count", nil},
		{"timeline unused field", `"count": 40}`, `"count": 40, "version": "2"}`, "timeline[0].version", nil},
		{"timeline id", `"id": "a-vpn", "intent": "available"`, `"id": "a-none", "intent": "available"`, "timeline[1].id", nil},
		{"timeline intent", `"id": "a-vpn", "intent": "available"`, `"id": "a-vpn"`, "timeline[1].intent", nil},
		// every store sync after the purchase would fail: a pool counts at most 1<<30 (L18)
		{"licenses bought over a pool's count", `{"at": "3d", "action": "buyLicenses"`,
			strings.Repeat(`{"at": "3d", "action": "buyLicenses", "app": "outlook", "count": 100000000}, `, 11) +
				`{"at": "3d", "action": "buyLicenses"`, "timeline[10].count", nil},
		{"buy for LOB", `"app": "outlook", "count": 40`, `"app": "vpn", "count": 40`, "timeline[0].app", nil},
		{"timeline after end", `{"at": "5d", "action": "newVersion"`, `{"at": "15d", "action": "newVersion"`, "timeline[2].at", nil},
		{"syntax", `"seed": 7,`, `"seed": 7,,`, "", nil},
		{"trailing", "\n}\n", "\n}\n{}", "", nil},
		{"profile unknown field", `"booksAppProbability": 0.9`, `"booksAppProbability": 0.9, "batery": 1`, "behavior.profiles[0].profile.batery", nil},
		{"profile value", `"nightOffProbability": 0.1`, `"nightOffProbability": 1.1`, "behavior.profiles[0].profile.schedule.nightOffProbability", nil},
		// encoding/json would leave the field as it is; package device refuses a null in a profile
		{"profile null", `"nightOffProbability": 0.1`, `"nightOffProbability": null`, "behavior.profiles[0].profile.schedule.nightOffProbability", nil},
		{"profile null whole", `"profile": {"booksAppProbability": 0.9, "schedule": {"nightOffProbability": 0.1}}`, `"profile": null`, "behavior.profiles[0].profile", nil},
		{"profile name", `{"name": "phone"`, `{"name": ""`, "behavior.profiles[0].name", nil},
		{"profile reference", `"profile": "phone"}`, `"profile": "tablet"}`, "fleet.platforms[1].profile", nil},
		{"policy jitter", `"seed": 7,`, `"seed": 7, "policy": {"checkInJitter": 1.5},`, "policy.checkInJitter", nil},
		{"policy steady", `"seed": 7,`, `"seed": 7, "policy": {"steadyCheckIn": "5m"},`, "policy.steadyCheckIn", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(base, c.old) {
				t.Fatalf("the base scenario has no %q", c.old)
			}
			src := strings.Replace(base, c.old, c.new, 1)
			sc, err := DecodeScenario([]byte(src))
			if err == nil {
				t.Fatalf("accepted: %+v", sc)
			}
			if sc != nil {
				t.Fatal("returned a scenario with an error")
			}
			if !errors.Is(err, ErrInvalidScenario) {
				t.Fatalf("error %v does not wrap ErrInvalidScenario", err)
			}
			var se *ScenarioError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *ScenarioError", err)
			}
			var hit *FieldError
			for _, fe := range se.Errors {
				if fe.Field == c.field {
					hit = fe
					break
				}
			}
			if hit == nil {
				t.Fatalf("no error names %q:\n%v", c.field, err)
			}
			if hit.Line == 0 {
				t.Fatalf("error %v has no line", hit)
			}
			// The line is where the field, or the nearest enclosing value
			// present in the file, stands.
			line := strings.Split(src, "\n")[hit.Line-1]
			if key := lastKey(c.field); key != "" && strings.Contains(c.new, `"`+key+`"`) && !strings.Contains(line, `"`+key+`"`) {
				t.Fatalf("error on line %d %q, which does not hold %q", hit.Line, line, key)
			}
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Fatalf("error %v does not wrap %v", err, c.sentinel)
			}
			if hit.Reason == "" || (hit.Remedy == "" && c.field != "") {
				t.Fatalf("error %+v lacks a reason or a remedy", hit)
			}
		})
	}
}

// lastKey is the last name of a path: "fleet.groups[0].kind" → "kind".
func lastKey(path string) string {
	path = strings.TrimRight(path, "]0123456789[")
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

// A start Validate accepts is one the run accepts: the latest year runs.
func TestDecodeScenario_latestStartRuns(t *testing.T) {
	start := fmt.Sprintf(`"seed": 7, "start": "%d-12-31T23:00:00-05:00",`, maxStartYear)
	src := strings.Replace(string(readSmall(t)), `"seed": 7,`, start, 1)
	sc, err := DecodeScenario([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), sc, Options{Until: 2 * Day}); err != nil {
		t.Fatalf("accepted, then Run says: %v", err)
	}
}

// A nil scenario is refused with the package's error, never a panic: Run
// validates first.
func TestValidate_nil(t *testing.T) {
	var sc *Scenario
	if err := sc.Validate(); !errors.Is(err, ErrInvalidScenario) {
		t.Fatalf("Validate of nil: %v", err)
	}
	if rep, err := Run(context.Background(), nil, Options{}); rep != nil || !errors.Is(err, ErrInvalidScenario) {
		t.Fatalf("Run of nil: %v, %v", rep, err)
	}
}

func TestDecodeScenario_collectsSeveral(t *testing.T) {
	src := strings.NewReplacer(`"devices": 200`, `"devices": 0`, `"users": 150`, `"users": -1`).Replace(string(readSmall(t)))
	_, err := DecodeScenario([]byte(src))
	var se *ScenarioError
	if !errors.As(err, &se) || len(se.Errors) < 2 {
		t.Fatalf("want both errors, got %v", err)
	}
	if se.Errors[0].Line > se.Errors[1].Line {
		t.Fatalf("errors not in file order: %v", err)
	}
}

func TestReadScenario_namesTheFile(t *testing.T) {
	_, err := ReadScenario(strings.NewReader(`{"duration": "1x"}`), "what-if.json")
	if err == nil || !strings.HasPrefix(err.Error(), "what-if.json:1:") {
		t.Fatalf("error %v does not start with the file and line", err)
	}
	big := bytes.Repeat([]byte(" "), MaxScenarioBytes+1)
	if _, err := ReadScenario(bytes.NewReader(big), "big.json"); !errors.Is(err, ErrInvalidScenario) {
		t.Fatalf("a file over the limit: %v", err)
	}
}

// FuzzDecodeScenario: no input panics, and an accepted scenario validates and
// survives a round trip through its JSON form.
func FuzzDecodeScenario(f *testing.F) {
	f.Add(readSmall(f))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"duration": "1d", "fleet": {"devices": 1, "users": 1, "platforms": [{"platform": "iOS", "share": 1, "osVersions": [{"version": "17", "share": 1}]}], "enrollment": [{"at": "0s", "over": "0s", "share": 1}]}, "apps": []}`))
	f.Add([]byte(`{"timeline": [{"at": "1d", "action": "assign", "assignment": {"id": "x"}}]}`))
	f.Add([]byte(`[1, 2, {"a": null}]`))
	f.Add([]byte(`{"behavior": {"profiles": [{"name": "p", "profile": {"schedule": null}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := DecodeScenario(data)
		if err != nil {
			if sc != nil {
				t.Fatal("a scenario and an error")
			}
			if !errors.Is(err, ErrInvalidScenario) {
				t.Fatalf("error %v does not wrap ErrInvalidScenario", err)
			}
			// The strict walk accepts only what the decoders behind it accept:
			// an error it did not see itself is a bug of the walk, and it names
			// no field.
			if msg := err.Error(); strings.Contains(msg, "as a bug in package sim") {
				t.Fatalf("the walk let through what decoding refuses: %v", err)
			}
			return
		}
		if err := sc.Validate(); err != nil {
			t.Fatalf("accepted, then Validate says: %v", err)
		}
		out, err := json.Marshal(sc)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeScenario(out); err != nil {
			t.Fatalf("the encoded form of an accepted scenario is refused: %v\n%s", err, out)
		}
	})
}

// MaxSamples counts every sample a run takes: the one at the start, one every
// sampleEvery and the one at the end. A run of MaxSamples-2 minutes sampled
// every minute takes exactly MaxSamples; a minute more is refused.
func TestValidate_maxSamples(t *testing.T) {
	sc, err := DecodeScenario(readSmall(t))
	if err != nil {
		t.Fatal(err)
	}
	sc.SampleEvery = Duration(time.Minute)
	sc.Duration = Duration((MaxSamples - 2) * time.Minute)
	sc.Timeline, sc.Faults = nil, FaultsSpec{}
	if err := sc.Validate(); err != nil {
		t.Fatalf("%d samples: %v", MaxSamples, err)
	}
	// what samples counts is what a run takes
	short := *sc
	short.Duration = Duration(90*time.Minute + 30*time.Second)
	short.Fleet.Enrollment = []WaveSpec{{Over: Duration(time.Hour), Share: 1}}
	rep, err := Run(context.Background(), &short, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Samples), samples(dur(short.Duration), time.Minute); int64(got) != want {
		t.Fatalf("a run of %s sampled every minute took %d samples; samples says %d", short.Duration, got, want)
	}
	sc.Duration += Duration(time.Minute)
	var se *ScenarioError
	if err := sc.Validate(); !errors.As(err, &se) || len(se.Errors) == 0 || se.Errors[0].Field != "sampleEvery" {
		t.Fatalf("%d samples: %v; want a sampleEvery error", MaxSamples+1, err)
	}
}
