package sim

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
	"unsafe"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/internal/hugepage"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
	"github.com/mdmkit/mdmkit/tenant"
)

// Options tune a run without changing what it simulates.
type Options struct {
	// Progress, when not nil, is called on the run's goroutine about every
	// ProgressEvery events and once at the end, for a progress bar. It must
	// not keep the Progress value's slices.
	Progress func(Progress)
	// ProgressEvery is how many events pass between Progress calls; default
	// 1,000,000.
	ProgressEvery uint64
	// Repro is the command line that reproduces the run, printed with a
	// violation; default a fleetsim command built from the scenario's name.
	Repro string
	// Until, when not zero, stops the run at this virtual time (a span since
	// the start, within the scenario's duration) instead of at its end, to
	// look at a moment; liveness is then not checked (watch.go).
	Until time.Duration
	// Watch, when not nil, records the story of one (device, app) pair and
	// its status and A11 explanation when the run stops: Report.Watch.
	Watch *Watch
}

// Progress is where a run is.
type Progress struct {
	Now, End time.Duration // virtual time done and in all
	Events   uint64        // events popped so far
}

// never is the time of a timer that is not set.
const never = eventq.Time(1<<63 - 1)

// Global slots, after the devices' slots: the admin timeline, the store syncs,
// the license push, the tenant's later pushes (T2 re-notifications, wake-ups),
// metric sampling and fault windows.
const (
	slotTimeline = iota
	slotSync
	slotLicensePush
	slotPush
	slotSample
	slotFaults
	numGlobalSlots
)

// licensePushEvery is how often license grants and reclaims are pushed to Apple
// between syncs: a deployment pushes them soon after they happen, in hourly batches
// (S5).
const licensePushEvery = time.Hour

// Run runs a scenario and returns its report. A scenario that does not validate
// is refused with a *ScenarioError (ErrInvalidScenario); an invariant broken
// while running, or a device that does not converge by the end (liveness), stops
// the run with a *Violation (ErrViolation), returned with the report so far.
// Cancelling ctx stops the run with ctx's error.
//
// Run is deterministic: the same scenario gives the same report and trace hash,
// byte for byte, whatever GOMAXPROCS is. It runs on the caller's goroutine.
func Run(ctx context.Context, sc *Scenario, opts Options) (*Report, error) {
	return run(ctx, sc, opts, nil)
}

// run is Run with a test's observer.
func run(ctx context.Context, sc *Scenario, opts Options, observe func(s *sim, i int)) (*Report, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	s, err := newSim(sc, opts)
	if err != nil {
		return nil, err
	}
	if err := s.checkOptions(); err != nil {
		return nil, err
	}
	if observe != nil {
		s.observe = func(i int) { observe(s, i) }
	}
	began := time.Now()
	err = s.run(ctx)
	wall := time.Since(began)
	rep := s.report()
	if s.watch != nil {
		rep.Watch = s.watch.finish(s)
	}
	rep.Run = RunStats{Wall: wall, EventsPerSec: float64(s.events) / max(wall.Seconds(), 1e-9)}
	if err != nil {
		var v *Violation
		if errors.As(err, &v) {
			rep.Violation = v
		}
		return rep, err
	}
	return rep, nil
}

// sim is one run.
type sim struct {
	sc    *Scenario
	opts  Options
	pol   mdm.Policy
	start time.Time
	end   eventq.Time
	now   eventq.Time // the time of the event being handled

	q     *eventq.Queue[struct{}]
	nDev  int // device slots come first: slot i is device i
	ten   *tenant.Tenant
	fleet *device.Fleet
	behav []*device.Behavior // per fleet.platforms entry
	f     *fleet
	// dev is every device with the simulator's state beside it, in one array:
	// an event touches one device, and its timers, flags and the virtual
	// device then share cache lines.
	dev     []simDevice
	cadence [2]mdm.CheckInCadence // T2: Apple platforms, the others
	stores  *stores

	rngDev *rand.Rand // the devices' draws
	rngSch *rand.Rand // check-in jitter, push latency
	rngAct *rand.Rand // admin actions that pick

	upcoming []int                // warm's buffer
	rep      mdm.Report           // reused by every check-in
	result   tenant.CheckInResult // reused by every check-in
	pushBuf  []mdm.DeviceID
	offerBuf []mdm.AppID

	apps      *appTable
	timeline  int           // next timeline action
	faultsAt  []eventq.Time // fault window edges, sorted
	nextFault int

	m         metrics
	trace     traceHash
	eventName string      // what the current global event is, for violations
	pushAsked eventq.Time // when schedulePush last asked the tenant
	// observe, when set (tests), is called after every event of a device.
	observe func(i int)
	live    LivenessReport
	watch   *watcher // Options.Watch; nil when not watching
	events  uint64
	err     error // the first violation, set by checks deep in a call
}

// simDevice is a virtual device and the simulator's part of it: its timers and
// flags. The device's own timer is device.NextEvent. It is 256 bytes, four
// cache lines (the device holds its installed apps itself, device.InlineApps),
// and the array of them starts on a page: an event touches four whole lines,
// which prefetch warms for the next event.
type simDevice struct {
	d        device.Device
	ref      tenant.DeviceRef // the tenant's handle: check-ins skip the lookup by id
	checkIn  eventq.Time      // next regular check-in
	pushAt   eventq.Time      // a push (or portal sync) to answer with a check-in
	enrolled eventq.Time      // enrollment time; never before it enrolls
	lastSeen eventq.Time      // last check-in; -1 before the first
	other    uint8            // cadence index: 0 Apple platforms, 1 the others (T2)
	flags    uint8
}

const (
	fEnrolled uint8 = 1 << iota
	fUserLeft
)

func newSim(sc *Scenario, opts Options) (*sim, error) {
	s := &sim{sc: sc, opts: opts, pol: sc.PolicyOf(), start: sc.StartTime(), end: eventq.Time(sc.Duration)}
	if s.opts.ProgressEvery == 0 {
		s.opts.ProgressEvery = 1_000_000
	}
	s.f = genFleet(sc)
	s.nDev = len(s.f.dev)
	q, err := eventq.New[struct{}](s.nDev + numGlobalSlots)
	if err != nil {
		return nil, err
	}
	s.q = q
	s.rngDev = newRand(sc.Seed, streamBehavior)
	s.rngSch = newRand(sc.Seed, streamSchedule)
	s.rngAct = newRand(sc.Seed, streamActions)
	if s.ten, err = tenant.New(tenant.Config{Policy: s.pol}); err != nil {
		return nil, fmt.Errorf("sim: tenant: %w", err)
	}
	s.fleet, err = device.NewFleet(device.FleetConfig{Policy: s.pol, Start: s.start, Portal: device.PortalFunc(s.offered)})
	if err != nil {
		return nil, fmt.Errorf("sim: device fleet: %w", err)
	}
	byName := map[string]*device.Behavior{}
	for _, p := range sc.Behavior.Profiles {
		b, err := s.fleet.NewBehavior(p.Profile)
		if err != nil {
			return nil, fmt.Errorf("sim: profile %s: %w", p.Name, err)
		}
		byName[p.Name] = b
	}
	if byName["default"] == nil {
		b, err := s.fleet.NewBehavior(device.DefaultProfile())
		if err != nil {
			return nil, fmt.Errorf("sim: default profile: %w", err)
		}
		byName["default"] = b
	}
	for _, p := range sc.Fleet.Platforms {
		name := p.Profile
		if name == "" {
			name = "default"
		}
		s.behav = append(s.behav, byName[name])
	}
	s.dev = make([]simDevice, s.nDev)
	if len(s.dev) > 0 {
		hugepage.Advise(unsafe.Pointer(&s.dev[0]), uintptr(len(s.dev))*unsafe.Sizeof(s.dev[0]))
	}
	for i := range s.dev {
		sd := &s.dev[i]
		sd.checkIn, sd.pushAt, sd.enrolled, sd.lastSeen = never, never, never, -1
		if !sc.Fleet.Platforms[s.f.dev[i].platform].Platform.IsApple() {
			sd.other = 1
		}
	}
	s.cadence = [2]mdm.CheckInCadence{s.pol.AppleCheckIn, s.pol.OtherCheckIn}
	s.m.init(s)
	return s, nil
}

// wall is the calendar time of virtual time t.
func (s *sim) wall(t eventq.Time) time.Time { return s.start.Add(time.Duration(t)) }

// run sets the tenant up at time 0, then pops events until the end.
func (s *sim) run(ctx context.Context) error {
	if err := s.setup(); err != nil {
		return err
	}
	for i := range s.f.dev {
		s.schedule(i, s.f.dev[i].enroll)
	}
	untilProgress := s.opts.ProgressEvery // a countdown: no division per event
	for {
		ev, ok := s.q.Next()
		if !ok || ev.At > s.end {
			break
		}
		s.now = ev.At
		s.events++
		s.warm()
		s.trace.event(uint64(ev.At), uint64(ev.Slot))
		if ev.Slot < s.nDev {
			s.deviceEvent(ev.Slot)
			if s.observe != nil {
				s.observe(ev.Slot)
			}
		} else {
			s.globalEvent(ev.Slot - s.nDev)
		}
		if s.err != nil {
			return s.err
		}
		if untilProgress--; untilProgress == 0 {
			untilProgress = s.opts.ProgressEvery
			if err := ctx.Err(); err != nil {
				return err
			}
			s.progress()
		}
	}
	s.now = s.end
	s.m.sample(s) // the state at the end
	s.progress()
	if s.stoppedEarly() {
		return nil
	}
	return s.liveness()
}

// warm starts loading, while this event is handled, what the next two events
// touch first: the record of the event after next (four lines), and the
// tenant's state of the next device (DeviceRef.Prefetch), whose handle is in
// the record warmed one event ago. Without it each event starts with a wait
// on main memory for both.
func (s *sim) warm() {
	up := s.q.Upcoming(s.upcoming[:0], 2)
	s.upcoming = up
	if len(up) > 1 && up[1] < s.nDev {
		prefetch(unsafe.Pointer(&s.dev[up[1]]))
	}
	if len(up) > 0 && up[0] < s.nDev {
		next := &s.dev[up[0]]
		prefetch(unsafe.Pointer(next)) // nothing to do when the order held
		next.ref.Prefetch()
	}
}

func (s *sim) progress() {
	if s.opts.Progress != nil {
		s.opts.Progress(Progress{Now: time.Duration(min(s.now, s.end)), End: time.Duration(s.end), Events: s.events})
	}
}

// schedule sets slot i's timer; a time past the end parks the slot.
func (s *sim) schedule(slot int, at eventq.Time) {
	if at > s.end {
		if _, err := s.q.Cancel(slot); err != nil {
			s.fail(err)
		}
		return
	}
	if err := s.q.Schedule(slot, at, struct{}{}); err != nil {
		s.fail(err)
	}
}

// fail records an internal error (a bug in the simulator, not a violation of
// the library's rules) as the run's error.
func (s *sim) fail(err error) {
	if s.err == nil {
		s.err = fmt.Errorf("sim: at %v: %w", s.now, err)
	}
}

// ---------------------------------------------------------------------------
// Devices.

// deviceEvent handles device i's timer: enrollment, the device's own events, a
// push or a regular check-in.
func (s *sim) deviceEvent(i int) {
	st := &s.dev[i]
	now := s.now
	if st.flags&fEnrolled == 0 {
		s.enroll(i)
		s.reschedule(i)
		return
	}
	d := &s.dev[i].d
	if d.NextEvent() <= device.Time(now) {
		ev, err := d.Step(device.Time(now), s.rngDev)
		if err != nil {
			s.fail(err)
			return
		}
		s.deviceEvents(i, ev)
		s.m.steps++
	}
	if st.checkIn <= now || st.pushAt <= now {
		pushed := st.pushAt <= now
		st.pushAt = never
		if d.Online(device.Time(now)) {
			s.checkIn(i, pushed)
		} else if st.checkIn <= now {
			// Missed: the device checks in when it is back online (its wake-up
			// is one of its own events, so the slot fires then).
			st.checkIn = eventq.Time(d.NextOnline(device.Time(now)))
			s.m.missed++
		}
	}
	s.reschedule(i)
}

// reschedule sets device i's timer to the earliest of its check-in, its pending
// push and its own next event.
func (s *sim) reschedule(i int) {
	st := &s.dev[i]
	at := min(st.checkIn, st.pushAt)
	if st.flags&fEnrolled != 0 {
		at = min(at, eventq.Time(s.dev[i].d.NextEvent()))
	} else {
		at = s.f.dev[i].enroll
	}
	s.schedule(i, at)
}

// enroll brings device i under management: the tenant enrolls it and adds it to
// its device groups, the virtual device starts, and it checks in at once.
func (s *sim) enroll(i int) {
	now := s.now
	d := &s.dev[i].d
	if err := d.Init(s.f.ids[i], s.behav[s.f.dev[i].platform], device.Time(now), s.rngDev); err != nil {
		s.fail(err)
		return
	}
	md := s.directoryRecord(i)
	ch, err := s.ten.EnrollDevice(s.wall(now), md)
	if err != nil {
		s.fail(fmt.Errorf("enroll %s: %w", md.ID, err))
		return
	}
	ref, ok := s.ten.DeviceRef(md.ID)
	if !ok {
		s.fail(fmt.Errorf("enrolled %s, but the tenant has no handle for it", md.ID))
		return
	}
	s.dev[i].ref = ref
	s.notify(ch.Notify)
	for gi := range s.sc.Fleet.Groups {
		g := &s.sc.Fleet.Groups[gi]
		if g.Kind == mdm.DeviceMembers && has(s.f.members[gi], i) {
			ch, err := s.ten.AddMember(s.wall(now), g.ID, string(md.ID))
			if err != nil {
				s.fail(fmt.Errorf("add %s to group %s: %w", md.ID, g.ID, err))
				return
			}
			s.notify(ch.Notify)
		}
	}
	st := &s.dev[i]
	st.flags |= fEnrolled
	st.enrolled = now
	s.m.enrolled++
	if d.Online(device.Time(now)) {
		s.checkIn(i, false)
	} else {
		st.checkIn = eventq.Time(d.NextOnline(device.Time(now)))
	}
}

// directoryRecord is device i as the directory knows it now: the fleet's facts,
// the Books app as the device has it (L8), and no primary user once that user
// left (a device whose user left before it enrolled joins as a shared one).
func (s *sim) directoryRecord(i int) mdm.Device {
	md := s.f.device(s.sc, i)
	md.HasBooksApp = s.dev[i].d.HasBooksApp()
	if u := s.f.dev[i].user; u >= 0 && has(s.m.left, int(u)) {
		md.PrimaryUser = ""
	}
	return md
}

// checkIn runs one check-in of device i: the device reports, the tenant
// answers, the device receives the commands; the next regular check-in follows
// the T2 cadence.
func (s *sim) checkIn(i int, pushed bool) {
	now := s.now
	d := &s.dev[i].d
	st := &s.dev[i]
	ev, err := d.CheckIn(device.Time(now), s.rngDev, &s.rep)
	if err != nil {
		if errors.Is(err, device.ErrOffline) { // went offline in the events it ran first
			st.checkIn = eventq.Time(d.NextOnline(device.Time(now)))
			s.deviceEvents(i, ev)
			return
		}
		s.fail(err)
		return
	}
	s.deviceEvents(i, ev)
	if err := s.ten.CheckInRef(s.wall(now), st.ref, &s.rep, &s.result); err != nil {
		s.violate(i, "the tenant refused the check-in of a managed device", "T1", err.Error())
		return
	}
	s.m.checkIns++
	if pushed {
		s.m.pushCheckIns++
	}
	res := &s.result
	s.trace.word(uint64(len(res.Commands))<<32 | uint64(len(res.Changes)))
	if len(res.Changes) > 0 {
		s.changes(i, res.Changes)
	}
	if len(res.Commands) > 0 {
		s.commands(i, res.Commands)
		ev, err := d.Receive(device.Time(now), s.rngDev, res.Commands)
		if err != nil {
			s.fail(err)
			return
		}
		s.deviceEvents(i, ev)
	}
	if s.watch != nil && s.watch.dev == i {
		s.watch.checkIn(s, pushed)
	}
	st.lastSeen = now
	st.checkIn = now + s.interval(i)
	// A check-in that changed something may have set a wake-up (T3, T5, T14)
	// or freed a license for a waiter (L5): the tenant's next push may be
	// earlier now. Asking costs a pass over its shards, so at most once a
	// virtual minute; a steady check-in only ever makes it later.
	if (len(res.Changes) > 0 || len(res.Commands) > 0) && now-s.pushAsked >= eventq.Time(time.Minute) {
		s.schedulePush()
	}
}

// interval is the wait until device i's next regular check-in (T2): the
// enrollment burst's fixed intervals, then the steady interval with jitter.
func (s *sim) interval(i int) eventq.Time {
	sd := &s.dev[i]
	c := &s.cadence[sd.other&1]
	since := time.Duration(s.now - sd.enrolled)
	iv := c.Interval(since)
	if iv == c.Steady && s.pol.CheckInJitter > 0 {
		j := s.pol.CheckInJitter * float64(c.Steady)
		iv = time.Duration(float64(c.Steady) - j + 2*j*s.rngSch.Float64())
	}
	return eventq.Time(max(iv, time.Second))
}

// deviceEvents acts on what happened inside device i.
func (s *sim) deviceEvents(i int, ev device.Events) {
	if ev == 0 {
		return
	}
	s.trace.word(uint64(ev) | 1<<40)
	if ev.Has(device.EventCheckInRequested) {
		// The company portal syncs at once after a request.
		s.dev[i].pushAt = min(s.dev[i].pushAt, s.now+s.pushLatency())
	}
	if ev.Has(device.EventUserLeft) && s.dev[i].flags&fUserLeft == 0 {
		s.dev[i].flags |= fUserLeft
		s.userLeft(s.f.dev[i].user)
	}
	if ev.Has(device.EventBooksAppRemoved) {
		// A fact of the device changed (L8): the service learns it, as it learns
		// hardware facts from the device's inventory report.
		md := s.directoryRecord(i)
		ch, err := s.ten.EnrollDevice(s.wall(s.now), md)
		if err != nil {
			s.fail(fmt.Errorf("update facts of %s: %w", md.ID, err))
			return
		}
		s.notify(ch.Notify)
	}
}

// pushLatency is how long a push takes to reach an online device and make it
// check in: a few seconds (APNs, FCM, WNS).
func (s *sim) pushLatency() eventq.Time {
	return eventq.Time(time.Second + time.Duration(s.rngSch.Int64N(int64(29*time.Second))))
}

// notify delivers pushes (T2): an online device checks in shortly; an offline
// one does not answer, and the tenant re-notifies it (DuePushes).
func (s *sim) notify(ids []mdm.DeviceID) {
	for _, id := range ids {
		i, ok := s.deviceIndex(id)
		if !ok {
			s.fail(fmt.Errorf("push to unknown device %q", id))
			return
		}
		s.m.pushes++
		st := &s.dev[i]
		if st.flags&fEnrolled == 0 || !s.dev[i].d.Online(device.Time(s.now)) {
			continue
		}
		if at := s.now + s.pushLatency(); at < st.pushAt {
			st.pushAt = at
			s.reschedule(i)
		}
	}
}

// deviceIndex maps a device id back to its slot. Ids are "dev-" and the slot
// number plus one, zero-padded; parsing them avoids a map lookup per push.
func (s *sim) deviceIndex(id mdm.DeviceID) (int, bool) {
	const prefix = "dev-"
	if len(id) <= len(prefix) || id[:len(prefix)] != prefix {
		return 0, false
	}
	n, err := strconv.Atoi(string(id[len(prefix):]))
	if err != nil || n < 1 || n > s.nDev || s.f.ids[n-1] != id {
		return 0, false
	}
	return n - 1, true
}

// offered is the company portal (device.Portal): the apps the tenant offers to
// the device now.
func (s *sim) offered(id mdm.DeviceID, dst []device.Offer) []device.Offer {
	apps, err := s.ten.Offered(s.wall(s.now), id, s.offerBuf[:0])
	if err != nil {
		return dst
	}
	s.offerBuf = apps
	for _, a := range apps {
		dst = append(dst, device.Offer{App: a, Removable: s.apps.removable(a)})
	}
	return dst
}
