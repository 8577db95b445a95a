package device

import (
	"math/rand/v2"

	"github.com/mdmkit/mdmkit/mdm"
)

// Step runs every internal event due at or before now, each at its own time and
// in time order (ties: reboot, then commands in the order received, then the
// user, then the schedule), and returns the events the caller must act on.
//
// Stepping late runs exactly what stepping on time would have run, with the same
// draws, because every event computes from its own due time, never from now;
// stepping early, or twice at the same time, runs nothing. So the caller may step
// whenever it likes; the simulator steps at NextEvent.
//
// It refuses (changing nothing) a zero Device, a nil rng, or a time before the
// latest call.
func (d *Device) Step(now Time, rng *rand.Rand) (Events, error) {
	if err := d.check(now, rng); err != nil {
		return 0, err
	}
	ev := d.advance(now, rng)
	d.last = now
	return ev, nil
}

// advance runs the due events up to now. Every handler moves its own timer
// strictly past the time it ran at, or advances its op to a later phase, so the
// loop ends.
func (d *Device) advance(now Time, rng *rand.Rand) Events {
	var ev Events
	for d.next <= now {
		t := d.next
		switch {
		case d.rebootAt == t:
			d.reboot(t, rng)
		case d.runDueOp(t, rng, &ev):
		case d.userAt == t:
			ev |= d.userAction(t, rng)
		default: // d.wake == t
			d.onWake(t, rng)
		}
		d.recompute()
	}
	return ev
}

// runDueOp runs the first op due at t, if any.
func (d *Device) runDueOp(t Time, rng *rand.Rand, ev *Events) bool {
	for i := range d.ops {
		o := &d.ops[i]
		if o.due != t {
			continue
		}
		switch o.phase {
		case phRunning:
			*ev |= d.finishAttempt(o, t, rng)
		case phStuck:
			// The user restarts the install (T6) when at the device; one who
			// left never does, and a reboot will.
			switch {
			case d.flags&fUserLeft != 0:
				o.due = Never
			case d.offline(t):
				o.due = d.nextOnline(t)
			default:
				d.startAttempt(o, t, rng)
			}
		}
		return true
	}
	return false
}

// startAttempt begins one attempt of an install, update or uninstall at t: it
// draws how the attempt will end and how long it takes.
func (d *Device) startAttempt(o *op, t Time, rng *rand.Rand) {
	b := d.b
	m := &b.install
	if o.kind == uint8(mdm.CommandUninstall) {
		m = &b.uninstall
	}
	u := rng.Float64()
	o.code = 0
	switch {
	case u < m.cum[0]:
		o.outcome = mdm.OutcomeFailed
		o.code = m.code(rng)
	case u < m.cum[1]:
		o.outcome = mdm.OutcomeRetry
	case u < m.cum[2]:
		o.outcome = mdm.OutcomePendingReboot
	case u < m.cum[3]:
		// Stuck: no progress. After the threshold the user may restart it
		// (T6); otherwise only a reboot will.
		o.phase, o.outcome, o.due = phStuck, 0, Never
		if d.flags&fUserLeft == 0 && chance(rng, b.restartP) {
			o.due = after(after(t, b.fleet.stuckAfter), b.restartDelay.draw(rng))
		}
		return
	default:
		o.outcome = mdm.OutcomeSucceeded
	}
	o.phase = phRunning
	o.due = t + Time(m.dur.draw(rng))
}

// after returns t+ns, saturating at Never: policy durations have no upper
// bound, and a timer that would pass the end of time never fires.
func after(t Time, ns int64) Time {
	if ns > int64(Never-t) {
		return Never
	}
	return t + Time(ns)
}

// code draws a failure code.
func (m *attemptModel) code(rng *rand.Rand) int32 {
	switch len(m.codes) {
	case 0:
		return CodeInstallFailed
	case 1:
		return m.codes[0]
	}
	u := rng.Float64()
	for i, c := range m.codesCum {
		if u < c {
			return m.codes[i]
		}
	}
	return m.codes[len(m.codes)-1]
}

// finishAttempt ends the running attempt at t with the outcome drawn when it
// started.
func (d *Device) finishAttempt(o *op, t Time, rng *rand.Rand) Events {
	f := d.b.fleet
	o.phase, o.due = phDone, Never
	switch o.outcome {
	case mdm.OutcomeSucceeded:
		if o.kind == uint8(mdm.CommandUninstall) {
			if k, ok := d.find(o.app); ok {
				d.removeApp(k)
			}
		} else {
			d.setApp(o.app, o.ver, true)
		}
	case mdm.OutcomeRetry:
		// T5: the installer asked to be retried. The service re-sends the
		// command Policy.RetryInterval later, up to RetryAttempts times; the
		// device reports at once so that the loop keeps its spacing rather
		// than waiting hours for the next scheduled check-in.
		o.code = CodeRetry
		return EventCheckInRequested
	case mdm.OutcomePendingReboot:
		// The install completes at the next restart: the user restarts after
		// the drawn delay, or the device does at the end of the grace period
		// (T14).
		o.code = CodeSoftReboot
		o.flags |= opAwaitReboot
		delay := min(d.b.rebootDelay.draw(rng), f.graceMax)
		d.rebootAt = min(d.rebootAt, after(t, delay))
	}
	return 0
}

// reboot restarts the device at t: installs waiting for it complete and are
// reported again, "succeeded" (or only so, if their "pending reboot" has not gone
// out yet); stuck installs start over; the next ordinary restart is drawn.
func (d *Device) reboot(t Time, rng *rand.Rand) {
	for i := range d.ops {
		o := &d.ops[i]
		switch {
		case o.flags&opAwaitReboot != 0:
			d.setApp(o.app, o.ver, true)
			o.outcome, o.code = mdm.OutcomeSucceeded, 0
			o.flags &^= opAwaitReboot | opReported
		case o.phase == phStuck:
			d.startAttempt(o, t, rng)
		}
	}
	d.compactOps()
	d.rebootAt = Never
	if d.b.rebootEvery > 0 {
		d.rebootAt = t + Time(expDraw(rng, d.b.rebootEvery))
	}
}

// compactOps drops the ops that are reported and need nothing more, and gives
// the buffer back to the fleet when none is left.
func (d *Device) compactOps() {
	n := 0
	for i := range d.ops {
		o := d.ops[i]
		if o.final() {
			continue
		}
		d.ops[n] = o
		n++
	}
	if n == 0 {
		if d.ops != nil {
			d.b.fleet.releaseOps(d.ops)
			d.ops = nil
		}
		return
	}
	clear(d.ops[n:])
	d.ops = d.ops[:n]
}

func (d *Device) addOp(o op) {
	if d.ops == nil {
		d.ops = d.b.fleet.takeOps()
	}
	d.ops = append(d.ops, o)
}

// hasOp reports whether an op (a command, or a portal request) concerns app.
func (d *Device) hasOp(app uint32) bool {
	for i := range d.ops {
		if d.ops[i].app == app && (d.ops[i].holdsApp() || d.ops[i].isPortal()) {
			return true
		}
	}
	return false
}

// scheduleUser draws the user's next action after t.
func (d *Device) scheduleUser(t Time, rng *rand.Rand) {
	b := d.b
	if d.flags&fUserLeft != 0 || b.userTotal == 0 {
		d.userAt = Never
		return
	}
	d.userAt = t + Time(expDraw(rng, 1/b.userTotal))
	u := rng.Float64() * b.userTotal
	d.userAct = numUserActions - 1
	for i, r := range b.userRate {
		if u < r {
			d.userAct = uint8(i)
			break
		}
		u -= r
	}
	for d.userAct > 0 && b.userRate[d.userAct] == 0 { // rounding left u past the last non-zero rate
		d.userAct--
	}
}

// userAction runs the user's action due at t. An action that falls while the
// device is offline waits until it is back online, except leaving.
func (d *Device) userAction(t Time, rng *rand.Rand) Events {
	var ev Events
	switch {
	case d.userAct == actLeave:
		d.flags |= fUserLeft
		d.userAt = Never
		return EventUserLeft
	case d.offline(t):
		d.userAt = d.nextOnline(t)
		return 0
	case d.userAct == actPortalInstall:
		ev = d.portalVisit(rng, false)
	case d.userAct == actPortalUninstall:
		ev = d.portalVisit(rng, true)
	case d.userAct == actRemove:
		ev = d.removeSomething(rng)
	}
	d.scheduleUser(t, rng)
	return ev
}

// portalVisit asks the portal what it offers and requests one install of an app
// not on the device (or, uninstall, the removal of an installed managed app the
// portal offers to remove), chosen uniformly. Nothing offered, nothing done.
func (d *Device) portalVisit(rng *rand.Rand, uninstall bool) Events {
	f := d.b.fleet
	if f.portal == nil {
		return 0
	}
	offers := f.portal.Offered(d.id, f.offers[:0])
	f.offers = offers[:0]
	candidate := func(o *Offer) (uint32, bool) {
		if mdm.CheckID("appId", string(o.App)) != nil {
			return 0, false
		}
		app := f.cat.app(o.App)
		if d.hasOp(app) {
			return 0, false
		}
		k, present := d.find(app)
		if !uninstall {
			return app, !present
		}
		return app, present && o.Removable && d.list()[k].managed()
	}
	n := 0
	for i := range offers {
		if _, ok := candidate(&offers[i]); ok {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	pick := rng.IntN(n)
	for i := range offers {
		app, ok := candidate(&offers[i])
		if !ok {
			continue
		}
		if pick > 0 {
			pick--
			continue
		}
		kind := opPortalInstall
		if uninstall {
			kind = opPortalUninstall
		}
		d.addOp(op{app: app, kind: kind, phase: phDone, due: Never})
		break
	}
	clear(offers) // drop the strings so the scratch buffer pins nothing
	return EventCheckInRequested
}

// removeSomething deletes an app from the device, chosen uniformly among those
// no command is working on.
func (d *Device) removeSomething(rng *rand.Rand) Events {
	n := 0
	for _, e := range d.list() {
		if !d.hasOp(e.app) {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	pick := rng.IntN(n)
	for k, e := range d.list() {
		if d.hasOp(e.app) {
			continue
		}
		if pick > 0 {
			pick--
			continue
		}
		d.removeApp(k)
		if e.app == d.b.fleet.booksApp {
			return EventBooksAppRemoved
		}
		return 0
	}
	return 0
}
