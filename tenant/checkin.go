package tenant

import (
	"math"
	"sync"
	"time"
	"unsafe"

	"github.com/mdmkit/mdmkit/mdm"
)

// CheckIn answers a device's check-in (T1–T11, A7, A9, A10, L5, L6): it records
// the results of earlier commands, the inventory and the user's portal requests,
// decides for every app that reaches the device, and writes into out (reset
// first) the commands to deliver with the answer and the status changes. A
// check-in answers any outstanding push (T2).
//
// out is the caller's and is reused: a steady check-in (nothing changed, nothing
// due) allocates nothing. A nil report or out, a time outside the years 1678
// to 2262 (the zero time.Time among them: ErrTimeRange), a report that does
// not validate (mdm.Report.Validate) or one that names a device that is not
// managed is refused with an error and changes nothing.
//
// CheckIn is safe to call concurrently; check-ins of different devices do not
// wait for each other, those of one device are serialized.
func (t *Tenant) CheckIn(now time.Time, r *mdm.Report, out *CheckInResult) error {
	if err := checkInArgs(now, r, out); err != nil {
		return err
	}
	out.Reset()
	l := t.mu.shard(string(r.Device))
	l.RLock()
	defer l.RUnlock()
	d := t.device(r.Device)
	if d == nil {
		return unknownDevice("deviceId", r.Device)
	}
	return t.checkIn(d, now, r, out)
}

// The times the tenant can record: it keeps them as Unix nanoseconds, which
// hold the years 1678 to 2262; a zero time.Time (year 1) is a caller's mistake.
var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// checkInArgs refuses what no check-in can be: a nil report or result, a time
// the tenant cannot record.
func checkInArgs(now time.Time, r *mdm.Report, out *CheckInResult) error {
	switch {
	case r == nil:
		return &mdm.ValidationError{Field: "report", Rule: "T1", Err: mdm.ErrMissingField,
			Reason: "is nil", Remedy: "pass the device's report"}
	case out == nil:
		return &mdm.ValidationError{Field: "out", Rule: "T1", Err: mdm.ErrMissingField,
			Reason: "is nil", Remedy: "pass a *CheckInResult to write the answer into (and reuse it)"}
	}
	return checkTime("now", now)
}

// checkTime refuses a time the tenant cannot record (see minTime), for the
// operations other than a check-in that are told the time: they schedule
// pushes, anchor reinstall cycles and date tokens with it, and a wrapped-around
// time would put those in another century.
func checkTime(field string, at time.Time) error {
	if at.Before(minTime) || at.After(maxTime) {
		return &mdm.ValidationError{Field: field, Value: at.UTC().Format(time.RFC3339), Rule: "T1", Err: ErrTimeRange,
			Reason: "is not a time the tenant can record (years 1678 to 2262)", Remedy: "pass the time of the operation, e.g. time.Now()"}
	}
	return nil
}

// DeviceRef is a handle to a managed device: CheckInRef with it skips the
// lookup of the device by id, which on a large fleet is a few cache misses per
// check-in. The zero DeviceRef refers to no device. A ref outlives its device:
// once the device is removed from management, CheckInRef refuses it.
type DeviceRef struct{ d *deviceState }

// Prefetch is a hint: it asks the processor to start loading what a steady
// check-in of the device reads (the first two cache lines of its state: locks,
// flags, times and the inventory fingerprint), without waiting for it. A
// simulator that knows which device it handles next calls it while it handles
// the current one, so that the next check-in finds its state in cache. It
// reads nothing, takes no lock and is safe to call at any time, on any ref,
// the zero one included; on platforms without a prefetch instruction it does
// nothing.
func (r DeviceRef) Prefetch() {
	if r.d != nil {
		prefetch(unsafe.Pointer(r.d))
	}
}

// DeviceRef returns the handle of a managed device.
func (t *Tenant) DeviceRef(id mdm.DeviceID) (DeviceRef, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	d := t.device(id)
	return DeviceRef{d}, d != nil
}

// CheckInRef is CheckIn for the device ref refers to; the report must name that
// device.
func (t *Tenant) CheckInRef(now time.Time, ref DeviceRef, r *mdm.Report, out *CheckInResult) error {
	if err := checkInArgs(now, r, out); err != nil {
		return err
	}
	out.Reset()
	d := ref.d
	if d == nil {
		return unknownDevice("deviceId", r.Device)
	}
	d.lock.RLock()
	defer d.lock.RUnlock()
	if d.removed || d.id != r.Device {
		return unknownDevice("deviceId", r.Device)
	}
	return t.checkIn(d, now, r, out)
}

// checkIn runs a check-in of d; the caller holds a read shard of t.mu.
func (t *Tenant) checkIn(d *deviceState, now time.Time, r *mdm.Report, out *CheckInResult) error {
	n := now.UnixNano()
	d.mu.Lock()
	defer d.mu.Unlock()
	// Steady state: nothing learned, nothing due. The inventory check walks
	// the inventory against the fingerprint once, comparing strings that are
	// usually the same pointers (the catalog's ids and versions). A device
	// waiting for a license is steady while its pools still have none for it.
	if !d.stale && d.epoch == t.epoch && (n < d.nextEval || d.waitsHold(n)) &&
		len(r.Results) == 0 && len(r.Requests) == 0 && d.inventoryUnchanged(t.cat, r.Inventory) {
		d.lastIn = n
		if d.push.Load() != 0 {
			t.push.answered(d, d.wake)
		}
		return nil
	}
	return t.fullCheckIn(d, n, now, r, out)
}

var targetPool = sync.Pool{New: func() any { s := make([]target, 0, 32); return &s }}

// fxPool recycles the effects of full check-ins: the engine reaches them
// through an interface, so one made on the stack would move to the heap at
// every full check-in.
var fxPool = sync.Pool{New: func() any { return new(tenantFx) }}

// fullCheckIn is the slow path: validate, re-resolve when needed, and evaluate.
func (t *Tenant) fullCheckIn(d *deviceState, n int64, now time.Time, r *mdm.Report, out *CheckInResult) error {
	// The device id was found, so it is valid; the rest is checked cheaply, and
	// by mdm's own Validate when in doubt.
	if !d.reportValid(t.cat, r) {
		if err := r.Validate(); err != nil {
			return err
		}
	}
	// A catalog change (epoch) asks for a full evaluation, not a new
	// resolution: apps' facts do not alter who gets what (assign.PutApp).
	fresh := d.stale
	var ts []target
	var buf *[]target
	if fresh {
		buf = targetPool.Get().(*[]target)
		var err error
		ts, err = t.resolve(d, (*buf)[:0])
		if err != nil {
			targetPool.Put(buf)
			return err
		}
	}
	fx := fxPool.Get().(*tenantFx)
	*fx = tenantFx{t: t, now: now, wake: fx.wake[:0]}
	e := engine{cat: t.cat, pol: &t.pol, fx: fx, d: d, now: n, out: out, nextEval: never, wake: never}
	e.step(ts, fresh, r)
	if buf != nil {
		*buf = ts[:0]
		targetPool.Put(buf)
	}
	d.epoch = t.epoch
	d.setWaits(fx.waits[:fx.nWaits], n, e.nextEval)
	wake := e.wake
	if wake == never {
		wake = 0
	}
	d.wake = wake
	t.push.answered(d, wake)
	if len(fx.wake) > 0 {
		t.wakeHolders(n, fx.wake, nil)
	}
	clear(fx.wake)
	*fx = tenantFx{wake: fx.wake[:0]} // keep nothing alive
	fxPool.Put(fx)
	return nil
}

// DuePushes appends to dst the devices to push at now: re-notifications of
// unanswered pushes (T2) and wake-ups of devices whose reinstall cycle ticked
// for an app to reinstall or uninstall again, whose retry interval or deadline
// ran out (T3, T5, T14), by time then enrollment order. A time the tenant
// cannot record (checkTime) hands out nothing and leaves the schedule as it is.
func (t *Tenant) DuePushes(now time.Time, dst []mdm.DeviceID) []mdm.DeviceID {
	if checkTime("now", now) != nil {
		return dst
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.push.due(now.UnixNano(), t.devs, dst)
}

// NextPush returns the earliest time DuePushes will have a device to hand out,
// and false when nothing is scheduled. A simulator sleeps until then.
func (t *Tenant) NextPush() (time.Time, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.push.nextAt(t.devs)
	if n == never {
		return time.Time{}, false
	}
	return time.Unix(0, n).UTC(), true
}
