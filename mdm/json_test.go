package mdm

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// enumCase lists every value of one enum, its JSON names, and a fresh pointer to
// decode into.
type enumCase struct {
	name   string
	values []any // each a value of the enum type
	want   []string
	decode func() any // returns a pointer to a zero value of the type
}

func intentValues() []any {
	var out []any
	for _, i := range Intents() {
		out = append(out, i)
	}
	return out
}

func allEnums() []enumCase {
	states := []any{}
	stateNames := []string{}
	for _, s := range InstallStates() {
		states = append(states, s)
		stateNames = append(stateNames, installStateNames[s])
	}
	details := []any{}
	detailNames := []string{}
	for _, d := range InstallDetails() {
		details = append(details, d)
		detailNames = append(detailNames, installDetailNames[d])
	}
	types := []any{}
	typeNames := []string{}
	for _, t := range AppTypes() {
		types = append(types, t)
		typeNames = append(typeNames, "#microsoft.graph."+appTypes[t].graph)
	}
	return []enumCase{
		// A1: Graph intent names.
		{"Intent", intentValues(), []string{"available", "required", "uninstall", "availableWithoutEnrollment"}, func() any { return new(Intent) }},
		// A2: Graph target types.
		{"TargetKind", []any{TargetGroup, TargetExclusionGroup, TargetAllUsers, TargetAllDevices}, []string{
			"#microsoft.graph.groupAssignmentTarget", "#microsoft.graph.exclusionGroupAssignmentTarget",
			"#microsoft.graph.allLicensedUsersAssignmentTarget", "#microsoft.graph.allDevicesAssignmentTarget"}, func() any { return new(TargetKind) }},
		// T1: install states (the seven Graph names among them) and details.
		{"InstallState", states, stateNames, func() any { return new(InstallState) }},
		{"InstallDetail", details, detailNames, func() any { return new(InstallDetail) }},
		// C2: app types as Graph @odata.type.
		{"AppType", types, typeNames, func() any { return new(AppType) }},
		{"GeneralType", []any{GeneralStore, GeneralLOB, GeneralBuiltIn, GeneralWeb, GeneralOtherService}, []string{"store", "lineOfBusiness", "builtIn", "webLink", "otherService"}, func() any { return new(GeneralType) }},
		{"Platform", []any{PlatformAndroid, PlatformAndroidEnterprise, PlatformIOS, PlatformMacOS, PlatformWindows}, []string{"android", "androidEnterprise", "iOS", "macOS", "windows"}, func() any { return new(Platform) }},
		{"Architecture", []any{ArchX86, ArchX64, ArchARM, ArchARM64}, []string{"x86", "x64", "arm", "arm64"}, func() any { return new(Architecture) }},
		{"PublishingState", []any{Published, NotPublished, Processing}, []string{"published", "notPublished", "processing"}, func() any { return new(PublishingState) }},
		{"StoreKind", []any{StoreNone, StoreAppleVPP, StoreMicrosoftBusiness}, []string{"none", "appleVpp", "microsoftStoreForBusiness"}, func() any { return new(StoreKind) }},
		{"LicenseMode", []any{LicenseOnline, LicenseOffline}, []string{"online", "offline"}, func() any { return new(LicenseMode) }},
		{"DependencyKind", []any{AutoInstall, DetectOnly}, []string{"autoInstall", "detect"}, func() any { return new(DependencyKind) }},
		{"SupersedenceKind", []any{Update, Replace}, []string{"update", "replace"}, func() any { return new(SupersedenceKind) }},
		{"LicenseType", []any{LicenseDefault, LicenseDevice, LicenseUser}, []string{"default", "device", "user"}, func() any { return new(LicenseType) }},
		{"Ownership", []any{OwnershipUnknown, OwnershipCorporate, OwnershipPersonal}, []string{"unknown", "company", "personal"}, func() any { return new(Ownership) }},
		{"JoinType", []any{JoinNone, JoinAD, JoinEntra, JoinHybrid, JoinWorkplace}, []string{"none", "adDomain", "entra", "hybrid", "workplace"}, func() any { return new(JoinType) }},
		{"Enrollment", []any{EnrolledMDM, AppProtectionOnly}, []string{"mdm", "appProtectionOnly"}, func() any { return new(Enrollment) }},
		{"AndroidEnterpriseMode", []any{AndroidModeNone, AndroidModePersonallyOwnedWorkProfile, AndroidModeCorporateOwnedWorkProfile, AndroidModeFullyManaged, AndroidModeDedicated},
			[]string{"none", "personallyOwnedWorkProfile", "corporateOwnedWorkProfile", "fullyManaged", "dedicated"}, func() any { return new(AndroidEnterpriseMode) }},
		{"MemberKind", []any{UserMembers, DeviceMembers}, []string{"users", "devices"}, func() any { return new(MemberKind) }},
		{"TokenState", []any{TokenValid, TokenExpired, TokenInvalid, TokenAssignedToExternalMDM, TokenDuplicate}, []string{"valid", "expired", "invalid", "assignedToExternalMDM", "duplicate"}, func() any { return new(TokenState) }},
		{"SyncStatus", []any{SyncNone, SyncInProgress, SyncCompleted, SyncFailed}, []string{"none", "inProgress", "completed", "failed"}, func() any { return new(SyncStatus) }},
		{"CommandKind", []any{CommandInstall, CommandUninstall, CommandUpdate}, []string{"install", "uninstall", "update"}, func() any { return new(CommandKind) }},
		{"Outcome", []any{OutcomeSucceeded, OutcomeFailed, OutcomeRetry, OutcomePendingReboot, OutcomeNotNow}, []string{"succeeded", "failed", "retry", "pendingReboot", "notNow"}, func() any { return new(Outcome) }},
		{"PortalAction", []any{PortalInstall, PortalUninstall}, []string{"install", "uninstall"}, func() any { return new(PortalAction) }},
	}
}

// A1, A2, T1, C2: every enum round-trips through JSON by its Graph name, and an
// unknown name is an ErrUnknownEnum error, never a silent zero.
func TestJSON_EnumRoundTrip(t *testing.T) {
	for _, c := range allEnums() {
		t.Run(c.name, func(t *testing.T) {
			if len(c.values) != len(c.want) {
				t.Fatalf("%d values, %d names", len(c.values), len(c.want))
			}
			for i, v := range c.values {
				b, err := json.Marshal(v)
				if err != nil {
					t.Fatalf("marshal %v: %v", v, err)
				}
				if got := string(b); got != `"`+c.want[i]+`"` {
					t.Errorf("marshal %v = %s, want %q", v, got, c.want[i])
				}
				p := c.decode()
				if err := json.Unmarshal(b, p); err != nil {
					t.Fatalf("unmarshal %s: %v", b, err)
				}
				if got := reflect.ValueOf(p).Elem().Interface(); got != v {
					t.Errorf("round trip %v -> %s -> %v", v, b, got)
				}
			}
			p := c.decode()
			err := json.Unmarshal([]byte(`"noSuchValue"`), p)
			if !errors.Is(err, ErrUnknownEnum) {
				t.Errorf("unknown name: err = %v, want ErrUnknownEnum", err)
			}
			if !reflect.ValueOf(p).Elem().IsZero() {
				t.Errorf("unknown name changed the value to %v", reflect.ValueOf(p).Elem())
			}
		})
	}
	// Marshaling a value outside the enum is an error too.
	if _, err := json.Marshal(Intent(7)); !errors.Is(err, ErrUnknownEnum) {
		t.Errorf("marshal Intent(7): %v", err)
	}
	if _, err := json.Marshal(AppType(200)); !errors.Is(err, ErrUnknownEnum) {
		t.Errorf("marshal AppType(200): %v", err)
	}
}

// T1: Graph's numbers and the folding of the finer states.
func TestInstallState_Graph(t *testing.T) {
	want := map[InstallState]int{
		StateInstalled: 1, StateFailed: 2, StateNotInstalled: 3, StateUninstallFailed: 4,
		StatePendingInstall: 5, StateUnknown: 99, StateNotApplicable: -1,
		StateAvailable: 3, StateInstallRequested: 5, StateInstalling: 5, StatePendingReboot: 5,
		StateRequirementsNotMet: -1,
	}
	for _, s := range InstallStates() {
		n, ok := want[s]
		if !ok {
			t.Errorf("no expectation for %v", s)
			continue
		}
		if got := s.GraphNumber(); got != n {
			t.Errorf("%v.GraphNumber() = %d, want %d", s, got, n)
		}
		if g := s.GraphState(); g.GraphState() != g {
			t.Errorf("%v folds to %v, which is not a Graph state", s, g)
		}
	}
}

// A1, A2: assignments and targets in Graph's JSON form, both ways.
func TestJSON_Assignment(t *testing.T) {
	no := false
	deadline := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	in := []Assignment{
		{ID: "a1", App: "app", Intent: Required, Target: GroupTarget("g1"),
			Settings: AssignmentSettings{LicenseType: LicenseUser, UninstallOnDeviceRemoval: &no, PreventAutoUpdate: true,
				Deadline: deadline, RestartGracePeriod: 90 * time.Minute}},
		{ID: "a2", App: "app", Intent: Available, Target: ExclusionTarget("g2")},
		{ID: "a3", App: "app", Intent: AvailableWithoutEnrollment, Target: AllUsersTarget()},
		{ID: "a4", App: "app", Intent: Uninstall, Target: AllDevicesTarget(), Settings: AssignmentSettings{LicenseType: LicenseDevice}},
	}
	for _, a := range in {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var out Assignment
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if diff := cmp.Diff(a, out); diff != "" {
			t.Errorf("round trip of %s (-want +got):\n%s", b, diff)
		}
	}
	b, _ := json.Marshal(in[0])
	want := `{"id":"a1","appId":"app","intent":"required","target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget","groupId":"g1"},"settings":{"useDeviceLicensing":false,"uninstallOnDeviceRemoval":false,"preventAutoAppUpdate":true,"installTimeSettings":{"deadlineDateTime":"2026-12-01T09:00:00Z"},"restartSettings":{"gracePeriodInMinutes":90}}}`
	if string(b) != want {
		t.Errorf("Graph form:\n got %s\nwant %s", b, want)
	}
	bad := []struct {
		json string
		want error
	}{
		{`{"id":"x","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}`, ErrMissingField},
		{`{"id":"x","intent":"required"}`, ErrMissingField},
		{`{"id":"x","intent":"mandatory","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget"}}`, ErrUnknownEnum},
		{`{"id":"x","intent":"required","target":{"@odata.type":"#microsoft.graph.configurationManagerCollectionAssignmentTarget"}}`, ErrUnknownEnum},
		{`{"id":"x","intent":"required","target":{"groupId":"g"}}`, ErrMissingField},
		{`{"id":"x","intent":"required","target":{"@odata.type":"#microsoft.graph.groupAssignmentTarget"}}`, ErrInvalidID},
		{`{"id":"x","intent":"required","target":{"@odata.type":"#microsoft.graph.allDevicesAssignmentTarget","groupId":"g"}}`, ErrInvalidTarget},
	}
	for _, c := range bad {
		var a Assignment
		if err := json.Unmarshal([]byte(c.json), &a); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.json, err, c.want)
		}
	}
}

// C2, C9, C10: apps in Graph's mobileApp form, both ways.
func TestJSON_App(t *testing.T) {
	w := validApp(AppTypeWin32)
	w.Version = "2.1.0"
	w.Publisher = "Contoso"
	w.Categories = []string{"Productivity"}
	w.Dependencies = []Dependency{{App: "vcredist"}, {App: "dotnet", Kind: DetectOnly}}
	w.Supersedes = []Supersedence{{App: "old", Kind: Replace}}
	w.Requirements = Requirements{MinOSVersion: "10.0.19041", Architectures: []Architecture{ArchX64, ArchARM64},
		MinFreeDiskMB: 500, MinMemoryMB: 4096, MinCPUs: 2, MinCPUSpeedMHz: 1800}
	w.AllowUserUninstall = true
	apps := []App{w}
	for _, typ := range AppTypes() {
		apps = append(apps, validApp(typ))
	}
	for _, a := range apps {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("%v: %v", a.Type, err)
		}
		var out App
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if diff := cmp.Diff(a, out); diff != "" {
			t.Errorf("round trip of %s (-want +got):\n%s", b, diff)
		}
	}
	// Graph lists each relationship on both apps; the parent side is skipped.
	graph := `{"@odata.type":"#microsoft.graph.win32LobApp","id":"vcredist","displayName":"VC++","fileName":"vc.intunewin","size":5,
		"publishingState":"published","relationships":[{"@odata.type":"#microsoft.graph.mobileAppDependency","targetId":"app","targetType":"parent","dependencyType":"autoInstall"}]}`
	var a App
	if err := json.Unmarshal([]byte(graph), &a); err != nil || len(a.Dependencies) != 0 {
		t.Errorf("parent relationship: deps %v, err %v", a.Dependencies, err)
	}
	if err := json.Unmarshal([]byte(`{"id":"x","displayName":"x"}`), &a); !errors.Is(err, ErrMissingField) {
		t.Errorf("missing @odata.type: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"@odata.type":"#microsoft.graph.windowsPhone81AppX","id":"x"}`), &a); !errors.Is(err, ErrUnknownEnum) {
		t.Errorf("unknown app type: %v", err)
	}
	if err := json.Unmarshal([]byte(`{"@odata.type":"#microsoft.graph.win32LobApp","id":"x","applicableArchitectures":"x64,sparc"}`), &a); !errors.Is(err, ErrUnknownEnum) {
		t.Errorf("unknown architecture: %v", err)
	}
	// Graph aliases decode to the same type.
	var msi App
	if err := json.Unmarshal([]byte(`{"@odata.type":"#microsoft.graph.windowsMobileMSI","id":"m","displayName":"m"}`), &msi); err != nil || msi.Type != AppTypeWindowsLOB {
		t.Errorf("windowsMobileMSI alias: %v %v", msi.Type, err)
	}
}

// D1-D5: directory objects round-trip.
func TestJSON_Directory(t *testing.T) {
	d := Device{ID: "d", Name: "LAPTOP-1", PrimaryUser: "u", Enrollment: AppProtectionOnly, Platform: PlatformWindows,
		OSVersion: "10.0.22631", Ownership: OwnershipCorporate, JoinType: JoinHybrid, AndroidMode: AndroidModeNone,
		Architecture: ArchX64, FreeDiskMB: 1, MemoryMB: 2, CPUs: 3, CPUSpeedMHz: 4, HasBooksApp: true, UserEnrollment: true}
	g := Group{ID: "g", DisplayName: "Sales", Kind: UserMembers, Users: []UserID{"u"}, Groups: []GroupID{"g2"}}
	u := User{ID: "u", DisplayName: "Ada", UserPrincipalName: "ada@contoso.com", HasAppleAccount: true}
	for _, v := range []any{d, g, u} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := reflect.New(reflect.TypeOf(v))
		if err := json.Unmarshal(b, p.Interface()); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(v, p.Elem().Interface()); diff != "" {
			t.Errorf("round trip %T: %s", v, diff)
		}
	}
}

// D1-D5: an unknown enum value of a device or group is an error naming its
// field, as the app and assignment decoders name theirs; a field left out or
// null keeps what the value held, as encoding/json does.
func TestJSON_DirectoryEnumErrorPaths(t *testing.T) {
	for _, tc := range []struct {
		json  string
		into  any
		field string
	}{
		{`{"id":"d","platform":"symbian"}`, new(Device), "platform"},
		{`{"id":"d","platform":"iOS","enrollment":"sideways"}`, new(Device), "enrollment"},
		{`{"id":"d","ownership":"borrowed"}`, new(Device), "ownership"},
		{`{"id":"d","joinType":"glued"}`, new(Device), "joinType"},
		{`{"id":"d","androidMode":"tablet"}`, new(Device), "androidMode"},
		{`{"id":"d","architecture":"z80"}`, new(Device), "architecture"},
		{`{"id":"g","kind":"robots"}`, new(Group), "kind"},
	} {
		err := json.Unmarshal([]byte(tc.json), tc.into)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, ErrUnknownEnum) {
			t.Errorf("%s: %v; want an ErrUnknownEnum naming %s", tc.json, err, tc.field)
		}
	}
	d := Device{ID: "d", Platform: PlatformMacOS, Ownership: OwnershipCorporate, CPUs: 4}
	if err := json.Unmarshal([]byte(`{"osVersion":"15.1","platform":null}`), &d); err != nil {
		t.Fatal(err)
	}
	if want := (Device{ID: "d", Platform: PlatformMacOS, Ownership: OwnershipCorporate, CPUs: 4, OSVersion: "15.1"}); !cmp.Equal(d, want) {
		t.Errorf("decoding into a device: %s", cmp.Diff(want, d))
	}
}

// Reports and commands round-trip; Validate refuses malformed reports.
func TestReport(t *testing.T) {
	r := Report{Device: "d",
		Inventory: []InstalledApp{{App: "a", Version: "1.0"}, {App: "b"}},
		Results:   []CommandResult{{Command: 7, Kind: CommandInstall, App: "a", Outcome: OutcomeFailed, Code: -2016345060}},
		Requests:  []PortalRequest{{App: "c", Action: PortalInstall}},
	}
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	var out Report
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(r, out); diff != "" {
		t.Errorf("round trip: %s", diff)
	}
	bad := []func(*Report){
		func(r *Report) { r.Device = "" },
		func(r *Report) { r.Inventory = append(r.Inventory, InstalledApp{App: "a"}) },
		func(r *Report) { r.Inventory[0].App = "" },
		func(r *Report) { r.Results[0].Outcome = 0 },
		func(r *Report) { r.Results[0].Kind = 9 },
		func(r *Report) { r.Results[0].App = "" },
		func(r *Report) { r.Requests[0].Action = 0 },
		func(r *Report) { r.Requests[0].App = "" },
	}
	for i, mut := range bad {
		c := r
		c.Inventory = append([]InstalledApp(nil), r.Inventory...)
		c.Results = append([]CommandResult(nil), r.Results...)
		c.Requests = append([]PortalRequest(nil), r.Requests...)
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("bad report %d accepted", i)
		}
	}
	cmd := Command{ID: 3, Kind: CommandUpdate, App: "a", Version: "2.0"}
	if got := cmd.String(); got != "cmd-3 update a@2.0" {
		t.Errorf("Command.String() = %q", got)
	}
}

// S2: an app gone from the store keeps its flag through JSON and still validates as
// a synced app; a hand-added app cannot carry it (C4).
func TestStoreOrigin_GoneFromStore(t *testing.T) {
	a := validApp(AppTypeIOSVPP)
	a.Origin.GoneFromStore = true
	if err := ValidateApp(&a, AddOptions{FromSync: true}); err != nil {
		t.Fatalf("gone synced app: %v", err)
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var out App
	if err := json.Unmarshal(b, &out); err != nil || !out.Origin.GoneFromStore {
		t.Fatalf("round trip of %s: gone %v, err %v", b, out.Origin.GoneFromStore, err)
	}
	w := validApp(AppTypeWin32)
	w.Origin.GoneFromStore = true
	if err := ValidateApp(&w, AddOptions{}); !errors.Is(err, ErrStoreSynced) {
		t.Fatalf("hand-added app with the flag: %v", err)
	}
}
