package eventq

import "time"

// Time is a point in virtual time: nanoseconds since the start of the simulation.
//
// It is an int64 rather than a time.Time because the queue compares and stores
// millions of them: 8 bytes, one machine compare, no location or monotonic
// reading. Its unit is the unit of time.Duration, so Time(d) and t.Add(d) need no
// conversion factor, and the simulator turns it into wall-calendar time with
// Wall(start) only at the edges (reports, calls into the pure packages).
// An int64 of nanoseconds spans about 292 years.
type Time int64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns the duration t-u.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Wall returns the wall-calendar instant of t in a simulation that started at
// start.
func (t Time) Wall(start time.Time) time.Time { return start.Add(time.Duration(t)) }

// String prints t as the duration since the start, e.g. "+8h0m0s".
func (t Time) String() string {
	if t < 0 {
		return "-" + time.Duration(-t).String()
	}
	return "+" + time.Duration(t).String()
}
