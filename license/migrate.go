package license

import (
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Migrate moves one device of a VPP app from user licensing to device licensing
// (L4). It is allowed only for required assignments (intent mdm.Required): a
// migration from device to user licensing never happens, books take user
// licensing only, and an available assignment keeps its user license; each is
// refused with an error wrapping ErrMigration, and nothing changes.
//
// r names the user (User) whose license covers the device (Device, Serial). The
// device is taken off the user's license and granted a device license; when it
// was the last device the user's license covered, that license is reclaimed
// first, so the move needs no free license. Otherwise it needs one: without it
// the migration is refused (Device.Outcome Refused) and nothing changes.
func (ps *Pools) Migrate(now time.Time, key PoolKey, r Request, to mdm.LicenseType, intent mdm.Intent) (Migration, error) {
	p, err := ps.Pool(key)
	if err != nil {
		return Migration{}, err
	}
	return p.Migrate(now, r, to, intent)
}

// Migrate is Pools.Migrate on this pool.
func (p *Pool) Migrate(now time.Time, r Request, to mdm.LicenseType, intent mdm.Intent) (Migration, error) {
	switch {
	case p.kind == VPPBook:
		return Migration{}, invalid("to", to.String(), "L4", ErrMigration, "is not possible for a book: books take user licensing only",
			"keep the book on user licensing")
	case p.kind != VPPApp:
		return Migration{}, invalid("pool", p.kind.String(), "L4", ErrPoolKind, "has no license types to migrate between",
			"only VPP apps move between user and device licensing")
	case to == mdm.LicenseUser:
		return Migration{}, invalid("to", to.String(), "L4", ErrMigration, "is refused: a migration from device to user licensing never happens",
			"create a new user-licensed assignment if the app must follow the user")
	case to != mdm.LicenseDevice:
		return Migration{}, invalid("to", to.String(), "L4", mdm.ErrUnknownEnum, "is not a license type to migrate to", "use mdm.LicenseDevice")
	case intent != mdm.Required:
		return Migration{}, invalid("intent", intent.String(), "L4", ErrMigration,
			"is refused: user licensing moves to device licensing only for required assignments",
			"make the assignment required, or keep user licensing")
	case r.User == "" || r.Device == "":
		return Migration{}, missing("request.user and request.device", "L4", "a migration moves one device of one user")
	}
	if r.Serial != "" {
		if err := mdm.CheckID("request.serial", r.Serial); err != nil {
			return Migration{}, err
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deleted {
		return Migration{}, unknownPool(p.key)
	}
	var m Migration
	m.User = Result{Key: p.key, Outcome: NotHeld, Reason: Migrated, Holder: Holder{Kind: UserHolder, ID: string(r.User)}, Device: r.Device}
	u := p.lookup(UserHolder, string(r.User))
	if u == none || !p.recs[u].held || !covers(&p.cold[u], r.Device) {
		m.User.Stats = p.stats()
		m.Device = m.User
		m.Device.Outcome, m.Device.Holder = NotHeld, Holder{Kind: DeviceHolder, ID: string(r.Device)}
		return m, nil
	}
	last := len(p.cold[u].devs) == 1
	d, err := p.intern(DeviceHolder, string(r.Device), &r)
	if err != nil {
		return Migration{}, err
	}
	dev := r
	dev.License = mdm.LicenseDevice
	held := p.recs[d].held
	switch {
	case held:
		// The device keeps the license it has: no license changes hands.
	case !last:
		// The user keeps the license for other devices: the device needs a free one.
		if p.assigned >= p.total || !p.tok.state().CanAssignLicenses() {
			m.Device = p.grantRefusal(d)
			m.User.Outcome = NotHeld
			m.User.Stats = m.Device.Stats
			return m, nil
		}
	case !p.tok.state().CanAssignLicenses() || p.assigned > p.total:
		m.Device = p.grantRefusal(d)
		m.User.Stats = m.Device.Stats
		return m, nil
	}
	m.User = p.reclaimDevice(now, u, r.Device, !held)
	if held {
		m.Device = p.result(d, AlreadyHeld)
	} else {
		p.grant(now, d, &dev, false, &m.Device)
	}
	m.User.Stats = p.stats()
	m.User.Reason = Migrated
	return m, nil
}

func covers(h *recCold, dev mdm.DeviceID) bool {
	for _, d := range h.devs {
		if d == string(dev) {
			return true
		}
	}
	return false
}

// reclaimDevice takes one device off a user license, reclaiming the license when
// it was the last. With handover the device takes that license next; without,
// it has one of its own and the user's goes back to the pool.
func (p *Pool) reclaimDevice(now time.Time, u int32, dev mdm.DeviceID, handover bool) Result {
	h, c := &p.recs[u], &p.cold[u]
	if len(c.devs) == 1 && !handover {
		// A release like any other: it wakes a waiter and moves the alert (L5, L10).
		var r Result
		p.release(now, u, Migrated, nil, &r)
		r.Device = dev
		return r
	}
	if len(c.devs) == 1 {
		// The device takes this very license next: no waiter is woken and no
		// alert moves, as the count ends where it started.
		h.held = false
		c.devs = c.devs[:0]
		p.assigned--
		p.unlinkGrant(u)
		if !p.cancel(h.pending) {
			p.record(now, Disassociate, u, Migrated)
		}
		h.pending = 0
		r := p.result(u, Reclaimed)
		r.Reason, r.Device = Migrated, dev
		return r
	}
	for j, d := range c.devs {
		if d == string(dev) {
			c.devs = append(c.devs[:j], c.devs[j+1:]...)
			break
		}
	}
	r := p.result(u, Uncovered)
	r.Reason, r.Device = Migrated, dev
	return r
}

// grantRefusal is the refusal a grant to rec i would get now, without putting it
// on the waiting list.
func (p *Pool) grantRefusal(i int32) Result {
	res := p.result(i, Refused)
	switch st := p.tok.state(); {
	case !st.CanAssignLicenses():
		res.Refusal, res.Token = TokenNotUsable, st
	case p.assigned > p.total:
		res.Refusal = Overage
	case p.blocksOversubscription():
		res.Refusal = Shortfall
	default:
		res.Refusal = Unavailable
	}
	return res
}
