package mdm

import (
	"encoding"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// JSON forms follow Microsoft Graph's names (mobileApp, mobileAppAssignment and
// their targets), so data can be exchanged with tools that speak Graph. Decoding
// ignores Graph fields mdmkit does not model, but refuses unknown enum values and
// missing required fields: a silent zero would turn a typo into an assignment.

type targetJSON struct {
	ODataType TargetKind `json:"@odata.type"`
	GroupID   GroupID    `json:"groupId,omitempty"`
}

// MarshalJSON encodes the target as a Graph deviceAndAppManagementAssignmentTarget.
func (t Target) MarshalJSON() ([]byte, error) {
	if err := validateTarget(t); err != nil {
		return nil, err
	}
	return json.Marshal(targetJSON{ODataType: t.Kind, GroupID: t.Group})
}

// UnmarshalJSON decodes a Graph target; the @odata.type is required.
func (t *Target) UnmarshalJSON(b []byte) error {
	var j targetJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.ODataType == TargetUnknown {
		return &ValidationError{Field: "target.@odata.type", Rule: "A2", Err: ErrMissingField,
			Reason: "is missing", Remedy: "set it to a Graph target type such as #microsoft.graph.groupAssignmentTarget"}
	}
	*t = Target{Kind: j.ODataType, Group: j.GroupID}
	return validateTarget(*t)
}

type settingsJSON struct {
	ODataType                string               `json:"@odata.type,omitempty"`
	UseDeviceLicensing       *bool                `json:"useDeviceLicensing,omitempty"`
	UninstallOnDeviceRemoval *bool                `json:"uninstallOnDeviceRemoval,omitempty"`
	PreventAutoAppUpdate     bool                 `json:"preventAutoAppUpdate,omitempty"`
	InstallTimeSettings      *installTimeJSON     `json:"installTimeSettings,omitempty"`
	RestartSettings          *restartSettingsJSON `json:"restartSettings,omitempty"`
}

type installTimeJSON struct {
	DeadlineDateTime *time.Time `json:"deadlineDateTime,omitempty"`
}

type restartSettingsJSON struct {
	GracePeriodInMinutes int64 `json:"gracePeriodInMinutes"`
}

func (s *AssignmentSettings) toJSON() settingsJSON {
	var j settingsJSON
	switch s.LicenseType {
	case LicenseDevice:
		t := true
		j.UseDeviceLicensing = &t
	case LicenseUser:
		f := false
		j.UseDeviceLicensing = &f
	}
	j.UninstallOnDeviceRemoval = s.UninstallOnDeviceRemoval
	j.PreventAutoAppUpdate = s.PreventAutoUpdate
	if !s.Deadline.IsZero() {
		// In UTC: RFC 3339 offsets have no seconds, so a zone offset of, say,
		// +01:00:30 would be written as +01:00 and move the deadline.
		d := s.Deadline.UTC()
		j.InstallTimeSettings = &installTimeJSON{DeadlineDateTime: &d}
	}
	if s.RestartGracePeriod != 0 {
		j.RestartSettings = &restartSettingsJSON{GracePeriodInMinutes: int64(s.RestartGracePeriod / time.Minute)}
	}
	return j
}

func (j *settingsJSON) settings() (AssignmentSettings, error) {
	var s AssignmentSettings
	if j.UseDeviceLicensing != nil {
		if *j.UseDeviceLicensing {
			s.LicenseType = LicenseDevice
		} else {
			s.LicenseType = LicenseUser
		}
	}
	s.UninstallOnDeviceRemoval = j.UninstallOnDeviceRemoval
	s.PreventAutoUpdate = j.PreventAutoAppUpdate
	if j.InstallTimeSettings != nil && j.InstallTimeSettings.DeadlineDateTime != nil {
		s.Deadline = *j.InstallTimeSettings.DeadlineDateTime
	}
	if j.RestartSettings != nil {
		// A count of minutes whose duration does not fit in an int64 would wrap,
		// possibly into the valid range; refuse it here, where it is still seen.
		m := j.RestartSettings.GracePeriodInMinutes
		if m > math.MaxInt64/int64(time.Minute) || m < math.MinInt64/int64(time.Minute) {
			return s, &ValidationError{Field: "settings.restartSettings.gracePeriodInMinutes", Value: strconv.FormatInt(m, 10),
				Rule: "T14", Err: ErrInvalidSetting, Reason: "must be between 0 and two weeks", Remedy: "use at most 20160 minutes"}
		}
		s.RestartGracePeriod = time.Duration(m) * time.Minute
	}
	return s, nil
}

type assignmentJSON struct {
	ID       AssignmentID  `json:"id"`
	App      AppID         `json:"appId,omitempty"`
	Intent   *Intent       `json:"intent"`
	Target   *Target       `json:"target"`
	Settings *settingsJSON `json:"settings,omitempty"`
}

// MarshalJSON encodes the assignment as a Graph mobileAppAssignment, with the app
// id in "appId" (Graph keeps it in the URL instead).
func (a Assignment) MarshalJSON() ([]byte, error) {
	intent, target := a.Intent, a.Target
	j := assignmentJSON{ID: a.ID, App: a.App, Intent: &intent, Target: &target}
	if s := a.Settings.toJSON(); s != (settingsJSON{}) {
		j.Settings = &s
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a Graph mobileAppAssignment; intent and target are
// required.
func (a *Assignment) UnmarshalJSON(b []byte) error {
	var j assignmentJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Intent == nil {
		return &ValidationError{Field: "intent", Rule: "A1", Err: ErrMissingField,
			Reason: "is missing", Remedy: "set available, required, uninstall or availableWithoutEnrollment"}
	}
	if j.Target == nil {
		return &ValidationError{Field: "target", Rule: "A2", Err: ErrMissingField,
			Reason: "is missing", Remedy: "set a Graph target"}
	}
	*a = Assignment{ID: j.ID, App: j.App, Intent: *j.Intent, Target: *j.Target}
	if j.Settings != nil {
		s, err := j.Settings.settings()
		if err != nil {
			return err
		}
		a.Settings = s
	}
	return nil
}

type relationshipJSON struct {
	ODataType        string            `json:"@odata.type"`
	TargetID         AppID             `json:"targetId"`
	TargetType       string            `json:"targetType,omitempty"` // "child" (ours) or "parent"
	DependencyType   *DependencyKind   `json:"dependencyType,omitempty"`
	SupersedenceType *SupersedenceKind `json:"supersedenceType,omitempty"`
}

const (
	odataDependency   = "#microsoft.graph.mobileAppDependency"
	odataSupersedence = "#microsoft.graph.mobileAppSupersedence"
)

type appJSON struct {
	ODataType               AppType            `json:"@odata.type"`
	ID                      AppID              `json:"id"`
	DisplayName             string             `json:"displayName"`
	Publisher               string             `json:"publisher,omitempty"`
	DisplayVersion          string             `json:"displayVersion,omitempty"`
	FileName                string             `json:"fileName,omitempty"`
	Size                    int64              `json:"size,omitempty"`
	AppURL                  string             `json:"appUrl,omitempty"`
	AppStoreURL             string             `json:"appStoreUrl,omitempty"`
	PackageID               string             `json:"packageId,omitempty"`
	BundleID                string             `json:"bundleId,omitempty"` // decoded into Identifier
	Categories              []string           `json:"categories,omitempty"`
	PublishingState         PublishingState    `json:"publishingState"`
	TokenID                 TokenID            `json:"tokenId,omitempty"`
	VppTokenID              TokenID            `json:"vppTokenId,omitempty"` // decoded into Origin.Token
	ProductID               string             `json:"productId,omitempty"`
	LicenseType             LicenseMode        `json:"licenseType,omitempty"`
	GoneFromStore           bool               `json:"goneFromStore,omitempty"` // not in Graph: S2
	Relationships           []relationshipJSON `json:"relationships,omitempty"`
	MinimumOSVersion        string             `json:"minimumOsVersion,omitempty"`
	ApplicableArchitectures string             `json:"applicableArchitectures,omitempty"`
	MinimumFreeDiskSpaceMB  int64              `json:"minimumFreeDiskSpaceInMB,omitempty"`
	MinimumMemoryMB         int64              `json:"minimumMemoryInMB,omitempty"`
	MinimumProcessors       int                `json:"minimumNumberOfProcessors,omitempty"`
	MinimumCPUSpeedMHz      int                `json:"minimumCpuSpeedInMHz,omitempty"`
	AllowAvailableUninstall bool               `json:"allowAvailableUninstall,omitempty"`
}

// MarshalJSON encodes the app as a Graph mobileApp of its type, with dependencies
// and supersedence as Graph relationships.
func (a App) MarshalJSON() ([]byte, error) {
	j := appJSON{
		ODataType: a.Type, ID: a.ID, DisplayName: a.DisplayName, Publisher: a.Publisher,
		DisplayVersion: a.Version, FileName: a.Package.FileName, Size: a.Package.Size,
		PackageID: a.Identifier, Categories: a.Categories, PublishingState: a.State,
		TokenID: a.Origin.Token, ProductID: a.Origin.ProductID, LicenseType: a.Origin.Licensing,
		GoneFromStore:           a.Origin.GoneFromStore,
		MinimumOSVersion:        a.Requirements.MinOSVersion,
		MinimumFreeDiskSpaceMB:  a.Requirements.MinFreeDiskMB,
		MinimumMemoryMB:         a.Requirements.MinMemoryMB,
		MinimumProcessors:       a.Requirements.MinCPUs,
		MinimumCPUSpeedMHz:      a.Requirements.MinCPUSpeedMHz,
		AllowAvailableUninstall: a.AllowUserUninstall,
	}
	if a.Type.General() == GeneralWeb {
		j.AppURL = a.URL
	} else {
		j.AppStoreURL = a.URL
	}
	if len(a.Requirements.Architectures) > 0 {
		names := make([]string, len(a.Requirements.Architectures))
		for i, arch := range a.Requirements.Architectures {
			b, err := arch.MarshalText()
			if err != nil {
				return nil, err
			}
			names[i] = string(b)
		}
		j.ApplicableArchitectures = strings.Join(names, ",")
	}
	for _, d := range a.Dependencies {
		k := d.Kind
		j.Relationships = append(j.Relationships, relationshipJSON{ODataType: odataDependency, TargetID: d.App, TargetType: "child", DependencyType: &k})
	}
	for _, s := range a.Supersedes {
		k := s.Kind
		j.Relationships = append(j.Relationships, relationshipJSON{ODataType: odataSupersedence, TargetID: s.App, TargetType: "child", SupersedenceType: &k})
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a Graph mobileApp. The @odata.type must name a known app
// type. Relationships whose targetType is "parent" are skipped: Graph lists each
// edge on both apps, and mdmkit records it on the app it starts from.
func (a *App) UnmarshalJSON(b []byte) error {
	// The enums inside are read as text first and decoded here, so that an
	// unknown value is reported at its path ("relationships[2].dependencyType"),
	// not under the name of its Go type.
	var j struct {
		appJSON
		PublishingState *string `json:"publishingState"`
		LicenseType     *string `json:"licenseType"`
		Relationships   []struct {
			relationshipJSON
			DependencyType   *string `json:"dependencyType"`
			SupersedenceType *string `json:"supersedenceType"`
		} `json:"relationships"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.ODataType == AppTypeUnknown {
		return &ValidationError{Field: "@odata.type", Rule: "C2", Err: ErrMissingField,
			Reason: "is missing", Remedy: "set a Graph mobileApp type such as #microsoft.graph.win32LobApp"}
	}
	out := App{
		ID: j.ID, DisplayName: j.DisplayName, Type: j.ODataType, Version: j.DisplayVersion,
		Publisher: j.Publisher, Package: Package{FileName: j.FileName, Size: j.Size},
		URL: j.AppURL, Identifier: j.PackageID, Categories: j.Categories,
		Requirements: Requirements{
			MinOSVersion: j.MinimumOSVersion, MinFreeDiskMB: j.MinimumFreeDiskSpaceMB,
			MinMemoryMB: j.MinimumMemoryMB, MinCPUs: j.MinimumProcessors, MinCPUSpeedMHz: j.MinimumCPUSpeedMHz,
		},
		AllowUserUninstall: j.AllowAvailableUninstall,
	}
	if err := enumField("publishingState", j.PublishingState, &out.State); err != nil {
		return err
	}
	var licensing LicenseMode
	if err := enumField("licenseType", j.LicenseType, &licensing); err != nil {
		return err
	}
	if out.URL == "" {
		out.URL = j.AppStoreURL
	}
	if out.Identifier == "" {
		out.Identifier = j.BundleID
	}
	if out.Type.IsSynced() {
		out.Origin = StoreOrigin{Store: out.Type.Store(), Token: j.TokenID, ProductID: j.ProductID, Licensing: licensing,
			GoneFromStore: j.GoneFromStore}
		if out.Origin.Token == "" {
			out.Origin.Token = j.VppTokenID
		}
	}
	if j.ApplicableArchitectures != "" {
		for i, name := range strings.Split(j.ApplicableArchitectures, ",") {
			var arch Architecture
			if err := arch.UnmarshalText([]byte(strings.TrimSpace(name))); err != nil {
				return atField("applicableArchitectures["+strconv.Itoa(i)+"]", err)
			}
			out.Requirements.Architectures = append(out.Requirements.Architectures, arch)
		}
	}
	for i, r := range j.Relationships {
		var dk DependencyKind
		var sk SupersedenceKind
		at := "relationships[" + strconv.Itoa(i) + "]."
		if err := enumField(at+"dependencyType", r.DependencyType, &dk); err != nil {
			return err
		}
		if err := enumField(at+"supersedenceType", r.SupersedenceType, &sk); err != nil {
			return err
		}
		switch r.TargetType {
		case "parent":
			continue
		case "", "child":
		default:
			return &ValidationError{Field: "relationships[" + strconv.Itoa(i) + "].targetType", Value: r.TargetType, Rule: "C9", Err: ErrUnknownEnum,
				Reason: "is not a relationship direction", Remedy: "use child (the edge starts at this app) or parent"}
		}
		switch r.ODataType {
		case odataDependency:
			out.Dependencies = append(out.Dependencies, Dependency{App: r.TargetID, Kind: dk})
		case odataSupersedence:
			out.Supersedes = append(out.Supersedes, Supersedence{App: r.TargetID, Kind: sk})
		default:
			return &ValidationError{Field: "relationships[" + strconv.Itoa(i) + "].@odata.type", Value: r.ODataType, Rule: "C9", Err: ErrUnknownEnum,
				Reason: "is not a relationship type", Remedy: "use #microsoft.graph.mobileAppDependency or #microsoft.graph.mobileAppSupersedence"}
		}
	}
	*a = out
	return nil
}

// enumField decodes the text of an enum field, when the JSON had one (null and
// absent keep what dst holds, as encoding/json does), naming the field by its
// JSON name in the error: encoding/json would name the enum's Go type.
func enumField(field string, text *string, dst encoding.TextUnmarshaler) error {
	if text == nil {
		return nil
	}
	if err := dst.UnmarshalText([]byte(*text)); err != nil {
		return atField(field, err)
	}
	return nil
}

// UnmarshalJSON decodes a device as its struct tags say. An unknown enum value
// (platform, enrollment, ownership, joinType, androidMode, architecture) is an
// error naming that field.
func (d *Device) UnmarshalJSON(b []byte) error {
	type plain Device // the same fields, without this method
	// The outer fields shadow the embedded ones of the same JSON name.
	j := struct {
		plain
		Platform     *string `json:"platform"`
		Enrollment   *string `json:"enrollment"`
		Ownership    *string `json:"ownership"`
		JoinType     *string `json:"joinType"`
		AndroidMode  *string `json:"androidMode"`
		Architecture *string `json:"architecture"`
	}{plain: plain(*d)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Device(j.plain)
	for _, f := range [...]struct {
		name string
		text *string
		dst  encoding.TextUnmarshaler
	}{
		{"platform", j.Platform, &out.Platform}, {"enrollment", j.Enrollment, &out.Enrollment},
		{"ownership", j.Ownership, &out.Ownership}, {"joinType", j.JoinType, &out.JoinType},
		{"androidMode", j.AndroidMode, &out.AndroidMode}, {"architecture", j.Architecture, &out.Architecture},
	} {
		if err := enumField(f.name, f.text, f.dst); err != nil {
			return err
		}
	}
	*d = out
	return nil
}

// UnmarshalJSON decodes a group as its struct tags say. An unknown kind is an
// error naming the field.
func (g *Group) UnmarshalJSON(b []byte) error {
	type plain Group
	j := struct {
		plain
		Kind *string `json:"kind"`
	}{plain: plain(*g)}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	out := Group(j.plain)
	if err := enumField("kind", j.Kind, &out.Kind); err != nil {
		return err
	}
	*g = out
	return nil
}
