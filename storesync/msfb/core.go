package msfb

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Page sizes of the reference: Get Inventory returns 25 entries unless asked
// otherwise; Get seats 25, at most 100.
const (
	DefaultMaxResults = 25
	MaxResults        = 100
)

// Core is the store's state: accounts (an organisation's Store for Business, known by
// its tenant id), each with its inventory of products and the seats assigned to
// users. It is pure: no goroutines, no clock (methods that need the time take now).
// It is safe for concurrent use. Outputs are deterministic: products in key order,
// seats in user order.
type Core struct {
	mu       sync.Mutex
	accounts map[string]*account
	next     int
}

type account struct {
	id       string
	products []*product // sorted by key
	byKey    map[ProductKey]*product
	ver      uint64 // moves with every change; continuation tokens carry it
}

type product struct {
	key       ProductKey
	license   LicenseType
	policy    DistributionPolicy
	capacity  int64
	status    InventoryStatus
	names     map[string]LocalizedProductDetail // by lower-case language
	fallback  string
	related   []ProductKey
	seats     []SeatDetails // active seats, sorted by user
	modified  time.Time
	publisher string
}

// available is what the store can still hand out. The store does not know where the
// management service installed an offline app (the service counts those licenses
// itself), so every offline seat counts as available.
func (p *product) available() int64 {
	if p.license == Offline {
		return p.capacity
	}
	return max(0, p.capacity-int64(len(p.seats)))
}

// ErrAdmin is wrapped by every refused admin call.
var ErrAdmin = errors.New("msfb: admin call refused")

func adminErr(op, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrAdmin, op, fmt.Sprintf(format, args...))
}

// NewCore returns an empty store.
func NewCore() *Core { return &Core{accounts: map[string]*account{}} }

// AddAccount creates an organisation's store account and returns its tenant id.
func (c *Core) AddAccount() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	id := fmt.Sprintf("00000000-0000-4000-a000-%012d", c.next)
	c.accounts[id] = &account{id: id, byKey: map[ProductKey]*product{}}
	return id
}

// ProductSpec describes a product an organisation acquires.
type ProductSpec struct {
	Key       ProductKey
	License   LicenseType
	Policy    DistributionPolicy // Restricted when empty
	Seats     int64
	Names     map[string]string // display name by language ("en-us", "fr-fr"); the first in sorted order is the fallback unless Fallback says
	Fallback  string
	Publisher string
	Related   []ProductKey // products installed with this one: one app entry (L17)
}

// AddProduct adds a product to an account's inventory.
func (c *Core) AddProduct(acct string, now time.Time, spec ProductSpec) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	const op = "AddProduct"
	a, err := c.account(op, acct)
	if err != nil {
		return err
	}
	switch {
	case spec.Key.ProductID == "" || spec.Key.SkuID == "":
		return adminErr(op, "product key %v is incomplete", spec.Key)
	case a.byKey[spec.Key] != nil:
		return adminErr(op, "product %v exists: use BuySeats", spec.Key)
	case spec.License != Online && spec.License != Offline:
		return adminErr(op, "license type %q", spec.License)
	case spec.Seats < 0:
		return adminErr(op, "seats %d", spec.Seats)
	case len(spec.Names) == 0:
		return adminErr(op, "product %v has no name", spec.Key)
	}
	policy := cmp.Or(spec.Policy, Restricted)
	p := &product{key: spec.Key, license: spec.License, policy: policy, capacity: spec.Seats, status: Active,
		names: map[string]LocalizedProductDetail{}, related: slices.Clone(spec.Related), modified: now, publisher: spec.Publisher}
	langs := slices.Sorted(maps.Keys(spec.Names))
	for _, l := range langs {
		p.names[strings.ToLower(l)] = LocalizedProductDetail{Language: strings.ToLower(l), DisplayName: spec.Names[l],
			Publisher: PublisherDetails{PublisherName: spec.Publisher}}
	}
	p.fallback = strings.ToLower(cmp.Or(spec.Fallback, langs[0]))
	if _, ok := p.names[p.fallback]; !ok {
		return adminErr(op, "fallback language %q has no name", spec.Fallback)
	}
	i, _ := slices.BinarySearchFunc(a.products, spec.Key, func(x *product, k ProductKey) int { return compareKeys(x.key, k) })
	a.products = slices.Insert(a.products, i, p)
	a.byKey[spec.Key] = p
	a.ver++
	return nil
}

func compareKeys(a, b ProductKey) int {
	return cmp.Or(cmp.Compare(a.ProductID, b.ProductID), cmp.Compare(a.SkuID, b.SkuID))
}

func (c *Core) account(op, id string) (*account, error) {
	a := c.accounts[id]
	if a == nil {
		return nil, adminErr(op, "no account %q", id)
	}
	return a, nil
}

func (c *Core) product(op, acct string, key ProductKey) (*account, *product, error) {
	a, err := c.account(op, acct)
	if err != nil {
		return nil, nil, err
	}
	p := a.byKey[key]
	if p == nil {
		return nil, nil, adminErr(op, "no product %v", key)
	}
	return a, p, nil
}

// BuySeats adds n seats to a product; a removed product comes back.
func (c *Core) BuySeats(acct string, now time.Time, key ProductKey, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, p, err := c.product("BuySeats", acct, key)
	if err != nil {
		return err
	}
	if n < 1 {
		return adminErr("BuySeats", "count %d must be positive", n)
	}
	p.capacity += n
	p.status, p.modified = Active, now
	a.ver++
	return nil
}

// RefundSeats takes n seats back. Online seats beyond the new capacity stay
// assigned: the store reports no available seat until the count is back under.
func (c *Core) RefundSeats(acct string, now time.Time, key ProductKey, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, p, err := c.product("RefundSeats", acct, key)
	if err != nil {
		return err
	}
	if n < 1 || n > p.capacity {
		return adminErr("RefundSeats", "cannot refund %d of %d seats", n, p.capacity)
	}
	p.capacity -= n
	p.modified = now
	a.ver++
	return nil
}

// RemoveProduct removes a product from the inventory: its entry reports status
// removed and its seats are revoked.
func (c *Core) RemoveProduct(acct string, now time.Time, key ProductKey) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, p, err := c.product("RemoveProduct", acct, key)
	if err != nil {
		return err
	}
	p.status, p.seats, p.capacity, p.modified = Removed, nil, 0, now
	a.ver++
	return nil
}

// Rename sets a product's name in a language, as a publisher's update would.
func (c *Core) Rename(acct string, now time.Time, key ProductKey, language, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, p, err := c.product("Rename", acct, key)
	if err != nil {
		return err
	}
	l := strings.ToLower(language)
	p.names[l] = LocalizedProductDetail{Language: l, DisplayName: name, Publisher: PublisherDetails{PublisherName: p.publisher}}
	p.modified = now
	a.ver++
	return nil
}

// Touch records a change in the account without changing data, as a purchase
// elsewhere would: continuation tokens issued before it are no longer valid.
func (c *Core) Touch(acct string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, err := c.account("Touch", acct)
	if err == nil {
		a.ver++
	}
	return err
}

// SeatHolders returns the users holding an active seat of a product, for tests and the simulator.
func (c *Core) SeatHolders(acct string, key ProductKey) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, p, err := c.product("SeatHolders", acct, key)
	if err != nil {
		return nil
	}
	out := make([]string, len(p.seats))
	for i, s := range p.seats {
		out[i] = s.AssignedTo
	}
	return out
}

func apiErr(op string, status int, reason string) *Error {
	return &Error{Op: op, Status: status, Reason: reason}
}

// continuation tokens name the account's version and the offset of the next page:
// a token issued before a change is refused (400), and the reader starts over.
func continuation(ver uint64, offset int) string { return fmt.Sprintf("v%d.%d", ver, offset) }

func parseContinuation(op, tok string, ver uint64) (int, error) {
	if tok == "" {
		return 0, nil
	}
	vs, os, ok := strings.Cut(strings.TrimPrefix(tok, "v"), ".")
	v, err1 := strconv.ParseUint(vs, 10, 64)
	off, err2 := strconv.Atoi(os)
	if !ok || err1 != nil || err2 != nil || off < 0 || !strings.HasPrefix(tok, "v") {
		return 0, apiErr(op, http.StatusBadRequest, "Invalid parameter: continuationToken")
	}
	if v != ver {
		return 0, apiErr(op, http.StatusBadRequest, "Invalid parameter: continuationToken (the inventory changed)")
	}
	return off, nil
}

func pageBounds(op string, n, offset, maxResults int) (lo, hi int, err error) {
	if maxResults == 0 {
		maxResults = DefaultMaxResults
	}
	if maxResults < 1 || maxResults > MaxResults {
		return 0, 0, apiErr(op, http.StatusBadRequest, "Invalid parameter: maxResults")
	}
	if offset > n {
		return 0, 0, apiErr(op, http.StatusBadRequest, "Invalid parameter: continuationToken")
	}
	return offset, min(offset+maxResults, n), nil
}

// Inventory answers one page of Get Inventory: active and removed entries, both
// license types.
func (c *Core) Inventory(acct, continuationToken string, maxResults int) (*InventoryResultSet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const op = "inventory"
	a := c.accounts[acct]
	if a == nil {
		return nil, apiErr(op, http.StatusUnauthorized, "unknown account")
	}
	off, err := parseContinuation(op, continuationToken, a.ver)
	if err != nil {
		return nil, err
	}
	lo, hi, err := pageBounds(op, len(a.products), off, maxResults)
	if err != nil {
		return nil, err
	}
	out := &InventoryResultSet{InventoryEntries: make([]InventoryEntryDetails, 0, hi-lo)}
	for _, p := range a.products[lo:hi] {
		out.InventoryEntries = append(out.InventoryEntries, InventoryEntryDetails{ProductKey: p.key, SeatCapacity: p.capacity,
			AvailableSeats: p.available(), LastModified: p.modified, LicenseType: p.license, DistributionPolicy: p.policy, Status: p.status})
	}
	if hi < len(a.products) {
		out.ContinuationToken = continuation(a.ver, hi)
	}
	return out, nil
}

// ProductDetails answers Get product details.
func (c *Core) ProductDetails(acct string, key ProductKey) (*ProductDetails, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.accounts[acct]
	if a == nil {
		return nil, apiErr("productDetails", http.StatusUnauthorized, "unknown account")
	}
	p := a.byKey[key]
	if p == nil {
		return nil, apiErr("productDetails", http.StatusNotFound, "Item type: productId, skuId")
	}
	return &ProductDetails{ProductKey: key, ProductType: "Application", SupportedLanguages: slices.Sorted(maps.Keys(p.names)),
		PublisherID: p.publisher, RelatedProducts: slices.Clone(p.related)}, nil
}

// LocalizedDetails answers Get localized product details: the product's text in
// language (ISO, e.g. "en-us"), or in its fallback language (L16).
func (c *Core) LocalizedDetails(acct string, key ProductKey, language string) (*LocalizedProductDetail, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const op = "localizedDetails"
	a := c.accounts[acct]
	if a == nil {
		return nil, apiErr(op, http.StatusUnauthorized, "unknown account")
	}
	if language == "" {
		return nil, apiErr(op, http.StatusBadRequest, "Missing parameter: language")
	}
	p := a.byKey[key]
	if p == nil {
		return nil, apiErr(op, http.StatusNotFound, "Item type: productId, skuId")
	}
	d, ok := p.names[strings.ToLower(language)]
	if !ok {
		d = p.names[p.fallback]
	}
	return &d, nil
}

// Seats answers one page of Get seats: the active seats of an online product. An
// offline product has none (409 Not online).
func (c *Core) Seats(acct string, key ProductKey, continuationToken string, maxResults int) (*SeatDetailsResultSet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const op = "seats"
	a := c.accounts[acct]
	if a == nil {
		return nil, apiErr(op, http.StatusUnauthorized, "unknown account")
	}
	p := a.byKey[key]
	switch {
	case p == nil:
		return nil, apiErr(op, http.StatusNotFound, "Item type: Inventory")
	case p.license == Offline:
		return nil, apiErr(op, http.StatusConflict, "Not online")
	}
	off, err := parseContinuation(op, continuationToken, a.ver)
	if err != nil {
		return nil, err
	}
	lo, hi, err := pageBounds(op, len(p.seats), off, maxResults)
	if err != nil {
		return nil, err
	}
	out := &SeatDetailsResultSet{Seats: slices.Clone(p.seats[lo:hi])}
	if hi < len(p.seats) {
		out.ContinuationToken = continuation(a.ver, hi)
	}
	return out, nil
}

// BulkSeats answers Bulk assign and reclaim seats: each user (UPN) gets a seat, or
// gives it back. Assigning a held seat or reclaiming one not held is done; a
// restricted product with no seat left fails that user (FailedSeatRequest).
func (c *Core) BulkSeats(acct string, now time.Time, key ProductKey, users []string, action SeatAction) (*BulkSeatOperationResultSet, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const op = "bulkSeats"
	a := c.accounts[acct]
	if a == nil {
		return nil, apiErr(op, http.StatusUnauthorized, "unknown account")
	}
	p := a.byKey[key]
	switch {
	case p == nil || p.status == Removed:
		return nil, apiErr(op, http.StatusNotFound, "Item type: Inventory")
	case p.license == Offline:
		return nil, apiErr(op, http.StatusConflict, "Not online")
	case action != Assign && action != Reclaim:
		return nil, apiErr(op, http.StatusBadRequest, "Invalid parameter: seatAction")
	}
	out := &BulkSeatOperationResultSet{}
	changed := false
	for _, u := range users {
		if u == "" || !strings.Contains(u, "@") {
			out.FailedSeatOperations = append(out.FailedSeatOperations, FailedSeatRequest{FailureReason: "Invalid parameter: userName", ProductKey: key, UserName: u})
			continue
		}
		i, held := slices.BinarySearchFunc(p.seats, u, func(s SeatDetails, u string) int { return cmp.Compare(s.AssignedTo, u) })
		switch {
		case action == Assign && held:
			out.SeatDetails = append(out.SeatDetails, p.seats[i])
		case action == Assign && p.policy == Restricted && p.available() == 0:
			out.FailedSeatOperations = append(out.FailedSeatOperations, FailedSeatRequest{FailureReason: "No seats available", ProductKey: key, UserName: u})
		case action == Assign:
			s := SeatDetails{AssignedTo: u, DateAssigned: now, State: SeatActive, ProductKey: key}
			p.seats = slices.Insert(p.seats, i, s)
			out.SeatDetails = append(out.SeatDetails, s)
			changed = true
		case held:
			s := p.seats[i]
			s.State = SeatRevoked
			p.seats = slices.Delete(p.seats, i, i+1)
			out.SeatDetails = append(out.SeatDetails, s)
			changed = true
		}
	}
	if changed {
		p.modified = now
		a.ver++
	}
	return out, nil
}
