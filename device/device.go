package device

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/mdmkit/mdmkit/mdm"
)

// Device is one virtual device. Its zero value is not usable: call Init (to fill
// a slot of a []Device, which keeps a large fleet in one allocation) or New.
//
// A Device is 208 bytes and holds up to InlineApps installed apps itself; a
// device with more keeps them all in a separate array (8 bytes per app). A
// check-in reads the inventory from the Device's own memory, not from a second
// allocation elsewhere in the heap: in a fleet that is one cache miss (and one
// page walk) less per check-in, and no allocation for an install. Commands in
// progress borrow a small buffer from the fleet and return it at the check-in
// that reports them. It holds no map and no per-device random source.
type Device struct {
	b   *Behavior
	id  mdm.DeviceID
	ops []op // commands received and not yet reported, portal requests, installs awaiting a reboot
	// The present apps, sorted by app id string: the inventory. inl[:nInl]
	// while they fit; all of them in *more otherwise (see list).
	more *[]entry

	last     Time // the time of the latest call; calls never go back before it
	next     Time // min of the timers below: NextEvent
	userAt   Time // the user's next action (userAct)
	rebootAt Time
	wake     Time // the next schedule change: coming online, or an absence ending
	absStart Time // the current or next long absence, [absStart, absEnd)
	absEnd   Time

	shift   int32 // this device's day shift, seconds (Schedule.Jitter)
	flags   uint8
	userAct uint8
	nInl    uint8
	inl     [InlineApps]entry
}

// InlineApps is how many installed apps a Device holds in its own memory. Eleven
// make a Device 208 bytes, so that a simulator's per-device record of the Device
// and 48 bytes of its own fills four cache lines exactly; the default scenario's
// devices hold at most ten.
const InlineApps = 11

// list returns the present apps. The slice is the device's own: valid until
// the next change of its apps.
func (d *Device) list() []entry {
	if d.more != nil {
		return *d.more
	}
	return d.inl[:d.nInl]
}

// setList stores apps, a slice obtained from list (grown or shrunk), as the
// present apps: inline when they fit, in the separate array otherwise.
func (d *Device) setList(apps []entry) {
	switch {
	case len(apps) <= InlineApps:
		if d.more != nil {
			copy(d.inl[:], apps)
			d.more = nil // back inline: the array goes
		}
		d.nInl = uint8(len(apps))
	case d.more == nil:
		// Out of room inline: move out, with a quarter to spare rather than
		// double (a million devices, each growing by one app now and then).
		more := make([]entry, len(apps), len(apps)+len(apps)/4+2)
		copy(more, apps)
		d.more = &more
	default:
		*d.more = apps
	}
}

const (
	fInit       uint8 = 1 << iota
	fNightOff         // offline every night
	fWeekendOff       // offline every weekend
	fUserLeft         // the user left the company
)

// entry is one installed app: a catalog index and a version index whose top bit
// says the service installed it (A10).
type entry struct {
	app uint32
	ver uint32
}

const (
	verMask    = 1<<31 - 1
	managedBit = 1 << 31
)

func (e entry) version() uint32 { return e.ver & verMask }
func (e entry) managed() bool   { return e.ver&managedBit != 0 }

// op is a command in progress or awaiting its report, or a portal request
// awaiting the next check-in.
type op struct {
	cmd     mdm.CommandID
	due     Time // when the current phase ends; Never when nothing is timed
	app     uint32
	ver     uint32 // the version to install
	code    int32
	kind    uint8       // an mdm.CommandKind, or opPortalInstall / opPortalUninstall
	phase   uint8       // phRunning … phDone
	outcome mdm.Outcome // the drawn outcome of the running attempt, then the result
	flags   uint8       // opReported, opAwaitReboot
}

const (
	opPortalInstall = uint8(mdm.CommandUpdate) + 1 + iota
	opPortalUninstall
)

const (
	phRunning uint8 = iota + 1 // an attempt runs until due
	phStuck                    // no progress; due is the user's restart (T6) or Never
	phDone                     // finished; the result waits for the next check-in
)

const (
	opReported    uint8 = 1 << iota // the result in outcome went out in a report
	opAwaitReboot                   // installed at the next reboot, then reported "succeeded"
)

// final reports whether the op's final result went out: a "pending reboot"
// result is not final, the "succeeded" after the reboot is.
func (o *op) final() bool { return o.flags&opReported != 0 && o.flags&opAwaitReboot == 0 }

func (o *op) isPortal() bool { return o.kind >= opPortalInstall }

// busy reports whether the op occupies the installer.
func (o *op) busy() bool { return o.phase != phDone }

// holdsApp reports whether a new command for the op's app must wait: the app is
// being installed or removed, or an install of it completes at the next reboot.
func (o *op) holdsApp() bool { return !o.isPortal() && (o.busy() || o.flags&opAwaitReboot != 0) }

// User actions.
const (
	actPortalInstall = iota
	actPortalUninstall
	actRemove
	actLeave
	numUserActions
)

// New returns a device initialized by Init.
func New(id mdm.DeviceID, b *Behavior, now Time, rng *rand.Rand) (*Device, error) {
	d := new(Device)
	if err := d.Init(id, b, now, rng); err != nil {
		return nil, err
	}
	return d, nil
}

// Init makes d a device enrolled at now, with behaviour b: it draws the device's
// schedule (off at night, off at weekends, its day shift, its first absence), the
// apps it comes with (the Books app, unmanaged apps, A10) and its user's first
// action. An initialized device may be initialized again; on error d is
// unchanged.
func (d *Device) Init(id mdm.DeviceID, b *Behavior, now Time, rng *rand.Rand) error {
	if err := mdm.CheckID("deviceId", string(id)); err != nil {
		if ve := (*mdm.ValidationError)(nil); errors.As(err, &ve) {
			return &mdm.ValidationError{Field: ve.Field, Value: ve.Value, Err: ErrUnknownDevice, Reason: ve.Reason, Remedy: ve.Remedy}
		}
		return err
	}
	if b == nil || b.fleet == nil {
		return &mdm.ValidationError{Field: "behavior", Err: ErrInvalidProfile, Reason: "is nil",
			Remedy: "make one with Fleet.NewBehavior(profile)"}
	}
	if rng == nil {
		return errNoRand()
	}
	if now < 0 || now >= maxTime {
		return &mdm.ValidationError{Field: "now", Value: now.String(), Err: ErrTimeBackwards,
			Reason: "is outside the run (0 to 100 years)", Remedy: "give the virtual time since the start of the run"}
	}
	if d.b != nil && d.ops != nil {
		d.b.fleet.releaseOps(d.ops)
	}
	*d = Device{b: b, id: id, last: now, flags: fInit, userAt: Never, rebootAt: Never, absStart: Never, absEnd: Never}
	f := b.fleet
	if chance(rng, b.nightP) {
		d.flags |= fNightOff
	}
	if chance(rng, b.weekendP) {
		d.flags |= fWeekendOff
	}
	if sec := b.jitter / 1e9; sec > 0 {
		d.shift = int32(rng.Int64N(2*sec+1) - sec)
	}
	if chance(rng, b.booksP) {
		d.setApp(f.booksApp, 0, false)
	}
	for _, u := range b.unmanaged {
		if chance(rng, u.p) {
			d.setApp(u.app, u.ver, false)
		}
	}
	if b.absEvery > 0 {
		// Two draws of up to 2^62 ns each: the end saturates at Never.
		d.absStart = after(now, expDraw(rng, b.absEvery))
		d.absEnd = after(d.absStart, b.absLength.draw(rng))
	}
	d.scheduleUser(now, rng)
	if b.rebootEvery > 0 {
		d.rebootAt = now + Time(expDraw(rng, b.rebootEvery))
	}
	d.wake = d.computeWake(now)
	d.recompute()
	return nil
}

// maxTime bounds the times a device accepts: beyond 100 years of run a sum of a
// time and a draw could overflow.
const maxTime = Time(1) << 62

// chance draws a Bernoulli(p) without touching rng when p is 0 or 1.
func chance(rng *rand.Rand, p float64) bool {
	switch {
	case p <= 0:
		return false
	case p >= 1:
		return true
	}
	return rng.Float64() < p
}

func errNoRand() error {
	return &mdm.ValidationError{Field: "rng", Err: ErrNoRand, Reason: "is nil",
		Remedy: "pass the run's *rand.Rand (math/rand/v2), seeded from the scenario"}
}

// ID returns the device's id.
func (d *Device) ID() mdm.DeviceID { return d.id }

// Behavior returns the behaviour the device was initialized with.
func (d *Device) Behavior() *Behavior { return d.b }

// NextEvent returns the time of the device's next internal event: an attempt
// ending, a stuck install restarted (T6), a reboot, a user action,
// the device coming back online or an absence ending; Never if none. The caller
// steps the device then (Step), or later: nothing is lost, and nothing runs
// twice, if it steps late or early. It is always after the time of the latest
// call.
func (d *Device) NextEvent() Time { return d.next }

// Now returns the time of the latest call (Init, Step, CheckIn, Receive).
func (d *Device) Now() Time { return d.last }

// UserLeft reports whether the user left the company.
func (d *Device) UserLeft() bool { return d.flags&fUserLeft != 0 }

// HasBooksApp reports whether the built-in Books app is on the device (L8).
func (d *Device) HasBooksApp() bool {
	if d.b == nil {
		return false
	}
	_, ok := d.find(d.b.fleet.booksApp)
	return ok
}

// Installed returns the version of app on the device and whether it is there
// (in the inventory). managed says the service installed it (A10).
func (d *Device) Installed(app mdm.AppID) (version string, managed, ok bool) {
	if d.b == nil {
		return "", false, false
	}
	c := &d.b.fleet.cat
	i, known := c.lookup(app)
	if !known {
		return "", false, false
	}
	k, ok := d.find(i)
	if !ok {
		return "", false, false
	}
	e := d.list()[k]
	return c.vers[e.version()], e.managed(), true
}

// AppendInventory appends the device's inventory, sorted by app id, to dst: what
// the next check-in would report. It does not move the device's time.
func (d *Device) AppendInventory(dst []mdm.InstalledApp) []mdm.InstalledApp {
	if d.b == nil {
		return dst
	}
	c := &d.b.fleet.cat
	for _, e := range d.list() {
		dst = append(dst, mdm.InstalledApp{App: c.ids[e.app], Version: c.vers[e.version()]})
	}
	return dst
}

// Pending returns how many received commands have no final result in a report
// yet: running, stuck, awaiting a reboot (even after their "pending reboot"
// result went out), or finished and awaiting the check-in.
func (d *Device) Pending() int {
	n := 0
	for i := range d.ops {
		if o := &d.ops[i]; !o.isPortal() && !o.final() {
			n++
		}
	}
	return n
}

// find returns the position of app in the inventory (list). The inventory is
// sorted by id string, but an index scan is faster than a binary search over
// strings for the few dozen apps a device holds.
func (d *Device) find(app uint32) (int, bool) {
	for k, e := range d.list() {
		if e.app == app {
			return k, true
		}
	}
	return 0, false
}

// setApp installs app at version ver, keeping the inventory sorted by id string.
func (d *Device) setApp(app, ver uint32, managed bool) {
	v := ver
	if managed {
		v |= managedBit
	}
	apps := d.list()
	if k, ok := d.find(app); ok {
		apps[k].ver = v
		return
	}
	ids := d.b.fleet.cat.ids
	id := ids[app]
	lo, hi := 0, len(apps)
	for lo < hi {
		m := (lo + hi) / 2
		if ids[apps[m].app] < id {
			lo = m + 1
		} else {
			hi = m
		}
	}
	switch {
	case d.more == nil && len(apps) < InlineApps:
		apps = d.inl[:len(apps)+1]
	case d.more == nil:
		apps = append(apps[:len(apps):len(apps)], entry{}) // a copy: setList moves it out
	case len(apps) == cap(apps):
		grown := make([]entry, len(apps)+1, len(apps)+len(apps)/4+2)
		copy(grown, apps)
		apps = grown
	default:
		apps = apps[:len(apps)+1]
	}
	copy(apps[lo+1:], apps[lo:])
	apps[lo] = entry{app: app, ver: v}
	d.setList(apps)
}

func (d *Device) removeApp(k int) {
	d.setList(slices.Delete(d.list(), k, k+1))
}

// check refuses a call before any state change: an uninitialized device, a nil
// random source, a time before the latest call.
func (d *Device) check(now Time, rng *rand.Rand) error {
	if d.flags&fInit == 0 {
		return &mdm.ValidationError{Field: "device", Err: ErrNotInitialized, Reason: "is a zero Device",
			Remedy: "initialize it with Init or New"}
	}
	if rng == nil {
		return errNoRand()
	}
	if now < d.last || now >= maxTime {
		return &mdm.ValidationError{Field: "now", Value: now.String(), Err: ErrTimeBackwards,
			Reason: "is before the device's time " + d.last.String() + " (or beyond 100 years)",
			Remedy: "call the device with non-decreasing times, as the event queue pops them"}
	}
	return nil
}

func (d *Device) recompute() {
	n := min(d.userAt, d.rebootAt, d.wake)
	for i := range d.ops {
		n = min(n, d.ops[i].due)
	}
	d.next = n
}

func (d *Device) String() string {
	return string(d.id) + " at " + d.last.String() + " (" + strconv.Itoa(len(d.list())) + " apps, " +
		strconv.Itoa(d.Pending()) + " pending)"
}
