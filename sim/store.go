package sim

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/sim/eventq"
	"github.com/mdmkit/mdmkit/storesync"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
	"github.com/mdmkit/mdmkit/storesync/msfb"
	"github.com/mdmkit/mdmkit/tenant"
)

// The stores of a run: Apple's Apps and Books service (applefake's Core, called
// in process through its Direct adapter with virtual time) and the Store for
// Business (msfb's Core through its Connector), synced into the tenant by
// storesync's syncers exactly as a deployment's runner would, on the policy's
// schedule (S1).

// me is the simulated service's identity at Apple (L3).
var me = apple.MdmInfo{ID: "mdmkit-sim", Name: "mdmkit fleet simulator"}

// msfbSku is the SKU of every Store for Business product of a scenario.
const msfbSku = "0001"

type stores struct {
	dir    directorySink // the tenant, as the Apple syncers see it
	apple  *applefake.Core
	msfb   *msfb.Core
	tokens []*storeToken // stores.vpp in order, then stores.storeForBusiness
	byID   map[mdm.TokenID]*storeToken
	lic    []license.Change // reused buffer for the license push
	noted  []license.Change // taken at a sync for the syncers' view, waiting for the next push
}

// directorySink is the tenant as a sync's Sink, with the counters of
// storesync.DirectoryChanges: an incremental syncer looks the owners of the
// store's records up again only when a device or a user left the directory.
// The simulator makes every such change itself (userLeft; devices are never
// removed), so it counts them here.
type directorySink struct {
	*tenant.Tenant
	usersGone uint64
}

var _ storesync.DirectoryChanges = (*directorySink)(nil)

func (d *directorySink) DirectoryRemovals() (devices, users uint64) { return 0, d.usersGone }

// storeToken is one token and its syncer.
type storeToken struct {
	id      mdm.TokenID
	vpp     bool
	account string // Apple location uId, Store for Business tenant id
	sToken  string // Apple's token text; never printed (L1)
	// noPrevent: assignments may not prevent automatic updates (L9)
	noPrevent bool
	apple     *storesync.AppleSyncer
	job       storesync.Job
	// fault windows of the token
	outages    []window
	rateLimits []window
	// claimed by another service since (L3), and when the admin takes it back
	claimedBy string
}

type window struct {
	from, to eventq.Time
	status   int
	retry    time.Duration
}

func (w window) covers(t eventq.Time) bool { return w.from <= t && t < w.to }

// fault returns the window in force at t, if any: an outage before a rate limit.
func (t *storeToken) fault(at eventq.Time) (window, bool, bool) {
	for _, w := range t.outages {
		if w.covers(at) {
			return w, true, false
		}
	}
	for _, w := range t.rateLimits {
		if w.covers(at) {
			return w, false, true
		}
	}
	return window{}, false, false
}

// setupStores creates the stores and their tokens, buys the scenario's
// licenses, registers the tokens with the tenant and runs the first sync, which
// brings the synced apps into the catalog.
func (s *sim) setupStores(ctx context.Context) error {
	sc := s.sc
	st := &stores{dir: directorySink{Tenant: s.ten}, apple: applefake.NewCore(applefake.Config{EventLatency: time.Duration(sc.Stores.AppleEventLatency)}),
		msfb: msfb.NewCore(), byID: map[mdm.TokenID]*storeToken{}}
	s.stores = st
	now := s.wall(0)
	for _, v := range sc.Stores.VPP {
		loc := st.apple.AddLocation(cmp.Or(v.Location, string(v.ID)))
		exp := time.Duration(v.ExpiresAfter)
		if exp == 0 {
			exp = s.pol.TokenLifetime
		}
		sToken, err := st.apple.IssueToken(loc, now.Add(exp))
		if err != nil {
			return err
		}
		t := &storeToken{id: v.ID, vpp: true, account: loc, sToken: sToken,
			noPrevent: v.AllowPreventAutoUpdate != nil && !*v.AllowPreventAutoUpdate}
		st.tokens = append(st.tokens, t)
		st.byID[v.ID] = t
	}
	for _, b := range sc.Stores.StoreForBusiness {
		t := &storeToken{id: b.ID, account: st.msfb.AddAccount()}
		st.tokens = append(st.tokens, t)
		st.byID[b.ID] = t
	}
	for a, spec := range s.apps.specs {
		if spec.Store == nil {
			continue
		}
		t := st.byID[spec.Store.Token]
		if err := s.addProduct(t, spec, now); err != nil {
			return fmt.Errorf("sim: apps[%d]: buying %s in its store: %w", a, spec.ID, err)
		}
	}
	for _, o := range sc.Faults.StoreOutages {
		st.byID[o.Token].outages = append(st.byID[o.Token].outages,
			window{from: eventq.Time(o.From), to: eventq.Time(o.To), status: cmp.Or(o.Status, 503)})
	}
	for _, r := range sc.Faults.RateLimits {
		st.byID[r.Token].rateLimits = append(st.byID[r.Token].rateLimits,
			window{from: eventq.Time(r.From), to: eventq.Time(r.To), retry: cmp.Or(time.Duration(r.RetryAfter), time.Minute)})
	}
	for _, t := range st.tokens {
		if _, err := s.ten.AddToken(now, t.id); err != nil {
			return fmt.Errorf("sim: token %s: %w", t.id, err)
		}
		if t.vpp {
			// The admin uploads the sToken: the tenant learns its expDate (L1).
			tok, err := license.ParseToken(t.sToken)
			if err != nil {
				return fmt.Errorf("sim: token %s: %w", t.id, err)
			}
			if _, err := s.ten.SetTokenExpiry(now, t.id, tok.ExpDate()); err != nil {
				return fmt.Errorf("sim: token %s: %w", t.id, err)
			}
			if t.noPrevent {
				if _, err := s.ten.SetTokenUpdatePrevention(now, t.id, false); err != nil {
					return fmt.Errorf("sim: token %s: %w", t.id, err)
				}
			}
			api := &faultyApple{s: s, t: t}
			names := func(adamID string) (string, string, bool) { return s.apps.nameOfProduct(t.id, adamID) }
			versions := func(adamID string, typ mdm.AppType) (string, bool) { return s.apps.versionOfProduct(t.id, adamID, typ) }
			// Incremental (S5 sinceVersionId): every pool change reaches the
			// syncer before each sync (noteLicenseChanges), as the mode needs.
			syncer, err := storesync.NewAppleSyncer(t.id, api, &s.stores.dir, me, storesync.WithAppleNames(names), storesync.WithAppleVersions(versions),
				storesync.WithIncrementalSync(0))
			if err != nil {
				return err
			}
			t.apple, t.job = syncer, syncer
			continue
		}
		syncer, err := storesync.NewStoreForBusinessSyncer(t.id, &faultyMSfB{s: s, t: t}, s.ten, storesync.DefaultLanguage)
		if err != nil {
			return err
		}
		t.job = syncer
	}
	s.syncAll(ctx, "initial store sync")
	for a, spec := range s.apps.specs {
		if spec.Store != nil && s.apps.catalog[a] == "" {
			return fmt.Errorf("sim: apps[%d] %s: the first store sync did not bring it into the catalog: %s",
				a, spec.ID, s.m.lastSyncError(spec.Store.Token))
		}
	}
	return nil
}

// addProduct buys app spec's licenses in its store.
func (s *sim) addProduct(t *storeToken, spec *AppSpec, now time.Time) error {
	st := s.stores
	if t.vpp {
		platform := "iOS"
		if spec.Type == mdm.AppTypeMacOSVPP {
			platform = "macOS"
		}
		as := applefake.AssetSpec{AdamID: spec.product(), ProductType: apple.ProductApp, DeviceAssignable: true,
			Revocable: true, SupportedPlatforms: []string{platform}, Total: spec.Store.Licenses}
		if spec.Type.IsBook() {
			as.ProductType, as.DeviceAssignable, as.Revocable, as.SupportedPlatforms = apple.ProductBook, false, false, []string{"iOS", "macOS"}
		}
		return st.apple.AddAsset(t.account, as)
	}
	lt := msfb.Offline
	if spec.Store.Licensing == mdm.LicenseOnline {
		lt = msfb.Online
	}
	return st.msfb.AddProduct(t.account, now, msfb.ProductSpec{Key: msfbKey(spec.product()),
		License: lt, Seats: int64(spec.Store.Licenses), Names: map[string]string{"en-us": spec.displayName()}, Publisher: "Contoso"})
}

func appleAsset(product string) apple.Asset { return apple.Asset{AdamID: product} }

func msfbKey(product string) msfb.ProductKey {
	return msfb.ProductKey{ProductID: product, SkuID: msfbSku}
}

// nameOfProduct names a VPP asset for the catalog, as Apple's content lookup
// would.
func (t *appTable) nameOfProduct(token mdm.TokenID, adamID string) (string, string, bool) {
	for _, a := range t.specs {
		if a.Store != nil && a.Store.Token == token && a.product() == adamID {
			return a.displayName(), "Contoso", true
		}
	}
	return "", "", false
}

// versionOfProduct is the App Store version of the VPP app of a token's
// asset for one platform family, as Apple's content lookup would give it
// (storesync.WithAppleVersions).
func (t *appTable) versionOfProduct(token mdm.TokenID, adamID string, typ mdm.AppType) (string, bool) {
	for i, a := range t.specs {
		if a.Store != nil && a.Store.Token == token && a.product() == adamID && a.Type == typ && storeVersioned(typ) {
			return t.storeVersion[i], true
		}
	}
	return "", false
}

// syncAll syncs every token now, in scenario order, then binds the synced apps
// to the scenario's and checks the pools (L18).
func (s *sim) syncAll(ctx context.Context, why string) {
	now := s.wall(s.now)
	s.eventName = why
	// The pools' changes since the last push reach the incremental syncers'
	// view first (NoteLicenseChanges); they wait for the next push, as they did
	// for a full sync, so the sync finds what a full one would.
	s.noteLicenseChanges()
	for _, t := range s.stores.tokens {
		rep := t.job.Sync(ctx, now)
		s.m.sync(s.now, t.id, rep)
		s.trace.word(uint64(len(t.id))<<8 | boolBit(rep.Err == nil))
	}
	s.bindSynced()
	s.checkPools(why)
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// bindSynced finds the catalog ids store sync gave the scenario's synced apps.
func (s *sim) bindSynced() {
	for _, t := range s.stores.tokens {
		apps, err := s.ten.SyncedApps(t.id)
		if err != nil {
			continue
		}
		for a, spec := range s.apps.specs {
			if spec.Store == nil || spec.Store.Token != t.id || s.apps.catalog[a] != "" {
				continue
			}
			want := storesync.AppleProductID(appleAsset(spec.product()))
			if !t.vpp {
				want = storesync.StoreForBusinessProductID(msfbKey(spec.product()))
			}
			for _, app := range apps {
				if app.Origin.ProductID == want && app.Type == spec.Type {
					s.apps.bind(a, app.ID)
					if err := s.fleet.AddApp(app.ID); err != nil {
						s.fail(err)
					}
					if app.Type.IsBook() {
						if err := s.fleet.MarkBook(app.ID); err != nil {
							s.fail(err)
						}
					}
				}
			}
		}
	}
}

// pushLicenses drains the tenant's license grants and reclaims and pushes them
// to Apple (S5), as a deployment does soon after they happen.
func (s *sim) pushLicenses(ctx context.Context) {
	st := s.stores
	if err := s.feedLicenseChanges(); err != nil {
		s.fail(err)
		return
	}
	for _, t := range st.tokens {
		if t.apple == nil {
			continue
		}
		p := t.apple.Pusher()
		if p.Len() == 0 && p.Outstanding() == 0 {
			continue
		}
		res, err := t.apple.Push(ctx, s.wall(s.now))
		s.m.push(res, err)
	}
}

// feedLicenseChanges drains the tenant's license grants and reclaims into the
// Apple syncers' push queues, those a sync took first included.
func (s *sim) feedLicenseChanges() error {
	st := s.stores
	st.lic = s.ten.TakeLicenseChanges(append(st.lic[:0], st.noted...))
	clear(st.noted)
	st.noted = st.noted[:0]
	if len(st.lic) == 0 {
		return nil
	}
	for _, t := range st.tokens {
		if t.apple != nil {
			if _, err := t.apple.EnqueueLicenseChanges(st.lic); err != nil {
				return err
			}
		}
	}
	return nil
}

// noteLicenseChanges drains the tenant's license grants and reclaims into the
// Apple syncers' view (storesync.AppleSyncer.NoteLicenseChanges) and keeps them
// for the next push.
func (s *sim) noteLicenseChanges() {
	st := s.stores
	n := len(st.noted)
	st.noted = s.ten.TakeLicenseChanges(st.noted)
	for _, t := range st.tokens {
		if t.apple != nil && len(st.noted) > n {
			t.apple.NoteLicenseChanges(st.noted[n:])
		}
	}
}

// claim lets another service claim a VPP token (L3), and take back schedules
// the admin taking it back.
func (s *sim) claim(c *ClaimSpec) {
	t := s.stores.byID[c.Token]
	by := cmp.Or(c.By, "Other MDM")
	other := apple.MdmInfo{ID: "other-" + strings.ToLower(strings.ReplaceAll(by, " ", "-")), Name: by}
	if err := s.stores.apple.ClaimToken(t.sToken, other, c.LoseRecords); err != nil {
		s.fail(err)
		return
	}
	t.claimedBy = by
	s.m.claims++
}

func (s *sim) takeBack(ctx context.Context, c *ClaimSpec) {
	t := s.stores.byID[c.Token]
	err := t.apple.TakeBack(ctx, s.wall(s.now))
	s.m.takeBack(err)
	if err == nil {
		t.claimedBy = ""
	}
}

// faultEdges lists the times a fault starts or ends, for the faults slot.
func (s *sim) faultEdges() []eventq.Time {
	var out []eventq.Time
	for _, c := range s.sc.Faults.TokenClaims {
		out = append(out, eventq.Time(c.At))
		if c.TakeBackAfter != nil {
			out = append(out, eventq.Time(c.At+*c.TakeBackAfter))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// runFaults applies the claims and take-backs due at now.
func (s *sim) runFaults(ctx context.Context) {
	now := Duration(s.now)
	for i := range s.sc.Faults.TokenClaims {
		c := &s.sc.Faults.TokenClaims[i]
		if c.At == now {
			s.eventName = "token " + string(c.Token) + " claimed by " + cmp.Or(c.By, "Other MDM")
			s.claim(c)
		}
		if c.TakeBackAfter != nil && c.At+*c.TakeBackAfter == now {
			s.eventName = "token " + string(c.Token) + " taken back"
			s.takeBack(ctx, c)
		}
	}
}

// faultyApple is the Apple API of a token as the store behaves at the current
// virtual time: applefake's Direct adapter, through an outage or rate-limit
// script while a window is in force.
type faultyApple struct {
	s *sim
	t *storeToken
	// one adapter per behaviour, made on first use
	ok, down, limited *applefake.Direct
}

var _ storesync.AppleAPI = (*faultyApple)(nil)

func (f *faultyApple) api() *applefake.Direct {
	now := func() time.Time { return f.s.wall(f.s.now) }
	w, out, lim := f.t.fault(f.s.now)
	switch {
	case out:
		if f.down == nil {
			fs := applefake.NewFaults()
			for _, ep := range apple.Endpoints() {
				_ = fs.Add(ep, applefake.Fault{Kind: applefake.FaultStatus, Status: w.status, Times: math.MaxInt32})
			}
			f.down = applefake.NewDirect(f.s.stores.apple, f.t.sToken, now, applefake.WithMdmInfo(me), applefake.WithFaults(fs))
		}
		return f.down
	case lim:
		if f.limited == nil {
			fs := applefake.NewFaults()
			for _, ep := range apple.Endpoints() {
				_ = fs.Add(ep, applefake.Fault{Kind: applefake.FaultRateLimit, RetryAfter: w.retry, Times: math.MaxInt32})
			}
			f.limited = applefake.NewDirect(f.s.stores.apple, f.t.sToken, now, applefake.WithMdmInfo(me), applefake.WithFaults(fs))
		}
		return f.limited
	}
	if f.ok == nil {
		f.ok = applefake.NewDirect(f.s.stores.apple, f.t.sToken, now, applefake.WithMdmInfo(me))
	}
	return f.ok
}

func (f *faultyApple) ClientConfig(ctx context.Context) (*apple.ClientConfig, error) {
	return f.api().ClientConfig(ctx)
}

func (f *faultyApple) SetClientConfig(ctx context.Context, req apple.ClientConfigRequest) (*apple.ClientConfig, error) {
	return f.api().SetClientConfig(ctx, req)
}

func (f *faultyApple) Limits(ctx context.Context) (apple.BatchLimits, error) {
	return f.api().Limits(ctx)
}

func (f *faultyApple) AssetsPage(ctx context.Context, q apple.AssetsQuery, page int) (*apple.AssetsResponse, error) {
	return f.api().AssetsPage(ctx, q, page)
}

func (f *faultyApple) AssignmentsPage(ctx context.Context, q apple.AssignmentsQuery, page int) (*apple.AssignmentsResponse, error) {
	return f.api().AssignmentsPage(ctx, q, page)
}

func (f *faultyApple) Associate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error) {
	return f.api().Associate(ctx, req)
}

func (f *faultyApple) Disassociate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error) {
	return f.api().Disassociate(ctx, req)
}

func (f *faultyApple) CreateUsers(ctx context.Context, req apple.ManageUsersRequest) ([]apple.EventResponse, error) {
	return f.api().CreateUsers(ctx, req)
}

func (f *faultyApple) EventStatus(ctx context.Context, id string) (*apple.StatusResponse, error) {
	return f.api().EventStatus(ctx, id)
}

// faultyMSfB is the Store for Business connection of a token as the store
// behaves at the current virtual time.
type faultyMSfB struct {
	s                 *sim
	t                 *storeToken
	ok, down, limited *msfb.Connector
}

var _ storesync.StoreForBusinessAPI = (*faultyMSfB)(nil)

func (f *faultyMSfB) api() *msfb.Connector {
	w, out, lim := f.t.fault(f.s.now)
	mk := func(kind msfb.FaultKind) *msfb.Connector {
		fs := msfb.NewFaults()
		for _, op := range []string{msfb.OpInventory, msfb.OpProductDetails, msfb.OpLocalizedDetails, msfb.OpSeats, msfb.OpBulkSeats} {
			_ = fs.Add(op, msfb.Fault{Kind: kind, Status: w.status, RetryAfter: w.retry, Times: math.MaxInt32})
		}
		return msfb.NewConnector(f.s.stores.msfb, f.t.account, msfb.WithFaults(fs))
	}
	switch {
	case out:
		if f.down == nil {
			f.down = mk(msfb.FaultStatus)
		}
		return f.down
	case lim:
		if f.limited == nil {
			f.limited = mk(msfb.FaultRateLimit)
		}
		return f.limited
	}
	if f.ok == nil {
		f.ok = msfb.NewConnector(f.s.stores.msfb, f.t.account)
	}
	return f.ok
}

func (f *faultyMSfB) Account() string { return f.t.account }

func (f *faultyMSfB) InventoryPage(ctx context.Context, tok string, n int) (*msfb.InventoryResultSet, error) {
	return f.api().InventoryPage(ctx, tok, n)
}

func (f *faultyMSfB) ProductDetails(ctx context.Context, key msfb.ProductKey) (*msfb.ProductDetails, error) {
	return f.api().ProductDetails(ctx, key)
}

func (f *faultyMSfB) LocalizedDetails(ctx context.Context, key msfb.ProductKey, lang string) (*msfb.LocalizedProductDetail, error) {
	return f.api().LocalizedDetails(ctx, key, lang)
}

func (f *faultyMSfB) SeatsPage(ctx context.Context, key msfb.ProductKey, tok string, n int) (*msfb.SeatDetailsResultSet, error) {
	return f.api().SeatsPage(ctx, key, tok, n)
}
