package mdm

// User is a person in the directory.
type User struct {
	ID          UserID `json:"id"`
	DisplayName string `json:"displayName,omitempty"`
	// UserPrincipalName is the sign-in name, e.g. "ada@contoso.com".
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	// HasAppleAccount says whether the user has a managed Apple account registered
	// for VPP user licensing (L4: user licensing needs it).
	HasAppleAccount bool `json:"hasAppleAccount,omitempty"`
}

// Ownership of a device (D5).
type Ownership uint8

const (
	OwnershipUnknown Ownership = iota
	OwnershipCorporate
	OwnershipPersonal
)

var ownershipNames = [...]string{OwnershipUnknown: "unknown", OwnershipCorporate: "company", OwnershipPersonal: "personal"}

// Valid reports whether the value is an ownership this package knows (the
// zero value included).
func (o Ownership) Valid() bool { return int(o) < len(ownershipNames) }

func (o Ownership) String() string { return enumString(ownershipNames[:], int(o), "Ownership") }

// MarshalText encodes the ownership by its Graph name.
func (o Ownership) MarshalText() ([]byte, error) {
	return enumMarshal(ownershipNames[:], int(o), "Ownership")
}

// UnmarshalText decodes a Graph name; an unknown name is an error.
func (o *Ownership) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(ownershipNames[:], b, "Ownership")
	if err == nil {
		*o = Ownership(i)
	}
	return err
}

// JoinType is how a device is joined to the directory (D5).
type JoinType uint8

const (
	JoinNone      JoinType = iota
	JoinAD                 // on-premises Active Directory domain
	JoinEntra              // Microsoft Entra joined
	JoinHybrid             // hybrid: AD domain and Entra
	JoinWorkplace          // workplace joined (registered)
)

var joinTypeNames = [...]string{JoinNone: "none", JoinAD: "adDomain", JoinEntra: "entra", JoinHybrid: "hybrid", JoinWorkplace: "workplace"}

// Valid reports whether the value is a join type this package knows (the
// zero value included).
func (j JoinType) Valid() bool { return int(j) < len(joinTypeNames) }

func (j JoinType) String() string { return enumString(joinTypeNames[:], int(j), "JoinType") }

// MarshalText encodes the join type by name.
func (j JoinType) MarshalText() ([]byte, error) {
	return enumMarshal(joinTypeNames[:], int(j), "JoinType")
}

// UnmarshalText decodes a join type name; an unknown name is an error.
func (j *JoinType) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(joinTypeNames[:], b, "JoinType")
	if err == nil {
		*j = JoinType(i)
	}
	return err
}

// Enrollment says whether a device is managed (D4).
type Enrollment uint8

const (
	// EnrolledMDM: enrolled in device management. Every assignment kind applies.
	EnrolledMDM Enrollment = iota
	// AppProtectionOnly: registered for app protection, not enrolled. Only
	// user-targeted "available" assignments apply (D4).
	AppProtectionOnly
)

var enrollmentNames = [...]string{EnrolledMDM: "mdm", AppProtectionOnly: "appProtectionOnly"}

// Valid reports whether the value is an enrollment this package knows (the
// zero value included).
func (e Enrollment) Valid() bool { return int(e) < len(enrollmentNames) }

func (e Enrollment) String() string { return enumString(enrollmentNames[:], int(e), "Enrollment") }

// MarshalText encodes the enrollment by name.
func (e Enrollment) MarshalText() ([]byte, error) {
	return enumMarshal(enrollmentNames[:], int(e), "Enrollment")
}

// UnmarshalText decodes an enrollment name; an unknown name is an error.
func (e *Enrollment) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(enrollmentNames[:], b, "Enrollment")
	if err == nil {
		*e = Enrollment(i)
	}
	return err
}

// AndroidEnterpriseMode is the management mode of an Android Enterprise device. It
// matters for A4 (device-group "available") and A9 (removing an assignment
// uninstalls on dedicated, fully managed and corporate-owned work-profile devices).
type AndroidEnterpriseMode uint8

const (
	AndroidModeNone                       AndroidEnterpriseMode = iota // not Android Enterprise
	AndroidModePersonallyOwnedWorkProfile                              // BYOD work profile
	AndroidModeCorporateOwnedWorkProfile                               // COPE
	AndroidModeFullyManaged                                            // COBO
	AndroidModeDedicated                                               // COSU, kiosk
)

var androidModeNames = [...]string{
	AndroidModeNone:                       "none",
	AndroidModePersonallyOwnedWorkProfile: "personallyOwnedWorkProfile",
	AndroidModeCorporateOwnedWorkProfile:  "corporateOwnedWorkProfile",
	AndroidModeFullyManaged:               "fullyManaged",
	AndroidModeDedicated:                  "dedicated",
}

// Valid reports whether the value is an Android Enterprise mode this package
// knows (the zero value included).
func (m AndroidEnterpriseMode) Valid() bool { return int(m) < len(androidModeNames) }

func (m AndroidEnterpriseMode) String() string {
	return enumString(androidModeNames[:], int(m), "AndroidEnterpriseMode")
}

// MarshalText encodes the mode by name.
func (m AndroidEnterpriseMode) MarshalText() ([]byte, error) {
	return enumMarshal(androidModeNames[:], int(m), "AndroidEnterpriseMode")
}

// UnmarshalText decodes a mode name; an unknown name is an error.
func (m *AndroidEnterpriseMode) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(androidModeNames[:], b, "AndroidEnterpriseMode")
	if err == nil {
		*m = AndroidEnterpriseMode(i)
	}
	return err
}

// CorporateManaged reports whether the mode is fully managed or corporate-owned
// work profile: the modes where "available" may target device groups (A4).
func (m AndroidEnterpriseMode) CorporateManaged() bool {
	return m == AndroidModeFullyManaged || m == AndroidModeCorporateOwnedWorkProfile
}

// UninstallsOnUnassign reports whether removing an assignment uninstalls the app
// on this kind of device (A9).
func (m AndroidEnterpriseMode) UninstallsOnUnassign() bool {
	return m == AndroidModeDedicated || m == AndroidModeFullyManaged || m == AndroidModeCorporateOwnedWorkProfile
}

// Device is a device in the directory, with the facts rules read (D5).
type Device struct {
	ID   DeviceID `json:"id"`
	Name string   `json:"deviceName,omitempty"`
	// SerialNumber is the hardware serial number. Apple assigns VPP device
	// licenses by serial number (S5); when it is empty the device id stands in
	// for it.
	SerialNumber string `json:"serialNumber,omitempty"`
	// PrimaryUser is the user who enrolled the device, or "" for a userless
	// (kiosk) device (D3). User-targeted apps reach the device through this user.
	PrimaryUser  UserID                `json:"primaryUserId,omitempty"`
	Enrollment   Enrollment            `json:"enrollment"` // D4
	Platform     Platform              `json:"platform"`
	OSVersion    string                `json:"osVersion,omitempty"`
	Ownership    Ownership             `json:"ownership"`
	JoinType     JoinType              `json:"joinType"`
	AndroidMode  AndroidEnterpriseMode `json:"androidMode"`
	Architecture Architecture          `json:"architecture,omitempty"`
	FreeDiskMB   int64                 `json:"freeDiskMB,omitempty"`
	MemoryMB     int64                 `json:"memoryMB,omitempty"`
	CPUs         int                   `json:"cpus,omitempty"`
	CPUSpeedMHz  int                   `json:"cpuSpeedMHz,omitempty"`
	// HasBooksApp says whether the built-in Books app is present (L8: books need it).
	HasBooksApp bool `json:"hasBooksApp,omitempty"`
	// UserEnrollment marks an Apple User Enrollment device: only user licensing
	// applies to it (L4).
	UserEnrollment bool `json:"userEnrollment,omitempty"`
}

// MemberKind is what a group holds (D1).
type MemberKind uint8

const (
	MemberKindUnknown MemberKind = iota
	UserMembers                  // a user group
	DeviceMembers                // a device group
)

var memberKindNames = [...]string{MemberKindUnknown: "", UserMembers: "users", DeviceMembers: "devices"}

func (k MemberKind) String() string { return enumString(memberKindNames[:], int(k), "MemberKind") }

// MarshalText encodes the kind by name.
func (k MemberKind) MarshalText() ([]byte, error) {
	return enumMarshal(memberKindNames[:], int(k), "MemberKind")
}

// UnmarshalText decodes a kind name; an unknown name is an error.
func (k *MemberKind) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(memberKindNames[:], b, "MemberKind")
	if err == nil {
		*k = MemberKind(i)
	}
	return err
}

// Group is a user group or a device group (D1). Members of nested groups count as
// members of this group.
type Group struct {
	ID          GroupID    `json:"id"`
	DisplayName string     `json:"displayName,omitempty"`
	Kind        MemberKind `json:"kind"`
	Users       []UserID   `json:"users,omitempty"`   // only in a user group
	Devices     []DeviceID `json:"devices,omitempty"` // only in a device group
	Groups      []GroupID  `json:"groups,omitempty"`  // nested groups, of the same kind
}

// Serial returns the serial number the store knows the device by: SerialNumber,
// or the device id when none is recorded.
func (d *Device) Serial() string {
	if d.SerialNumber != "" {
		return d.SerialNumber
	}
	return string(d.ID)
}
