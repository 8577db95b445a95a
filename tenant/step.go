package tenant

import (
	"github.com/mdmkit/mdmkit/mdm"
)

// step is the full evaluation of one check-in of one device, the slow path of
// CheckIn: take in a fresh resolution (when ts is not nil), the results of
// earlier commands, the inventory and the user's portal requests, then decide.
// The report has been validated. It returns the time from which a check-in must
// run the full evaluation again and the time the service wants the device to
// check in (never when none).
func (e *engine) step(ts []target, fresh bool, r *mdm.Report) {
	d := e.d
	e.prevIn = d.lastIn
	d.lastIn = e.now
	if fresh {
		d.applyTargets(e.cat, ts)
	}
	for i := range r.Results {
		e.applyResult(&r.Results[i])
	}
	e.applyInventory(r.Inventory)
	for i := range r.Requests {
		e.applyRequest(&r.Requests[i])
	}
	d.ensureDeps(e.cat)
	e.evaluate()
	d.gc(e.fx)
}

// applyInventory takes in the device's inventory (complete at every check-in).
// Catalog apps present get a record even when nothing targets them: presence is
// what dependencies, supersedence and A10 read. Apps outside the catalog are
// none of the service's business.
func (e *engine) applyInventory(inv []mdm.InstalledApp) {
	d := e.d
	cat := e.cat
	// mark with the scratch field: 1 = present, 2 = present and current
	for k := range d.recs {
		d.recs[k].want = 0
	}
	d.fpReset()
	// A merge walk: records and inventory are both sorted by app id, so most
	// items find their record by comparing with the next one. An item without a
	// record, or an inventory out of order, takes the map and a binary search.
	j := 0
	for i := range inv {
		it := &inv[i]
		recs := d.recs
		// Equality first: the item is usually the next record, and its id
		// usually the catalog's own string, which == settles by pointer
		// while < compares the bytes.
		if j >= len(recs) || cat.apps[recs[j].app].id != it.App {
			for j < len(recs) && cat.apps[recs[j].app].id < it.App {
				j++
			}
		}
		var p int
		var ent *appEntry
		if j < len(recs) && cat.apps[recs[j].app].id == it.App {
			p, ent = j, cat.apps[recs[j].app]
		} else {
			var ok bool
			if ent, ok = cat.lookup(it.App); !ok {
				d.fpAdd(-1)
				continue
			}
			p = d.ensure(cat, ent.idx)
		}
		j = p + 1
		m := want(1)
		cur := cat.keys[ent.idx].upToDate(it.Version)
		if cur {
			m = 2
		}
		d.recs[p].want = m
		d.fpAdd(fingerprint(ent.idx, cur))
	}
	d.fpDone()
	for k := range d.recs {
		r := &d.recs[k]
		m := r.want
		r.want = wantNone
		e.applyPresence(r, m != 0, m == 2)
	}
}

// reportValid checks what mdm.Report.Validate checks, without building a
// string on the way: ids that are the ids of the device's records are known
// valid, other ids are checked with mdm.CheckID, and a strictly sorted inventory
// has no app twice. It returns false when it is not sure (an inventory out of
// order, a bad id, an unknown enum); the caller then runs Validate for the
// verdict and its error.
func (d *deviceState) reportValid(cat *catalog, r *mdm.Report) bool {
	recs := d.recs
	j := 0
	inv := r.Inventory
	matched := false // inv[i-1] is the id of a record
	for i := range inv {
		id := inv[i].App
		// The item is usually the next record (== settles the catalog's own
		// string by pointer). Two items that are records' ids are in order,
		// as the records are strictly sorted; any other pair is compared.
		if j < len(recs) && cat.apps[recs[j].app].id == id {
			if i > 0 && !matched && !(inv[i-1].App < id) {
				return false
			}
			matched = true
			j++
			continue
		}
		if i > 0 && !(inv[i-1].App < id) {
			return false
		}
		for j < len(recs) && cat.apps[recs[j].app].id < id {
			j++
		}
		if j < len(recs) && cat.apps[recs[j].app].id == id {
			matched = true
			j++
			continue
		}
		matched = false
		if mdm.CheckID("", string(id)) != nil {
			return false
		}
	}
	for i := range r.Results {
		res := &r.Results[i]
		if res.Kind == 0 || res.Kind > mdm.CommandUpdate || res.Outcome == 0 || res.Outcome > mdm.OutcomeNotNow ||
			mdm.CheckID("", string(res.App)) != nil {
			return false
		}
	}
	for i := range r.Requests {
		q := &r.Requests[i]
		if q.Action == 0 || q.Action > mdm.PortalUninstall || mdm.CheckID("", string(q.App)) != nil {
			return false
		}
	}
	return true
}

// applyRequest takes in one portal request (L6, T6, T7).
func (e *engine) applyRequest(q *mdm.PortalRequest) {
	refuse := func(err error, rule string) {
		e.out.Refused = append(e.out.Refused, RefusedRequest{Request: *q,
			Err: &RequestError{App: q.App, Action: q.Action, Rule: rule, Err: err}})
	}
	ent, ok := e.cat.lookup(q.App)
	if !ok {
		refuse(mdm.ErrUnknownApp, "T7")
		return
	}
	p, ok := e.d.find(e.cat, ent.id)
	if !ok || !e.offered(&e.d.recs[p]) {
		refuse(ErrNotOffered, "T7")
		return
	}
	r := &e.d.recs[p]
	switch q.Action {
	case mdm.PortalInstall:
		if r.has(fPresent) {
			refuse(ErrAlreadyInstalled, "T7")
			return
		}
		if c := e.d.cmd(r); c != nil {
			// T6: an install that made no progress for the stuck threshold may be
			// restarted by the user; the old command is forgotten.
			if e.now-c.sentAt < int64(e.pol.StuckInstallThreshold) {
				refuse(ErrInstallInProgress, "T6")
				return
			}
			e.d.endCmd(r)
		}
		r.flags |= fPortalWant
		r.nextTry = 0
	case mdm.PortalUninstall:
		switch {
		case !r.has(fPresent):
			refuse(ErrNotInstalled, "T7")
		case r.intent&inRequired != 0:
			refuse(ErrUninstallNotAllowed, "T8")
		case !ent.portalUninstall:
			refuse(ErrUninstallNotAllowed, "T7")
		case r.pending():
			refuse(ErrInstallInProgress, "T7")
		default:
			r.flags |= fUserUninstall
			r.nextTry = 0
		}
	}
}
