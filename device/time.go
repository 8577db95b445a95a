package device

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// Time is a point in virtual time: nanoseconds since the start of a run. It has
// the unit of sim/eventq.Time and of time.Duration, so the simulator converts with
// a cast and no factor (device does not import the simulator).
type Time int64

// Never is the time of an event that will not happen: NextEvent returns it when
// nothing is pending inside the device.
const Never Time = math.MaxInt64

// Add returns t+d, saturating at Never so that a long draw cannot wrap around.
func (t Time) Add(d time.Duration) Time {
	if d > 0 && t > Never-Time(d) {
		return Never
	}
	return t + Time(d)
}

// String prints t as the duration since the start of the run, e.g. "+8h0m0s", and
// Never as "never".
func (t Time) String() string {
	switch {
	case t == Never:
		return "never"
	case t < 0:
		return "-" + time.Duration(-t).String()
	}
	return "+" + time.Duration(t).String()
}

// Duration is a time.Duration whose text form (and so its JSON form) is a string
// such as "45m", "1h30m" or "14d": Go's duration syntax plus a leading whole
// number of days, because a scenario speaks of nights, weeks and absences.
type Duration time.Duration

// Day is 24 hours: Duration's text form counts whole days as "Nd".
const Day = 24 * time.Hour

// The errors read after the value: `"2y" is not a duration (…)`.
var (
	errDurationSyntax = errors.New(`not a duration (Go's syntax with an optional whole number of days first)`)
	errDurationRange  = errors.New("out of range (at most about 106,751 days)")
)

// ParseDuration parses "45m", "-5h", "14d", "1d12h30m", "0", "0d". Days are exactly 24 h.
func ParseDuration(s string) (Duration, error) {
	rest, neg := s, false
	if strings.HasPrefix(rest, "-") {
		rest, neg = rest[1:], true
	} else if strings.HasPrefix(rest, "+") {
		rest = rest[1:]
	}
	var days int64
	hasDays := false
	if i := strings.IndexByte(rest, 'd'); i >= 0 {
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil || n < 0 || i == 0 || rest[0] == '+' || rest[0] == '-' {
			return 0, errDurationSyntax
		}
		if n > int64(math.MaxInt64/int64(Day)) {
			return 0, errDurationRange
		}
		days, rest, hasDays = n, rest[i+1:], true
	}
	var d time.Duration
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return 0, errDurationSyntax
		}
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, errDurationSyntax
		}
	} else if !hasDays {
		return 0, errDurationSyntax // "" or "-" alone
	}
	total := time.Duration(days) * Day
	if d > time.Duration(math.MaxInt64)-total {
		return 0, errDurationRange
	}
	total += d
	if neg {
		total = -total
	}
	return Duration(total), nil
}

// String writes the shortest form with days, hours, minutes and seconds, as the
// simulator's scenario files do: "14d", "1d12h", "45m", "-5h", "1.5s", "0s".
func (d Duration) String() string {
	t := time.Duration(d)
	if t == 0 {
		return "0s"
	}
	var b strings.Builder
	if t < 0 {
		b.WriteByte('-')
		if t == math.MinInt64 {
			return time.Duration(t).String() // -t would overflow; never valid in a profile
		}
		t = -t
	}
	for _, u := range []struct {
		unit time.Duration
		name byte
	}{{Day, 'd'}, {time.Hour, 'h'}, {time.Minute, 'm'}} {
		if n := t / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteByte(u.name)
			t -= n * u.unit
		}
	}
	if t > 0 {
		b.WriteString(strconv.FormatFloat(t.Seconds(), 'f', -1, 64))
		b.WriteByte('s')
	}
	return b.String()
}

// MarshalText writes the String form.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses the forms ParseDuration accepts.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
