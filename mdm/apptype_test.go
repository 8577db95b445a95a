package mdm

import (
	"errors"
	"strings"
	"testing"
)

// validApp returns an app of type t that passes ValidateApp, so a test can change
// one field and see exactly that field refused.
func validApp(t AppType) App {
	a := App{ID: "app-" + AppID(t.String()), DisplayName: t.DisplayName(), Type: t}
	switch t.PackageKind() {
	case PackageFile:
		a.Package = Package{FileName: "setup" + t.info().exts[0], Size: 10 * MiB}
	case PackageStoreURL:
		a.URL = "https://store.example.com/app/123"
	case PackageWebURL:
		a.URL = "https://intranet.contoso.com/"
	case PackageFromStore:
		a.Identifier = "com.contoso.app"
	case PackageIdentity:
		a.Identifier = "com.contoso.system"
		a.Publisher = "Contoso"
	}
	if t.IsSynced() {
		a.Origin = StoreOrigin{Store: t.Store(), Token: "token-1", ProductID: "361309726"}
		if t.Store() == StoreMicrosoftBusiness {
			a.Origin.Licensing = LicenseOffline
		}
	}
	return a
}

func addOpts(t AppType) AddOptions { return AddOptions{FromSync: t.IsSynced()} }

// C1, C2: every specific type has its general type, platforms and package rules.
func TestAppTypes_Table(t *testing.T) {
	want := []struct {
		typ       AppType
		general   GeneralType
		platforms PlatformSet
		exts      string
	}{
		{AppTypeAndroidStore, GeneralStore, PlatformsOf(PlatformAndroid), ""},
		{AppTypeIOSStore, GeneralStore, PlatformsOf(PlatformIOS), ""},
		{AppTypeMicrosoftStore, GeneralStore, PlatformsOf(PlatformWindows), ""},
		{AppTypeManagedGooglePlay, GeneralStore, PlatformsOf(PlatformAndroidEnterprise), ""},
		{AppTypeAndroidEnterpriseSystem, GeneralStore, PlatformsOf(PlatformAndroidEnterprise), ""},
		{AppTypeMicrosoft365Windows, GeneralStore, PlatformsOf(PlatformWindows), ""},
		{AppTypeMicrosoft365MacOS, GeneralStore, PlatformsOf(PlatformMacOS), ""},
		{AppTypeEdgeWindows, GeneralStore, PlatformsOf(PlatformWindows), ""},
		{AppTypeEdgeMacOS, GeneralStore, PlatformsOf(PlatformMacOS), ""},
		{AppTypeDefenderMacOS, GeneralStore, PlatformsOf(PlatformMacOS), ""},
		{AppTypeAndroidLOB, GeneralLOB, PlatformsOf(PlatformAndroid), ".apk"},
		{AppTypeIOSLOB, GeneralLOB, PlatformsOf(PlatformIOS), ".ipa"},
		{AppTypeWindowsLOB, GeneralLOB, PlatformsOf(PlatformWindows), ".msi .appx .appxbundle .msix .msixbundle"},
		{AppTypeWin32, GeneralLOB, PlatformsOf(PlatformWindows), ".intunewin"},
		{AppTypeWin32Catalog, GeneralLOB, PlatformsOf(PlatformWindows), ""},
		{AppTypeMacOSLOB, GeneralLOB, PlatformsOf(PlatformMacOS), ".pkg"},
		{AppTypeMacOSDMG, GeneralLOB, PlatformsOf(PlatformMacOS), ".dmg"},
		{AppTypeMacOSPKG, GeneralLOB, PlatformsOf(PlatformMacOS), ".pkg"},
		{AppTypeIOSBuiltIn, GeneralBuiltIn, PlatformsOf(PlatformIOS), ""},
		{AppTypeAndroidBuiltIn, GeneralBuiltIn, PlatformsOf(PlatformAndroid), ""},
		{AppTypeWebLink, GeneralWeb, AllPlatforms, ""},
		{AppTypeIOSWebClip, GeneralWeb, PlatformsOf(PlatformIOS), ""},
		{AppTypeMacOSWebClip, GeneralWeb, PlatformsOf(PlatformMacOS), ""},
		{AppTypeWindowsWebLink, GeneralWeb, PlatformsOf(PlatformWindows), ""},
		{AppTypeIOSVPP, GeneralStore, PlatformsOf(PlatformIOS), ""},
		{AppTypeMacOSVPP, GeneralStore, PlatformsOf(PlatformMacOS), ""},
		{AppTypeVPPBook, GeneralStore, PlatformsOf(PlatformIOS, PlatformMacOS), ""},
		{AppTypeStoreForBusiness, GeneralStore, PlatformsOf(PlatformWindows), ""},
	}
	if len(want) != len(AppTypes()) {
		t.Fatalf("table has %d rows, AppTypes() has %d", len(want), len(AppTypes()))
	}
	for i, w := range want {
		if AppTypes()[i] != w.typ {
			t.Errorf("AppTypes()[%d] = %v, want %v (C2 order)", i, AppTypes()[i], w.typ)
		}
		if got := w.typ.General(); got != w.general {
			t.Errorf("%v.General() = %v, want %v", w.typ, got, w.general)
		}
		if got := w.typ.Platforms(); got != w.platforms {
			t.Errorf("%v.Platforms() = %v, want %v", w.typ, got, w.platforms)
		}
		if got := strings.Join(w.typ.Extensions(), " "); got != w.exts {
			t.Errorf("%v.Extensions() = %q, want %q", w.typ, got, w.exts)
		}
	}
}

// C2: each file type accepts exactly its extensions, in any case, and refuses
// every other type's extension with ErrExtension.
func TestValidateApp_Extensions(t *testing.T) {
	all := []string{".apk", ".ipa", ".msi", ".appx", ".appxbundle", ".msix", ".msixbundle", ".intunewin", ".pkg", ".dmg", ".exe", ".zip"}
	for _, typ := range AppTypes() {
		if typ.PackageKind() != PackageFile {
			continue
		}
		t.Run(typ.String(), func(t *testing.T) {
			accepted := map[string]bool{}
			for _, e := range typ.Extensions() {
				accepted[e] = true
			}
			for _, ext := range all {
				a := validApp(typ)
				a.Package.FileName = "Contoso Setup" + strings.ToUpper(ext)
				err := ValidateApp(&a, AddOptions{})
				if accepted[ext] && err != nil {
					t.Errorf("%s refused: %v", ext, err)
				}
				if !accepted[ext] && !errors.Is(err, ErrExtension) {
					t.Errorf("%s: err = %v, want ErrExtension", ext, err)
				}
			}
			a := validApp(typ)
			a.Package.FileName = typ.Extensions()[0] // an extension alone is not a file name
			if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrExtension) {
				t.Errorf("bare extension: err = %v, want ErrExtension", err)
			}
		})
	}
}

// C2: types that take no uploaded file refuse one, and every type's valid form
// passes.
func TestValidateApp_PackageKinds(t *testing.T) {
	for _, typ := range AppTypes() {
		a := validApp(typ)
		if err := ValidateApp(&a, addOpts(typ)); err != nil {
			t.Errorf("%v: valid app refused: %v", typ, err)
		}
		if typ.PackageKind() == PackageFile {
			continue
		}
		a.Package = Package{FileName: "x.intunewin", Size: 1}
		if err := ValidateApp(&a, addOpts(typ)); !errors.Is(err, ErrExtension) {
			t.Errorf("%v with a package file: err = %v, want ErrExtension", typ, err)
		}
	}
}

// C2: web types and store-URL types need a valid absolute http(s) URL.
func TestValidateApp_URL(t *testing.T) {
	bad := []string{"", "contoso.com", "/relative/path", "ftp://contoso.com/x", "javascript:alert(1)", "https://", "http://:80/", "https://exa mple.com"}
	good := []string{"https://contoso.com", "http://intranet/", "https://contoso.com:8443/a?b=c#d"}
	for _, typ := range AppTypes() {
		k := typ.PackageKind()
		if k != PackageWebURL && k != PackageStoreURL {
			continue
		}
		for _, u := range bad {
			a := validApp(typ)
			a.URL = u
			err := ValidateApp(&a, AddOptions{})
			var ve *ValidationError
			if !errors.Is(err, ErrInvalidURL) || !errors.As(err, &ve) || ve.Rule != "C2" {
				t.Errorf("%v URL %q: err = %v, want ErrInvalidURL (C2)", typ, u, err)
			}
		}
		for _, u := range good {
			a := validApp(typ)
			a.URL = u
			if err := ValidateApp(&a, AddOptions{}); err != nil {
				t.Errorf("%v URL %q refused: %v", typ, u, err)
			}
		}
	}
}

// C2: types chosen from a store, list or catalog need the identifier.
func TestValidateApp_Identifier(t *testing.T) {
	for _, typ := range AppTypes() {
		if k := typ.PackageKind(); k != PackageFromStore && k != PackageIdentity {
			continue
		}
		a := validApp(typ)
		a.Identifier = ""
		if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrMissingField) {
			t.Errorf("%v without identifier: err = %v, want ErrMissingField", typ, err)
		}
	}
	a := validApp(AppTypeAndroidEnterpriseSystem)
	a.Publisher = ""
	if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrMissingField) {
		t.Errorf("system app without publisher: err = %v, want ErrMissingField", err)
	}
}

// C3: per-type limits at, just under and just over; a size must be positive.
func TestValidateApp_SizeLimits(t *testing.T) {
	limits := []struct {
		typ   AppType
		limit int64
	}{
		{AppTypeWin32, 30 * GiB},
		{AppTypeWindowsLOB, 8 * GiB},
		{AppTypeIOSLOB, 2 * GiB},
	}
	for _, l := range limits {
		if got := l.typ.MaxPackageSize(); got != l.limit {
			t.Errorf("%v limit = %d, want %d", l.typ, got, l.limit)
		}
		for _, c := range []struct {
			size int64
			ok   bool
		}{{l.limit - 1, true}, {l.limit, true}, {l.limit + 1, false}} {
			a := validApp(l.typ)
			a.Package.Size = c.size
			err := ValidateApp(&a, AddOptions{})
			if c.ok && err != nil {
				t.Errorf("%v size %d refused: %v", l.typ, c.size, err)
			}
			if !c.ok {
				var ve *ValidationError
				if !errors.Is(err, ErrPackageTooLarge) || !errors.As(err, &ve) || ve.Rule != "C3" || ve.Field != "package.size" {
					t.Errorf("%v size %d: err = %v, want ErrPackageTooLarge on package.size (C3)", l.typ, c.size, err)
				} else if !strings.Contains(err.Error(), formatBytes(l.limit)) {
					t.Errorf("message %q does not name the limit %s", err, formatBytes(l.limit))
				}
			}
		}
	}
	// Types with no per-app limit accept a large package on a paid tenant.
	a := validApp(AppTypeMacOSDMG)
	a.Package.Size = 100 * GiB
	if err := ValidateApp(&a, AddOptions{}); err != nil {
		t.Errorf("macOS DMG of 100 GiB refused on a paid tenant: %v", err)
	}
	for _, size := range []int64{0, -1} {
		a := validApp(AppTypeWin32)
		a.Package.Size = size
		if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrMissingField) {
			t.Errorf("size %d: err = %v, want ErrMissingField", size, err)
		}
	}
}

// C3: a trial tenant has 2 GiB of package storage in total; a paid tenant none.
func TestValidateApp_TrialStorage(t *testing.T) {
	used := 1 * GiB
	for _, c := range []struct {
		size int64
		ok   bool
	}{{GiB - 1, true}, {GiB, true}, {GiB + 1, false}} {
		a := validApp(AppTypeWin32)
		a.Package.Size = c.size
		err := ValidateApp(&a, AddOptions{Trial: true, StorageUsed: used})
		if c.ok && err != nil {
			t.Errorf("trial, used 1 GiB, size %d refused: %v", c.size, err)
		}
		if !c.ok && !errors.Is(err, ErrTrialStorage) {
			t.Errorf("trial, used 1 GiB, size %d: err = %v, want ErrTrialStorage", c.size, err)
		}
		if err := ValidateApp(&a, AddOptions{StorageUsed: 500 * GiB}); err != nil {
			t.Errorf("paid tenant refused size %d: %v", c.size, err)
		}
	}
	p := DefaultPolicy()
	p.TrialStorageLimit = 100 * MiB
	a := validApp(AppTypeWin32)
	a.Package.Size = 101 * MiB
	if err := ValidateApp(&a, AddOptions{Trial: true, Policy: &p}); !errors.Is(err, ErrTrialStorage) {
		t.Errorf("policy trial limit not applied: %v", err)
	}
}

// C4: synced types cannot be added by hand, and sync adds only synced types.
func TestValidateApp_StoreSynced(t *testing.T) {
	for _, typ := range AppTypes() {
		a := validApp(typ)
		err := ValidateApp(&a, AddOptions{FromSync: !typ.IsSynced()})
		if !errors.Is(err, ErrStoreSynced) {
			t.Errorf("%v added the wrong way: err = %v, want ErrStoreSynced", typ, err)
		}
	}
	a := validApp(AppTypeStoreForBusiness)
	a.Origin.Licensing = LicenseModeUnset
	if err := ValidateApp(&a, AddOptions{FromSync: true}); !errors.Is(err, ErrMissingField) {
		t.Errorf("Store for Business without licensing: %v", err) // L13
	}
	a = validApp(AppTypeIOSVPP)
	a.Origin.Store = StoreMicrosoftBusiness
	if err := ValidateApp(&a, AddOptions{FromSync: true}); !errors.Is(err, ErrStoreSynced) {
		t.Errorf("VPP app with a Store for Business origin: %v", err)
	}
	a = validApp(AppTypeWin32)
	a.Origin = StoreOrigin{Store: StoreAppleVPP, Token: "t", ProductID: "1"}
	if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrStoreSynced) {
		t.Errorf("hand-added app with an origin: %v", err)
	}
}

func TestValidateApp_Basics(t *testing.T) {
	cases := []struct {
		name string
		mut  func(*App)
		want error
	}{
		{"empty id", func(a *App) { a.ID = "" }, ErrInvalidID},
		{"control char id", func(a *App) { a.ID = "a\nb" }, ErrInvalidID},
		{"long id", func(a *App) { a.ID = AppID(strings.Repeat("x", MaxIDLength+1)) }, ErrInvalidID},
		{"no name", func(a *App) { a.DisplayName = "  " }, ErrMissingField},
		{"unknown type", func(a *App) { a.Type = numAppTypes }, ErrUnknownEnum},
		{"bad state", func(a *App) { a.State = 9 }, ErrUnknownEnum},
		{"empty category", func(a *App) { a.Categories = []string{"Tools", ""} }, ErrMissingField},            // C7
		{"duplicate category", func(a *App) { a.Categories = []string{"Tools", "Tools"} }, ErrInvalidSetting}, // C7
		{"negative disk", func(a *App) { a.Requirements.MinFreeDiskMB = -1 }, ErrInvalidSetting},              // T11
		{"bad architecture", func(a *App) { a.Requirements.Architectures = []Architecture{9} }, ErrUnknownEnum},
	}
	for _, c := range cases {
		a := validApp(AppTypeWin32)
		c.mut(&a)
		if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

// C9, C10: edges are set on Win32 apps only, never to the app itself or twice.
func TestValidateApp_EdgeShape(t *testing.T) {
	a := validApp(AppTypeIOSLOB)
	a.Dependencies = []Dependency{{App: "x"}}
	if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrDependencyNotWin32) {
		t.Errorf("iOS LOB with dependency: %v", err)
	}
	a = validApp(AppTypeMacOSDMG)
	a.Supersedes = []Supersedence{{App: "x"}}
	if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrSupersedenceNotWin32) {
		t.Errorf("DMG with supersedence: %v", err)
	}
	a = validApp(AppTypeWin32)
	a.Dependencies = []Dependency{{App: a.ID}}
	if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrDependencyCycle) {
		t.Errorf("self dependency: %v", err)
	}
	a = validApp(AppTypeWin32)
	a.Supersedes = []Supersedence{{App: a.ID}}
	if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrSupersedenceCycle) {
		t.Errorf("self supersedence: %v", err)
	}
	a = validApp(AppTypeWin32)
	a.Dependencies = []Dependency{{App: "d"}, {App: "d", Kind: DetectOnly}}
	if err := ValidateApp(&a, AddOptions{}); !errors.Is(err, ErrInvalidSetting) {
		t.Errorf("duplicate dependency: %v", err)
	}
	a = validApp(AppTypeWin32Catalog) // catalog apps are Win32 too
	a.Dependencies = []Dependency{{App: "d"}}
	if err := ValidateApp(&a, AddOptions{}); err != nil {
		t.Errorf("catalog Win32 app with dependency refused: %v", err)
	}
}

// The error text names the field, the value, the rule and the remedy.
func TestValidationError_Message(t *testing.T) {
	a := validApp(AppTypeIOSLOB)
	a.Package.FileName = "Contoso.apk"
	err := ValidateApp(&a, AddOptions{})
	want := `package.fileName "Contoso.apk" does not end in an extension the iOS/iPadOS line-of-business app type accepts (C2): upload a package ending in .ipa, or choose the app type that matches the file`
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}
