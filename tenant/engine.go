package tenant

import (
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// The check-in engine. Given the device's records (its status per app), the
// resolved targets, the report and now, it decides per app: install, uninstall,
// update or nothing, and moves the status (T1). It reads the catalog and the
// policy, never the clock, and its effects leave through the effects interface
// and the CheckInResult: commands, state changes, license grants and reclaims,
// and the times it wants to see the device again.

// effects is what the engine asks of the tenant around it. Tests drive the
// engine with a fake.
type effects interface {
	newCommandID() mdm.CommandID
	// grant asks the app's pool for a license for this device (or its user)
	// and returns DetailNone when it was granted or already held, else the
	// detail to report (license unavailable L5, token not valid L3) and
	// whether the refusal is watched: the pool is remembered, and the device
	// evaluated again when it moves (deviceState.setWaits), not at every
	// check-in.
	grant(d *deviceState, e *appEntry, r *record) (mdm.InstallDetail, bool)
	// reclaim takes the license of (device, app) back for a reason (L7); it
	// reports whether the license left the holder (a book never does, L8).
	reclaim(d *deviceState, e *appEntry, r *record, why reclaimReason) bool
	// counted is told every status change, for per-app counts.
	counted(app int32, from, to mdm.InstallState)
	// tokenAllowsPrevent reports whether assignments may prevent automatic
	// updates of the token's VPP apps (L9, Tenant.SetTokenUpdatePrevention).
	tokenAllowsPrevent(tok mdm.TokenID) bool
}

// reclaimReason is why the engine gives a license back (L7).
type reclaimReason uint8

const (
	reclaimUninstall reclaimReason = iota + 1 // an uninstall intent reaches the device
)

// engine is one evaluation of one device. It lives on the caller's stack.
type engine struct {
	cat *catalog
	pol *mdm.Policy
	fx  effects
	d   *deviceState
	now int64
	out *CheckInResult

	nextEval int64 // the earliest time a check-in must run the full evaluation again
	wake     int64 // the earliest time the service wants the device to check in (a push)
	prevIn   int64 // the device's check-in before this one (0 for none)
}

func (e *engine) entry(r *record) *appEntry { return e.cat.apps[r.app] }

// find returns the position of app i among the records (sorted by app id).
func (e *engine) find(i int32) (int, bool) { return e.d.find(e.cat, e.cat.apps[i].id) }

func (e *engine) present(i int32) bool {
	p, ok := e.find(i)
	return ok && e.d.recs[p].has(fPresent)
}

// setState moves a record to (state, detail) and reports the change.
func (e *engine) setState(r *record, s mdm.InstallState, det mdm.InstallDetail) {
	if r.state == s && r.detail == det {
		return
	}
	from := r.state
	r.state, r.detail = s, det
	e.fx.counted(r.app, from, s)
	if e.out == nil {
		return
	}
	e.out.note(e.cat.apps[r.app].id, from, s, det)
}

// retryAt is when a required app found missing or failed is installed again,
// or a failed uninstall retried (T3), given when the service last knew the app
// was fine (the last check-in where it was present, or when the failed command
// was sent). Intune evaluates required apps on a per-device cycle of
// Policy.ReinstallWindow ("wanneer deze planning is verstreken": when the
// schedule has elapsed), here anchored at the device's enrollment: the app
// comes back at the first tick of that cycle after it was last known fine. A
// time at or before now means at once (a tick passed in between); a later one
// is the next tick, when the device is pushed. So the service does not resend
// at every check-in, and an app removed from a device online at the tick is
// back within the window of its removal.
func (e *engine) retryAt(fine int64) int64 {
	p := int64(e.pol.ReinstallWindow)
	a := e.d.anchor
	var k int64 // ticks a+k*p at or before fine
	if fine >= a {
		k = (fine - a) / p
	} else {
		k = -((a - fine + p - 1) / p)
	}
	return a + (k+1)*p
}

func (e *engine) evalAt(t int64) {
	if t < e.nextEval {
		e.nextEval = t
	}
}

func (e *engine) wakeAt(t int64) {
	if t < e.wake {
		e.wake = t
	}
	e.evalAt(t)
}

// send creates a command for a record and puts it in the result.
func (e *engine) send(r *record, kind mdm.CommandKind, v via) {
	ent := e.entry(r)
	id := e.fx.newCommandID()
	e.d.startCmd(r, inflight{id: id, sentAt: e.now, kind: kind, via: v})
	r.flags &^= fDefer
	c := mdm.Command{ID: id, Kind: kind, App: ent.id}
	if kind != mdm.CommandUninstall {
		c.Version = ent.version
	}
	e.out.Commands = append(e.out.Commands, c)
	// a command is delivered with this answer; the next check-in that carries no
	// result for it shows the device acknowledged it (installing, T1).
	e.evalAt(e.now)
}

// ---------------------------------------------------------------------------
// Results: what became of earlier commands.

func (e *engine) applyResult(res *mdm.CommandResult) {
	p, ok := e.d.find(e.cat, res.App)
	if !ok {
		e.out.Stale++
		return
	}
	r := &e.d.recs[p]
	c := e.d.cmd(r)
	if c == nil || c.id != res.Command {
		// a result for a command the service no longer waits for (re-sent
		// after a lost answer, or superseded by a newer one): nothing to learn.
		e.out.Stale++
		return
	}
	uninstall, v, sentAt := c.kind == mdm.CommandUninstall, c.via, c.sentAt
	switch res.Outcome {
	case mdm.OutcomeSucceeded:
		e.d.endCmd(r)
		r.attempts, r.nextTry, r.code = 0, 0, 0
		if uninstall {
			// the inventory of this report says the same, or says better
			r.flags &^= fManaged | fViaRequired | fViaPortal | fPresent | fCurrent
			det := mdm.DetailNone
			if v == viaSupersedence {
				det = mdm.DetailRemovedBySupersedence
			}
			e.setState(r, mdm.StateNotInstalled, det)
			return
		}
		r.flags |= fManaged | fWasInstalled | fPresent | fCurrent
		r.flags &^= fPortalWant
		switch v {
		case viaRequired:
			r.flags |= fViaRequired
		case viaPortal:
			r.flags |= fViaPortal
		}
		e.setState(r, mdm.StateInstalled, mdm.DetailNone)
	case mdm.OutcomeFailed:
		e.failed(r, uninstall, v, res.Code, sentAt)
	case mdm.OutcomeRetry:
		// T5: the device asks to try again later; RetryAttempts re-sends,
		// RetryInterval apart, then the command counts as failed.
		if int(r.attempts) < e.pol.RetryAttempts {
			r.attempts++
			e.d.endCmd(r)
			r.nextTry, r.tryOp = e.now+int64(e.pol.RetryInterval), opOf(uninstall)
			r.code = res.Code
			if uninstall {
				e.setState(r, r.state, mdm.DetailRetrying)
			} else {
				e.setState(r, mdm.StatePendingInstall, mdm.DetailRetrying)
			}
			return
		}
		e.failed(r, uninstall, v, res.Code, sentAt)
	case mdm.OutcomePendingReboot:
		// done once the device restarts; the device reports the command again
		// with its final outcome after the restart.
		det := mdm.DetailPendingReboot
		if uninstall {
			det = mdm.DetailUninstallPendingReboot
		}
		e.setState(r, mdm.StatePendingReboot, det)
	case mdm.OutcomeNotNow:
		// the device is busy: the command stays queued on the service side and
		// goes out again at a later check-in.
		e.d.endCmd(r)
		r.flags |= fDefer
		if !uninstall {
			e.setState(r, mdm.StateInstallRequested, mdm.DetailNone)
		}
	}
}

// failed records a failed command (sent at sentAt): T3 retries it at the
// device's first reinstall tick after it was sent, not at every check-in.
func (e *engine) failed(r *record, uninstall bool, v via, code int32, sentAt int64) {
	e.d.endCmd(r)
	r.attempts, r.code = 0, code
	r.nextTry, r.tryOp = e.retryAt(sentAt), opOf(uninstall)
	if uninstall {
		e.setState(r, mdm.StateUninstallFailed, mdm.DetailSeeUninstallErrorCode)
		return
	}
	if v == viaPortal {
		// the user may ask again; the service does not retry an available app
		// on its own (T7).
		r.flags &^= fPortalWant
	}
	if r.has(fPresent) {
		// a failed repair, reinstall or update: the app is still there
		e.setState(r, mdm.StateInstalled, mdm.DetailSeeInstallErrorCode)
		return
	}
	e.setState(r, mdm.StateFailed, mdm.DetailSeeInstallErrorCode)
}

// ---------------------------------------------------------------------------
// Inventory: what is on the device now. It is complete: an app missing from it
// is not installed.

// applyPresence moves a record to what the inventory says.
func (e *engine) applyPresence(r *record, present, current bool) {
	was := r.has(fPresent)
	if current {
		r.flags |= fCurrent
	} else {
		r.flags &^= fCurrent
	}
	switch {
	case present && !was:
		r.flags |= fPresent | fWasInstalled
		if c := e.d.cmd(r); c != nil && c.kind != mdm.CommandUninstall && current {
			// installed without a result yet (the result may come later, or was
			// lost): the inventory is the truth.
			v := c.via
			e.d.endCmd(r)
			r.attempts, r.nextTry = 0, 0
			r.flags |= fManaged
			r.flags &^= fPortalWant
			if v == viaRequired {
				r.flags |= fViaRequired
			} else if v == viaPortal {
				r.flags |= fViaPortal
			}
		}
	case !present && was:
		r.flags &^= fPresent | fCurrent
		managed := r.has(fManaged)
		r.flags &^= fManaged | fViaRequired | fViaPortal
		if c := e.d.cmd(r); c != nil && c.kind == mdm.CommandUninstall {
			det := mdm.DetailNone
			if c.via == viaSupersedence {
				det = mdm.DetailRemovedBySupersedence
			}
			e.d.endCmd(r)
			r.attempts, r.nextTry = 0, 0
			e.setState(r, mdm.StateNotInstalled, det)
			return
		}
		if r.pending() {
			// an update or repair in flight and the app is gone: wait for its
			// result, which will say what the device did.
			return
		}
		// the user removed it, or it went missing: a required app comes back
		// at the device's first reinstall tick after the last check-in that
		// saw it, not at every check-in and not after the re-evaluation cycle
		// (T3); an available one never does (T7).
		if r.intent&inRequired != 0 {
			fine := e.prevIn
			if fine == 0 {
				fine = e.now
			}
			r.nextTry, r.tryOp = e.retryAt(fine), wantInstall
		}
		det := mdm.DetailNone
		if managed {
			det = mdm.DetailUserRemoved
		}
		e.setState(r, mdm.StateNotInstalled, det)
	case present && was:
		if c := e.d.cmd(r); c != nil && c.kind != mdm.CommandUninstall && current && r.state != mdm.StatePendingReboot {
			// an update (or repair) took effect
			e.d.endCmd(r)
			r.attempts, r.nextTry = 0, 0
			r.flags |= fManaged
		}
	}
}

// ---------------------------------------------------------------------------
// Decision.

// baseWant is what a record's own facts ask for, before dependencies and
// supersedence.
func (e *engine) baseWant(r *record) (want, via) {
	in := r.intent
	switch {
	case r.has(fAdminUninstall):
		return wantUninstall, viaAdmin
	case r.has(fAdminInstall | fAdminRepair):
		return wantInstall, viaAdmin
	case in&inRequired != 0 && e.now >= e.d.deadline(r):
		return wantInstall, viaRequired
	case r.has(fUserUninstall):
		return wantUninstall, viaUser
	case r.has(fPortalWant) && e.offered(r):
		return wantInstall, viaPortal
	case in&inUninstall != 0 && in&inRequired == 0:
		if !in.offered() {
			// A10: only what the service installed
			if r.has(fManaged) {
				return wantUninstall, viaIntent
			}
			return wantNone, viaIntent
		}
		// A7 rows 7 and 19: the app stays offered; only a copy a required
		// assignment installed is removed, never one the user installed from
		// the portal.
		if r.has(fViaRequired) && !r.has(fViaPortal) {
			return wantUninstall, viaRow7
		}
	case in == 0 && r.has(fManaged) && r.has(fViaRequired|fViaPortal) && e.d.facts.AndroidMode.UninstallsOnUnassign():
		// A9: on Android Enterprise dedicated, fully managed and
		// corporate-owned work-profile devices removing the assignment
		// uninstalls the app.
		return wantUninstall, viaUnassign
	}
	return wantNone, viaNone
}

// offered reports whether the company portal offers the app on this device:
// available (or available without enrollment), or required with a deadline
// still ahead (T14: until then the user may install it early).
func (e *engine) offered(r *record) bool {
	return r.intent.offered() || (r.intent&inRequired != 0 && e.d.deadline(r) > e.now)
}

// evaluate decides for every record and sends what has to go.
func (e *engine) evaluate() {
	recs := e.d.recs
	for i := range recs {
		r := &recs[i]
		r.flags &^= fDependency
		r.blk = blkNone
		r.want, r.wvia = e.baseWant(r)
	}
	// Dependencies and supersedence of every wanted install (T9, T10). They
	// may add install wants (dependencies) and uninstall wants (replaced apps).
	for i := range recs {
		if recs[i].want == wantInstall {
			e.expand(i)
		}
	}
	// Dependencies first: their outcome decides their parents' states.
	for i := range recs {
		if recs[i].has(fDependency) {
			e.act(i, recs[i].wvia)
		}
	}
	for i := range recs {
		if !recs[i].has(fDependency) {
			e.act(i, recs[i].wvia)
		}
	}
}

// expand applies T9 and T10 to the wanted install of recs[i].
func (e *engine) expand(i int) {
	recs := e.d.recs
	r := &recs[i]
	ent := e.entry(r)
	if r.has(fPresent) {
		// T9, both present: replace uninstalls the old app.
		for _, b := range ent.below {
			if b.kind == mdm.Replace {
				if p, ok := e.find(b.app); ok && recs[p].has(fPresent) {
					e.replaceOld(p)
				}
			}
		}
		return
	}
	// T9: a superseding app on the device means nothing to install (every app
	// of a chain is superseded by the last one).
	for _, s := range ent.above {
		if e.present(s) {
			r.want, r.blk = wantNone, blkSuperseded
			return
		}
	}
	// An app that cannot be installed here (T11) touches nothing else: no
	// dependency is installed for it and no replaced app removed; actInstall
	// reports requirementsNotMet.
	if ent.app.Evaluate(&e.d.facts) != mdm.DetailNone {
		return
	}
	// T9: "if A depends on B and C supersedes B, A reports a conflict" when C is
	// in play on the device.
	for _, d := range ent.closure {
		for _, s := range e.cat.apps[d.app].above {
			if p, ok := e.find(s); ok && (recs[p].has(fPresent) || recs[p].want == wantInstall) {
				r.blk = blkConflict
				return
			}
		}
	}
	// T9, old present and new absent: replace removes the old app first; if
	// it stays, the new one is not installed.
	waiting, failed := false, false
	for _, b := range ent.below {
		if b.kind != mdm.Replace {
			continue
		}
		p, ok := e.find(b.app)
		if !ok || !recs[p].has(fPresent) {
			continue
		}
		if !e.replaceOld(p) || recs[p].state == mdm.StateUninstallFailed {
			failed = true
		} else {
			waiting = true
		}
	}
	if failed {
		r.blk = blkReplaceFailed
		return
	}
	if waiting {
		r.blk = blkReplacePend
		return
	}
	// T10 and C9: a missing detect-only dependency fails the parent, and a
	// missing dependency that cannot be installed here (T11) holds it; either
	// halts dependency processing: nothing is installed for a parent that
	// cannot follow. Otherwise auto-install dependencies install first.
	for _, d := range ent.closure {
		if e.present(d.app) {
			continue
		}
		if d.kind == mdm.DetectOnly {
			r.blk = blkDepMissing
			return
		}
		if e.cat.apps[d.app].app.Evaluate(&e.d.facts) != mdm.DetailNone {
			r.blk = blkDepReq
			return
		}
	}
	for _, d := range ent.closure {
		p, ok := e.find(d.app)
		if !ok {
			// ensureDeps created every record of the closure
			continue
		}
		dr := &recs[p]
		dr.flags |= fDependency // a present dependency is kept (see actUninstall)
		if dr.has(fPresent) {
			continue
		}
		if dr.want != wantInstall {
			dr.want, dr.wvia = wantInstall, viaDependency
		}
		if r.blk == blkNone {
			r.blk = blkDepInstalling
		}
	}
}

// replaceOld marks a present superseded app for removal (T9 replace) and reports
// whether the removal may happen: an app a required assignment reaches stays
// (T8).
func (e *engine) replaceOld(p int) bool {
	x := &e.d.recs[p]
	if x.intent&inRequired != 0 {
		return false
	}
	if x.want != wantUninstall {
		x.want, x.wvia = wantUninstall, viaSupersedence
	}
	return true
}

// act decides the record's command and state.
func (e *engine) act(i int, v via) {
	r := &e.d.recs[i]
	if c := e.d.cmd(r); c != nil {
		if e.now-c.sentAt < int64(e.pol.ReevaluationCycle) {
			e.inFlight(r, c)
			return
		}
		// T3: the re-evaluation cycle treats a command unanswered that long
		// as lost, and evaluates the app afresh.
		e.d.endCmd(r)
	}
	asked := r.flags & oneShot
	switch r.want {
	case wantInstall:
		e.actInstall(r, v)
	case wantUninstall:
		e.actUninstall(r, v)
	default:
		e.actPassive(r)
	}
	if r.flags&oneShot != asked {
		// a request was used up (or dropped): what the record wants next time
		// differs, so the next check-in evaluates it again
		e.evalAt(e.now)
	}
	if dl := e.d.deadline(r); dl > e.now && r.intent&inRequired != 0 {
		e.wakeAt(dl) // T14: enforce at the deadline
	}
}

// inFlight handles a record whose command has not been answered.
func (e *engine) inFlight(r *record, c *inflight) {
	if r.state == mdm.StateInstallRequested && c.kind != mdm.CommandUninstall && c.sentAt < e.now {
		// delivered at an earlier check-in and not answered: the device
		// acknowledged it and is installing (T1).
		e.setState(r, mdm.StateInstalling, mdm.DetailNone)
	}
	if r.state == mdm.StateInstallRequested {
		e.evalAt(e.now)
	} else {
		e.evalAt(c.sentAt + int64(e.pol.ReevaluationCycle))
	}
}

func (e *engine) actInstall(r *record, v via) {
	ent := e.entry(r)
	if r.has(fPresent) {
		if r.has(fAdminRepair | fAdminInstall) {
			// T12 repair and reinstall: install over the present app
			r.flags &^= fAdminRepair | fAdminInstall
			e.send(r, mdm.CommandInstall, viaAdmin)
			e.setState(r, mdm.StateInstallRequested, mdm.DetailNone)
			return
		}
		if !r.has(fCurrent) {
			// T4: a required app (and a dependency) is updated to the new
			// version; L9: a VPP app's assignment may prevent it.
			if e.autoUpdates(r, ent, mdm.Required) {
				e.update(r, ent)
			} else {
				e.setState(r, mdm.StateInstalled, mdm.DetailUpdateAvailable)
			}
			return
		}
		if r.state != mdm.StateInstalled || r.detail != mdm.DetailSeeInstallErrorCode {
			e.setState(r, mdm.StateInstalled, mdm.DetailNone)
		}
		return
	}
	r.flags &^= fAdminRepair // nothing to repair
	if r.blk != blkNone {
		b := blockStates[r.blk]
		if r.blk == blkDepInstalling {
			if d := e.depsState(r); d != blkNone {
				b = blockStates[d]
			}
		}
		e.setState(r, b.state, b.detail)
		return
	}
	if e.waiting(r, wantInstall) {
		return
	}
	// T11: requirements not met, no command. An admin's install (T12) is
	// consumed: it cannot happen on this device.
	if det := ent.app.Evaluate(&e.d.facts); det != mdm.DetailNone {
		r.flags &^= fAdminInstall
		e.setState(r, mdm.StateRequirementsNotMet, det)
		return
	}
	// T10, deepest first: a dependency installs only once its own dependencies
	// are present.
	for _, d := range ent.deps {
		if !e.present(d.app) {
			e.setState(r, mdm.StatePendingInstall, mdm.DetailInstallingDependencies)
			return
		}
	}
	// L5, L6, L14: a store app takes a license when the install is sent.
	if ent.hasPool && !r.has(fLicensed) {
		if det, watched := e.fx.grant(e.d, ent, r); det != mdm.DetailNone {
			e.setState(r, mdm.StateFailed, det)
			if !watched && det != mdm.DetailUserNotLoggedIntoAppStore && det != mdm.DetailNoPrimaryUser {
				// waiting: it gets a license at an evaluation after one
				// frees (L5), or when the token can grant again (L1, L3);
				// a watched refusal asks again once its pool moved
				e.evalAt(e.now)
			}
			// L4: an Apple account for the user (PutUser), a primary user for
			// the device (EnrollDevice) or another license type (an
			// assignment change) is what helps, and each of those evaluates
			// the device again: asking the pool at every check-in would not.
			return
		}
		r.flags |= fLicensed
	}
	r.flags &^= fAdminInstall
	e.send(r, mdm.CommandInstall, v)
	det := mdm.DetailNone
	if r.attempts > 0 {
		det = mdm.DetailRetrying
	}
	e.setState(r, mdm.StateInstallRequested, det)
}

// opOf is the operation a command of that kind retries.
func opOf(uninstall bool) want {
	if uninstall {
		return wantUninstall
	}
	return wantInstall
}

// waiting reports whether a command of operation op (wantInstall or
// wantUninstall) for the record must wait: the device said "not now" (sent
// again at the next check-in), or a timer of the same operation runs (T3, T5);
// the device is pushed when the timer runs out. A timer of the other
// operation does not hold this one: an uninstall intent that arrives after a
// failed update goes at once.
func (e *engine) waiting(r *record, op want) bool {
	if r.has(fDefer) {
		r.flags &^= fDefer
		e.evalAt(e.now)
		return true
	}
	if r.nextTry > e.now && r.tryOp == op {
		e.wakeAt(r.nextTry)
		return true
	}
	return false
}

// depsState summarises the dependencies of a parent waiting on them (T10): a
// failed dependency fails the parent.
func (e *engine) depsState(r *record) block {
	for _, d := range e.entry(r).closure {
		p, ok := e.find(d.app)
		if !ok || e.d.recs[p].has(fPresent) {
			continue
		}
		switch e.d.recs[p].state {
		case mdm.StateFailed:
			return blkDepFailed
		case mdm.StateRequirementsNotMet:
			return blkDepReq
		}
	}
	return blkNone
}

// autoUpdates reports whether a present app of an older version is updated
// without anyone asking, for a required or an offered (available) app (T4,
// L9). A VPP app the service or the portal installed updates for both, unless
// its assignments prevent it where its token allows that (license.AutoUpdates;
// the resolution sets optPreventAutoUpdate only when every required and
// available assignment reaching the device prevents it). Books and Store for
// Business apps never do: their store updates them, not an assignment. Any
// other app updates when required, or when the user installed it from the
// portal.
func (e *engine) autoUpdates(r *record, ent *appEntry, intent mdm.Intent) bool {
	if !ent.autoUpdate {
		return !ent.app.Type.IsSynced() && (intent == mdm.Required || r.has(fViaPortal))
	}
	if intent != mdm.Required && !r.has(fViaPortal|fManaged) {
		return false // installed outside management: not the service's to update
	}
	prevent := r.opts&optPreventAutoUpdate != 0
	return license.AutoUpdates(license.VPPApp, intent, prevent, prevent && e.fx.tokenAllowsPrevent(ent.pool.token))
}

// update sends a new version to a device holding an older one (T4, L9).
func (e *engine) update(r *record, ent *appEntry) {
	if r.nextTry > e.now && r.tryOp == wantInstall {
		if r.detail != mdm.DetailSeeInstallErrorCode {
			e.setState(r, mdm.StateInstalled, mdm.DetailUpdateAvailable)
		}
		e.wakeAt(r.nextTry)
		return
	}
	if r.has(fDefer) {
		r.flags &^= fDefer
		e.setState(r, mdm.StateInstalled, mdm.DetailUpdateAvailable)
		e.evalAt(e.now)
		return
	}
	if det := ent.app.Evaluate(&e.d.facts); det != mdm.DetailNone {
		e.setState(r, mdm.StateInstalled, mdm.DetailUpdateAvailable)
		return
	}
	e.send(r, mdm.CommandUpdate, viaUpdate)
	e.setState(r, mdm.StateInstallRequested, mdm.DetailNone)
}

func (e *engine) actUninstall(r *record, v via) {
	ent := e.entry(r)
	if v == viaIntent && r.has(fLicensed) {
		// L7: an uninstall intent reclaims the license (never a book's, L8)
		if e.fx.reclaim(e.d, ent, r, reclaimUninstall) {
			r.flags &^= fLicensed
		}
	}
	if !r.has(fPresent) {
		r.flags &^= fAdminUninstall | fUserUninstall
		e.actPassive(r)
		return
	}
	if r.intent&inRequired != 0 || r.has(fDependency) {
		// T8: never while a required assignment reaches the device (nor while
		// an app being installed needs it).
		r.flags &^= fAdminUninstall | fUserUninstall
		e.setState(r, mdm.StateInstalled, mdm.DetailUninstallBlockedByRequired)
		return
	}
	if e.waiting(r, wantUninstall) {
		return
	}
	r.flags &^= fAdminUninstall | fUserUninstall
	if v == viaRow7 && r.has(fLicensed) {
		if e.fx.reclaim(e.d, ent, r, reclaimUninstall) {
			r.flags &^= fLicensed
		}
	}
	e.send(r, mdm.CommandUninstall, v)
	if r.state != mdm.StateInstalled && r.state != mdm.StateUninstallFailed {
		e.setState(r, mdm.StateInstalled, mdm.DetailNone)
	}
}

// actPassive sets the state of a record the engine sends nothing for.
func (e *engine) actPassive(r *record) {
	ent := e.entry(r)
	in := r.intent
	offered := e.offered(r)
	if r.has(fPresent) {
		if in == 0 && !r.has(fManaged) && r.state == mdm.StateUnknown {
			// present, never targeted, not the service's: no status (T1)
			return
		}
		det := mdm.DetailNone
		if !r.has(fCurrent) {
			// T4: an available app the user installed from the portal is
			// updated; L9: VPP apps update for available assignments too.
			if offered && e.autoUpdates(r, ent, mdm.Available) {
				e.update(r, ent)
				return
			}
			det = mdm.DetailUpdateAvailable
		}
		if in&inUninstall != 0 && !r.has(fManaged) {
			det = mdm.DetailInstalledOutsideManagement // A10
		}
		e.setState(r, mdm.StateInstalled, det)
		return
	}
	switch {
	case r.blk == blkSuperseded:
		e.setState(r, mdm.StateNotApplicable, mdm.DetailSupersedingAppsDetected)
	case offered || in&inRequired != 0:
		if det := ent.app.Evaluate(&e.d.facts); det != mdm.DetailNone {
			e.setState(r, mdm.StateRequirementsNotMet, det)
			return
		}
		if (r.state == mdm.StateFailed && r.detail == mdm.DetailSeeInstallErrorCode) || r.state == mdm.StateNotInstalled {
			return // keep what the last attempt or removal said
		}
		if r.has(fWasInstalled) {
			e.setState(r, mdm.StateNotInstalled, r.detail)
			return
		}
		e.setState(r, mdm.StateAvailable, mdm.DetailNone)
	case in&inUninstall != 0:
		det := mdm.DetailNone
		if r.state == mdm.StateNotInstalled {
			det = r.detail
		}
		e.setState(r, mdm.StateNotInstalled, det)
	default:
		// no longer targeted: a status that says the app was removed stays
		// what it is until the record goes; others become notApplicable.
		if r.state != mdm.StateNotInstalled && (r.state != mdm.StateUnknown || r.keep()) {
			e.setState(r, mdm.StateNotApplicable, mdm.DetailNone)
		}
	}
}

// ---------------------------------------------------------------------------

// toTime converts engine nanoseconds back for callers.
func toTime(n int64) time.Time {
	if n == 0 || n == never {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
