package storesync

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/mdmkit/mdmkit/license"
	"github.com/mdmkit/mdmkit/mdm"
)

// Snapshot is what a store holds for one token at one moment, in a form that does
// not depend on the store: the products with their counts and the catalog entries
// they become, and the licenses held. ReadApple and ReadStoreForBusiness build one;
// Reconcile writes it into a Sink.
type Snapshot struct {
	Store    mdm.StoreKind
	Token    mdm.TokenID
	Account  string    // the store account: Apple's location uId, the Store for Business tenant
	Products []Product // sorted by ID, unique
	// Holdings are the licenses the store says are held, sorted by product, then
	// devices before users, then subject; unique.
	Holdings []Holding
}

// Product is one thing the store sells licenses for: an Apple asset (adamId), a
// Store for Business product, or a related set of them (L17).
type Product struct {
	ID string // the pool's product: adamId (":PLUS" appended for that pricing) or product id
	// Apps are the catalog entries the product becomes, sorted by ID: one, or one
	// per platform for an Apple app that runs on iOS and macOS. They share the pool.
	Apps []mdm.App
	// Total and Retired are the store's counts. Reconcile gives the pool the total
	// less the licenses held by records another service made (S6): those are not
	// this service's to hand out.
	Total, Retired int
	// OverTotal says the store holds more licenses than its total (a refund, L18)
	// and Revocable that the store takes them back (books never, L8).
	OverTotal, Revocable bool
}

// Holding is one license the store says is held: by a device (Serial) or a user
// (ClientUserID), exactly one of the two.
type Holding struct {
	Product      string
	Serial       string
	ClientUserID string
}

// User reports whether the license is held by a user.
func (h Holding) User() bool { return h.ClientUserID != "" }

// Subject is the serial number or the clientUserId.
func (h Holding) Subject() string {
	if h.ClientUserID != "" {
		return h.ClientUserID
	}
	return h.Serial
}

func (h Holding) String() string {
	if h.User() {
		return h.Product + " user " + h.ClientUserID
	}
	return h.Product + " device " + h.Serial
}

func compareHoldings(a, b Holding) int {
	return cmp.Or(cmp.Compare(a.Product, b.Product), cmpBool(a.User(), b.User()), cmp.Compare(a.Subject(), b.Subject()))
}

// cmpBool orders false before true.
func cmpBool(a, b bool) int { return cmp.Compare(bit(a), bit(b)) }

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Normalize sorts the products, their apps and the holdings, and drops repeated
// holdings, so a snapshot built in any order reconciles the same way.
func (s *Snapshot) Normalize() {
	slices.SortFunc(s.Products, func(a, b Product) int { return cmp.Compare(a.ID, b.ID) })
	for i := range s.Products {
		slices.SortFunc(s.Products[i].Apps, func(a, b mdm.App) int { return cmp.Compare(a.ID, b.ID) })
	}
	s.Holdings = s.groupHoldings(s.Holdings)
}

// groupHoldings returns hs sorted as Holdings must be, without repeats. Holdings are
// bucketed by product (a counting sort over the products' order, linear in their
// number), then each product's few holdings are sorted by kind and subject, which is
// much cheaper than comparing product ids across a million holdings. Holdings of a
// product the snapshot does not list go last, sorted, for Validate to refuse.
func (s *Snapshot) groupHoldings(hs []Holding) []Holding {
	index := s.productIndex()
	of := make([]int32, len(hs))
	for i := range hs {
		k, ok := index[hs[i].Product]
		if !ok {
			k = int32(len(s.Products))
		}
		of[i] = k
	}
	return s.groupByIndex(hs, of)
}

// productIndex maps each product id to its position.
func (s *Snapshot) productIndex() map[string]int32 {
	index := make(map[string]int32, len(s.Products))
	for i := range s.Products {
		index[s.Products[i].ID] = int32(i)
	}
	return index
}

// groupByIndex is groupHoldings once each holding's product position is known
// (len(s.Products) for an unknown product).
func (s *Snapshot) groupByIndex(hs []Holding, of []int32) []Holding {
	unknown := int32(len(s.Products))
	start := make([]int, len(s.Products)+2)
	for _, k := range of {
		start[k+1]++
	}
	for k := 1; k < len(start); k++ {
		start[k] += start[k-1]
	}
	out := make([]Holding, len(hs))
	next := slices.Clone(start[:len(start)-1])
	for i := range hs {
		out[next[of[i]]] = hs[i]
		next[of[i]]++
	}
	bySubject := func(a, b Holding) int {
		return cmp.Or(cmpBool(a.User(), b.User()), cmp.Compare(a.Subject(), b.Subject()))
	}
	for k := 0; k+1 < len(start); k++ {
		if int32(k) == unknown {
			slices.SortFunc(out[start[k]:start[k+1]], compareHoldings)
		} else {
			slices.SortFunc(out[start[k]:start[k+1]], bySubject)
		}
	}
	return slices.CompactFunc(out, func(a, b Holding) bool { return a == b })
}

// Validate checks that the snapshot can be reconciled as a whole before anything is
// written (S3): every id usable, products unique and sorted, every app a valid
// synced app of this token, counts not negative, every holding naming a product of
// the snapshot and exactly one subject, the apps of a product all of one pool
// kind (license.KindOf). The error is a *mdm.ValidationError naming the field.
func (s *Snapshot) Validate() error {
	if err := mdm.CheckID("token", string(s.Token)); err != nil {
		return err
	}
	appIDs := make(map[mdm.AppID]bool)
	for i := range s.Products {
		p := &s.Products[i]
		field := fmt.Sprintf("products[%d]", i)
		if err := mdm.CheckID(field+".id", p.ID); err != nil {
			return err
		}
		if i > 0 && s.Products[i-1].ID >= p.ID {
			return snapErr(field+".id", p.ID, "is out of order or repeated", "call Normalize, and give each product one entry")
		}
		if p.Total < 0 || p.Retired < 0 {
			return snapErr(field+".total", fmt.Sprintf("%d/%d", p.Total, p.Retired),
				"has a negative count", "copy the store's counts as they are")
		}
		if len(p.Apps) == 0 {
			return snapErr(field+".apps", "", "is empty", "every product becomes at least one catalog entry")
		}
		var kind license.Kind
		for j := range p.Apps {
			a := &p.Apps[j]
			af := fmt.Sprintf("%s.apps[%d]", field, j)
			if err := mdm.ValidateApp(a, mdm.AddOptions{FromSync: true}); err != nil {
				return fmt.Errorf("%s: %w", af, err)
			}
			// The apps of a product share its pool, and a pool has one kind.
			k, err := license.KindOf(a)
			switch {
			case err != nil:
				return fmt.Errorf("%s: %w", af, err)
			case j == 0:
				kind = k
			case k != kind:
				return snapErr(af+".type", a.Type.String(), "has another pool kind ("+k.String()+") than the product's first app ("+kind.String()+")",
					"give a product apps of one kind: a book and an app are separate products")
			}
			if a.Origin.Token != s.Token || a.Origin.ProductID != p.ID || a.Origin.Store != s.Store || a.Origin.GoneFromStore {
				return snapErr(af+".origin", a.Origin.ProductID, "does not name this token, store and product",
					"build the app with the snapshot's token and the product's id")
			}
			if appIDs[a.ID] {
				return snapErr(af+".id", string(a.ID), "is repeated", "derive app ids from token, product and platform")
			}
			appIDs[a.ID] = true
		}
	}
	// Holdings are grouped by product in the products' order: walk both together.
	k := 0
	for i, h := range s.Holdings {
		field := func() string { return fmt.Sprintf("holdings[%d]", i) }
		if (h.Serial == "") == (h.ClientUserID == "") {
			return snapErr(field(), h.Product, "names both or neither of serialNumber and clientUserId", "name exactly one subject")
		}
		if err := mdm.CheckID("subject", h.Subject()); err != nil {
			return fmt.Errorf("snapshot.%s: %w", field(), err)
		}
		for k < len(s.Products) && s.Products[k].ID < h.Product {
			k++
		}
		if k == len(s.Products) || s.Products[k].ID != h.Product {
			return snapErr(field()+".product", h.Product, "is not a product of the snapshot, or out of order",
				"list the product among Products, and call Normalize")
		}
		if i > 0 && compareHoldings(s.Holdings[i-1], h) >= 0 {
			return snapErr(field(), h.String(), "is out of order or repeated", "call Normalize")
		}
	}
	return nil
}

func (s *Snapshot) product(id string) (int, bool) {
	return slices.BinarySearchFunc(s.Products, id, func(p Product, id string) int { return cmp.Compare(p.ID, id) })
}

func snapErr(field, value, reason, remedy string) error {
	return &mdm.ValidationError{Field: "snapshot." + field, Value: value, Rule: "S3", Err: ErrBadSnapshot,
		Reason: reason, Remedy: remedy}
}

// AppID derives the catalog id of a synced app from its token, product and, for an
// Apple app on several platforms, a platform suffix. Ids stay stable across syncs,
// so a product that goes and comes back is the same app (C8).
func AppID(store mdm.StoreKind, token mdm.TokenID, product, suffix string) mdm.AppID {
	prefix := "vpp"
	if store == mdm.StoreMicrosoftBusiness {
		prefix = "msfb"
	}
	var b strings.Builder
	b.Grow(len(prefix) + len(token) + len(product) + len(suffix) + 3)
	b.WriteString(prefix)
	b.WriteByte(':')
	b.WriteString(string(token))
	b.WriteByte(':')
	b.WriteString(product)
	if suffix != "" {
		b.WriteByte(':')
		b.WriteString(suffix)
	}
	return mdm.AppID(b.String())
}
