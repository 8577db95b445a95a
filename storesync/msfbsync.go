package storesync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/msfb"
)

// StoreForBusinessAPI is what a sync needs of the Microsoft Store for Business:
// *msfb.Connector in process.
type StoreForBusinessAPI interface {
	Account() string
	InventoryPage(ctx context.Context, continuationToken string, maxResults int) (*msfb.InventoryResultSet, error)
	ProductDetails(ctx context.Context, key msfb.ProductKey) (*msfb.ProductDetails, error)
	LocalizedDetails(ctx context.Context, key msfb.ProductKey, language string) (*msfb.LocalizedProductDetail, error)
	SeatsPage(ctx context.Context, key msfb.ProductKey, continuationToken string, maxResults int) (*msfb.SeatDetailsResultSet, error)
}

var _ StoreForBusinessAPI = (*msfb.Connector)(nil)

// DefaultLanguage is the catalog display language unless the tenant sets another
// (L16).
const DefaultLanguage = "en-us"

// StoreForBusinessSyncer syncs a tenant's Microsoft Store for Business account into
// a Sink:
//
//   - L12: the first sync associates the token with the account the connection
//     reports; a later connection to another account fails every sync with an
//     *AccountSwitchError and writes nothing;
//   - L13: each product becomes a Store for Business app, online or offline; online
//     seats are the users' licenses (imported for the users this service knows,
//     S6); offline licenses are the service's own, so the store gives only the
//     count;
//   - L16: names come in the catalog display language (SetLanguage), or the
//     store's fallback language for a product without text in it; a change of
//     language renames the entries at the next sync;
//   - L17: products related to one another are one app entry: the set's pool is
//     keyed by its first product, its total is the smallest capacity of its
//     members (an install takes a seat of each), and a user holds the set when it
//     holds a seat of every member;
//   - S3: the inventory read resumes from the recorded continuation token after a
//     failure, and starts over when the store refuses it (the inventory changed).
//
// Store for Business licenses are not pushed: the store assigns an online seat
// when the user installs (L13), and offline licenses never leave the service.
type StoreForBusinessSyncer struct {
	token       mdm.TokenID
	api         StoreForBusinessAPI
	sink        Sink
	maxRestarts int

	mu       sync.Mutex
	language string
	inv      []msfb.InventoryEntryDetails
	next     string // continuation token of the next page; "" with inv empty: from the start
	invDone  bool
	details  map[msfb.ProductKey]*productInfo // read in earlier attempts of this sync
	detailOf string                           // the language details were read in
}

type productInfo struct {
	related []msfb.ProductKey
	name    string
	pub     string
	seats   []string // sorted users with an active seat; nil for offline
}

// NewStoreForBusinessSyncer returns a syncer for token with the catalog display
// language (ISO, e.g. "en-us"; DefaultLanguage when empty). A nil api or sink,
// or one holding a nil pointer, is a *mdm.ValidationError wrapping
// mdm.ErrMissingField.
func NewStoreForBusinessSyncer(token mdm.TokenID, api StoreForBusinessAPI, sink Sink, language string) (*StoreForBusinessSyncer, error) {
	if err := mdm.CheckID("token", string(token)); err != nil {
		return nil, err
	}
	if isNil(api) || isNil(sink) { // a nil *msfb.Connector too: its first use would panic
		return nil, &mdm.ValidationError{Field: "api", Rule: "L12", Err: mdm.ErrMissingField,
			Reason: "or sink is nil", Remedy: "pass the store connection and the tenant"}
	}
	s := &StoreForBusinessSyncer{token: token, api: api, sink: sink, maxRestarts: 3}
	if err := s.SetLanguage(cmp.Or(language, DefaultLanguage)); err != nil {
		return nil, err
	}
	return s, nil
}

// Token is the token this syncer syncs.
func (s *StoreForBusinessSyncer) Token() mdm.TokenID { return s.token }

// SetLanguage sets the catalog display language (L16): a language code with an
// optional region, e.g. "en-us", "fr-fr", "de". The next sync renames entries.
func (s *StoreForBusinessSyncer) SetLanguage(lang string) error {
	l := strings.ToLower(strings.TrimSpace(lang))
	base, region, hasRegion := strings.Cut(l, "-")
	if len(base) != 2 || !letters(base) || hasRegion && (len(region) < 2 || len(region) > 4 || !alnum(region)) {
		return &mdm.ValidationError{Field: "language", Value: lang, Rule: "L16", Err: mdm.ErrInvalidSetting,
			Reason: "is not a language code", Remedy: "use an ISO language with an optional region, such as en-us or fr-fr"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.language = l
	return nil
}

func letters(s string) bool {
	for _, c := range s {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func alnum(s string) bool {
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Language is the catalog display language.
func (s *StoreForBusinessSyncer) Language() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.language
}

// Sync runs one sync and returns its report; Report.Err is nil on success.
// Expired or revoked credentials (401) set the token invalid (S4).
func (s *StoreForBusinessSyncer) Sync(ctx context.Context, now time.Time) *Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	return runSync(now, s.sink, s.token, mdm.StoreMicrosoftBusiness,
		func(rep *Report) error { return s.sync(ctx, now, rep) },
		func(err error) error {
			if errors.Is(err, msfb.ErrUnauthorized) {
				return &TokenStateError{Token: s.token, State: mdm.TokenInvalid, Cause: err}
			}
			return err
		})
}

func (s *StoreForBusinessSyncer) sync(ctx context.Context, now time.Time, rep *Report) error {
	account := "msfb:" + s.api.Account()
	bound, isBound := s.sink.StoreAccount(s.token)
	if isBound && bound != account {
		return &AccountSwitchError{Token: s.token, Associated: bound, Reported: account}
	}
	if other, ok := s.sink.TokenOfStoreAccount(account); ok && other != s.token {
		return &TokenStateError{Token: s.token, State: mdm.TokenDuplicate,
			Cause: fmt.Errorf("token %s is associated with this store account already", other)}
	}
	if !isBound {
		if err := s.sink.BindStoreAccount(now, s.token, account); err != nil {
			return &SinkError{Op: "BindStoreAccount", Key: account, Err: err}
		}
	}
	var stats readStats
	defer func() { rep.PagesRead, rep.PagesResumed = stats.read, stats.resumed }()
	if err := s.readInventory(ctx, &stats); err != nil {
		return err
	}
	if s.details == nil || s.detailOf != s.language {
		s.details, s.detailOf = map[msfb.ProductKey]*productInfo{}, s.language
	}
	for _, e := range s.inv {
		if e.Status != msfb.Active || s.details[e.ProductKey] != nil {
			continue
		}
		info, err := s.readProduct(ctx, e)
		if err != nil {
			return err
		}
		s.details[e.ProductKey] = info
	}
	snap := s.snapshot(account)
	s.inv, s.next, s.invDone, s.details = nil, "", false, nil
	res, err := Reconcile(now, s.sink, snap, nil)
	rep.Result = res
	return err
}

// readInventory reads every page of the inventory, resuming from the recorded
// continuation token.
func (s *StoreForBusinessSyncer) readInventory(ctx context.Context, stats *readStats) error {
	if s.invDone {
		// A complete inventory from a failed attempt may be stale: read it again.
		s.inv, s.next, s.invDone = nil, "", false
	}
	if s.next != "" {
		stats.resumed++
	}
	var cur cursors
	cur.seen(s.next)
	for restarts := 0; ; {
		page, err := s.api.InventoryPage(ctx, s.next, msfb.MaxResults)
		if err != nil {
			if s.next != "" && errors.Is(err, msfb.ErrInvalidParameters) && restarts < s.maxRestarts {
				// The inventory changed since the token was issued: start over (S3).
				s.inv, s.next, s.details = nil, "", nil
				cur = cursors{}
				restarts++
				continue
			}
			return err
		}
		stats.read++
		s.inv = append(s.inv, page.InventoryEntries...)
		if page.ContinuationToken == "" {
			s.invDone = true
			return nil
		}
		if err := cur.next("inventory", page.ContinuationToken); err != nil {
			s.inv, s.next = nil, "" // nothing to resume from
			return err
		}
		s.next = page.ContinuationToken
	}
}

// maxStorePages bounds one paged read of the Store for Business, so a store
// that never stops handing out continuation tokens cannot keep a sync busy for
// ever.
const maxStorePages = 1 << 20

// cursors follows the continuation tokens of one paged read: a token seen
// before in the read (the store sends the same pages again) or a read past
// maxStorePages is an *msfb.DecodeError, not an endless loop.
type cursors struct {
	tokens map[string]bool
	pages  int
}

func (c *cursors) seen(token string) {
	if token == "" {
		return
	}
	if c.tokens == nil {
		c.tokens = map[string]bool{}
	}
	c.tokens[token] = true
}

func (c *cursors) next(op, token string) error {
	c.pages++
	switch {
	case c.tokens[token]:
		return &msfb.DecodeError{Op: op, Reason: "the continuation token names a page already read: the pages loop"}
	case c.pages >= maxStorePages:
		return &msfb.DecodeError{Op: op, Reason: fmt.Sprintf("more than %d pages", maxStorePages)}
	}
	c.seen(token)
	return nil
}

func (s *StoreForBusinessSyncer) readProduct(ctx context.Context, e msfb.InventoryEntryDetails) (*productInfo, error) {
	d, err := s.api.ProductDetails(ctx, e.ProductKey)
	if err != nil {
		return nil, err
	}
	loc, err := s.api.LocalizedDetails(ctx, e.ProductKey, s.language)
	if err != nil {
		return nil, err
	}
	info := &productInfo{related: d.RelatedProducts, name: loc.DisplayName, pub: loc.Publisher.PublisherName}
	if e.LicenseType != msfb.Online {
		return info, nil
	}
	info.seats = []string{}
	var cur cursors
	for cont := ""; ; {
		page, err := s.api.SeatsPage(ctx, e.ProductKey, cont, msfb.MaxResults)
		if err != nil {
			return nil, err
		}
		for _, seat := range page.Seats {
			if seat.State == msfb.SeatActive {
				info.seats = append(info.seats, seat.AssignedTo)
			}
		}
		if cont = page.ContinuationToken; cont == "" {
			break
		}
		if err := cur.next("seats", cont); err != nil {
			return nil, err
		}
	}
	slices.Sort(info.seats)
	info.seats = slices.Compact(info.seats)
	return info, nil
}

// StoreForBusinessProductID is the pool product of a product key.
func StoreForBusinessProductID(k msfb.ProductKey) string { return k.ProductID + "/" + k.SkuID }

// snapshot groups the active entries into related sets (L17) and builds the
// snapshot.
func (s *StoreForBusinessSyncer) snapshot(account string) *Snapshot {
	entries := map[msfb.ProductKey]*msfb.InventoryEntryDetails{}
	var keys []msfb.ProductKey
	for i := range s.inv {
		e := &s.inv[i]
		if e.Status == msfb.Active && entries[e.ProductKey] == nil {
			entries[e.ProductKey] = e
			keys = append(keys, e.ProductKey)
		}
	}
	less := func(a, b msfb.ProductKey) int {
		return cmp.Or(cmp.Compare(a.ProductID, b.ProductID), cmp.Compare(a.SkuID, b.SkuID))
	}
	slices.SortFunc(keys, less)
	// Union-find over the related edges between products in the inventory; the
	// smallest key of a set leads it.
	lead := map[msfb.ProductKey]msfb.ProductKey{}
	var find func(k msfb.ProductKey) msfb.ProductKey
	find = func(k msfb.ProductKey) msfb.ProductKey {
		p, ok := lead[k]
		if !ok || p == k {
			return k
		}
		r := find(p)
		lead[k] = r
		return r
	}
	for _, k := range keys {
		for _, r := range s.details[k].related {
			if entries[r] == nil {
				continue
			}
			a, b := find(k), find(r)
			if less(b, a) < 0 {
				a, b = b, a
			}
			lead[b] = a
		}
	}
	members := map[msfb.ProductKey][]msfb.ProductKey{}
	var leads []msfb.ProductKey
	for _, k := range keys {
		l := find(k)
		if members[l] == nil {
			leads = append(leads, l)
		}
		members[l] = append(members[l], k)
	}
	snap := &Snapshot{Store: mdm.StoreMicrosoftBusiness, Token: s.token, Account: account}
	for _, l := range leads {
		e, info := entries[l], s.details[l]
		product := StoreForBusinessProductID(l)
		mode := mdm.LicenseOffline
		if e.LicenseType == msfb.Online {
			mode = mdm.LicenseOnline
		}
		total := e.SeatCapacity
		var holders []string
		if info.seats != nil {
			holders = info.seats
		}
		for _, m := range members[l][1:] {
			total = min(total, entries[m].SeatCapacity)
			if holders != nil && s.details[m].seats != nil {
				holders = intersect(holders, s.details[m].seats)
			}
		}
		name := cmp.Or(strings.TrimSpace(info.name), "Store for Business app "+product)
		app := mdm.App{ID: AppID(mdm.StoreMicrosoftBusiness, s.token, product, ""), DisplayName: name, Publisher: info.pub,
			Type:   mdm.AppTypeStoreForBusiness,
			Origin: mdm.StoreOrigin{Store: mdm.StoreMicrosoftBusiness, Token: s.token, ProductID: product, Licensing: mode}}
		snap.Products = append(snap.Products, Product{ID: product, Apps: []mdm.App{app}, Total: int(min(total, 1<<30))})
		for _, u := range holders {
			snap.Holdings = append(snap.Holdings, Holding{Product: product, ClientUserID: u})
		}
	}
	snap.Normalize()
	return snap
}

// intersect returns the elements of two sorted lists found in both.
func intersect(a, b []string) []string {
	out := make([]string, 0, min(len(a), len(b)))
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
