package mdm

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		// Any instant from year -2200 to 12000, in any zone offset, seconds included.
		zone := time.FixedZone("", rapid.IntRange(-14*3600, 14*3600).Draw(t, "zoneOffset"))
		s.Deadline = time.Unix(rapid.Int64Range(-1.3e11, 3.2e11).Draw(t, "deadline"), rapid.Int64Range(0, 1e9-1).Draw(t, "nanos")).In(zone)
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

func drawApp(t *rapid.T) App {
	typ := rapid.SampledFrom(AppTypes()).Draw(t, "type")
	a := validApp(typ)
	a.ID = AppID(drawID(t, "id"))
	a.DisplayName = rapid.StringMatching(`[A-Za-z][A-Za-z0-9 ]{0,10}`).Draw(t, "name")
	a.Version = rapid.StringMatching(`([0-9]{1,3}(\.[0-9]{1,3}){0,3})?`).Draw(t, "version")
	if a.Publisher == "" {
		a.Publisher = rapid.StringMatching(`([A-Za-z]{1,8})?`).Draw(t, "publisher")
	}
	a.Categories = rapid.SliceOfDistinct(rapid.StringMatching(`[A-Za-z]{1,8}`), func(s string) string { return s }).Draw(t, "categories")
	a.State = PublishingState(rapid.IntRange(0, int(Processing)).Draw(t, "state"))
	if typ.PackageKind() == PackageFile {
		exts := typ.Extensions()
		a.Package.FileName = drawID(t, "file") + rapid.SampledFrom(exts).Draw(t, "ext")
		a.Package.Size = rapid.Int64Range(1, 3*GiB).Draw(t, "size")
	}
	if typ.IsSynced() {
		a.Origin.Token = TokenID(drawID(t, "token"))
		a.Origin.GoneFromStore = rapid.Bool().Draw(t, "gone")
	}
	if typ.IsWin32() {
		n := rapid.IntRange(0, 3).Draw(t, "deps")
		for i := 0; i < n; i++ {
			a.Dependencies = append(a.Dependencies, Dependency{App: AppID(drawID(t, "dep")), Kind: DependencyKind(rapid.IntRange(0, 1).Draw(t, "depKind"))})
		}
		n = rapid.IntRange(0, 3).Draw(t, "sups")
		for i := 0; i < n; i++ {
			a.Supersedes = append(a.Supersedes, Supersedence{App: AppID(drawID(t, "sup")), Kind: SupersedenceKind(rapid.IntRange(0, 1).Draw(t, "supKind"))})
		}
	}
	r := &a.Requirements
	r.MinOSVersion = rapid.StringMatching(`([0-9]{1,2}(\.[0-9]{1,5}){0,2})?`).Draw(t, "minOS")
	r.Architectures = rapid.SliceOfN(rapid.SampledFrom([]Architecture{ArchX86, ArchX64, ArchARM, ArchARM64}), 0, 4).Draw(t, "archs")
	r.MinFreeDiskMB = rapid.Int64Range(0, 1e6).Draw(t, "disk")
	r.MinMemoryMB = rapid.Int64Range(0, 1e6).Draw(t, "mem")
	r.MinCPUs = rapid.IntRange(0, 64).Draw(t, "cpus")
	r.MinCPUSpeedMHz = rapid.IntRange(0, 5000).Draw(t, "mhz")
	a.AllowUserUninstall = rapid.Bool().Draw(t, "allowUninstall")
	return a
}

// C2, C4, C9, C10, T11: every app ValidateApp accepts survives its Graph JSON
// form unchanged (empty and nil lists are the same list in JSON).
func TestJSON_AppRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a := drawApp(t)
		if err := ValidateApp(&a, AddOptions{FromSync: a.Type.IsSynced()}); err != nil {
			t.Skip("not a valid app: " + err.Error())
		}
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("valid app does not encode: %v", err)
		}
		var back App
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("decode of %s: %v", b, err)
		}
		if diff := cmp.Diff(a, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip of %s (-want +got):\n%s", b, diff)
		}
	})
}

// T14: a deadline is an instant and keeps it through JSON, even in a zone whose
// offset has seconds (RFC 3339 offsets have none, so "+01:00:30" used to be
// written as "+01:00" and the deadline moved 30 s); a deadline JSON cannot
// carry is refused by validation rather than by the encoder.
func TestJSON_AssignmentDeadline(t *testing.T) {
	base := Assignment{ID: "a", App: "x", Intent: Required, Target: AllDevicesTarget()}
	d := time.Date(2026, 12, 1, 9, 0, 0, 0, time.FixedZone("LMT", 3630))
	a := base
	a.Settings.Deadline = d
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var back Assignment
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Settings.Deadline.Equal(d) {
		t.Errorf("deadline %v came back as %v from %s", d, back.Settings.Deadline, b)
	}
	for _, y := range []int{10000, -1} {
		a := base
		a.Settings.Deadline = time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC)
		err := ValidateAssignment(&a, nil)
		ve, ok := err.(*ValidationError)
		if !ok || ve.Err != ErrInvalidSetting || ve.Field != "settings.installTimeSettings.deadlineDateTime" {
			t.Errorf("deadline in year %d: err = %v, want ErrInvalidSetting on settings.installTimeSettings.deadlineDateTime", y, err)
		}
	}
}

// C9, C10: a relationship's direction is child or parent. Any other targetType
// used to be read as child, turning a typo into an edge; it is an unknown enum
// now, named by the relationship's index.
func TestJSON_AppRelationshipDirection(t *testing.T) {
	const head = `{"@odata.type":"#microsoft.graph.win32LobApp","id":"a","displayName":"A","fileName":"a.intunewin","size":5,"relationships":[` +
		`{"@odata.type":"#microsoft.graph.mobileAppDependency","targetId":"b","targetType":"child"},`
	for _, c := range []struct{ rel, field string }{
		{`{"@odata.type":"#microsoft.graph.mobileAppDependency","targetId":"c","targetType":"sibling"}`, "relationships[1].targetType"},
		{`{"@odata.type":"#microsoft.graph.mobileAppSupersedence","targetId":"c","targetType":"Parent"}`, "relationships[1].targetType"},
		{`{"@odata.type":"#microsoft.graph.mobileAppRelationship","targetId":"c"}`, "relationships[1].@odata.type"},
	} {
		var a App
		err := json.Unmarshal([]byte(head+c.rel+`]}`), &a)
		ve, ok := err.(*ValidationError)
		if !ok || ve.Err != ErrUnknownEnum || ve.Field != c.field {
			t.Errorf("%s: err = %v (deps %v, supersedes %v), want ErrUnknownEnum on %s", c.rel, err, a.Dependencies, a.Supersedes, c.field)
		}
	}
}

// C2: an app type is decoded with one Graph prefix at most; a doubled prefix is
// an unknown type, not silently the type after it.
func TestAppType_UnmarshalTextPrefix(t *testing.T) {
	for _, s := range []string{"#microsoft.graph.win32LobApp", "microsoft.graph.win32LobApp", "win32LobApp"} {
		var typ AppType
		if err := typ.UnmarshalText([]byte(s)); err != nil || typ != AppTypeWin32 {
			t.Errorf("%q: %v, %v; want win32LobApp", s, typ, err)
		}
	}
	for _, s := range []string{"#microsoft.graph.microsoft.graph.win32LobApp", "microsoft.graph.microsoft.graph.win32LobApp", "#microsoft.graph.#microsoft.graph.win32LobApp"} {
		var typ AppType
		if err := typ.UnmarshalText([]byte(s)); !errors.Is(err, ErrUnknownEnum) {
			t.Errorf("%q: decoded as %v, err = %v; want ErrUnknownEnum", s, typ, err)
		}
	}
}

// C2, C9, C10, T11: an unknown enum value inside a mobileApp is reported at its
// JSON path, not under its Go type's name ("DependencyKind").
func TestJSON_AppEnumErrorPaths(t *testing.T) {
	const w = `{"@odata.type":"#microsoft.graph.win32LobApp","id":"a",`
	for _, c := range []struct{ json, field string }{
		{w + `"publishingState":"live"}`, "publishingState"},
		{`{"@odata.type":"#microsoft.graph.microsoftStoreForBusinessApp","id":"a","licenseType":"both"}`, "licenseType"},
		{w + `"relationships":[{"@odata.type":"#microsoft.graph.mobileAppDependency","targetId":"b"},` +
			`{"@odata.type":"#microsoft.graph.mobileAppDependency","targetId":"c","dependencyType":"auto"}]}`, "relationships[1].dependencyType"},
		{w + `"relationships":[{"@odata.type":"#microsoft.graph.mobileAppSupersedence","targetId":"c","supersedenceType":"upgrade"}]}`, "relationships[0].supersedenceType"},
		{w + `"applicableArchitectures":"x64,sparc"}`, "applicableArchitectures[1]"},
	} {
		var a App
		err := json.Unmarshal([]byte(c.json), &a)
		var ve *ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, ErrUnknownEnum) || ve.Field != c.field {
			t.Errorf("%s: err = %v, want ErrUnknownEnum on %s", c.json, err, c.field)
		}
	}
}
