package mdm

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every validation failure wraps exactly one of them, so a caller
// branches with errors.Is and reads the facts with errors.As(*ValidationError).
var (
	ErrInvalidID            = errors.New("invalid id")
	ErrMissingField         = errors.New("missing field")
	ErrUnknownEnum          = errors.New("unknown enum value")
	ErrWrongPlatform        = errors.New("platform not supported by app type")
	ErrExtension            = errors.New("package extension not accepted for app type")     // C2
	ErrPackageTooLarge      = errors.New("package larger than the app type allows")         // C3
	ErrTrialStorage         = errors.New("trial tenant package storage exceeded")           // C3
	ErrInvalidURL           = errors.New("not a valid absolute http(s) URL")                // C2
	ErrStoreSynced          = errors.New("store-synced apps are added and deleted by sync") // C4
	ErrDependencyLimit      = errors.New("dependency tree larger than allowed")             // C9
	ErrDependencyNotWin32   = errors.New("dependencies must be Win32 apps")                 // C9
	ErrDependencyCycle      = errors.New("dependency cycle")                                // C9
	ErrSupersedenceLimit    = errors.New("supersedence graph larger than allowed")          // C10
	ErrSupersedingLimit     = errors.New("too many apps supersede one app")                 // C10
	ErrSupersedenceNotWin32 = errors.New("supersedence links Win32 apps only")              // C10
	ErrSupersedenceCycle    = errors.New("supersedence cycle")                              // C10
	ErrUnknownApp           = errors.New("unknown app")                                     // a reference to an app that is not in the catalog
	ErrMixedGroup           = errors.New("a group holds users or devices, never both")      // D1
	ErrInvalidTarget        = errors.New("invalid assignment target")                       // A2
	ErrInvalidSetting       = errors.New("invalid assignment setting")                      // A12, L4, T14
	ErrConflictingIntent    = errors.New("group already targeted with another intent")      // A3 (used by assign)
	ErrInvalidPolicy        = errors.New("invalid policy")                                  // P
	ErrInvalidMessage       = errors.New("invalid message between service and device")      // commands and reports
)

// ValidationError carries the facts of one refused input: the field, the value
// found, the SPEC rule (e.g. "C3"), what is wrong and what to do about it. It wraps
// one of the sentinel errors above.
type ValidationError struct {
	Field  string // the field, as a dotted path: "package.size", "dependencies[2].appId"
	Value  string // the value found, as text (never a secret)
	Rule   string // the SPEC rule, e.g. "C3"
	Reason string // what is wrong, e.g. "is 31 GiB, over the 30 GiB Win32 limit"
	Remedy string // what to do, e.g. "split the package or use a content delivery network"
	Err    error  // the sentinel
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(e.Field)
	if e.Value != "" {
		fmt.Fprintf(&b, " %q", e.Value)
	}
	b.WriteByte(' ')
	b.WriteString(e.Reason)
	if e.Rule != "" {
		fmt.Fprintf(&b, " (%s)", e.Rule)
	}
	if e.Remedy != "" {
		b.WriteString(": ")
		b.WriteString(e.Remedy)
	}
	return b.String()
}

func (e *ValidationError) Unwrap() error { return e.Err }

// missing is the error of a nil pointer where a value is needed: bad input is
// refused, never a panic.
func missing(field, what string) error {
	return &ValidationError{Field: field, Err: ErrMissingField, Reason: "is nil", Remedy: "pass " + what}
}

// atField returns a copy of a *ValidationError inside err that names field, the
// path where a decoder found the value; other errors are returned unchanged.
func atField(field string, err error) error {
	var ve *ValidationError
	if errors.As(err, &ve) {
		c := *ve
		c.Field = field
		return &c
	}
	return err
}

// enumString, enumMarshal and enumUnmarshal implement the text form of the small
// enums of this package from a table of names indexed by value.
func enumString(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", typ, i)
}

func enumMarshal(names []string, i int, typ string) ([]byte, error) {
	if i >= 0 && i < len(names) && names[i] != "" {
		return []byte(names[i]), nil
	}
	return nil, &ValidationError{Field: typ, Value: fmt.Sprint(i), Err: ErrUnknownEnum,
		Reason: "is not a known value", Remedy: "use one of the constants of " + typ}
}

func enumUnmarshal(names []string, b []byte, typ string) (int, error) {
	for i, n := range names {
		if n != "" && n == string(b) {
			return i, nil
		}
	}
	return 0, &ValidationError{Field: typ, Value: string(b), Err: ErrUnknownEnum,
		Reason: "is not a known value", Remedy: "use one of: " + strings.Join(nonEmpty(names), ", ")}
}

func nonEmpty(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}
