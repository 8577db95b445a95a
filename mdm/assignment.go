package mdm

import "time"

// Intent is what an assignment asks for (A1). The values are Graph's numbers.
type Intent uint8

const (
	Available                  Intent = 0 // available for enrolled devices
	Required                   Intent = 1
	Uninstall                  Intent = 2
	AvailableWithoutEnrollment Intent = 3
	numIntents                 Intent = 4
)

var intentNames = [...]string{
	Available:                  "available",
	Required:                   "required",
	Uninstall:                  "uninstall",
	AvailableWithoutEnrollment: "availableWithoutEnrollment",
}

// Intents lists every intent in Graph's order.
func Intents() []Intent { return []Intent{Available, Required, Uninstall, AvailableWithoutEnrollment} }

// Valid reports whether i is one of the four intents.
func (i Intent) Valid() bool { return i < numIntents }

func (i Intent) String() string { return enumString(intentNames[:], int(i), "Intent") }

// MarshalText encodes the intent by its Graph name.
func (i Intent) MarshalText() ([]byte, error) { return enumMarshal(intentNames[:], int(i), "intent") }

// UnmarshalText decodes a Graph intent name; an unknown name is an error.
func (i *Intent) UnmarshalText(b []byte) error {
	v, err := enumUnmarshal(intentNames[:], b, "intent")
	if err == nil {
		*i = Intent(v)
	}
	return err
}

// TargetKind is the kind of an assignment target (A2).
type TargetKind uint8

const (
	TargetUnknown        TargetKind = iota
	TargetGroup                     // include a group
	TargetExclusionGroup            // exclude a group
	TargetAllUsers                  // every licensed user (D2)
	TargetAllDevices                // every device (D2)
	numTargetKinds
)

var targetKindNames = [...]string{
	TargetUnknown:        "",
	TargetGroup:          "#microsoft.graph.groupAssignmentTarget",
	TargetExclusionGroup: "#microsoft.graph.exclusionGroupAssignmentTarget",
	TargetAllUsers:       "#microsoft.graph.allLicensedUsersAssignmentTarget",
	TargetAllDevices:     "#microsoft.graph.allDevicesAssignmentTarget",
}

func (k TargetKind) String() string { return enumString(targetKindNames[:], int(k), "TargetKind") }

// MarshalText encodes the kind as its Graph @odata.type.
func (k TargetKind) MarshalText() ([]byte, error) {
	return enumMarshal(targetKindNames[:], int(k), "target.@odata.type")
}

// UnmarshalText decodes a Graph @odata.type; an unknown type is an error.
func (k *TargetKind) UnmarshalText(b []byte) error {
	v, err := enumUnmarshal(targetKindNames[:], b, "target.@odata.type")
	if err == nil {
		*k = TargetKind(v)
	}
	return err
}

// Target is what an assignment points at (A2).
type Target struct {
	Kind  TargetKind
	Group GroupID // for TargetGroup and TargetExclusionGroup
}

// GroupTarget includes a group.
func GroupTarget(g GroupID) Target { return Target{Kind: TargetGroup, Group: g} }

// ExclusionTarget excludes a group.
func ExclusionTarget(g GroupID) Target { return Target{Kind: TargetExclusionGroup, Group: g} }

// AllUsersTarget targets every licensed user (D2).
func AllUsersTarget() Target { return Target{Kind: TargetAllUsers} }

// AllDevicesTarget targets every device (D2).
func AllDevicesTarget() Target { return Target{Kind: TargetAllDevices} }

// IsExclusion reports whether the target excludes rather than includes.
func (t Target) IsExclusion() bool { return t.Kind == TargetExclusionGroup }

// HasGroup reports whether the target names a group.
func (t Target) HasGroup() bool { return t.Kind == TargetGroup || t.Kind == TargetExclusionGroup }

// FixedKind is the member kind of All users (users) and All devices (devices). A
// group target's kind is the kind of its group, which the directory knows; for
// those FixedKind returns MemberKindUnknown.
func (t Target) FixedKind() MemberKind {
	switch t.Kind {
	case TargetAllUsers:
		return UserMembers
	case TargetAllDevices:
		return DeviceMembers
	}
	return MemberKindUnknown
}

func (t Target) String() string {
	switch t.Kind {
	case TargetGroup:
		return "group " + string(t.Group)
	case TargetExclusionGroup:
		return "excluded group " + string(t.Group)
	case TargetAllUsers:
		return "All users"
	case TargetAllDevices:
		return "All devices"
	}
	return "invalid target"
}

// LicenseType is how a VPP assignment is licensed (L4).
type LicenseType uint8

const (
	// LicenseDefault: device licensing for apps, user licensing for books (L4).
	LicenseDefault LicenseType = iota
	// LicenseDevice: one license per device; no Apple account needed.
	LicenseDevice
	// LicenseUser: one license per user, valid on up to Policy.UserLicenseDeviceCap
	// of the user's devices; needs the user's Apple account.
	LicenseUser
)

var licenseTypeNames = [...]string{LicenseDefault: "default", LicenseDevice: "device", LicenseUser: "user"}

func (l LicenseType) String() string { return enumString(licenseTypeNames[:], int(l), "LicenseType") }

// MarshalText encodes the license type by name.
func (l LicenseType) MarshalText() ([]byte, error) {
	return enumMarshal(licenseTypeNames[:], int(l), "LicenseType")
}

// UnmarshalText decodes a license type name; an unknown name is an error.
func (l *LicenseType) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(licenseTypeNames[:], b, "LicenseType")
	if err == nil {
		*l = LicenseType(i)
	}
	return err
}

// Effective resolves LicenseDefault for an app type: user licensing for books,
// device licensing otherwise (L4).
func (l LicenseType) Effective(t AppType) LicenseType {
	if l != LicenseDefault {
		return l
	}
	if t.IsBook() {
		return LicenseUser
	}
	return LicenseDevice
}

// MaxRestartGracePeriod bounds AssignmentSettings.RestartGracePeriod (T14).
const MaxRestartGracePeriod = 14 * 24 * time.Hour

// AssignmentSettings are the per-assignment options.
type AssignmentSettings struct {
	// LicenseType applies to VPP apps and books (L4).
	LicenseType LicenseType
	// UninstallOnDeviceRemoval says whether the app is removed when the device
	// leaves management (A12). nil means yes, as an unset value does in Graph;
	// DefaultSettings fills in the product's default for the app type.
	UninstallOnDeviceRemoval *bool
	// PreventAutoUpdate stops automatic VPP updates where the token allows it (L9).
	PreventAutoUpdate bool
	// Deadline is the install deadline; zero means none. With several
	// assignments, the earliest deadline wins (T14).
	Deadline time.Time
	// RestartGracePeriod is the restart grace period; zero means the policy
	// default (1,440 minutes). Whole minutes, at most MaxRestartGracePeriod (T14).
	RestartGracePeriod time.Duration
}

// UninstallsOnDeviceRemoval reads UninstallOnDeviceRemoval, treating unset as
// yes (Graph's reading, A12).
func (s *AssignmentSettings) UninstallsOnDeviceRemoval() bool {
	return s.UninstallOnDeviceRemoval == nil || *s.UninstallOnDeviceRemoval
}

// DefaultUninstallOnDeviceRemoval is the A12 default for an app type: yes for
// line-of-business apps, no for store, VPP and built-in apps. Web links and
// other-service shortcuts follow the store default (no).
func DefaultUninstallOnDeviceRemoval(t AppType) bool { return t.IsLOB() }

// DefaultSettings returns the settings a new assignment of an app of type t gets
// in the product: for VPP apps device licensing (user licensing for books, L4),
// and the A12 default for uninstall on device removal.
func DefaultSettings(t AppType) AssignmentSettings {
	u := DefaultUninstallOnDeviceRemoval(t)
	s := AssignmentSettings{UninstallOnDeviceRemoval: &u}
	if t.IsVPP() {
		s.LicenseType = LicenseDefault.Effective(t)
	}
	return s
}

// Assignment targets an app at a group, an exclusion group, All users or All
// devices with an intent (A1, A2).
type Assignment struct {
	ID       AssignmentID
	App      AppID
	Intent   Intent
	Target   Target
	Settings AssignmentSettings
}
