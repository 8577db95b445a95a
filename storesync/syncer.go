package storesync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
)

// Report is the outcome of one sync of one token: what the reconciliation changed,
// what the license push did, and how the read went.
type Report struct {
	Token  mdm.TokenID
	Store  mdm.StoreKind
	At     time.Time
	Result *Result     // nil when the sync failed before reconciling
	Push   *PushResult // nil when nothing was pushed
	// PagesRead is how many pages this sync read; PagesResumed how many it did not
	// have to read again because an earlier failed attempt had read them (S3).
	PagesRead, PagesResumed int
	// FullRead says the sync read every assignment (always, in the full mode;
	// see WithIncrementalSync for when an incremental syncer does), and Resync,
	// in the incremental mode, why it did.
	FullRead bool
	Resync   string
	Err      error
}

func (r *Report) String() string {
	s := fmt.Sprintf("%s %s at %s:", r.Store, r.Token, r.At.UTC().Format(time.RFC3339))
	if r.Err != nil {
		s += " failed: " + r.Err.Error()
	}
	if r.Result != nil {
		s += " " + r.Result.String()
	}
	if r.Push != nil {
		s += "; " + r.Push.String()
	}
	return s
}

// Job is one token's sync, run by a Runner: an *AppleSyncer or a *StoreForBusinessSyncer.
type Job interface {
	Token() mdm.TokenID
	Sync(ctx context.Context, now time.Time) *Report
}

// AppleOption configures an AppleSyncer.
type AppleOption func(*AppleSyncer)

// WithAppleNames names the catalog entries of assets (the API does not).
func WithAppleNames(n AppleNames) AppleOption { return func(s *AppleSyncer) { s.names = n } }

// WithAppleVersions gives the catalog entries of apps their App Store
// versions (the API does not carry them; books have none). A new version
// reaches the catalog at the next sync, and the devices holding an older one
// are updated (T4), unless their assignments prevent it where the token allows
// that (L9).
func WithAppleVersions(v AppleVersions) AppleOption { return func(s *AppleSyncer) { s.versions = v } }

// WithPolicy gives the syncer the tenant's policy: RefundRevokesNewestFirst
// decides whether licenses the store holds over its total after a refund, and the
// pool has no room for, are taken back at the store (L18).
func WithPolicy(p *mdm.Policy) AppleOption {
	return func(s *AppleSyncer) {
		if p != nil {
			s.refundRevokes = p.RefundRevokesNewestFirst
		}
	}
}

// WithMaxRestarts bounds how often one sync starts a paged read over because the
// versionId changed mid-read (S5).
func WithMaxRestarts(n int) AppleOption { return func(s *AppleSyncer) { s.maxRestarts = max(n, 0) } }

// AppleSyncer syncs one Apple token into a Sink and pushes the token's license
// changes to Apple. A sync:
//
//  1. refuses to run when the sink records a state that stops syncing (expired,
//     invalid, claimed by another service, duplicate: S4, L3), failing with a
//     *TokenStateError;
//  2. reads client/config: marks the token as this service's when no service has,
//     fails with assignedToExternalMDM when another service did (L3), binds the
//     token to its location and fails with duplicate when another token of the
//     tenant is bound to the same location (L3);
//  3. pushes the queued license changes (Enqueue);
//  4. reads every page of GET assets and GET assignments, resuming a read that an
//     earlier sync left part-way from its recorded page when the data set's
//     versionId has not changed (S3);
//  5. reconciles (Reconcile) with the push queue, so a release waiting to be pushed
//     is not imported again, and queues the licenses missing at the store;
//  6. records the last-sync status: inProgress at the start, completed or failed
//     with the reason at the end (S3).
//
// A failure before step 5 writes nothing to the catalog or the pools (S3). An
// error proving the token's state (9621, 9622, 9625, 401, another service's
// mdmInfo) records that state; licenses and apps stay as they are (S4).
//
// One sync runs at a time per syncer; Sync is safe to call from several goroutines.
type AppleSyncer struct {
	token       mdm.TokenID
	api         AppleAPI
	sink        Sink
	me          apple.MdmInfo
	names       AppleNames
	versions    AppleVersions
	maxRestarts int
	pusher      *Pusher
	// refundRevokes is Policy.RefundRevokesNewestFirst.
	refundRevokes bool

	mu      sync.Mutex
	assets  checkpoint[apple.ResponseAsset]
	assigns checkpoint[apple.Assignment]
	inc     *incState // the incremental mode's view; nil in the full mode
}

// NewAppleSyncer returns a syncer for token, talking to Apple through api as the
// service me (its mdmInfo: the api should be built with the same one, so that its
// reads fail with *apple.ClaimedError when another service claims the token).
// A nil api or sink, or one holding a nil pointer, is a *mdm.ValidationError
// wrapping mdm.ErrMissingField; a nil option is ignored.
func NewAppleSyncer(token mdm.TokenID, api AppleAPI, sink Sink, me apple.MdmInfo, opts ...AppleOption) (*AppleSyncer, error) {
	if err := mdm.CheckID("token", string(token)); err != nil {
		return nil, err
	}
	if me.ID == "" || me.Name == "" {
		return nil, &mdm.ValidationError{Field: "mdmInfo", Value: me.ID, Rule: "L3", Err: mdm.ErrMissingField,
			Reason: "needs an id and a name", Remedy: "name this service, so Apple can tell it from another that claims the token"}
	}
	if isNil(api) || isNil(sink) { // a nil *apple.Client too: its first use would panic
		return nil, &mdm.ValidationError{Field: "api", Rule: "S5", Err: mdm.ErrMissingField,
			Reason: "or sink is nil", Remedy: "pass an *apple.Client (or applefake.Direct) and the tenant"}
	}
	s := &AppleSyncer{token: token, api: api, sink: sink, me: me, maxRestarts: apple.DefaultMaxRestarts,
		pusher: NewPusher(token, api), refundRevokes: mdm.DefaultPolicy().RefundRevokesNewestFirst}
	for _, o := range opts {
		if o != nil {
			o(s)
		}
	}
	return s, nil
}

// Token is the token this syncer syncs.
func (s *AppleSyncer) Token() mdm.TokenID { return s.token }

// Pusher is the syncer's license push queue.
func (s *AppleSyncer) Pusher() *Pusher { return s.pusher }

// Enqueue queues license changes for the push.
// In the incremental mode the changes are also the syncer's news of the pools
// (WithIncrementalSync).
func (s *AppleSyncer) Enqueue(changes ...LicenseChange) error {
	if err := s.pusher.Enqueue(changes...); err != nil {
		return err
	}
	if s.inc != nil {
		s.inc.feed(changes)
	}
	return nil
}

// EnqueueLicenseChanges queues the changes drained from the tenant's pools
// (license.Pools.TakeChanges) that concern this syncer's token, and returns how
// many it queued. Changes of other tokens are left to their syncers.
//
// In the incremental mode the changes are also the syncer's news of the pools,
// except those NoteLicenseChanges gave it already (by their Seq).
func (s *AppleSyncer) EnqueueLicenseChanges(changes []license.Change) (int, error) {
	mine := s.mine(changes)
	if err := s.pusher.Enqueue(mine...); err != nil {
		return 0, err
	}
	if s.inc != nil {
		s.inc.feedNew(s.token, changes)
	}
	return len(mine), nil
}

// NoteLicenseChanges tells an incremental syncer (WithIncrementalSync) about
// changes of the token's pools without queueing them for the push, for a caller
// that gives them to EnqueueLicenseChanges later, at its own push; a sync before
// then finds them as a full sync would, waiting for no push (a grant missing at
// the store, a release's license still there). It returns how many concerned
// this token, and does nothing in the full mode.
func (s *AppleSyncer) NoteLicenseChanges(changes []license.Change) int {
	mine := s.mine(changes)
	if s.inc != nil {
		s.inc.note(changes, mine)
	}
	return len(mine)
}

// mine returns the associates and disassociates of this syncer's token.
func (s *AppleSyncer) mine(changes []license.Change) []LicenseChange {
	var out []LicenseChange
	for _, c := range changes {
		if lc, ok := FromLicenseChange(c); ok && c.Token == s.token {
			out = append(out, lc)
		}
	}
	return out
}

// Push sends the queued license changes now, outside a sync, if the token's state
// allows assigning licenses (valid or duplicate, L3). A token error records the
// state.
func (s *AppleSyncer) Push(ctx context.Context, now time.Time) (*PushResult, error) {
	st, ok := s.sink.TokenState(s.token)
	if !ok {
		return nil, unknownToken(s.token)
	}
	if !st.CanAssignLicenses() {
		return nil, &TokenStateError{Token: s.token, State: st}
	}
	res, err := s.pusher.Push(ctx)
	return res, s.recordTokenError(now, err)
}

func unknownToken(t mdm.TokenID) error {
	return &mdm.ValidationError{Field: "token", Value: string(t), Rule: "S3", Err: mdm.ErrInvalidID,
		Reason: "is not a token of the tenant", Remedy: "add the token to the tenant before syncing it"}
}

// recordTokenError records the token state an error proves, and returns the error
// as a *TokenStateError when it proves one.
func (s *AppleSyncer) recordTokenError(now time.Time, err error) error {
	if err == nil {
		return nil
	}
	var tse *TokenStateError
	if errors.As(err, &tse) {
		_ = s.sink.SetTokenState(now, s.token, tse.State)
		return err
	}
	if st, ok := apple.TokenState(err); ok {
		_ = s.sink.SetTokenState(now, s.token, st)
		return &TokenStateError{Token: s.token, State: st, Cause: err}
	}
	return err
}

// Sync runs one sync (see AppleSyncer) and returns its report; Report.Err is nil on
// success.
func (s *AppleSyncer) Sync(ctx context.Context, now time.Time) *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	rep := runSync(now, s.sink, s.token, mdm.StoreAppleVPP,
		func(rep *Report) error { return s.sync(ctx, now, rep) },
		func(err error) error { return tokenStateError(s.token, err) })
	if s.inc != nil && (errors.As(rep.Err, new(*TokenStateError)) || errors.As(rep.Err, new(*AccountSwitchError))) {
		// Another service may have had the token meanwhile (L3) and dropped
		// records: the next sync reads everything.
		s.inc.drop("a token or account error: " + rep.Err.Error())
	}
	return rep
}

// runSync runs one sync of a token between the steps every store shares: the token
// must be known and in a state that syncs (S4, L3); the last-sync status goes to
// inProgress, then to completed or failed with the reason (S3); an error that
// proves the token's state (classify turns the store's errors into a
// *TokenStateError) records that state.
func runSync(now time.Time, sink Sink, token mdm.TokenID, store mdm.StoreKind, body func(*Report) error,
	classify func(error) error) *Report {
	rep := &Report{Token: token, Store: store, At: now}
	st, ok := sink.TokenState(token)
	if !ok {
		rep.Err = unknownToken(token)
		return rep
	}
	if !st.CanSync() {
		rep.Err = &TokenStateError{Token: token, State: st}
		_ = sink.SetSyncStatus(now, token, mdm.SyncFailed, rep.Err.Error())
		return rep
	}
	if err := sink.SetSyncStatus(now, token, mdm.SyncInProgress, ""); err != nil {
		rep.Err = &SinkError{Op: "SetSyncStatus", Key: string(token), Err: err}
		return rep
	}
	if err := body(rep); err != nil {
		rep.Err = classify(err)
		var tse *TokenStateError
		if errors.As(rep.Err, &tse) {
			_ = sink.SetTokenState(now, token, tse.State)
		}
		_ = sink.SetSyncStatus(now, token, mdm.SyncFailed, rep.Err.Error())
		return rep
	}
	_ = sink.SetSyncStatus(now, token, mdm.SyncCompleted, "")
	return rep
}

func (s *AppleSyncer) sync(ctx context.Context, now time.Time, rep *Report) error {
	account, err := s.checkOwner(ctx, now)
	if err != nil {
		return err
	}
	if s.pusher.Len() > 0 || s.pusher.Outstanding() > 0 {
		push, err := s.pusher.Push(ctx)
		rep.Push = push
		if _, ok := apple.TokenState(err); ok || errors.Is(err, ErrTokenState) {
			return err
		}
		// Other push failures (rate limiting, 5xx) leave the changes queued; the
		// read goes on, and the queue keeps them from being undone by it.
	}
	var stats readStats
	defer func() { rep.PagesRead, rep.PagesResumed = stats.read, stats.resumed }()
	var res *Result
	var snap *Snapshot
	if s.inc != nil {
		res, snap, err = s.syncIncremental(ctx, now, account, rep, &stats)
	} else {
		res, snap, err = s.syncFull(ctx, now, account, rep, &stats)
	}
	rep.Result = res
	if err != nil {
		return err
	}
	var fix []LicenseChange
	for _, h := range res.MissingAtStore {
		fix = append(fix, LicenseChange{Token: s.token, Product: h.Product, Serial: h.Serial, ClientUserID: h.ClientUserID})
	}
	// L18 at the store: after a refund the store may hold more of this service's
	// licenses than its total, some of which the pool has no room for. With the
	// newest-first policy those go back too, so the store returns within its
	// total and holds what the pool holds.
	if s.refundRevokes {
		for _, h := range res.NotImported {
			if i, ok := snap.product(h.Product); ok && snap.Products[i].OverTotal && snap.Products[i].Revocable {
				fix = append(fix, LicenseChange{Token: s.token, Product: h.Product, Serial: h.Serial, ClientUserID: h.ClientUserID, Disassociate: true})
				res.RevokedAtStore = append(res.RevokedAtStore, h)
			}
		}
	}
	return s.pusher.Enqueue(fix...)
}

// syncFull reads every asset and every assignment and reconciles them (the full
// mode).
func (s *AppleSyncer) syncFull(ctx context.Context, now time.Time, account string, rep *Report, stats *readStats) (*Result, *Snapshot, error) {
	if err := s.readAssets(ctx, stats); err != nil {
		return nil, nil, err
	}
	err := read(ctx, &s.assigns, apple.EndpointAssignments, s.maxRestarts, stats,
		func(ctx context.Context, i int) (*apple.AssignmentsResponse, error) {
			return s.api.AssignmentsPage(ctx, apple.AssignmentsQuery{}, i)
		})
	if err != nil {
		return nil, nil, err
	}
	rep.FullRead = true
	snap, err := s.snapshot(account, s.assigns.items)
	if err != nil {
		return nil, nil, err
	}
	s.assets.reset()
	s.assigns.reset()
	res, err := Reconcile(now, s.sink, snap, s.pusher.Pending)
	return res, snap, err
}

// snapshot builds the snapshot of the assets read and the assignments given,
// its entries named (WithAppleNames) and versioned (WithAppleVersions).
func (s *AppleSyncer) snapshot(account string, assignments []apple.Assignment) (*Snapshot, error) {
	snap := AppleSnapshot(s.token, account, s.assets.items, assignments, s.names)
	if s.versions == nil {
		return snap, nil
	}
	err := setVersions(snap, s.versions, func() (map[mdm.AppID]string, error) {
		apps, err := s.sink.SyncedApps(s.token)
		if err != nil {
			return nil, &SinkError{Op: "SyncedApps", Key: string(s.token), Err: err}
		}
		have := make(map[mdm.AppID]string, len(apps))
		for i := range apps {
			have[apps[i].ID] = apps[i].Version
		}
		return have, nil
	})
	return snap, err
}

// readAssets reads every page of GET assets. A completed listing from a failed
// attempt may be stale by now; assets are few, so it is read again. An
// unfinished read resumes from its page (S3).
func (s *AppleSyncer) readAssets(ctx context.Context, stats *readStats) error {
	if s.assets.done {
		s.assets.reset()
	}
	return read(ctx, &s.assets, apple.EndpointAssets, s.maxRestarts, stats,
		func(ctx context.Context, i int) (*apple.AssetsResponse, error) {
			return s.api.AssetsPage(ctx, apple.AssetsQuery{}, i)
		})
}

// checkOwner reads client/config: it claims a token no service manages yet, refuses
// one another service claimed (L3), binds the token to its location and refuses a
// duplicate (L3). It returns the store account ("apple:" + location uId).
func (s *AppleSyncer) checkOwner(ctx context.Context, now time.Time) (string, error) {
	cc, err := s.api.ClientConfig(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case cc.MdmInfo == nil:
		if cc, err = s.api.SetClientConfig(ctx, apple.ClientConfigRequest{MdmInfo: &s.me}); err != nil {
			return "", err
		}
	case !cc.MdmInfo.SameService(s.me):
		return "", &TokenStateError{Token: s.token, State: mdm.TokenAssignedToExternalMDM,
			Cause: &apple.ClaimedError{Endpoint: apple.EndpointClientConfig, Expected: s.me, Found: *cc.MdmInfo}}
	}
	if cc.UID == "" {
		return "", &apple.DecodeError{Endpoint: apple.EndpointClientConfig, StatusCode: 200, Reason: "no uId (location) in the answer"}
	}
	account := "apple:" + cc.UID
	bound, ok := s.sink.StoreAccount(s.token)
	if ok && bound != account {
		return "", &AccountSwitchError{Token: s.token, Associated: bound, Reported: account}
	}
	if other, ok := s.sink.TokenOfStoreAccount(account); ok && other != s.token {
		return "", &TokenStateError{Token: s.token, State: mdm.TokenDuplicate,
			Cause: fmt.Errorf("token %s already syncs location %s", other, cc.UID)}
	}
	if !ok {
		if err := s.sink.BindStoreAccount(now, s.token, account); err != nil {
			return "", &SinkError{Op: "BindStoreAccount", Key: account, Err: err}
		}
	}
	return account, nil
}

// TakeBack takes control of a token another service claimed (L3): it sets this
// service's mdmInfo through client/config and records the token as valid again.
// The next sync finds what the other service removed (MissingAtStore) and pushes
// it back.
func (s *AppleSyncer) TakeBack(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.sink.TokenState(s.token); !ok {
		return unknownToken(s.token)
	}
	if _, err := s.api.SetClientConfig(ctx, apple.ClientConfigRequest{MdmInfo: &s.me}); err != nil {
		return s.recordTokenError(now, err)
	}
	if s.inc != nil {
		s.inc.drop("the token was taken back (L3)") // the other service may have dropped records
	}
	return s.sink.SetTokenState(now, s.token, mdm.TokenValid)
}
