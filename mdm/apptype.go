package mdm

import (
	"fmt"
	"strings"
)

// GeneralType is how the service treats an app (C1): who installs it and how it is
// updated.
type GeneralType uint8

const (
	GeneralUnknown GeneralType = iota
	// GeneralStore: the service asks the device or its store to install; the store
	// pushes updates.
	GeneralStore
	// GeneralLOB: line-of-business; the service installs the uploaded package and the
	// admin uploads new versions.
	GeneralLOB
	// GeneralBuiltIn: built into the OS; the service installs, updates are automatic.
	GeneralBuiltIn
	// GeneralWeb: a web link or web clip; the service creates a shortcut.
	GeneralWeb
	// GeneralOtherService: an app of another service (Entra enterprise apps, Office
	// Online) shown as a shortcut in the company portal.
	GeneralOtherService
)

var generalTypeNames = [...]string{
	GeneralUnknown:      "",
	GeneralStore:        "store",
	GeneralLOB:          "lineOfBusiness",
	GeneralBuiltIn:      "builtIn",
	GeneralWeb:          "webLink",
	GeneralOtherService: "otherService",
}

func (g GeneralType) String() string { return enumString(generalTypeNames[:], int(g), "GeneralType") }

// MarshalText encodes the general type by name.
func (g GeneralType) MarshalText() ([]byte, error) {
	return enumMarshal(generalTypeNames[:], int(g), "GeneralType")
}

// UnmarshalText decodes a general type name; an unknown name is an error.
func (g *GeneralType) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(generalTypeNames[:], b, "GeneralType")
	if err == nil {
		*g = GeneralType(i)
	}
	return err
}

// PackageKind says what an admin supplies to add an app of a type (C2).
type PackageKind uint8

const (
	PackageNone      PackageKind = iota // nothing (Edge, Defender)
	PackageFile                         // an uploaded file with one of the accepted extensions
	PackageStoreURL                     // a store URL
	PackageFromStore                    // chosen from a store, a list or a catalog: an identifier
	PackageIdentity                     // name, publisher and package id (Android Enterprise system app)
	PackageSuite                        // a suite selection (Microsoft 365 apps)
	PackageWebURL                       // a valid absolute http(s) URL
	PackageSynced                       // synced from a store, never uploaded (C4)
)

var packageKindNames = [...]string{
	PackageNone:      "none",
	PackageFile:      "file",
	PackageStoreURL:  "storeURL",
	PackageFromStore: "fromStore",
	PackageIdentity:  "identity",
	PackageSuite:     "suite",
	PackageWebURL:    "webURL",
	PackageSynced:    "synced",
}

func (k PackageKind) String() string { return enumString(packageKindNames[:], int(k), "PackageKind") }

// StoreKind is the store an app is synced from (C4).
type StoreKind uint8

const (
	StoreNone              StoreKind = iota // not synced
	StoreAppleVPP                           // Apple Apps and Books (Volume Purchase Program)
	StoreMicrosoftBusiness                  // Microsoft Store for Business
)

var storeKindNames = [...]string{StoreNone: "none", StoreAppleVPP: "appleVpp", StoreMicrosoftBusiness: "microsoftStoreForBusiness"}

func (k StoreKind) String() string { return enumString(storeKindNames[:], int(k), "StoreKind") }

// MarshalText encodes the store kind by name.
func (k StoreKind) MarshalText() ([]byte, error) {
	return enumMarshal(storeKindNames[:], int(k), "StoreKind")
}

// UnmarshalText decodes a store kind name; an unknown name is an error.
func (k *StoreKind) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(storeKindNames[:], b, "StoreKind")
	if err == nil {
		*k = StoreKind(i)
	}
	return err
}

// Size units. Package limits are stated in GB in the product documentation; mdmkit
// reads them as binary gigabytes (GiB), the larger reading, so a package the product
// accepts is never refused here.
const (
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
)

// AppType is a specific app type (C2). Its general type, platforms, accepted
// package extensions and size limit come from the product's table.
type AppType uint8

// The specific app types of SPEC C2, in the table's order.
const (
	AppTypeUnknown                 AppType = iota
	AppTypeAndroidStore                    // Android store app (store URL)
	AppTypeIOSStore                        // iOS/iPadOS store app (chosen from the App Store)
	AppTypeMicrosoftStore                  // Microsoft Store app (store URL)
	AppTypeManagedGooglePlay               // Managed Google Play app (chosen from the store)
	AppTypeAndroidEnterpriseSystem         // Android Enterprise system app (name, publisher, package id)
	AppTypeMicrosoft365Windows             // Microsoft 365 apps for Windows 10 and later (suite)
	AppTypeMicrosoft365MacOS               // Microsoft 365 apps for macOS (suite)
	AppTypeEdgeWindows                     // Microsoft Edge 77+ for Windows
	AppTypeEdgeMacOS                       // Microsoft Edge 77+ for macOS
	AppTypeDefenderMacOS                   // Microsoft Defender for Endpoint (macOS)
	AppTypeAndroidLOB                      // Android line-of-business (.apk)
	AppTypeIOSLOB                          // iOS/iPadOS line-of-business (.ipa)
	AppTypeWindowsLOB                      // Windows line-of-business (.msi .appx .appxbundle .msix .msixbundle)
	AppTypeWin32                           // Windows app (Win32) (.intunewin)
	AppTypeWin32Catalog                    // Enterprise App Catalog app (Win32), chosen from the catalog
	AppTypeMacOSLOB                        // macOS line-of-business (.pkg)
	AppTypeMacOSDMG                        // macOS app (DMG)
	AppTypeMacOSPKG                        // macOS app (PKG, unmanaged)
	AppTypeIOSBuiltIn                      // iOS/iPadOS built-in app (chosen from a list)
	AppTypeAndroidBuiltIn                  // Android built-in app (chosen from a list)
	AppTypeWebLink                         // Web link (every platform)
	AppTypeIOSWebClip                      // iOS/iPadOS web clip
	AppTypeMacOSWebClip                    // macOS web clip
	AppTypeWindowsWebLink                  // Windows web link
	AppTypeIOSVPP                          // Apple VPP app for iOS/iPadOS (synced)
	AppTypeMacOSVPP                        // Apple VPP app for macOS (synced)
	AppTypeVPPBook                         // Apple VPP book (synced)
	AppTypeStoreForBusiness                // Microsoft Store for Business app, online or offline (synced)
	numAppTypes
)

type appTypeInfo struct {
	graph     string   // Graph @odata.type without "#microsoft.graph."
	aliases   []string // other Graph names decoded as this type
	display   string   // the product's name for the type
	general   GeneralType
	platforms PlatformSet
	pkg       PackageKind
	exts      []string // accepted extensions for PackageFile, lower case with the dot
	maxSize   int64    // per-package limit in bytes; 0 = none stated (C3)
	store     StoreKind
	win32     bool
	book      bool
}

// appTypes is the C2 table. Graph has no distinct type for built-in apps and the
// Android Enterprise system app; those get descriptive names in the same style.
var appTypes = [numAppTypes]appTypeInfo{
	AppTypeAndroidStore:            {graph: "androidStoreApp", display: "Android store app", general: GeneralStore, platforms: PlatformsOf(PlatformAndroid), pkg: PackageStoreURL},
	AppTypeIOSStore:                {graph: "iosStoreApp", display: "iOS/iPadOS store app", general: GeneralStore, platforms: PlatformsOf(PlatformIOS), pkg: PackageFromStore},
	AppTypeMicrosoftStore:          {graph: "windowsStoreApp", aliases: []string{"winGetApp"}, display: "Microsoft Store app", general: GeneralStore, platforms: PlatformsOf(PlatformWindows), pkg: PackageStoreURL},
	AppTypeManagedGooglePlay:       {graph: "androidManagedStoreApp", display: "Managed Google Play app", general: GeneralStore, platforms: PlatformsOf(PlatformAndroidEnterprise), pkg: PackageFromStore},
	AppTypeAndroidEnterpriseSystem: {graph: "androidEnterpriseSystemApp", display: "Android Enterprise system app", general: GeneralStore, platforms: PlatformsOf(PlatformAndroidEnterprise), pkg: PackageIdentity},
	AppTypeMicrosoft365Windows:     {graph: "officeSuiteApp", display: "Microsoft 365 apps for Windows 10 and later", general: GeneralStore, platforms: PlatformsOf(PlatformWindows), pkg: PackageSuite},
	AppTypeMicrosoft365MacOS:       {graph: "macOSOfficeSuiteApp", display: "Microsoft 365 apps for macOS", general: GeneralStore, platforms: PlatformsOf(PlatformMacOS), pkg: PackageSuite},
	AppTypeEdgeWindows:             {graph: "windowsMicrosoftEdgeApp", display: "Microsoft Edge for Windows", general: GeneralStore, platforms: PlatformsOf(PlatformWindows), pkg: PackageNone},
	AppTypeEdgeMacOS:               {graph: "macOSMicrosoftEdgeApp", display: "Microsoft Edge for macOS", general: GeneralStore, platforms: PlatformsOf(PlatformMacOS), pkg: PackageNone},
	AppTypeDefenderMacOS:           {graph: "macOSMicrosoftDefenderApp", display: "Microsoft Defender for Endpoint (macOS)", general: GeneralStore, platforms: PlatformsOf(PlatformMacOS), pkg: PackageNone},
	AppTypeAndroidLOB:              {graph: "androidLobApp", display: "Android line-of-business app", general: GeneralLOB, platforms: PlatformsOf(PlatformAndroid), pkg: PackageFile, exts: []string{".apk"}},
	AppTypeIOSLOB:                  {graph: "iosLobApp", display: "iOS/iPadOS line-of-business app", general: GeneralLOB, platforms: PlatformsOf(PlatformIOS), pkg: PackageFile, exts: []string{".ipa"}, maxSize: 2 * GiB},
	AppTypeWindowsLOB:              {graph: "windowsUniversalAppX", aliases: []string{"windowsMobileMSI", "windowsAppX"}, display: "Windows line-of-business app", general: GeneralLOB, platforms: PlatformsOf(PlatformWindows), pkg: PackageFile, exts: []string{".msi", ".appx", ".appxbundle", ".msix", ".msixbundle"}, maxSize: 8 * GiB},
	AppTypeWin32:                   {graph: "win32LobApp", display: "Windows app (Win32)", general: GeneralLOB, platforms: PlatformsOf(PlatformWindows), pkg: PackageFile, exts: []string{".intunewin"}, maxSize: 30 * GiB, win32: true},
	AppTypeWin32Catalog:            {graph: "win32CatalogApp", display: "Enterprise App Catalog app (Win32)", general: GeneralLOB, platforms: PlatformsOf(PlatformWindows), pkg: PackageFromStore, win32: true},
	AppTypeMacOSLOB:                {graph: "macOSLobApp", display: "macOS line-of-business app", general: GeneralLOB, platforms: PlatformsOf(PlatformMacOS), pkg: PackageFile, exts: []string{".pkg"}},
	AppTypeMacOSDMG:                {graph: "macOSDmgApp", display: "macOS app (DMG)", general: GeneralLOB, platforms: PlatformsOf(PlatformMacOS), pkg: PackageFile, exts: []string{".dmg"}},
	AppTypeMacOSPKG:                {graph: "macOSPkgApp", display: "macOS app (PKG, unmanaged)", general: GeneralLOB, platforms: PlatformsOf(PlatformMacOS), pkg: PackageFile, exts: []string{".pkg"}},
	AppTypeIOSBuiltIn:              {graph: "iosBuiltInApp", display: "iOS/iPadOS built-in app", general: GeneralBuiltIn, platforms: PlatformsOf(PlatformIOS), pkg: PackageFromStore},
	AppTypeAndroidBuiltIn:          {graph: "androidBuiltInApp", display: "Android built-in app", general: GeneralBuiltIn, platforms: PlatformsOf(PlatformAndroid), pkg: PackageFromStore},
	AppTypeWebLink:                 {graph: "webApp", display: "Web link", general: GeneralWeb, platforms: AllPlatforms, pkg: PackageWebURL},
	AppTypeIOSWebClip:              {graph: "iosiPadOSWebClip", display: "iOS/iPadOS web clip", general: GeneralWeb, platforms: PlatformsOf(PlatformIOS), pkg: PackageWebURL},
	AppTypeMacOSWebClip:            {graph: "macOSWebClip", display: "macOS web clip", general: GeneralWeb, platforms: PlatformsOf(PlatformMacOS), pkg: PackageWebURL},
	AppTypeWindowsWebLink:          {graph: "windowsWebApp", display: "Windows web link", general: GeneralWeb, platforms: PlatformsOf(PlatformWindows), pkg: PackageWebURL},
	AppTypeIOSVPP:                  {graph: "iosVppApp", display: "iOS/iPadOS VPP app", general: GeneralStore, platforms: PlatformsOf(PlatformIOS), pkg: PackageSynced, store: StoreAppleVPP},
	AppTypeMacOSVPP:                {graph: "macOsVppApp", display: "macOS VPP app", general: GeneralStore, platforms: PlatformsOf(PlatformMacOS), pkg: PackageSynced, store: StoreAppleVPP},
	AppTypeVPPBook:                 {graph: "iosVppEBook", display: "VPP book", general: GeneralStore, platforms: PlatformsOf(PlatformIOS, PlatformMacOS), pkg: PackageSynced, store: StoreAppleVPP, book: true},
	AppTypeStoreForBusiness:        {graph: "microsoftStoreForBusinessApp", display: "Microsoft Store for Business app", general: GeneralStore, platforms: PlatformsOf(PlatformWindows), pkg: PackageSynced, store: StoreMicrosoftBusiness},
}

// AppTypes lists every specific app type in the order of SPEC C2.
func AppTypes() []AppType {
	out := make([]AppType, 0, numAppTypes-1)
	for t := AppTypeUnknown + 1; t < numAppTypes; t++ {
		out = append(out, t)
	}
	return out
}

func (t AppType) info() *appTypeInfo {
	if t > AppTypeUnknown && t < numAppTypes {
		return &appTypes[t]
	}
	return &appTypes[AppTypeUnknown]
}

// Valid reports whether t is one of the known app types.
func (t AppType) Valid() bool { return t > AppTypeUnknown && t < numAppTypes }

// String returns the Graph name of the type (without "#microsoft.graph.").
func (t AppType) String() string {
	if !t.Valid() {
		return fmt.Sprintf("AppType(%d)", uint8(t))
	}
	return appTypes[t].graph
}

// DisplayName is the product's name for the type, e.g. "Windows app (Win32)".
func (t AppType) DisplayName() string { return t.info().display }

// General is the general type of the specific type (C1).
func (t AppType) General() GeneralType { return t.info().general }

// Platforms are the platforms an app of this type runs on (C2).
func (t AppType) Platforms() PlatformSet { return t.info().platforms }

// PackageKind says what an admin supplies when adding an app of this type (C2).
func (t AppType) PackageKind() PackageKind { return t.info().pkg }

// Extensions are the accepted package file extensions, lower case with the dot,
// for PackageFile types; nil otherwise (C2).
func (t AppType) Extensions() []string { return append([]string(nil), t.info().exts...) }

// MaxPackageSize is the largest package the type accepts, in bytes; 0 when the
// product states no per-app limit (C3).
func (t AppType) MaxPackageSize() int64 { return t.info().maxSize }

// Store is the store the type is synced from, or StoreNone (C4).
func (t AppType) Store() StoreKind { return t.info().store }

// IsSynced reports whether apps of the type come only from store sync (C4).
func (t AppType) IsSynced() bool { return t.info().store != StoreNone }

// IsWin32 reports whether the type is a Win32 app (C9, C10: dependencies and
// supersedence link Win32 apps only).
func (t AppType) IsWin32() bool { return t.info().win32 }

// IsBook reports whether the type is a VPP book (L8, A4).
func (t AppType) IsBook() bool { return t.info().book }

// IsVPP reports whether the type is an Apple VPP app or book.
func (t AppType) IsVPP() bool { return t.info().store == StoreAppleVPP }

// IsLOB reports whether the type is line-of-business (A12 defaults).
func (t AppType) IsLOB() bool { return t.info().general == GeneralLOB }

// AcceptsExtension reports whether a package file name ends with an extension the
// type accepts (case-insensitive).
func (t AppType) AcceptsExtension(fileName string) bool {
	name := strings.ToLower(fileName)
	for _, e := range t.info().exts {
		if strings.HasSuffix(name, e) && len(name) > len(e) {
			return true
		}
	}
	return false
}

const graphPrefix = "#microsoft.graph."

// MarshalText encodes the type as its Graph @odata.type, e.g.
// "#microsoft.graph.win32LobApp".
func (t AppType) MarshalText() ([]byte, error) {
	if !t.Valid() {
		return nil, &ValidationError{Field: "@odata.type", Value: t.String(), Rule: "C2", Err: ErrUnknownEnum,
			Reason: "is not a known app type", Remedy: "use one of the AppType constants"}
	}
	return []byte(graphPrefix + appTypes[t].graph), nil
}

// UnmarshalText decodes a Graph @odata.type (with or without the
// "#microsoft.graph." prefix). An unknown type is an error.
func (t *AppType) UnmarshalText(b []byte) error {
	// One prefix at most: "#microsoft.graph.microsoft.graph.x" is no Graph type.
	s, ok := strings.CutPrefix(string(b), graphPrefix)
	if !ok {
		s = strings.TrimPrefix(s, "microsoft.graph.")
	}
	for i := AppTypeUnknown + 1; i < numAppTypes; i++ {
		if appTypes[i].graph == s {
			*t = i
			return nil
		}
		for _, a := range appTypes[i].aliases {
			if a == s {
				*t = i
				return nil
			}
		}
	}
	return &ValidationError{Field: "@odata.type", Value: string(b), Rule: "C2", Err: ErrUnknownEnum,
		Reason: "is not a known app type", Remedy: "use a Graph mobileApp type such as #microsoft.graph.win32LobApp"}
}
