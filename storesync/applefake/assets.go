package applefake

import (
	"cmp"
	"slices"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

type asset struct {
	key              apple.Asset
	productType      apple.ProductType
	deviceAssignable bool
	revocable        bool
	platforms        []string
	total, retired   int
	assigned         int
}

// available is what can still be assigned. After a refund below the assigned count it
// is 0, not negative: the overage stays assigned (L18).
func (a *asset) available() int { return max(0, a.total-a.assigned) }

func (a *asset) response() apple.ResponseAsset {
	return apple.ResponseAsset{
		AdamID: a.key.AdamID, PricingParam: a.key.PricingParam, ProductType: a.productType,
		AssignedCount: a.assigned, AvailableCount: a.available(), TotalCount: a.total, RetiredCount: a.retired,
		DeviceAssignable: a.deviceAssignable, Revocable: a.revocable,
		SupportedPlatforms: append([]string(nil), a.platforms...),
	}
}

// AssetSpec describes an asset a location buys.
type AssetSpec struct {
	AdamID             string
	PricingParam       string // apple.PricingStandard when empty
	ProductType        apple.ProductType
	DeviceAssignable   bool // must be false for books (L4)
	Revocable          bool // must be false for books (L8)
	SupportedPlatforms []string
	Total              int
}

// assetKey normalises a request's asset: an empty pricingParam means STDQ.
func assetKey(a apple.Asset) apple.Asset {
	if a.PricingParam == "" {
		a.PricingParam = apple.PricingStandard
	}
	return a
}

func compareAssets(a, b apple.Asset) int {
	return cmp.Or(cmp.Compare(a.AdamID, b.AdamID), cmp.Compare(a.PricingParam, b.PricingParam))
}

// AddAsset adds an asset to a location. Books are never device-assignable nor
// revocable; an asset is added once.
func (c *Core) AddAsset(uid string, spec AssetSpec) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	const op = "AddAsset"
	l, err := c.location(op, uid)
	if err != nil {
		return err
	}
	key := assetKey(apple.Asset{AdamID: spec.AdamID, PricingParam: spec.PricingParam})
	switch {
	case spec.AdamID == "":
		return adminErr(op, "adamId is empty")
	case spec.ProductType != apple.ProductApp && spec.ProductType != apple.ProductBook:
		return adminErr(op, "productType %q is neither App nor Book", spec.ProductType)
	case spec.ProductType == apple.ProductBook && (spec.DeviceAssignable || spec.Revocable):
		return adminErr(op, "book %s cannot be device-assignable or revocable (L4, L8)", spec.AdamID)
	case spec.Total < 0:
		return adminErr(op, "total %d is negative", spec.Total)
	case l.assetIdx[key] != nil:
		return adminErr(op, "asset %s/%s already exists: use BuyLicenses", key.AdamID, key.PricingParam)
	}
	a := &asset{key: key, productType: spec.ProductType, deviceAssignable: spec.DeviceAssignable,
		revocable: spec.Revocable, platforms: append([]string(nil), spec.SupportedPlatforms...), total: spec.Total}
	i, _ := slices.BinarySearchFunc(l.assets, key, func(x *asset, k apple.Asset) int { return compareAssets(x.key, k) })
	l.assets = slices.Insert(l.assets, i, a)
	l.assetIdx[key] = a
	l.assetsVer = c.bump()
	return nil
}

// BuyLicenses adds n licenses to an asset's total.
func (c *Core) BuyLicenses(uid string, a apple.Asset, n int) error {
	if n < 1 {
		return adminErr("BuyLicenses", "count %d must be positive", n)
	}
	return c.changeTotal("BuyLicenses", uid, a, n)
}

// Refund takes n licenses back: the total drops and the retired count rises. A total
// below the assigned count leaves the overage assigned and nothing available (L18).
func (c *Core) Refund(uid string, a apple.Asset, n int) error {
	if n < 1 {
		return adminErr("Refund", "count %d must be positive", n)
	}
	return c.changeTotal("Refund", uid, a, -n)
}

func (c *Core) changeTotal(op, uid string, key apple.Asset, delta int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.location(op, uid)
	if err != nil {
		return err
	}
	a := l.assetIdx[assetKey(key)]
	switch {
	case a == nil:
		return adminErr(op, "no asset %s in location %s", key.AdamID, uid)
	case -delta > a.total:
		return adminErr(op, "cannot refund %d of %d licenses", -delta, a.total)
	}
	a.total += delta
	if delta < 0 {
		a.retired -= delta
	}
	l.assetsVer = c.bump()
	return nil
}

// RemoveAsset takes an asset out of the location (transferred away); its assignments
// go with it.
func (c *Core) RemoveAsset(uid string, key apple.Asset) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.location("RemoveAsset", uid)
	if err != nil {
		return err
	}
	key = assetKey(key)
	a := l.assetIdx[key]
	if a == nil {
		return adminErr("RemoveAsset", "no asset %s in location %s", key.AdamID, uid)
	}
	v := c.bump()
	for _, as := range l.sortedAssigns() {
		if as.key.asset == key {
			l.unassign(as, v)
		}
	}
	delete(l.assetIdx, key)
	l.assets = slices.DeleteFunc(l.assets, func(x *asset) bool { return x == a })
	l.assetsVer = v
	return nil
}

// AssetRecord returns an asset's counts as GET assets would.
func (c *Core) AssetRecord(uid string, key apple.Asset) (apple.ResponseAsset, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locByID[uid]
	if !ok {
		return apple.ResponseAsset{}, false
	}
	a := l.assetIdx[assetKey(key)]
	if a == nil {
		return apple.ResponseAsset{}, false
	}
	return a.response(), true
}

// Assets answers one page of GET assets.
func (c *Core) Assets(now time.Time, sToken string, q apple.AssetsQuery, pageIndex int) (*apple.AssetsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const ep = apple.EndpointAssets
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	l := t.loc
	match := l.assets
	if q != (apple.AssetsQuery{}) {
		match = nil
		for _, a := range l.assets {
			if (q.AdamID == "" || a.key.AdamID == q.AdamID) && (q.PricingParam == "" || a.key.PricingParam == q.PricingParam) &&
				(q.ProductType == "" || a.productType == q.ProductType) {
				match = append(match, a)
			}
		}
	}
	lo, hi, p, err := page(ep, len(match), c.cfg.PageSize, pageIndex, l.assetsVer)
	if err != nil {
		return nil, err
	}
	out := &apple.AssetsResponse{Assets: make([]apple.ResponseAsset, 0, hi-lo), Paging: p, Envelope: envelope(t)}
	for _, a := range match[lo:hi] {
		out.Assets = append(out.Assets, a.response())
	}
	return out, nil
}
