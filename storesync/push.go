package storesync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
)

// LicenseChange is one license change the tenant's pools recorded for the store
// (CONTRACTS §3): associate (or, with Disassociate, disassociate) a product's
// license with a device's serial number or a user's clientUserId.
type LicenseChange struct {
	Token        mdm.TokenID
	Product      string
	Serial       string
	ClientUserID string
	Disassociate bool
}

// FromLicenseChange converts a change drained from the tenant's pools
// (license.Pools.TakeChanges). ok is false for a change that is neither an
// associate nor a disassociate.
func FromLicenseChange(c license.Change) (LicenseChange, bool) {
	if c.Op != license.Associate && c.Op != license.Disassociate {
		return LicenseChange{}, false
	}
	return LicenseChange{Token: c.Token, Product: c.Product, Serial: c.SerialNumber, ClientUserID: c.ClientUserID,
		Disassociate: c.Op == license.Disassociate}, true
}

func (c LicenseChange) holding() Holding {
	return Holding{Product: c.Product, Serial: c.Serial, ClientUserID: c.ClientUserID}
}

func (c LicenseChange) String() string {
	op := "associate "
	if c.Disassociate {
		op = "disassociate "
	}
	return op + c.holding().String()
}

// DefaultMaxPushAttempts bounds how often a change that keeps failing with a
// retryable error (rate limiting, server errors, no answer) is sent before it is
// reported as failed for good.
const DefaultMaxPushAttempts = 8

// Pusher applies license changes to Apple for one token, in batches within the
// service/config limits (S5). Changes wait in a queue, one per (product, subject):
// a later change replaces an earlier one, so the store ends in the state the pools
// were last in. A change the store refused for a reason that may pass (rate
// limiting, 5xx, no answer) stays queued for the next push; one it refused for good
// is reported in PushResult.Failures. Manage requests are asynchronous: their
// events are checked on later pushes, and failures inside them are reported the
// same way. It is safe for concurrent use.
type Pusher struct {
	token       mdm.TokenID
	api         AppleAPI
	apiErr      error // api is nil: every Push fails with it
	maxAttempts int

	mu         sync.Mutex
	queue      map[Holding]*queued
	events     []sentEvent
	inflight   map[Holding]LicenseChange // the changes of events not finished yet
	registered map[string]bool           // clientUserIds known to be registered with Apple

	// track records what finished events prove about the store (landed), for an
	// incremental syncer's view of it; off for a pusher used alone.
	track  bool
	proved backlog[landedPair]
}

// landedPair is what a finished event proves: the store holds the pair (an
// associate done, or one already assigned) or does not (a disassociate done, one
// not associated, or an associate refused for good: the store only refuses a pair
// it does not hold).
type landedPair struct {
	h       Holding
	present bool
}

type queued struct {
	change   LicenseChange
	attempts int
	lastErr  string
}

type sentEvent struct {
	id     string
	change []LicenseChange // every pair the request named
}

// NewPusher returns a pusher for one token. With a nil api (or one holding a nil
// pointer) the queue works, but every Push fails with a *mdm.ValidationError
// wrapping mdm.ErrMissingField and sends nothing.
func NewPusher(token mdm.TokenID, api AppleAPI) *Pusher {
	p := &Pusher{token: token, api: api, maxAttempts: DefaultMaxPushAttempts,
		queue: map[Holding]*queued{}, inflight: map[Holding]LicenseChange{}, registered: map[string]bool{}}
	if isNil(api) {
		p.apiErr = &mdm.ValidationError{Field: "api", Rule: "S5", Err: mdm.ErrMissingField,
			Reason: "is nil", Remedy: "make the pusher with an *apple.Client (or applefake.Direct)"}
	}
	return p
}

// Enqueue adds changes to the queue. A change of another token, or one naming both
// or neither subject, is refused with a *mdm.ValidationError and nothing is queued.
func (p *Pusher) Enqueue(changes ...LicenseChange) error {
	for i, c := range changes {
		field := func() string { return fmt.Sprintf("changes[%d]", i) } // only on error: Enqueue runs per license change
		switch {
		case c.Token != p.token:
			return &mdm.ValidationError{Field: field() + ".token", Value: string(c.Token), Rule: "S5", Err: mdm.ErrInvalidID,
				Reason: "is not this pusher's token " + string(p.token), Remedy: "give each token's changes to its own syncer"}
		case (c.Serial == "") == (c.ClientUserID == ""):
			return &mdm.ValidationError{Field: field(), Value: c.Product, Rule: "S5", Err: mdm.ErrMissingField,
				Reason: "names both or neither of serialNumber and clientUserId", Remedy: "name exactly one subject"}
		}
		if mdm.CheckID("product", c.Product) != nil {
			return mdm.CheckID(field()+".product", c.Product)
		}
		if mdm.CheckID("subject", c.holding().Subject()) != nil {
			return mdm.CheckID(field()+".subject", c.holding().Subject())
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range changes {
		p.queue[c.holding()] = &queued{change: c}
	}
	return nil
}

// Pending reports whether a change for the holding waits in the queue or in an
// event not yet finished, and which. It is the PendingFunc a Syncer reconciles
// with.
func (p *Pusher) Pending(h Holding) (disassociate, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if q, ok := p.queue[h]; ok {
		return q.change.Disassociate, true
	}
	if c, ok := p.inflight[h]; ok {
		return c.Disassociate, true
	}
	return false, false
}

// Len is how many changes wait in the queue.
func (p *Pusher) Len() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.queue) }

// Queued returns the waiting changes in a fixed order.
func (p *Pusher) Queued() []LicenseChange {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sortedLocked()
}

func (p *Pusher) sortedLocked() []LicenseChange {
	out := make([]LicenseChange, 0, len(p.queue))
	for _, q := range p.queue {
		out = append(out, q.change)
	}
	slices.SortFunc(out, compareChanges)
	return out
}

func compareChanges(a, b LicenseChange) int {
	return cmp.Or(cmpBool(a.Disassociate, b.Disassociate), cmp.Compare(a.Product, b.Product),
		cmpBool(a.ClientUserID != "", b.ClientUserID != ""), cmp.Compare(a.holding().Subject(), b.holding().Subject()))
}

// PushResult is what one push did.
type PushResult struct {
	Sent     int           // changes accepted by the store in this push
	Events   []string      // the eventIds of the requests sent
	Done     int           // changes whose events finished without failure
	Failures []PushFailure // changes the store refused for good
	Waiting  int           // changes still queued for a later push
}

// PushFailure is a change the store refused for good: its number says why (9709 not
// enough licenses, 9628 not device-assignable, 9607 irrevocable, ...).
type PushFailure struct {
	Change LicenseChange
	Err    error
}

func (f PushFailure) String() string { return f.Change.String() + ": " + f.Err.Error() }

// Push checks the events of earlier pushes, then sends the queued changes: user
// registrations first (users/create; associating a license with an unregistered
// user fails with 9609), then disassociations, then associations, one request per
// product and subject kind, split within the service/config limits. It stops at an
// error that concerns every request (token state, rate limiting or server errors
// that outlived the client's retries), leaving the rest queued, and returns that
// error; a *TokenStateError means the caller should record the state. A pusher
// without an api (NewPusher) fails with the changes left queued.
func (p *Pusher) Push(ctx context.Context) (*PushResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	res := &PushResult{}
	if p.apiErr != nil {
		res.Waiting = len(p.queue)
		return res, p.apiErr
	}
	if err := p.checkEventsLocked(ctx, res); err != nil {
		res.Waiting = len(p.queue)
		return res, err
	}
	err := p.sendLocked(ctx, res)
	if err == nil {
		// Events often finish at once; read them now rather than a push later.
		err = p.checkEventsLocked(ctx, res)
	}
	res.Waiting = len(p.queue)
	return res, err
}

func (p *Pusher) sendLocked(ctx context.Context, res *PushResult) error {
	changes := p.sortedLocked()
	// One change per pair at a time: a change for a pair whose earlier change is
	// still in flight waits for its event. Apple processes requests
	// asynchronously, so a disassociate and an associate of one pair in flight
	// together could land in either order; waiting keeps the store's last
	// change the pools' last change.
	if len(p.inflight) > 0 {
		changes = slices.DeleteFunc(changes, func(c LicenseChange) bool {
			_, busy := p.inflight[c.holding()]
			return busy
		})
	}
	if len(changes) == 0 {
		return nil
	}
	lim, err := p.api.Limits(ctx)
	if err != nil {
		return p.stop(err)
	}
	if err := p.registerLocked(ctx, changes, lim, res); err != nil {
		return err
	}
	// Group by (op, product, subject kind); changes are sorted that way.
	for lo := 0; lo < len(changes); {
		hi := lo + 1
		for hi < len(changes) && sameGroup(changes[lo], changes[hi]) {
			hi++
		}
		if err := p.sendGroupLocked(ctx, changes[lo:hi], lim, res); err != nil {
			return err
		}
		lo = hi
	}
	return nil
}

func sameGroup(a, b LicenseChange) bool {
	return a.Disassociate == b.Disassociate && a.Product == b.Product && (a.ClientUserID != "") == (b.ClientUserID != "")
}

// registerLocked registers the users of queued associations that this pusher has not
// seen registered. A user already registered (9716) counts as registered.
func (p *Pusher) registerLocked(ctx context.Context, changes []LicenseChange, lim apple.BatchLimits, res *PushResult) error {
	var users []apple.RequestUser
	seen := map[string]bool{}
	for _, c := range changes {
		if !c.Disassociate && c.ClientUserID != "" && !p.registered[c.ClientUserID] && !seen[c.ClientUserID] {
			seen[c.ClientUserID] = true
			users = append(users, apple.RequestUser{ClientUserID: c.ClientUserID})
		}
	}
	if len(users) == 0 {
		return nil
	}
	batches, err := apple.SplitManageUsers(apple.ManageUsersRequest{Users: users}, lim)
	if err != nil {
		return err
	}
	for _, b := range batches {
		if _, err := p.api.CreateUsers(ctx, b); err != nil {
			return p.stop(err)
		}
		// The event reports 9716 for users that exist already: either way the
		// user is registered now.
		for _, u := range b.Users {
			p.registered[u.ClientUserID] = true
		}
	}
	return nil
}

func (p *Pusher) sendGroupLocked(ctx context.Context, group []LicenseChange, lim apple.BatchLimits, res *PushResult) error {
	first := group[0]
	req := apple.ManageAssetsRequest{Assets: []apple.Asset{AppleAsset(first.Product)}}
	for _, c := range group {
		if c.ClientUserID != "" {
			req.ClientUserIDs = append(req.ClientUserIDs, c.ClientUserID)
		} else {
			req.SerialNumbers = append(req.SerialNumbers, c.Serial)
		}
	}
	batches, err := apple.SplitManageAssets(req, lim)
	if err != nil {
		return err
	}
	send := p.api.Associate
	if first.Disassociate {
		send = p.api.Disassociate
	}
	at := 0 // index in group of the first change of the batch
	for _, b := range batches {
		n := len(b.SerialNumbers) + len(b.ClientUserIDs)
		part := group[at : at+n]
		at += n
		events, err := send(ctx, b)
		var claimed *apple.ClaimedError
		switch {
		case err == nil || errors.As(err, &claimed) && len(events) > 0:
			tracked := false
			for _, ev := range events {
				if mdm.CheckID("eventId", ev.EventID) != nil {
					continue // nobody can ask the store about it
				}
				p.events = append(p.events, sentEvent{id: ev.EventID, change: slices.Clone(part)})
				res.Events = append(res.Events, ev.EventID)
				tracked = true
			}
			if !tracked {
				// No event to follow, so the changes would stay in flight for
				// ever: whether the store applied them is unknown. They stay
				// queued and go again at the next push (both operations are
				// idempotent at the store, L19), a bounded number of times.
				p.retryLocked(part, &apple.DecodeError{Endpoint: endpointOf(first), StatusCode: 200,
					Reason: "the store accepted the request without an eventId to follow"}, res)
				if err != nil {
					return p.stop(err)
				}
				continue
			}
			for _, c := range part {
				p.inflight[c.holding()] = c
			}
			for _, c := range part {
				delete(p.queue, c.holding())
			}
			res.Sent += len(part)
			if err != nil {
				return p.stop(err) // accepted, but the token is another service's now (L3)
			}
		default:
			if _, retry := apple.Retryable(err); retry {
				p.retryLocked(part, err, res)
				return p.stop(err)
			}
			if _, ok := apple.TokenState(err); ok {
				return p.stop(err)
			}
			// Refused for good as a whole (9604 not owned, 9628, 9607, ...).
			for _, c := range part {
				res.Failures = append(res.Failures, PushFailure{Change: c, Err: err})
				delete(p.queue, c.holding())
			}
		}
	}
	return nil
}

// retryLocked counts one more failed attempt of each queued change of part, and
// reports those that reached the maximum as failed for good.
func (p *Pusher) retryLocked(part []LicenseChange, err error, res *PushResult) {
	for _, c := range part {
		if q := p.queue[c.holding()]; q != nil {
			q.attempts++
			q.lastErr = err.Error()
			if q.attempts >= p.maxAttempts {
				res.Failures = append(res.Failures, PushFailure{Change: c, Err: err})
				delete(p.queue, c.holding())
			}
		}
	}
}

func endpointOf(c LicenseChange) apple.Endpoint {
	if c.Disassociate {
		return apple.EndpointDisassociate
	}
	return apple.EndpointAssociate
}

// stop turns an error that ends a push into the error Push returns.
func (p *Pusher) stop(err error) error { return tokenStateError(p.token, err) }

// checkEventsLocked reads the status of unfinished events. Failures inside an event
// that mean nothing is left to do (9616 already assigned, 9619 not associated) count
// as done; 9609 (user not registered) and 9603 go back to the queue; the rest are
// reported.
func (p *Pusher) checkEventsLocked(ctx context.Context, res *PushResult) error {
	keep := p.events[:0]
	var stopErr error
	for i, ev := range p.events {
		if stopErr != nil {
			keep = append(keep, p.events[i:]...)
			break
		}
		st, err := p.api.EventStatus(ctx, ev.id)
		if err != nil {
			if errors.Is(err, apple.ErrNotFound) {
				// The store forgot the event: send its changes again; both
				// operations are idempotent at the store (L19). Whether its
				// releases were applied is unknown: take them as not.
				p.landed(ev)
				p.requeueLocked(ev.change)
				for _, c := range ev.change {
					if c.Disassociate {
						p.land(c.holding(), true)
					}
				}
				continue
			}
			stopErr = p.stop(err)
			keep = append(keep, ev)
			continue
		}
		if !st.Done() {
			keep = append(keep, ev)
			continue
		}
		p.landed(ev)
		failed := map[Holding]apple.ErrorResponse{}
		for _, f := range st.Failures {
			if f.ErrorInfo == nil {
				continue
			}
			for _, a := range f.ErrorInfo.Assets {
				prod := AppleProductID(a)
				for _, s := range f.ErrorInfo.SerialNumbers {
					failed[Holding{Product: prod, Serial: s}] = f
				}
				for _, u := range f.ErrorInfo.ClientUserIDs {
					failed[Holding{Product: prod, ClientUserID: u}] = f
				}
			}
		}
		for _, c := range ev.change {
			f, bad := failed[c.holding()]
			switch {
			case !bad, errors.Is(f.ErrorNumber, apple.ErrLicenseAlreadyAssigned), errors.Is(f.ErrorNumber, apple.ErrLicenseNotAssociated):
				res.Done++
				p.land(c.holding(), !c.Disassociate)
			case errors.Is(f.ErrorNumber, apple.ErrRegisteredUserNotFound):
				delete(p.registered, c.ClientUserID)
				p.requeueLocked([]LicenseChange{c})
			case errors.Is(f.ErrorNumber, apple.ErrInternal):
				p.requeueLocked([]LicenseChange{c})
				if c.Disassociate {
					p.land(c.holding(), true) // not applied: the store still holds it
				}
			default:
				res.Failures = append(res.Failures, PushFailure{Change: c, Err: f.Err()})
				if !c.Disassociate {
					p.land(c.holding(), false)
				}
			}
		}
	}
	p.events = keep
	return stopErr
}

// land records what a finished event proved about a pair, when tracking.
func (p *Pusher) land(h Holding, present bool) {
	if p.track {
		p.proved.add(landedPair{h: h, present: present})
	}
}

// takeLanded appends what finished events proved since the last call to dst, in
// the order they were read; lost says some was forgotten (maxBacklog).
func (p *Pusher) takeLanded(dst []landedPair) (_ []landedPair, lost bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.proved.take(dst)
}

// inflightChanges lists the changes sent whose events have not finished: the
// store may or may not have applied them yet.
func (p *Pusher) inflightChanges(dst []LicenseChange) []LicenseChange {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.inflight {
		dst = append(dst, c)
	}
	return dst
}

// landed forgets an event's changes as in flight.
func (p *Pusher) landed(ev sentEvent) {
	for _, c := range ev.change {
		if p.inflight[c.holding()] == c {
			delete(p.inflight, c.holding())
		}
	}
}

// requeueLocked puts changes back unless a newer change for the same holding waits.
func (p *Pusher) requeueLocked(changes []LicenseChange) {
	for _, c := range changes {
		if _, newer := p.queue[c.holding()]; !newer {
			p.queue[c.holding()] = &queued{change: c, attempts: 1}
		}
	}
}

// Outstanding is how many sent requests wait for their event to finish.
func (p *Pusher) Outstanding() int { p.mu.Lock(); defer p.mu.Unlock(); return len(p.events) }

// String summarises the result.
func (r *PushResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "push: %d sent in %d requests, %d done, %d failed, %d waiting", r.Sent, len(r.Events), r.Done, len(r.Failures), r.Waiting)
	for i, f := range r.Failures {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(r.Failures)-i)
			break
		}
		b.WriteString("; ")
		b.WriteString(f.String())
	}
	return b.String()
}
