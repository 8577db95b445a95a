package device

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// The offline schedule: nights and weekends in local time, long absences; a
// device cannot check in while offline, and its next event includes coming back
// online.
func TestSchedule_NightsAndWeekends(t *testing.T) {
	p := quietProfile()
	p.Schedule = ScheduleProfile{
		UTCOffset:             Duration(-5 * time.Hour), // New York: local midnight is 05:00 UTC
		NightOffProbability:   1,
		NightStart:            Duration(19 * time.Hour),
		NightEnd:              Duration(7 * time.Hour),
		WeekendOffProbability: 1,
	}
	f := newFleet(t, nil)
	// Run time 0 is Monday 00:00 UTC = Sunday 19:00 in New York.
	d, rng := newDevice(t, f, p, 0, 1)
	utc := func(dayNo int, h time.Duration) Time { return Time(dayNo)*day + Time(h) } // day 0 is Monday (UTC)
	tests := []struct {
		at     Time
		online bool
		next   Time // NextOnline
	}{
		{utc(0, 0), false, utc(0, 12*time.Hour)},                                         // Sunday 19:00 local: weekend, then night until Mon 07:00 local
		{utc(0, 12*time.Hour), true, utc(0, 12*time.Hour)},                               // Monday 07:00 local
		{utc(0, 23*time.Hour+59*time.Minute), true, utc(0, 23*time.Hour+59*time.Minute)}, // 18:59 local
		{utc(1, 0), false, utc(1, 12*time.Hour)},                                         // 19:00 local
		{utc(4, 23*time.Hour), true, utc(4, 23*time.Hour)},                               // Friday 18:00 local
		{utc(5, 0), false, utc(7, 12*time.Hour)},                                         // Friday 19:00 local: the weekend follows
		{utc(6, 15*time.Hour), false, utc(7, 12*time.Hour)},                              // Saturday
	}
	for _, tc := range tests {
		if got := d.Online(tc.at); got != tc.online {
			t.Errorf("Online(%v) = %v, want %v", tc.at, got, tc.online)
		}
		if got := d.NextOnline(tc.at); got != tc.next {
			t.Errorf("NextOnline(%v) = %v, want %v", tc.at, got, tc.next)
		}
	}
	if got := d.NextEvent(); got != utc(0, 12*time.Hour) {
		t.Fatalf("NextEvent = %v, want coming online Monday 07:00 local", got)
	}
	mustStep(t, d, utc(0, 12*time.Hour), rng)
	if got := d.NextEvent(); got != utc(1, 12*time.Hour) {
		t.Fatalf("NextEvent = %v, want the next morning (going offline is no event)", got)
	}
	_, err := d.CheckIn(utc(1, time.Hour), rng, &mdm.Report{})
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("CheckIn at night: %v, want ErrOffline", err)
	}
	_, err = d.Receive(utc(1, time.Hour), rng, []mdm.Command{install(1, "a", "1")})
	if !errors.Is(err, ErrOffline) || d.Pending() != 0 {
		t.Fatalf("Receive at night: %v (pending %d), want ErrOffline and no command taken", err, d.Pending())
	}
}

// Each device's day is shifted within the jitter; a device drawn "always on"
// has no schedule events at all.
func TestSchedule_JitterAndAlwaysOn(t *testing.T) {
	p := quietProfile()
	p.Schedule.NightOffProbability = 1
	p.Schedule.Jitter = Duration(time.Hour)
	f := newFleet(t, nil)
	b, _ := f.NewBehavior(p)
	rng := newRand(1)
	first := map[Time]bool{}
	for i := range 50 {
		var d Device
		if err := d.Init(mdm.DeviceID(fmt.Sprintf("d%d", i)), b, 0, rng); err != nil {
			t.Fatal(err)
		}
		w := d.NextEvent() // coming online Monday morning
		if w < 6*hour || w > 8*hour {
			t.Fatalf("device %d online at %v, outside 07:00 ± 1h", i, w)
		}
		first[w] = true
	}
	if len(first) < 40 {
		t.Fatalf("only %d distinct wake times among 50 devices: jitter not applied", len(first))
	}
	d, _ := newDevice(t, f, quietProfile(), 0, 1)
	if !d.Online(3*day+2*hour) || d.NextEvent() != Never {
		t.Fatalf("an always-on device is offline or has events (next %v)", d.NextEvent())
	}
}

// Long absences: offline from start to end; the next one is drawn when the
// current ends.
func TestSchedule_Absences(t *testing.T) {
	p := quietProfile()
	p.Schedule.AbsenceEvery = Duration(20 * Day)
	p.Schedule.AbsenceLength = Fixed(3 * Day)
	d, rng := newDevice(t, newFleet(t, nil), p, 0, 1)
	var periods int
	for now := Time(0); now < 400*day; {
		s, e := d.absStart, d.absEnd
		if e-s != 3*day || s <= now {
			t.Fatalf("absence [%v, %v) at %v", s, e, now)
		}
		if d.NextEvent() != e {
			t.Fatalf("NextEvent %v, want the absence's end %v", d.NextEvent(), e)
		}
		if !d.Online(s-1) || d.Online(s) || d.Online(e-1) || !d.Online(e) || d.NextOnline(s) != e {
			t.Fatalf("absence [%v, %v) not offline exactly", s, e)
		}
		mustStep(t, d, e, rng)
		now = e
		periods++
	}
	if periods < 10 || periods > 30 {
		t.Fatalf("%d absences in 400 days, want about 17", periods)
	}
}

// The longest absences a profile allows (a mean of 100 years between them,
// lasting an exponential 100 years) end at Never, not at a time that wrapped
// below their start: such an absence would end before it began, and the next
// one would be drawn from a time before the run.
func TestSchedule_AbsencesAtTheEndOfTime(t *testing.T) {
	p := quietProfile()
	p.Schedule.AbsenceEvery = MaxDuration
	p.Schedule.AbsenceLength = Exponential(time.Duration(MaxDuration))
	f := newFleet(t, nil)
	for seed := range uint64(300) {
		d, rng := newDevice(t, f, p, 0, seed)
		if d.absEnd < d.absStart {
			t.Fatalf("seed %d: absence [%v, %v) ends before it starts", seed, d.absStart, d.absEnd)
		}
		mustStep(t, d, 400*day, rng)
		if d.absEnd < d.absStart || (d.absStart > 400*day) != d.Online(400*day) {
			t.Fatalf("seed %d: at %v absence [%v, %v), online %v", seed, Time(400*day), d.absStart, d.absEnd, d.Online(400*day))
		}
	}
}

// The user acts only while the device is online: an action due at night waits
// for the morning. Leaving the company does not wait.
func TestDevice_UserActsOnlyOnline(t *testing.T) {
	p := quietProfile()
	p.Schedule.NightOffProbability = 1
	p.Schedule.WeekendOffProbability = 1
	p.User.PortalInstallEvery = Duration(2 * time.Hour)
	visits := 0
	portal := PortalFunc(func(id mdm.DeviceID, dst []Offer) []Offer {
		visits++
		return dst // nothing offered: every visit is a no-op, the user keeps coming back
	})
	d, rng := newDevice(t, newFleet(t, portal), p, 0, 4)
	for d.NextEvent() < 28*day {
		at := d.NextEvent()
		before := visits
		mustStep(t, d, at, rng)
		if visits > before && !d.Online(at) {
			t.Fatalf("the user visited the portal at %v, while offline", at)
		}
	}
	if visits < 50 {
		t.Fatalf("%d portal visits in 4 weeks, want about 12 a weekday", visits)
	}
}
