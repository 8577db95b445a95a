package sim

import (
	"time"

	"github.com/mdmkit/mdmkit/device"
)

// Duration is a span of virtual time in a scenario file: a string in Go's
// duration syntax with an optional whole number of days first ("30d", "1d12h",
// "8h", "90m"). It is device.Duration, so that a scenario and the device
// profiles it embeds speak one syntax. Spans in a scenario are never negative;
// Validate refuses them.
type Duration = device.Duration

// Day is 24 hours of virtual time: there are no calendars or time zones inside a
// run, except the device schedules' local nights and weekends.
const Day = 24 * time.Hour

func dur(d Duration) time.Duration { return time.Duration(d) }
