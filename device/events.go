package device

import "strings"

// Events are what happened inside the device that the caller must act on. Every
// call that moves the device's time (Step, CheckIn, Receive) returns the events
// of the internal events it ran, so none is lost whichever call runs them.
type Events uint8

const (
	// EventCheckInRequested: the device has something the service should hear
	// now rather than at the next scheduled check-in: the user asked the
	// company portal for something (the portal syncs at once), or an install
	// asked to be retried (T5: the service's re-sends are 5 minutes apart). The
	// caller may run a check-in now.
	EventCheckInRequested Events = 1 << iota
	// EventUserLeft: the device's user left the company. The simulator turns it
	// into a directory change (the user deleted or removed from groups); the
	// device's user does nothing more.
	EventUserLeft
	// EventBooksAppRemoved: the user deleted the built-in Books app; books can
	// no longer be delivered to this device (L8). The simulator updates the
	// device's HasBooksApp fact.
	EventBooksAppRemoved
)

// Has reports whether every event of x is in e.
func (e Events) Has(x Events) bool { return e&x == x }

func (e Events) String() string {
	if e == 0 {
		return "none"
	}
	var parts []string
	for _, n := range []struct {
		ev   Events
		name string
	}{{EventCheckInRequested, "checkInRequested"}, {EventUserLeft, "userLeft"}, {EventBooksAppRemoved, "booksAppRemoved"}} {
		if e.Has(n.ev) {
			parts = append(parts, n.name)
		}
	}
	return strings.Join(parts, "|")
}
