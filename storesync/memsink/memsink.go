package memsink

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// ErrRefused is wrapped by every refused call.
var ErrRefused = errors.New("memsink: refused")

func refused(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrRefused}, args...)...)
}

// PoolKey names a pool.
type PoolKey struct {
	Token   mdm.TokenID
	Product string
}

// Pool is a pool's state.
type Pool struct {
	Kind           license.Kind // from the app that made the pool; it never changes
	Book           bool         // Kind is license.VPPBook: books are never revoked (L8)
	Total, Retired int
	Serials        []string // sorted
	Users          []string // sorted clientUserIds
	// Refunded is set when the store lowered the total below what was held: the
	// one way a pool may hold more than its total (L18).
	Refunded bool
	order    []holder // holders, oldest grant or import first
}

type holder struct {
	user    bool
	subject string
}

// Assigned is how many licenses are held.
func (p *Pool) Assigned() int { return len(p.Serials) + len(p.Users) }

// Overage is how many more licenses are held than the total (L18: only after the
// store lowered the total).
func (p *Pool) Overage() int { return max(0, p.Assigned()-p.Total) }

// Change is a license change recorded for the push to the store.
type Change struct {
	Token        mdm.TokenID
	Product      string
	Serial       string
	ClientUserID string
	Disassociate bool
}

// Token is a token's record.
type Token struct {
	State    mdm.TokenState
	Status   mdm.SyncStatus
	Detail   string
	StatusAt time.Time
	Account  string
	Statuses []mdm.SyncStatus // every status set, in order
}

// Sink is the in-memory sink.
type Sink struct {
	mu           sync.Mutex
	apps         map[mdm.AppID]mdm.App
	referenced   map[mdm.AppID]int // assignments per app (tests set them)
	serials      map[string]mdm.DeviceID
	devSerial    map[mdm.DeviceID]string
	clientIDs    map[string]mdm.UserID
	userClient   map[mdm.UserID]string
	pools        map[PoolKey]*Pool
	tokens       map[mdm.TokenID]*Token
	accounts     map[string]mdm.TokenID
	changes      []Change
	writes       int // every successful write, so a test can tell that a call changed nothing
	revokeNewest bool
	lastKey      PoolKey
	lastPool     *Pool
	failOn       map[string]error
	// devicesGone and usersGone count removals from the directory
	// (storesync.DirectoryChanges).
	devicesGone, usersGone uint64
}

// New returns an empty sink.
func New() *Sink {
	return &Sink{apps: map[mdm.AppID]mdm.App{}, referenced: map[mdm.AppID]int{}, serials: map[string]mdm.DeviceID{},
		devSerial: map[mdm.DeviceID]string{}, clientIDs: map[string]mdm.UserID{}, userClient: map[mdm.UserID]string{},
		pools: map[PoolKey]*Pool{}, tokens: map[mdm.TokenID]*Token{}, accounts: map[string]mdm.TokenID{}, failOn: map[string]error{},
		revokeNewest: mdm.DefaultPolicy().RefundRevokesNewestFirst}
}

// AddToken adds a valid token that has never synced.
func (s *Sink) AddToken(t mdm.TokenID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[t] = &Token{}
}

// AddDevice makes a device known by its serial number (S6).
func (s *Sink) AddDevice(d mdm.DeviceID, serial string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serials[serial], s.devSerial[d] = d, serial
}

// AddUser makes a user known by the clientUserId this service registered (S6).
func (s *Sink) AddUser(u mdm.UserID, clientUserID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clientIDs[clientUserID], s.userClient[u] = u, clientUserID
}

// RemoveDevice forgets a device: its serial number is no longer this service's
// (S6). Its licenses stay in the pools, as the tenant keeps them (L7).
func (s *Sink) RemoveDevice(d mdm.DeviceID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if serial, ok := s.devSerial[d]; ok {
		delete(s.serials, serial)
		delete(s.devSerial, d)
		s.devicesGone++
	}
}

// RemoveUser forgets a user: its clientUserId is no longer this service's (S6).
func (s *Sink) RemoveUser(u mdm.UserID) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.userClient[u]; ok {
		delete(s.clientIDs, id)
		delete(s.userClient, u)
		s.usersGone++
	}
}

// DirectoryRemovals implements storesync.DirectoryChanges: how many devices and
// users were removed so far.
func (s *Sink) DirectoryRemovals() (devices, users uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.devicesGone, s.usersGone
}

// Reference records n more (n < 0: fewer) assignments targeting an app: a
// referenced app gone from the store is kept (S2).
func (s *Sink) Reference(app mdm.AppID, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.referenced[app] += n
	if s.referenced[app] <= 0 {
		delete(s.referenced, app)
	}
}

// FailOn makes the named method fail with err from now on (nil: stop failing).
func (s *Sink) FailOn(method string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		delete(s.failOn, method)
	} else {
		s.failOn[method] = err
	}
}

func (s *Sink) fail(method string) error { return s.failOn[method] }

// Writes counts the successful writes so far.
func (s *Sink) Writes() int { s.mu.Lock(); defer s.mu.Unlock(); return s.writes }

// Grant gives a device (serial) or a user (clientUserID) a license of a pool, as
// the tenant's pools do at a check-in, and records the associate change for the
// push. A pool at its total refuses (L5, L18); holding one already is done (L19).
func (s *Sink) Grant(key PoolKey, serial, clientUserID string) (granted bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, list, subject, i, found, err := s.find(key, serial, clientUserID)
	if err != nil || found {
		return false, err
	}
	if p.Assigned() >= p.Total {
		return false, refused("pool %v: no license available (%d of %d held)", key, p.Assigned(), p.Total)
	}
	*list = slices.Insert(*list, i, subject)
	p.order = append(p.order, holder{clientUserID != "", subject})
	s.changes = append(s.changes, Change{Token: key.Token, Product: key.Product, Serial: serial, ClientUserID: clientUserID})
	s.writes++
	return true, nil
}

// Release takes a license back and records the disassociate change. Books are
// never reclaimed (L8).
func (s *Sink) Release(key PoolKey, serial, clientUserID string) (released bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, _, _, found, err := s.find(key, serial, clientUserID)
	if err != nil {
		return false, err
	}
	if p.Book {
		return false, refused("pool %v: a book license is never reclaimed (L8)", key)
	}
	if !found {
		return false, nil
	}
	s.release(key, p, holder{clientUserID != "", cmp.Or(clientUserID, serial)}, true)
	return true, nil
}

// Drop forgets a license without recording a change: how a tenant takes back a
// grant the store refused (9709 not enough licenses), which the store never had.
func (s *Sink) Drop(key PoolKey, serial, clientUserID string) (dropped bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, _, _, found, err := s.find(key, serial, clientUserID)
	if err != nil || !found {
		return false, err
	}
	s.release(key, p, holder{clientUserID != "", cmp.Or(clientUserID, serial)}, false)
	return true, nil
}

func (s *Sink) release(key PoolKey, p *Pool, h holder, record bool) {
	list := &p.Serials
	if h.user {
		list = &p.Users
	}
	if i, ok := slices.BinarySearch(*list, h.subject); ok {
		*list = slices.Delete(*list, i, i+1)
	}
	if i := slices.Index(p.order, h); i >= 0 {
		p.order = slices.Delete(p.order, i, i+1)
	}
	if record {
		c := Change{Token: key.Token, Product: key.Product, Disassociate: true}
		if h.user {
			c.ClientUserID = h.subject
		} else {
			c.Serial = h.subject
		}
		s.changes = append(s.changes, c)
	}
	s.writes++
}

// find locates a subject's place in a pool's holder list.
func (s *Sink) find(key PoolKey, serial, clientUserID string) (p *Pool, list *[]string, subject string, i int, found bool, err error) {
	p = s.pools[key]
	if p == nil {
		return nil, nil, "", 0, false, refused("no pool %v", key)
	}
	if (serial == "") == (clientUserID == "") {
		return nil, nil, "", 0, false, refused("name exactly one of serial and clientUserId")
	}
	list, subject = &p.Serials, serial
	if clientUserID != "" {
		list, subject = &p.Users, clientUserID
	}
	i, found = slices.BinarySearch(*list, subject)
	return p, list, subject, i, found, nil
}

// TakeChanges drains the recorded license changes, oldest first.
func (s *Sink) TakeChanges() []Change {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.changes
	s.changes = nil
	return out
}

// PendingChanges is how many recorded changes wait to be drained.
func (s *Sink) PendingChanges() int { s.mu.Lock(); defer s.mu.Unlock(); return len(s.changes) }

// Pool returns a copy of a pool.
func (s *Sink) Pool(key PoolKey) (Pool, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[key]
	if p == nil {
		return Pool{}, false
	}
	c := *p
	c.Serials, c.Users, c.order = slices.Clone(p.Serials), slices.Clone(p.Users), slices.Clone(p.order)
	return c, true
}

// PoolKeys lists the pools, sorted.
func (s *Sink) PoolKeys() []PoolKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PoolKey, 0, len(s.pools))
	for k := range s.pools {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b PoolKey) int {
		return cmp.Or(cmp.Compare(a.Token, b.Token), cmp.Compare(a.Product, b.Product))
	})
	return out
}

// Token returns a copy of a token's record.
func (s *Sink) Token(t mdm.TokenID) (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tokens[t]
	if r == nil {
		return Token{}, false
	}
	c := *r
	c.Statuses = slices.Clone(r.Statuses)
	return c, true
}

// Apps lists every app, sorted by id.
func (s *Sink) Apps() []mdm.App {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]mdm.App, 0, len(s.apps))
	for _, a := range s.apps {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b mdm.App) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// SyncedApps implements storesync.Catalog.
func (s *Sink) SyncedApps(token mdm.TokenID) ([]mdm.App, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("SyncedApps"); err != nil {
		return nil, err
	}
	var out []mdm.App
	for _, a := range s.apps {
		if a.Origin.Token == token {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b mdm.App) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// UpsertSyncedApp implements storesync.Catalog: the store's facts replace the app's,
// categories and requirements stay.
func (s *Sink) UpsertSyncedApp(now time.Time, app mdm.App) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("UpsertSyncedApp"); err != nil {
		return err
	}
	if err := mdm.ValidateApp(&app, mdm.AddOptions{FromSync: true}); err != nil {
		return err
	}
	if old, ok := s.apps[app.ID]; ok {
		app.Categories, app.Requirements = old.Categories, old.Requirements
	}
	s.apps[app.ID] = app
	s.writes++
	return nil
}

// MarkGoneFromStore implements storesync.Catalog: an app referenced by an assignment
// or whose pool has holders is kept, flagged (S2).
func (s *Sink) MarkGoneFromStore(now time.Time, id mdm.AppID) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("MarkGoneFromStore"); err != nil {
		return false, err
	}
	a, ok := s.apps[id]
	if !ok {
		return false, refused("no app %s", id)
	}
	p := s.pools[PoolKey{a.Origin.Token, a.Origin.ProductID}]
	if s.referenced[id] > 0 || p != nil && p.Assigned() > 0 {
		if !a.Origin.GoneFromStore {
			a.Origin.GoneFromStore = true
			s.apps[id] = a
			s.writes++
		}
		return false, nil
	}
	delete(s.apps, id)
	s.writes++
	return true, nil
}

// DeviceBySerial implements storesync.Directory.
func (s *Sink) DeviceBySerial(serial string) (mdm.DeviceID, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.serials[serial]
	return d, ok
}

// UserByClientUserID implements storesync.Directory.
func (s *Sink) UserByClientUserID(id string) (mdm.UserID, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.clientIDs[id]
	return u, ok
}

// PoolCounts implements storesync.Pools.
func (s *Sink) PoolCounts(token mdm.TokenID, product string) (int, int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[PoolKey{token, product}]
	if p == nil {
		return 0, 0, false
	}
	return p.Total, p.Retired, true
}

// PoolKind implements storesync.Pools.
func (s *Sink) PoolKind(token mdm.TokenID, product string) (license.Kind, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[PoolKey{token, product}]
	if p == nil {
		return license.KindUnknown, false
	}
	return p.Kind, true
}

// SetPoolCounts implements storesync.Pools. As the tenant's pools, it refuses
// an app of another kind than the pool's (license.KindOf). A total below the
// holders is an overage (L18): with RevokeNewestOnRefund (the default, as
// Policy.RefundRevokesNewestFirst) the newest holders are released, with their
// disassociate changes recorded, until the pool is back within its total; never
// a book (L8). Otherwise the pool keeps them and reports Overage. As the
// tenant, it makes no pool for a token it does not know (AddToken).
func (s *Sink) SetPoolCounts(now time.Time, app *mdm.App, total, retired int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("SetPoolCounts"); err != nil {
		return err
	}
	if app == nil {
		return refused("nil app")
	}
	if total < 0 || retired < 0 {
		return refused("negative counts %d/%d", total, retired)
	}
	if s.tokens[app.Origin.Token] == nil {
		// as the tenant: no pool for a token the sink does not know (L7, L2)
		return refused("unknown token %s", app.Origin.Token)
	}
	kind, err := license.KindOf(app)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrRefused, err)
	}
	key := PoolKey{app.Origin.Token, app.Origin.ProductID}
	p := s.pools[key]
	switch {
	case p == nil:
		p = &Pool{Kind: kind, Book: kind == license.VPPBook}
		s.pools[key] = p
	case p.Kind != kind:
		// as the tenant: who may hold a license, and whether it can be
		// taken back, depend on the kind (L4, L8, L13)
		return refused("pool %v is a %s pool, the app %s a %s", key, p.Kind, app.ID, kind)
	}
	p.Total, p.Retired = total, retired
	if p.Assigned() > total {
		p.Refunded = true
		for p.Assigned() > total && s.revokeNewest && !p.Book {
			s.release(key, p, p.order[len(p.order)-1], true)
		}
	}
	if p.Assigned() <= total {
		p.Refunded = false
	}
	s.writes++
	return nil
}

// RevokeNewestOnRefund sets what a refund below the holders does (L18).
func (s *Sink) RevokeNewestOnRefund(on bool) { s.mu.Lock(); defer s.mu.Unlock(); s.revokeNewest = on }

// PoolHolders implements storesync.Pools.
func (s *Sink) PoolHolders(token mdm.TokenID, product string) ([]string, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pools[PoolKey{token, product}]
	if p == nil {
		return nil, nil
	}
	return slices.Clone(p.Serials), slices.Clone(p.Users)
}

// ImportLicense implements storesync.Pools: never over the total (L18).
func (s *Sink) ImportLicense(now time.Time, token mdm.TokenID, product string, device mdm.DeviceID, user mdm.UserID) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fail("ImportLicense"); err != nil {
		return false, err
	}
	// A sync imports pool after pool: keep the last one at hand.
	key := PoolKey{token, product}
	p := s.lastPool
	if p == nil || s.lastKey != key {
		p = s.pools[key]
		s.lastKey, s.lastPool = key, p
	}
	if p == nil {
		return false, refused("no pool %s/%s", token, product)
	}
	list, subject := &p.Serials, ""
	switch {
	case device != "" && user == "":
		subject = s.devSerial[device]
	case user != "" && device == "":
		list, subject = &p.Users, s.userClient[user]
	default:
		return false, refused("import names both or neither of device and user")
	}
	if subject == "" {
		return false, refused("unknown holder %q%q", device, user)
	}
	i, found := len(*list), false
	// Imports arrive sorted: appending is the common case.
	if i > 0 && (*list)[i-1] >= subject {
		i, found = slices.BinarySearch(*list, subject)
	}
	if found || p.Assigned() >= p.Total {
		return false, nil
	}
	*list = slices.Insert(*list, i, subject)
	p.order = append(p.order, holder{user != "", subject})
	s.writes++
	return true, nil
}

// TokenState implements storesync.Tokens.
func (s *Sink) TokenState(t mdm.TokenID) (mdm.TokenState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tokens[t]
	if r == nil {
		return 0, false
	}
	return r.State, true
}

// SetTokenState implements storesync.Tokens.
func (s *Sink) SetTokenState(now time.Time, t mdm.TokenID, state mdm.TokenState) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tokens[t]
	if r == nil {
		return refused("unknown token %s", t)
	}
	r.State = state
	return nil
}

// SetSyncStatus implements storesync.Tokens.
func (s *Sink) SetSyncStatus(now time.Time, t mdm.TokenID, status mdm.SyncStatus, detail string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tokens[t]
	if r == nil {
		return refused("unknown token %s", t)
	}
	r.Status, r.Detail, r.StatusAt = status, detail, now
	r.Statuses = append(r.Statuses, status)
	return nil
}

// StoreAccount implements storesync.Tokens.
func (s *Sink) StoreAccount(t mdm.TokenID) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tokens[t]
	if r == nil || r.Account == "" {
		return "", false
	}
	return r.Account, true
}

// BindStoreAccount implements storesync.Tokens.
func (s *Sink) BindStoreAccount(now time.Time, t mdm.TokenID, account string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.tokens[t]
	if r == nil {
		return refused("unknown token %s", t)
	}
	if r.Account != "" && r.Account != account {
		return refused("token %s is bound to %q", t, r.Account)
	}
	r.Account = account
	if _, ok := s.accounts[account]; !ok {
		s.accounts[account] = t
	}
	return nil
}

// TokenOfStoreAccount implements storesync.Tokens.
func (s *Sink) TokenOfStoreAccount(account string) (mdm.TokenID, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.accounts[account]
	return t, ok
}
