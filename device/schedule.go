package device

import "math/rand/v2"

// The offline schedule. A device is offline during its current long absence, on
// its nights (if drawn "off at night") and at its weekends (if drawn "off at
// weekends"), all in local time: the run's start, plus the profile's UTC
// offset, plus the device's own shift. Nights and weekends repeat every week, so
// local time is kept modulo a week, which keeps every sum far from overflow.

const (
	nsDay  = int64(Day)
	nsWeek = 7 * nsDay
)

// local returns t as nanoseconds since a local Thursday 00:00 (the Unix epoch
// was a Thursday), modulo whole weeks.
func (d *Device) local(t Time) int64 {
	b := d.b
	base := (b.fleet.start%nsWeek + b.offset + int64(d.shift)*1e9) % nsWeek
	if base < 0 {
		base += nsWeek
	}
	return base + int64(t)%nsWeek
}

// clock splits local time into the day of the week (0 Sunday … 6 Saturday) and
// the time of day.
func (d *Device) clock(t Time) (weekday int, tod int64) {
	l := d.local(t)
	day := l / nsDay
	return int((day + 4) % 7), l - day*nsDay
}

func (b *Behavior) inNight(tod int64) bool {
	if b.nightStart < b.nightEnd {
		return tod >= b.nightStart && tod < b.nightEnd
	}
	return tod >= b.nightStart || tod < b.nightEnd
}

// Online reports whether the device is reachable at t: not in a long absence,
// not in its night, not in its weekend. The answer holds for any t up to
// NextEvent (the next absence is drawn when the current one ends); the simulator
// asks about the present. A zero Device is never online.
func (d *Device) Online(t Time) bool {
	if d.b == nil {
		return false
	}
	return !d.offline(t)
}

func (d *Device) offline(t Time) bool {
	if t >= d.absStart && t < d.absEnd {
		return true
	}
	if d.flags&(fNightOff|fWeekendOff) == 0 {
		return false
	}
	wd, tod := d.clock(t)
	if d.flags&fWeekendOff != 0 && (wd == 6 || wd == 0) {
		return true
	}
	return d.flags&fNightOff != 0 && d.b.inNight(tod)
}

// NextOnline returns the first time at or after t when the device is online,
// as far as the device has drawn its absences (see Online). The simulator uses it
// to defer a check-in or a push that falls while the device is offline; the
// device's NextEvent includes that moment too.
func (d *Device) NextOnline(t Time) Time {
	if d.b == nil {
		return Never
	}
	return d.nextOnline(t)
}

func (d *Device) nextOnline(t Time) Time {
	b := d.b
	// Each pass leaves one offline period; an absence, a weekend and a night
	// can chain, and nothing else can follow them, so four passes suffice.
	for range 8 {
		if t >= d.absStart && t < d.absEnd {
			t = d.absEnd
			continue
		}
		if d.flags&(fNightOff|fWeekendOff) == 0 {
			return t
		}
		wd, tod := d.clock(t)
		switch {
		case d.flags&fWeekendOff != 0 && wd == 6:
			t += Time(2*nsDay - tod)
		case d.flags&fWeekendOff != 0 && wd == 0:
			t += Time(nsDay - tod)
		case d.flags&fNightOff != 0 && b.inNight(tod):
			if tod >= b.nightEnd {
				t += Time(nsDay - tod + b.nightEnd)
			} else {
				t += Time(b.nightEnd - tod)
			}
		default:
			return t
		}
	}
	return t
}

// nextOffline returns the first time after t, online, when the device goes
// offline, or Never.
func (d *Device) nextOffline(t Time) Time {
	b := d.b
	next := Never
	if d.absStart > t && d.absEnd > d.absStart {
		next = d.absStart
	}
	if d.flags&(fNightOff|fWeekendOff) == 0 {
		return next
	}
	wd, tod := d.clock(t)
	if d.flags&fNightOff != 0 {
		delta := (b.nightStart - tod + nsDay) % nsDay
		if delta == 0 {
			delta = nsDay
		}
		next = min(next, t+Time(delta))
	}
	if d.flags&fWeekendOff != 0 {
		next = min(next, t+Time(int64(6-wd)*nsDay-tod))
	}
	return next
}

// computeWake returns the next schedule event after t: the device coming online,
// or the current absence ending (when the next one is drawn).
func (d *Device) computeWake(t Time) Time {
	var w Time
	if d.offline(t) {
		w = d.nextOnline(t)
	} else if off := d.nextOffline(t); off == Never {
		w = Never
	} else {
		w = d.nextOnline(off)
	}
	if d.absEnd > t {
		w = min(w, d.absEnd)
	}
	return w
}

// onWake runs a schedule event: once an absence is over the next one is drawn,
// starting an exponential wait after the end of the last one.
func (d *Device) onWake(t Time, rng *rand.Rand) {
	if b := d.b; d.absEnd <= t && b.absEvery > 0 {
		d.absStart = after(d.absEnd, expDraw(rng, b.absEvery))
		d.absEnd = after(d.absStart, b.absLength.draw(rng))
	}
	d.wake = d.computeWake(t)
}
