package tenant

import (
	"errors"
	"fmt"

	"github.com/mdmkit/mdmkit/mdm"
)

// Sentinel errors of package tenant. Bad input is a *mdm.ValidationError (the
// field, the value, the rule, what is wrong and what to do) wrapping one of these
// or one of mdm's, assign's or license's sentinels; refused portal requests and
// device actions are *RequestError and *ActionError. Branch with errors.Is, read
// the facts with errors.As.
var (
	ErrUnknownDevice       = errors.New("unknown device")
	ErrUnknownUser         = errors.New("unknown user")
	ErrAppExists           = errors.New("app id already in the catalog")
	ErrTypeChange          = errors.New("an app's type cannot change")                      // C8
	ErrAppInUse            = errors.New("app still referenced")                             // C5
	ErrNotOffered          = errors.New("app not offered to this device")                   // T7
	ErrNotInstalled        = errors.New("app not installed on the device")                  // T7, T12
	ErrInstallInProgress   = errors.New("a command for the app is in flight")               // T6
	ErrAlreadyInstalled    = errors.New("app already installed")                            // T7
	ErrUninstallNotAllowed = errors.New("uninstall not allowed")                            // T7, T8
	ErrDeviceOffline       = errors.New("device offline")                                   // T12
	ErrUnknownAction       = errors.New("unknown device action")                            // T12
	ErrTooManyTokens       = errors.New("too many store tokens")                            // L2
	ErrAccountSwitch       = errors.New("store account cannot be switched")                 // L12
	ErrUPNInUse            = errors.New("user principal name already used by another user") // S6
	ErrSerialInUse         = errors.New("serial number already used by another device")     // S6
	ErrTimeRange           = errors.New("time out of the range the tenant records")         // T1
)

// RequestError is a portal request the service did not act on.
type RequestError struct {
	App    mdm.AppID
	Action mdm.PortalAction
	Rule   string
	Err    error
}

func (e *RequestError) Error() string {
	return fmt.Sprintf("portal %s of %s refused (%s): %v", e.Action, e.App, e.Rule, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }
