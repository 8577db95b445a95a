package device

import (
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/mdmkit/mdmkit/mdm"
)

// CheckIn fills r with what the device sends at a check-in at now: its id, its
// whole inventory sorted by app id (the service merge-walks it), the results of
// the commands that finished since the last check-in (in the order received;
// each delivery gets one final result, see Receive), and the user's portal
// requests.
//
// r is the caller's and is reused: its slices are truncated and refilled, so
// after the first few check-ins a steady check-in allocates nothing. The strings
// in it are the fleet's interned ids and versions. The report is valid until the
// next CheckIn that reuses r: copy what must outlive it.
//
// CheckIn first runs what is due up to now, as Step does, and returns those
// events. A device that is then offline cannot check in: CheckIn returns
// ErrOffline and leaves r untouched (the events it ran are still returned, and
// no result is lost: it goes out at the next check-in).
func (d *Device) CheckIn(now Time, rng *rand.Rand, r *mdm.Report) (Events, error) {
	if err := d.check(now, rng); err != nil {
		return 0, err
	}
	if r == nil {
		return 0, &mdm.ValidationError{Field: "report", Err: mdm.ErrInvalidMessage, Reason: "is nil",
			Remedy: "pass a *mdm.Report to fill, and reuse it for every check-in"}
	}
	ev := d.advance(now, rng)
	d.last = now
	if d.offline(now) {
		return ev, d.offlineError(now)
	}
	c := &d.b.fleet.cat
	r.Device = d.id
	apps := d.list()
	inv := slices.Grow(r.Inventory[:0], len(apps))[:len(apps)]
	ids, vers := c.ids, c.vers
	for k, e := range apps {
		inv[k] = mdm.InstalledApp{App: ids[e.app], Version: vers[e.version()]}
	}
	r.Inventory = inv
	r.Results = r.Results[:0]
	r.Requests = r.Requests[:0]
	if len(d.ops) == 0 {
		return ev, nil
	}
	for i := range d.ops {
		o := &d.ops[i]
		if o.phase != phDone || o.flags&opReported != 0 {
			continue
		}
		o.flags |= opReported
		switch o.kind {
		case opPortalInstall:
			r.Requests = append(r.Requests, mdm.PortalRequest{App: c.ids[o.app], Action: mdm.PortalInstall})
		case opPortalUninstall:
			r.Requests = append(r.Requests, mdm.PortalRequest{App: c.ids[o.app], Action: mdm.PortalUninstall})
		default:
			r.Results = append(r.Results, mdm.CommandResult{Command: o.cmd, Kind: mdm.CommandKind(o.kind),
				App: c.ids[o.app], Outcome: o.outcome, Code: o.code})
		}
	}
	d.compactOps()
	return ev, nil
}

func (d *Device) offlineError(now Time) error {
	return &mdm.ValidationError{Field: "now", Value: now.String(), Err: ErrOffline,
		Reason: "falls while device " + string(d.id) + " is offline (night, weekend or absence)",
		Remedy: "check in when Online(now) is true; NextOnline(now) says when, and NextEvent includes it"}
}

// Receive hands the device the commands the service sent at a check-in at now.
// Each delivery gets exactly one final result, in the report of a later
// check-in (a "pending reboot" result may come first, see below):
//
//   - "not now" when the device is locked or in use (Profile.NotNowProbability),
//     when a command for the same app is still in progress or awaits a reboot,
//     or when MaxConcurrentCommands are in progress; the service sends it again;
//   - at once, without running anything: an uninstall of an app that is not
//     there succeeds; an uninstall of an app the service did not install fails
//     with CodeNotManaged (A10); an update of an app that is not there fails with
//     CodeNotInstalled; a book, or the Books app itself, on a device without
//     the Books app fails with CodeBooksAppMissing (L8);
//   - otherwise the command runs: succeeded; failed with a code; "retry"
//     (CodeRetry) when the installer asks to be retried, with
//     EventCheckInRequested so that the service's T5 re-sends keep their
//     spacing; "pending reboot" (CodeSoftReboot), not final: at the reboot the
//     app appears in the inventory and the command is reported again,
//     "succeeded" (only that, if the reboot came before the check-in); or stuck
//     until the user restarts it after Policy.StuckInstallThreshold (T6) or the
//     device reboots, and then it runs again.
//
// The same command id may come again (the service resends a "not now"); every
// delivery is answered. Receive first runs what is due up to now, as Step does.
// It refuses a malformed command (mdm.ErrInvalidMessage) before doing anything;
// on an offline device it returns ErrOffline after running what was due, and
// takes no command.
func (d *Device) Receive(now Time, rng *rand.Rand, cmds []mdm.Command) (Events, error) {
	if err := d.check(now, rng); err != nil {
		return 0, err
	}
	c := &d.b.fleet.cat
	for i := range cmds {
		if err := checkCommand(i, &cmds[i]); err != nil {
			return 0, err
		}
	}
	if len(c.vers)+len(cmds) > verMask {
		return 0, &mdm.ValidationError{Field: "commands", Value: strconv.Itoa(len(cmds)), Err: mdm.ErrInvalidMessage,
			Reason: "would pass 2^31 distinct versions in the fleet", Remedy: "reuse version strings"}
	}
	ev := d.advance(now, rng)
	d.last = now
	if d.offline(now) {
		return ev, d.offlineError(now)
	}
	for i := range cmds {
		d.accept(&cmds[i], now, rng)
	}
	d.recompute()
	return ev, nil
}

func checkCommand(i int, cmd *mdm.Command) error {
	field := func(name string) string { return "commands[" + strconv.Itoa(i) + "]." + name } // only on error: no allocation on the hot path
	if cmd.Kind != mdm.CommandInstall && cmd.Kind != mdm.CommandUninstall && cmd.Kind != mdm.CommandUpdate {
		return &mdm.ValidationError{Field: field("kind"), Value: cmd.Kind.String(), Err: mdm.ErrInvalidMessage,
			Reason: "is not a command kind", Remedy: "send install, uninstall or update"}
	}
	if mdm.CheckID("appId", string(cmd.App)) != nil {
		return mdm.CheckID(field("appId"), string(cmd.App))
	}
	if len(cmd.Version) > mdm.MaxIDLength {
		return &mdm.ValidationError{Field: field("version"), Value: cmd.Version[:32] + "…", Err: mdm.ErrInvalidMessage,
			Reason: "is longer than 256 bytes", Remedy: "send a version string such as 2.3.1"}
	}
	return nil
}

// accept takes one command at now.
func (d *Device) accept(cmd *mdm.Command, now Time, rng *rand.Rand) {
	b := d.b
	f := b.fleet
	app := f.cat.app(cmd.App)
	o := op{cmd: cmd.ID, kind: uint8(cmd.Kind), app: app, ver: f.cat.version(cmd.Version), due: Never, phase: phDone}
	done := func(out mdm.Outcome, code int32) {
		o.outcome, o.code = out, code
		d.addOp(o)
	}
	if chance(rng, b.notNow) || d.holding(app) || (b.maxConc > 0 && d.busyCount() >= b.maxConc) {
		done(mdm.OutcomeNotNow, 0)
		return
	}
	k, present := d.find(app)
	switch cmd.Kind {
	case mdm.CommandUninstall:
		if !present {
			done(mdm.OutcomeSucceeded, 0)
			return
		}
		if !d.list()[k].managed() {
			done(mdm.OutcomeFailed, CodeNotManaged)
			return
		}
	case mdm.CommandUpdate:
		if !present {
			done(mdm.OutcomeFailed, CodeNotInstalled)
			return
		}
	}
	if cmd.Kind != mdm.CommandUninstall {
		kind := f.cat.kind[app]
		if (kind&kindBooksApp != 0 && !present) || (kind&kindBook != 0 && !d.HasBooksApp()) {
			done(mdm.OutcomeFailed, CodeBooksAppMissing)
			return
		}
	}
	d.addOp(o)
	d.startAttempt(&d.ops[len(d.ops)-1], now, rng)
}

// holding reports whether a command in progress (or awaiting a reboot) holds app.
func (d *Device) holding(app uint32) bool {
	for i := range d.ops {
		if d.ops[i].app == app && d.ops[i].holdsApp() {
			return true
		}
	}
	return false
}

func (d *Device) busyCount() int {
	n := 0
	for i := range d.ops {
		if !d.ops[i].isPortal() && d.ops[i].busy() {
			n++
		}
	}
	return n
}
