package eventq

import (
	"errors"
	"fmt"
)

// Sentinel errors, for errors.Is. Every error the queue returns is an *Error
// wrapping exactly one of them.
var (
	// ErrSlotRange: a slot outside [0, Slots()), or a Grow beyond MaxSlots.
	ErrSlotRange = errors.New("slot out of range")
	// ErrPast: a Schedule at a time before Now(), the time of the last popped event.
	// Virtual time never runs backwards; an event in the past would be popped
	// after events that follow it.
	ErrPast = errors.New("time before the current time")
)

// Error carries the facts of one refused call. The queue is unchanged by the call
// that returned it.
type Error struct {
	Op    string // the method: "Schedule", "Cancel" or "Grow"
	Slot  int    // the slot asked for (for Grow: the slot count asked for)
	Slots int    // the slot count of the queue at the time
	At    Time   // the time asked for (Schedule)
	Now   Time   // the current time of the queue
	Err   error  // ErrSlotRange or ErrPast
}

func (e *Error) Error() string {
	switch {
	case e.Err == ErrPast:
		return fmt.Sprintf("eventq: %s slot %d at %v: before the current time %v: "+
			"schedule at or after Now() (virtual time never runs backwards)", e.Op, e.Slot, e.At, e.Now)
	case e.Op == "Grow":
		return fmt.Sprintf("eventq: Grow to %d slots: out of range [0, %d]: "+
			"split the fleet over several queues", e.Slot, MaxSlots)
	case e.Slot < 0:
		return fmt.Sprintf("eventq: %s slot %d: slots are never negative: "+
			"check how the slot index was computed", e.Op, e.Slot)
	default:
		return fmt.Sprintf("eventq: %s slot %d: out of range [0, %d): "+
			"call Grow(%d) first, or check how the slot index was computed", e.Op, e.Slot, e.Slots, e.Slot+1)
	}
}

func (e *Error) Unwrap() error { return e.Err }
