package assign

import (
	"errors"

	"github.com/mdmkit/mdmkit/mdm"
)

// Sentinel errors of package assign. Every refusal is a *mdm.ValidationError (the
// field, the value, the SPEC rule, what is wrong and what to do) wrapping one of
// these or one of mdm's sentinels (mdm.ErrConflictingIntent for A3,
// mdm.ErrUnknownApp, mdm.ErrMixedGroup, mdm.ErrInvalidID, ...), so a caller
// branches with errors.Is and reads the facts with errors.As.
var (
	ErrUnknownUser       = errors.New("unknown user")
	ErrUnknownDevice     = errors.New("unknown device")
	ErrUnknownGroup      = errors.New("unknown group")
	ErrUnknownAssignment = errors.New("unknown assignment")
	ErrAssignmentExists  = errors.New("assignment id already in use")
	ErrNotMember         = errors.New("not a direct member of the group")
	ErrNestingCycle      = errors.New("group nesting cycle")                     // D1
	ErrInUse             = errors.New("still referenced")                        // C5, groups targeted or nested
	ErrNotPublished      = errors.New("app is not published")                    // C6
	ErrTargetNotAllowed  = errors.New("intent not allowed for this target kind") // A4, D4
)

func verr(field, value, rule string, sentinel error, reason, remedy string) *mdm.ValidationError {
	return &mdm.ValidationError{Field: field, Value: value, Rule: rule, Err: sentinel, Reason: reason, Remedy: remedy}
}

func unknownDevice(field string, id mdm.DeviceID) error {
	return verr(field, string(id), "D3", ErrUnknownDevice, "is not a device of the directory",
		"add the device with PutDevice first")
}

func unknownUser(field string, id mdm.UserID) error {
	return verr(field, string(id), "D3", ErrUnknownUser, "is not a user of the directory",
		"add the user with PutUser first")
}

func unknownGroup(field string, id mdm.GroupID) error {
	return verr(field, string(id), "D1", ErrUnknownGroup, "is not a group of the directory",
		"create the group with PutGroup first")
}

func unknownApp(field string, id mdm.AppID) error {
	return verr(field, string(id), "C8", mdm.ErrUnknownApp, "is not an app the resolver knows",
		"add the app with PutApp first")
}

func unknownAssignment(id mdm.AssignmentID) error {
	return verr("id", string(id), "A2", ErrUnknownAssignment, "is not an assignment of the tenant",
		"list the assignments with Assignments()")
}
