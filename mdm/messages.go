package mdm

import (
	"fmt"
	"strconv"
)

// The messages that pass between the service and a device. A device learns what to
// do only from Commands, and the service learns what happened only from Reports, as
// with a real device at the check-in boundary.

// CommandID identifies a command; the service assigns it and the device echoes it in
// its result.
type CommandID uint64

func (id CommandID) String() string { return "cmd-" + strconv.FormatUint(uint64(id), 10) }

// CommandKind is what a command asks the device to do.
type CommandKind uint8

const (
	CommandInstall CommandKind = iota + 1
	CommandUninstall
	CommandUpdate // install a newer version over an installed one (T4, L9)
	numCommandKinds
)

var commandKindNames = [...]string{0: "", CommandInstall: "install", CommandUninstall: "uninstall", CommandUpdate: "update"}

func (k CommandKind) String() string { return enumString(commandKindNames[:], int(k), "CommandKind") }

// MarshalText encodes the kind by name.
func (k CommandKind) MarshalText() ([]byte, error) {
	return enumMarshal(commandKindNames[:], int(k), "CommandKind")
}

// UnmarshalText decodes a kind name; an unknown name is an error.
func (k *CommandKind) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(commandKindNames[:], b, "CommandKind")
	if err == nil {
		*k = CommandKind(i)
	}
	return err
}

// Command is one instruction from the service to a device.
type Command struct {
	ID      CommandID   `json:"commandId"`
	Kind    CommandKind `json:"kind"`
	App     AppID       `json:"appId"`
	Version string      `json:"version,omitempty"` // the version to install or update to
}

func (c Command) String() string {
	if c.Version != "" {
		return fmt.Sprintf("%s %s %s@%s", c.ID, c.Kind, c.App, c.Version)
	}
	return fmt.Sprintf("%s %s %s", c.ID, c.Kind, c.App)
}

// Outcome is the result a device reports for a command.
type Outcome uint8

const (
	OutcomeSucceeded     Outcome = iota + 1
	OutcomeFailed                // failed with an error code
	OutcomeRetry                 // try again later: 3 attempts 5 minutes apart (T5)
	OutcomePendingReboot         // done once the device restarts
	OutcomeNotNow                // the device is busy; the command stays queued
	numOutcomes
)

var outcomeNames = [...]string{0: "", OutcomeSucceeded: "succeeded", OutcomeFailed: "failed",
	OutcomeRetry: "retry", OutcomePendingReboot: "pendingReboot", OutcomeNotNow: "notNow"}

func (o Outcome) String() string { return enumString(outcomeNames[:], int(o), "Outcome") }

// MarshalText encodes the outcome by name.
func (o Outcome) MarshalText() ([]byte, error) {
	return enumMarshal(outcomeNames[:], int(o), "Outcome")
}

// UnmarshalText decodes an outcome name; an unknown name is an error.
func (o *Outcome) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(outcomeNames[:], b, "Outcome")
	if err == nil {
		*o = Outcome(i)
	}
	return err
}

// CommandResult reports what became of a command.
type CommandResult struct {
	Command CommandID   `json:"commandId"`
	Kind    CommandKind `json:"kind"`
	App     AppID       `json:"appId"`
	Outcome Outcome     `json:"outcome"`
	// Code is the error code of a failed command (e.g. an MSI exit code); 0 otherwise.
	Code int32 `json:"code,omitempty"`
}

// InstalledApp is one entry of a device's inventory.
type InstalledApp struct {
	App     AppID  `json:"appId"`
	Version string `json:"version,omitempty"`
}

// PortalAction is what a user asks for in the company portal.
type PortalAction uint8

const (
	PortalInstall   PortalAction = iota + 1 // install an available app (L6: a VPP license is consumed now)
	PortalUninstall                         // uninstall an app the portal offers to remove (T7)
	numPortalActions
)

var portalActionNames = [...]string{0: "", PortalInstall: "install", PortalUninstall: "uninstall"}

func (a PortalAction) String() string {
	return enumString(portalActionNames[:], int(a), "PortalAction")
}

// MarshalText encodes the action by name.
func (a PortalAction) MarshalText() ([]byte, error) {
	return enumMarshal(portalActionNames[:], int(a), "PortalAction")
}

// UnmarshalText decodes an action name; an unknown name is an error.
func (a *PortalAction) UnmarshalText(b []byte) error {
	i, err := enumUnmarshal(portalActionNames[:], b, "PortalAction")
	if err == nil {
		*a = PortalAction(i)
	}
	return err
}

// PortalRequest is a user's request from the company portal.
type PortalRequest struct {
	App    AppID        `json:"appId"`
	Action PortalAction `json:"action"`
}

// Report is what a device sends at check-in: its inventory, the results of
// earlier commands, and the user's portal requests since the last check-in.
type Report struct {
	Device DeviceID `json:"deviceId"`
	// Inventory is every app present on the device, managed or not, with its
	// version. It is complete at every check-in: an app missing here is not
	// installed.
	Inventory []InstalledApp  `json:"inventory"`
	Results   []CommandResult `json:"results,omitempty"`
	Requests  []PortalRequest `json:"requests,omitempty"`
}

// Validate checks a report before the service acts on it: ids present, enums
// known, no app twice in the inventory. A bad report is refused whole.
func (r *Report) Validate() error {
	if r == nil {
		return missing("report", "the device's report")
	}
	if err := CheckID("deviceId", string(r.Device)); err != nil {
		return err
	}
	for i := range r.Inventory {
		if err := checkItemID("inventory", i, "appId", string(r.Inventory[i].App)); err != nil {
			return err
		}
	}
	if i := duplicateApp(r.Inventory); i >= 0 {
		return &ValidationError{Field: indexed("inventory", i, "appId"), Value: string(r.Inventory[i].App), Err: ErrInvalidMessage,
			Reason: "appears twice in the inventory", Remedy: "report each installed app once"}
	}
	for i := range r.Results {
		res := &r.Results[i]
		if err := checkItemID("results", i, "appId", string(res.App)); err != nil {
			return err
		}
		if res.Kind == 0 || res.Kind >= numCommandKinds {
			return &ValidationError{Field: indexed("results", i, "kind"), Value: res.Kind.String(), Err: ErrInvalidMessage,
				Reason: "is not a command kind", Remedy: "echo the kind of the command (install, uninstall, update)"}
		}
		if res.Outcome == 0 || res.Outcome >= numOutcomes {
			return &ValidationError{Field: indexed("results", i, "outcome"), Value: res.Outcome.String(), Err: ErrInvalidMessage,
				Reason: "is not an outcome", Remedy: "use succeeded, failed, retry, pendingReboot or notNow"}
		}
	}
	for i := range r.Requests {
		if err := checkItemID("requests", i, "appId", string(r.Requests[i].App)); err != nil {
			return err
		}
		if a := r.Requests[i].Action; a == 0 || a >= numPortalActions {
			return &ValidationError{Field: indexed("requests", i, "action"), Value: a.String(), Err: ErrInvalidMessage,
				Reason: "is not a portal action", Remedy: "use install or uninstall"}
		}
	}
	return nil
}

// checkItemID is CheckID for a field of a list item; the field's name is
// built only for an error, so a valid report allocates nothing.
func checkItemID(list string, i int, field, id string) error {
	err := CheckID(field, id)
	if ve, ok := err.(*ValidationError); ok {
		ve.Field = indexed(list, i, field)
	}
	return err
}

// indexed names a field of a list item, as "inventory[3].appId".
func indexed(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}

// duplicateApp returns the index of the first inventory item whose app an
// earlier item names, or -1. A device reports a sorted inventory (one pass); an
// unsorted one is compared pairwise when short and through a set when long, so
// a report of many apps costs linear time, not quadratic.
func duplicateApp(inv []InstalledApp) int {
	sorted := true
	for i := 1; i < len(inv); i++ {
		if inv[i-1].App >= inv[i].App {
			sorted = false
			break
		}
	}
	if sorted {
		return -1
	}
	if len(inv) <= 64 {
		for i := 1; i < len(inv); i++ {
			for j := 0; j < i; j++ {
				if inv[j].App == inv[i].App {
					return i
				}
			}
		}
		return -1
	}
	seen := make(map[AppID]struct{}, len(inv))
	for i := range inv {
		if _, ok := seen[inv[i].App]; ok {
			return i
		}
		seen[inv[i].App] = struct{}{}
	}
	return -1
}
