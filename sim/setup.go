package sim

import (
	"context"
	"errors"
	"fmt"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
	"github.com/mdmkit/mdmkit/tenant"
)

// setup builds the tenant at time 0, as an admin would: the directory, the
// catalog, the store tokens and a first sync, then the assignments. Devices
// enroll later, each at its time.
func (s *sim) setup() error {
	ctx := context.Background()
	now := s.wall(0)
	s.apps = newAppTable(s.sc)
	for _, u := range s.f.users {
		if _, err := s.ten.PutUser(now, u); err != nil {
			return fmt.Errorf("sim: user %s: %w", u.ID, err)
		}
	}
	for _, gi := range groupOrder(s.sc.Fleet.Groups) {
		g := &s.sc.Fleet.Groups[gi]
		if _, err := s.ten.PutGroup(now, s.f.userGroup(g, gi)); err != nil {
			return s.setupError(idx("fleet.groups", gi), err)
		}
	}
	for a, spec := range s.apps.specs {
		if spec.Type.IsSynced() {
			continue
		}
		if _, err := s.ten.AddApp(now, spec.catalogApp()); err != nil {
			return s.setupError(idx("apps", a), err)
		}
		if err := s.fleet.AddApp(spec.ID); err != nil {
			return err
		}
	}
	if err := s.setupStores(ctx); err != nil {
		return err
	}
	for i := range s.sc.Assignments {
		as := &s.sc.Assignments[i]
		s.eventName = "assignment " + string(as.ID)
		if err := s.assign(as); err != nil {
			var short *license.ShortfallError
			if errors.As(err, &short) { // L14: a what-if may well be short of licenses
				s.m.refused(0, "assign "+string(as.ID), err)
				continue
			}
			return s.setupError(idx("assignments", i), err)
		}
	}
	s.checkPools("setup")
	s.schedule(s.nDev+slotSample, 0)
	s.schedule(s.nDev+slotSync, eventq.Time(s.pol.VPPSyncInterval))
	s.schedule(s.nDev+slotLicensePush, eventq.Time(licensePushEvery))
	if len(s.sc.Timeline) > 0 {
		s.schedule(s.nDev+slotTimeline, eventq.Time(s.sc.Timeline[0].At))
	}
	s.faultsAt = s.faultEdges()
	if len(s.faultsAt) > 0 {
		s.schedule(s.nDev+slotFaults, s.faultsAt[0])
	}
	s.schedulePush()
	return s.err
}

// setupError turns a tenant's refusal of the scenario's setup into a scenario
// error naming the field: the scenario asks for something the product does not
// allow (say, "available" on a device group for a VPP app, A4).
func (s *sim) setupError(field string, err error) error {
	fe := &FieldError{Field: field, Reason: "is refused by the tenant: " + err.Error(),
		Remedy: "change the scenario so that the product accepts it", Err: err}
	var ve *mdm.ValidationError
	if errors.As(err, &ve) {
		fe.Reason = "is refused by the tenant: " + ve.Field + " " + ve.Reason
		if ve.Rule != "" {
			fe.Reason += " (" + ve.Rule + ")"
		}
		fe.Remedy = ve.Remedy
	}
	return &ScenarioError{Errors: []*FieldError{fe}}
}

// groupOrder lists groups so that nested groups come before the groups that
// hold them (the tenant refuses a reference to a group it does not know).
func groupOrder(gs []GroupSpec) []int {
	index := map[mdm.GroupID]int{}
	for i, g := range gs {
		index[g.ID] = i
	}
	done := make([]bool, len(gs))
	var out []int
	var visit func(i int)
	visit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true
		for _, n := range gs[i].Groups {
			if k, ok := index[n]; ok {
				visit(k)
			}
		}
		out = append(out, i)
	}
	for i := range gs {
		visit(i)
	}
	return out
}

// assign makes an assignment of the scenario (setup or timeline).
func (s *sim) assign(as *AssignmentSpec) error {
	a, ok := s.apps.byID[as.App]
	if !ok || s.apps.catalog[a] == "" {
		return fmt.Errorf("app %s is not in the catalog (a store sync has not brought it)", as.App)
	}
	m, err := as.assignment(s.start)
	if err != nil {
		return err
	}
	m.App = s.apps.catalog[a]
	ch, err := s.ten.Assign(s.wall(s.now), m)
	if err != nil {
		return err
	}
	s.apps.count(int(a), m.Intent, m.Target.IsExclusion(), +1, s.now)
	s.afterChange(ch)
	return nil
}

// afterChange applies what an admin change asks: pushes, and for a device
// removed, nothing more (the scenario's devices are never removed).
func (s *sim) afterChange(ch tenant.Change) {
	s.notify(ch.Notify)
	s.m.licenseEffects += len(ch.Licenses)
}

// ---------------------------------------------------------------------------
// Global events.

func (s *sim) globalEvent(g int) {
	ctx := context.Background()
	slot := s.nDev + g
	switch g {
	case slotTimeline:
		for s.timeline < len(s.sc.Timeline) && eventq.Time(s.sc.Timeline[s.timeline].At) <= s.now {
			s.action(ctx, s.timeline)
			s.timeline++
		}
		if s.timeline < len(s.sc.Timeline) {
			s.schedule(slot, eventq.Time(s.sc.Timeline[s.timeline].At))
		} else {
			s.cancel(slot)
		}
	case slotSync:
		s.syncAll(ctx, "scheduled store sync")
		s.schedule(slot, s.now+eventq.Time(s.pol.VPPSyncInterval))
	case slotLicensePush:
		s.eventName = "license push"
		s.pushLicenses(ctx)
		s.schedule(slot, s.now+eventq.Time(licensePushEvery))
	case slotPush:
		s.eventName = "pushes due"
		s.pushBuf = s.ten.DuePushes(s.wall(s.now), s.pushBuf[:0])
		s.m.duePushes += uint64(len(s.pushBuf))
		s.notify(s.pushBuf)
		s.cancel(slot)
	case slotSample:
		s.eventName = "metrics sample"
		s.m.sample(s)
		s.schedule(slot, s.now+eventq.Time(s.sc.SampleInterval()))
	case slotFaults:
		s.runFaults(ctx)
		s.nextFault++
		if s.nextFault < len(s.faultsAt) {
			s.schedule(slot, s.faultsAt[s.nextFault])
		} else {
			s.cancel(slot)
		}
	}
	s.schedulePush()
}

func (s *sim) cancel(slot int) {
	if _, err := s.q.Cancel(slot); err != nil {
		s.fail(err)
	}
}

// schedulePush sets the push slot at the tenant's next due push (T2
// re-notifications, T3/T5/T14 wake-ups). It is called after every global
// event and after check-ins that may have moved it earlier (at most once a
// virtual minute).
func (s *sim) schedulePush() {
	s.pushAsked = s.now
	at, ok := s.ten.NextPush()
	if !ok {
		s.cancel(s.nDev + slotPush)
		return
	}
	t := max(eventq.Time(at.Sub(s.start)), s.now)
	if cur, pending := s.q.Pending(s.nDev + slotPush); !pending || cur != t {
		s.schedule(s.nDev+slotPush, t)
	}
}

// action runs timeline action k.
func (s *sim) action(ctx context.Context, k int) {
	a := &s.sc.Timeline[k]
	s.eventName = fmt.Sprintf("timeline[%d] %s", k, a.Action)
	now := s.wall(s.now)
	var err error
	var ch tenant.Change
	switch a.Action {
	case ActAssign:
		err = s.assign(a.Assignment)
	case ActUnassign:
		var old mdm.Assignment
		old, _ = s.ten.Assignment(a.ID)
		if ch, err = s.ten.Unassign(now, a.ID); err == nil {
			if ai, ok := s.apps.of(old.App); ok {
				s.apps.count(ai, old.Intent, old.Target.IsExclusion(), -1, s.now)
			}
		}
	case ActChangeIntent:
		old, _ := s.ten.Assignment(a.ID)
		if ch, err = s.ten.ChangeIntent(now, a.ID, *a.Intent); err == nil {
			if ai, ok := s.apps.of(old.App); ok {
				s.apps.count(ai, old.Intent, old.Target.IsExclusion(), -1, s.now)
				s.apps.count(ai, *a.Intent, old.Target.IsExclusion(), +1, s.now)
			}
		}
	case ActBuyLicenses, ActRefund:
		err = s.changeLicenses(a)
	case ActUsersLeave:
		n := a.Count
		if n == 0 {
			n = int(a.Share*float64(len(s.f.users)) + 0.5)
		}
		s.usersLeave(n)
	case ActNewVersion:
		err = s.newVersion(a)
	case ActSync:
		s.syncAll(ctx, s.eventName)
	}
	s.afterChange(ch)
	s.m.action(Duration(s.now), k, a, err)
	s.trace.word(uint64(k)<<1 | boolBit(err == nil))
	s.checkPools(s.eventName)
}

// changeLicenses buys or refunds licenses in the app's store; the next sync
// brings the new counts in (S1, L18).
func (s *sim) changeLicenses(a *ActionSpec) error {
	ai := s.apps.byID[a.App]
	spec := s.apps.specs[ai]
	t := s.stores.byID[spec.Store.Token]
	if t.vpp {
		asset := appleAsset(spec.product())
		if a.Action == ActRefund {
			return s.stores.apple.Refund(t.account, asset, a.Count)
		}
		return s.stores.apple.BuyLicenses(t.account, asset, a.Count)
	}
	key := msfbKey(spec.product())
	if a.Action == ActRefund {
		return s.stores.msfb.RefundSeats(t.account, s.wall(s.now), key, int64(a.Count))
	}
	return s.stores.msfb.BuySeats(t.account, s.wall(s.now), key, int64(a.Count))
}

// newVersion publishes a new version of an app added by hand (T4), or puts
// one of a VPP app in the App Store, for the next sync to bring (S1).
func (s *sim) newVersion(a *ActionSpec) error {
	ai := s.apps.byID[a.App]
	if storeVersioned(s.apps.specs[ai].Type) {
		s.apps.storeVersion[ai] = a.Version
		return nil
	}
	app, ok := s.ten.App(s.apps.catalog[ai])
	if !ok {
		return fmt.Errorf("app %s is not in the catalog", a.App)
	}
	app.Version = a.Version
	ch, err := s.ten.UpdateApp(s.wall(s.now), app)
	if err == nil {
		s.afterChange(ch)
	}
	return err
}

// usersLeave deletes n users who have not left yet, picked at random (L7, L15).
func (s *sim) usersLeave(n int) {
	left := s.m.usersLeftSet(len(s.f.users))
	var cand []int32
	for u := range s.f.users {
		if !has(left, u) {
			cand = append(cand, int32(u))
		}
	}
	for k := 0; k < n && len(cand) > 0; k++ {
		j := s.rngAct.IntN(len(cand))
		u := cand[j]
		cand[j] = cand[len(cand)-1]
		cand = cand[:len(cand)-1]
		s.userLeft(u)
	}
}

// userLeft deletes a user from the directory (a user who leaves the company):
// its licenses are reclaimed (L7, L15) and its devices lose what reached them
// through it.
func (s *sim) userLeft(u int32) {
	if u < 0 {
		return
	}
	left := s.m.usersLeftSet(len(s.f.users))
	if has(left, int(u)) {
		return
	}
	left[u/64] |= 1 << (u % 64)
	ch, err := s.ten.DeleteUser(s.wall(s.now), s.f.users[u].ID)
	if err != nil {
		s.fail(fmt.Errorf("delete user %s: %w", s.f.users[u].ID, err))
		return
	}
	if s.stores != nil {
		s.stores.dir.usersGone++ // its store records are no longer this service's (S6)
	}
	s.m.usersLeft++
	s.afterChange(ch)
}
