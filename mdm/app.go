package mdm

// App is one entry of the catalog.
type App struct {
	ID          AppID  // immutable (C8)
	DisplayName string // may change freely; nothing keys on it (C8)
	Type        AppType
	// Version is the app's version as the device reports it in inventory. A new
	// version of a required app is installed within the update window (T4).
	Version   string
	Publisher string
	// Package is the uploaded file of line-of-business types (C2, C3).
	Package Package
	// URL is the web address of web links and web clips, or the store URL of store
	// types that take one (C2).
	URL string
	// Identifier is the bundle id, package id or catalog id of types chosen from a
	// store, a list or a catalog (C2).
	Identifier string
	// Categories are company-portal categories, stored in one language (C7).
	Categories []string
	State      PublishingState // only published apps can be assigned (C6)
	// Origin says where a synced app comes from (C4); zero for apps added by hand.
	Origin StoreOrigin
	// Dependencies of a Win32 app (C9): installed first, deepest first (T10).
	Dependencies []Dependency
	// Supersedes lists the apps this app supersedes (C10, T9).
	Supersedes   []Supersedence
	Requirements Requirements // T11
	// AllowUserUninstall lets the user uninstall an available Win32 app from the
	// company portal (T7; off by default for Win32, always allowed for Microsoft
	// Store apps).
	AllowUserUninstall bool
}

// Package is an uploaded package file.
type Package struct {
	FileName string
	Size     int64 // bytes
}

// PublishingState follows Graph's mobileAppPublishingState.
type PublishingState uint8

const (
	// Published is the zero value: apps added through this library are published
	// once their package is accepted, as in the product after the upload commits.
	Published PublishingState = iota
	NotPublished
	Processing
)

var publishingStateNames = [...]string{Published: "published", NotPublished: "notPublished", Processing: "processing"}

func (s PublishingState) String() string {
	return enumString(publishingStateNames[:], int(s), "PublishingState")
}

// MarshalText encodes the state by its Graph name.
func (s PublishingState) MarshalText() ([]byte, error) {
	return enumMarshal(publishingStateNames[:], int(s), "PublishingState")
}

// UnmarshalText decodes a Graph name; an unknown name is an error.
func (s *PublishingState) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(publishingStateNames[:], b, "PublishingState")
	if err == nil {
		*s = PublishingState(i)
	}
	return err
}

// StoreOrigin records where a synced app comes from (C4, L13).
type StoreOrigin struct {
	Store StoreKind
	// Token is the VPP location token or the Store for Business account connection.
	Token TokenID
	// ProductID is the store's id of the product: Apple's adamId, or the Store for
	// Business product id.
	ProductID string
	// Licensing is online or offline for Store for Business apps (L13); VPP apps
	// leave it unset.
	Licensing LicenseMode
	// GoneFromStore says the store no longer lists the product. Sync keeps such an
	// app while assignments or licenses in use reference it (S2), and clears the
	// flag when the store lists the product again.
	GoneFromStore bool
}

// LicenseMode is how a Store for Business app is licensed (L13).
type LicenseMode uint8

const (
	LicenseModeUnset LicenseMode = iota
	// LicenseOnline: the store installs the app; each installing user consumes one
	// license.
	LicenseOnline
	// LicenseOffline: the service installs the app; it can target user, device or
	// mixed groups.
	LicenseOffline
)

var licenseModeNames = [...]string{LicenseModeUnset: "", LicenseOnline: "online", LicenseOffline: "offline"}

func (m LicenseMode) String() string { return enumString(licenseModeNames[:], int(m), "LicenseMode") }

// MarshalText encodes the mode by its Graph name.
func (m LicenseMode) MarshalText() ([]byte, error) {
	return enumMarshal(licenseModeNames[:], int(m), "LicenseMode")
}

// UnmarshalText decodes a Graph name; an unknown name is an error.
func (m *LicenseMode) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(licenseModeNames[:], b, "LicenseMode")
	if err == nil {
		*m = LicenseMode(i)
	}
	return err
}

// DependencyKind is how a Win32 dependency is handled (C9).
type DependencyKind uint8

const (
	// AutoInstall installs the dependency even if it is not assigned (the default).
	AutoInstall DependencyKind = iota
	// DetectOnly only checks for the dependency; if it is missing the parent is not
	// attempted and reports failed.
	DetectOnly
)

var dependencyKindNames = [...]string{AutoInstall: "autoInstall", DetectOnly: "detect"}

func (k DependencyKind) String() string {
	return enumString(dependencyKindNames[:], int(k), "DependencyKind")
}

// MarshalText encodes the kind by its Graph name.
func (k DependencyKind) MarshalText() ([]byte, error) {
	return enumMarshal(dependencyKindNames[:], int(k), "DependencyKind")
}

// UnmarshalText decodes a Graph name; an unknown name is an error.
func (k *DependencyKind) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(dependencyKindNames[:], b, "DependencyKind")
	if err == nil {
		*k = DependencyKind(i)
	}
	return err
}

// Dependency is an edge from a Win32 app to an app it needs (C9).
type Dependency struct {
	App  AppID
	Kind DependencyKind
}

// SupersedenceKind is how a superseding app treats the app it supersedes (C10, T9).
type SupersedenceKind uint8

const (
	// Update installs the new app and leaves the old one (the product's default:
	// "uninstall previous version" off).
	Update SupersedenceKind = iota
	// Replace uninstalls the old app, then installs the new one.
	Replace
)

var supersedenceKindNames = [...]string{Update: "update", Replace: "replace"}

func (k SupersedenceKind) String() string {
	return enumString(supersedenceKindNames[:], int(k), "SupersedenceKind")
}

// MarshalText encodes the kind by its Graph name.
func (k SupersedenceKind) MarshalText() ([]byte, error) {
	return enumMarshal(supersedenceKindNames[:], int(k), "SupersedenceKind")
}

// UnmarshalText decodes a Graph name; an unknown name is an error.
func (k *SupersedenceKind) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(supersedenceKindNames[:], b, "SupersedenceKind")
	if err == nil {
		*k = SupersedenceKind(i)
	}
	return err
}

// Supersedence is an edge from a superseding app to the app it supersedes (C10).
type Supersedence struct {
	App  AppID // the superseded (older) app
	Kind SupersedenceKind
}

// Requirements are the rules a device must meet before an install is attempted
// (T11). Zero fields impose nothing.
type Requirements struct {
	MinOSVersion   string         // e.g. "10.0.19041"; compared with CompareVersions
	Architectures  []Architecture // empty = any
	MinFreeDiskMB  int64
	MinMemoryMB    int64
	MinCPUs        int
	MinCPUSpeedMHz int
}

// MinWindowsForStoreForBusiness is Windows 10 version 1511 (L16, T11).
const MinWindowsForStoreForBusiness = "10.0.10586"

// Evaluate checks the requirements of app a against device d (T11). It returns
// DetailNone when the device meets them all, or the detail of the first rule not
// met, in a fixed order. Type-implied rules apply as well: the app's platform, Windows 10
// 1511 and an AD or workplace join for Store for Business apps (L16), and the
// built-in Books app for books (L8).
func (a *App) Evaluate(d *Device) InstallDetail {
	if !a.Type.Platforms().Has(d.Platform) {
		return DetailPlatformNotApplicable
	}
	r := &a.Requirements
	if r.MinOSVersion != "" && CompareVersions(d.OSVersion, r.MinOSVersion) < 0 {
		return DetailMinimumOSVersionNotMet
	}
	if a.Type == AppTypeStoreForBusiness {
		if CompareVersions(d.OSVersion, MinWindowsForStoreForBusiness) < 0 {
			return DetailMinimumOSVersionNotMet
		}
		// "joined to Active Directory Domain Services or workplace-joined"
		if d.JoinType != JoinAD && d.JoinType != JoinHybrid && d.JoinType != JoinWorkplace {
			return DetailJoinTypeNotMet
		}
	}
	if len(r.Architectures) > 0 {
		ok := false
		for _, arch := range r.Architectures {
			if arch == d.Architecture {
				ok = true
				break
			}
		}
		if !ok {
			return DetailArchitectureNotValid
		}
	}
	if r.MinFreeDiskMB > 0 && d.FreeDiskMB < r.MinFreeDiskMB {
		return DetailMinimumDiskSpaceNotMet
	}
	if r.MinMemoryMB > 0 && d.MemoryMB < r.MinMemoryMB {
		return DetailMinimumPhysicalMemoryNotMet
	}
	if r.MinCPUs > 0 && d.CPUs < r.MinCPUs {
		return DetailMinimumLogicalProcessorCountNotMet
	}
	if r.MinCPUSpeedMHz > 0 && d.CPUSpeedMHz < r.MinCPUSpeedMHz {
		return DetailMinimumCPUSpeedNotMet
	}
	if a.Type.IsBook() && !d.HasBooksApp {
		return DetailBooksAppMissing
	}
	return DetailNone
}
