package mdm

import (
	"strings"
	"unicode/utf8"
)

// The product identifies every object by a GUID string, and so does mdmkit at its
// public API. Engines (assign, license, tenant) intern these strings into dense
// integer indexes at the edge; nothing inside a hot path compares strings.
//
// An id is opaque: mdmkit only requires it to be non-empty, at most MaxIDLength
// bytes, valid UTF-8 and free of control characters (C0, DEL and C1), so that it
// can be printed in an error message and used as a map key or a JSON string
// without surprises: encoding/json would replace invalid bytes with U+FFFD, and
// the id that came back would be another id.

// AppID identifies an app in the catalog. It is immutable (C8): renaming an app
// changes its display name, never its id.
type AppID string

// UserID identifies a user in the directory.
type UserID string

// DeviceID identifies a device in the directory.
type DeviceID string

// GroupID identifies a user group or a device group.
type GroupID string

// TokenID identifies a store token: an Apple VPP location token or a Microsoft
// Store for Business account connection.
type TokenID string

// AssignmentID identifies one assignment of an app to a target.
type AssignmentID string

// MaxIDLength bounds the length of every id, in bytes. Graph GUIDs are 36 bytes;
// the bound is generous and exists so that hostile input cannot make ids
// arbitrarily large.
const MaxIDLength = 256

// CheckID reports whether id is usable as an identifier of the named kind
// ("app", "user", ...). field names the field in the error.
func CheckID(field, id string) error {
	if id == "" {
		return &ValidationError{Field: field, Value: id, Rule: "ids", Err: ErrInvalidID,
			Reason: "is empty", Remedy: "give every object a non-empty id (Graph uses GUID strings)"}
	}
	if len(id) > MaxIDLength {
		return &ValidationError{Field: field, Value: strings.ToValidUTF8(cutRunes(id, 32), "\uFFFD") + "…", Rule: "ids", Err: ErrInvalidID,
			Reason: "is longer than 256 bytes", Remedy: "use a shorter id, such as a GUID"}
	}
	for i := 0; i < len(id); {
		c := id[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return &ValidationError{Field: field, Value: strings.ToValidUTF8(id, "\uFFFD"), Rule: "ids", Err: ErrInvalidID,
					Reason: "contains a control character", Remedy: "use printable characters only"}
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(id[i:])
		if r == utf8.RuneError && n == 1 {
			return &ValidationError{Field: field, Value: strings.ToValidUTF8(id, "\uFFFD"), Rule: "ids", Err: ErrInvalidID,
				Reason: "is not valid UTF-8", Remedy: "encode ids as UTF-8"}
		}
		if r >= 0x80 && r <= 0x9f {
			return &ValidationError{Field: field, Value: strings.ToValidUTF8(id, "\uFFFD"), Rule: "ids", Err: ErrInvalidID,
				Reason: "contains a control character", Remedy: "use printable characters only"}
		}
		i += n
	}
	return nil
}

// cutRunes returns the first n bytes of s, shortened so that no UTF-8 sequence
// is cut in two.
func cutRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
