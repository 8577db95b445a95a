package device

import (
	"errors"

	"github.com/mdmkit/mdmkit/mdm"
)

// Sentinel errors. Every error of this package is a *mdm.ValidationError that
// wraps one of them (or mdm.ErrInvalidMessage for a malformed command), naming the
// field, the value, what is wrong and what to do; branch with errors.Is and read
// the facts with errors.As. A refused call changes nothing, except where its
// documentation says it ran the events already due (CheckIn on an offline device).
var (
	ErrInvalidProfile = errors.New("invalid device profile")      // Profile.Validate, ParseProfile
	ErrInvalidFleet   = errors.New("invalid fleet configuration") // NewFleet
	ErrTimeBackwards  = errors.New("time runs backwards")         // a call earlier than the device's last
	ErrOffline        = errors.New("device is offline")           // CheckIn or Receive while offline
	ErrNotInitialized = errors.New("device not initialized")      // a zero Device; use New or Init
	ErrNoRand         = errors.New("no random source")            // a nil *rand.Rand
	// Deprecated: ErrOtherFleet is returned by no call: Init takes a
	// Behavior of any fleet, and the device then belongs to that fleet.
	ErrOtherFleet    = errors.New("behavior of another fleet")
	ErrUnknownDevice = errors.New("device id refused") // Init with an empty or malformed id
)

// Result codes the device reports with a command result. Installer exit codes
// follow the Windows Installer convention that Intune's Win32 return codes use;
// the negative ones are this simulator's own, for refusals that a real platform
// reports with a platform-specific error.
const (
	// CodeInstallFailed is the default code of a failed install or uninstall
	// (ERROR_INSTALL_FAILURE, "fatal error during installation"). Profile
	// failure codes replace it.
	CodeInstallFailed int32 = 1603
	// CodeRetry is reported with OutcomeRetry: the installer asked to be
	// retried (T5) (ERROR_INSTALL_ALREADY_RUNNING, Intune's default "retry"
	// return code).
	CodeRetry int32 = 1618
	// CodeSoftReboot is reported with OutcomePendingReboot
	// (ERROR_SUCCESS_REBOOT_REQUIRED).
	CodeSoftReboot int32 = 3010
	// CodeNotManaged: an uninstall of an app the service did not install (A10);
	// mobile platforms refuse to remove an app that is not managed.
	CodeNotManaged int32 = -1
	// CodeNotInstalled: an update of an app that is not on the device.
	CodeNotInstalled int32 = -2
	// CodeBooksAppMissing: a book cannot be delivered because the built-in Books
	// app was removed, and the service cannot restore it (L8).
	CodeBooksAppMissing int32 = -3
)

func profileError(field, value, reason, remedy string) error {
	return &mdm.ValidationError{Field: field, Value: value, Err: ErrInvalidProfile, Reason: reason, Remedy: remedy}
}

func fleetError(field, value, reason, remedy string) error {
	return &mdm.ValidationError{Field: field, Value: value, Err: ErrInvalidFleet, Reason: reason, Remedy: remedy}
}
