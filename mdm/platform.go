package mdm

import "strings"

// Platform is an operating-system family the service manages.
type Platform uint8

const (
	PlatformUnknown           Platform = iota
	PlatformAndroid                    // Android device administrator
	PlatformAndroidEnterprise          // Android Enterprise (work profile, fully managed, dedicated, COPE)
	PlatformIOS                        // iOS and iPadOS
	PlatformMacOS                      // macOS
	PlatformWindows                    // Windows 10 and later
	numPlatforms
)

var platformNames = [...]string{
	PlatformUnknown:           "",
	PlatformAndroid:           "android",
	PlatformAndroidEnterprise: "androidEnterprise",
	PlatformIOS:               "iOS",
	PlatformMacOS:             "macOS",
	PlatformWindows:           "windows",
}

// Valid reports whether the value is a platform this package knows (the
// zero value included).
func (p Platform) Valid() bool { return int(p) < len(platformNames) }

// Platforms lists every known platform in a stable order.
func Platforms() []Platform {
	return []Platform{PlatformAndroid, PlatformAndroidEnterprise, PlatformIOS, PlatformMacOS, PlatformWindows}
}

func (p Platform) String() string { return enumString(platformNames[:], int(p), "Platform") }

// MarshalText encodes the platform by name ("iOS", "windows", ...).
func (p Platform) MarshalText() ([]byte, error) {
	return enumMarshal(platformNames[:], int(p), "Platform")
}

// UnmarshalText decodes a platform name; an unknown name is an error.
func (p *Platform) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(platformNames[:], b, "Platform")
	if err == nil {
		*p = Platform(i)
	}
	return err
}

// IsApple reports whether the platform follows Apple's check-in cadence (T2).
func (p Platform) IsApple() bool { return p == PlatformIOS || p == PlatformMacOS }

// PlatformSet is a set of platforms, as a bit mask.
type PlatformSet uint8

// AllPlatforms holds every platform (web links apply everywhere).
const AllPlatforms PlatformSet = 1<<PlatformAndroid | 1<<PlatformAndroidEnterprise |
	1<<PlatformIOS | 1<<PlatformMacOS | 1<<PlatformWindows

// PlatformsOf builds a set.
func PlatformsOf(ps ...Platform) PlatformSet {
	var s PlatformSet
	for _, p := range ps {
		s |= 1 << p
	}
	return s
}

// Has reports whether p is in the set.
func (s PlatformSet) Has(p Platform) bool { return p != PlatformUnknown && s&(1<<p) != 0 }

func (s PlatformSet) String() string {
	if s == AllPlatforms {
		return "all"
	}
	var parts []string
	for _, p := range Platforms() {
		if s.Has(p) {
			parts = append(parts, p.String())
		}
	}
	return strings.Join(parts, ", ")
}

// Architecture is a processor architecture (D5, T11).
type Architecture uint8

const (
	ArchUnknown Architecture = iota
	ArchX86
	ArchX64
	ArchARM
	ArchARM64
)

var archNames = [...]string{ArchUnknown: "", ArchX86: "x86", ArchX64: "x64", ArchARM: "arm", ArchARM64: "arm64"}

// Valid reports whether the value is a processor architecture this package knows (the
// zero value included).
func (a Architecture) Valid() bool { return int(a) < len(archNames) }

func (a Architecture) String() string { return enumString(archNames[:], int(a), "Architecture") }

// MarshalText encodes the architecture by its Graph name.
func (a Architecture) MarshalText() ([]byte, error) {
	return enumMarshal(archNames[:], int(a), "Architecture")
}

// UnmarshalText decodes an architecture name; an unknown name is an error.
func (a *Architecture) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(archNames[:], b, "Architecture")
	if err == nil {
		*a = Architecture(i)
	}
	return err
}
