package storesync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
)

// AppleAPI is what a sync needs of Apple's Apps and Books API: *apple.Client over
// HTTP, or applefake's Direct adapter in process (the simulator's choice).
type AppleAPI interface {
	ClientConfig(ctx context.Context) (*apple.ClientConfig, error)
	SetClientConfig(ctx context.Context, req apple.ClientConfigRequest) (*apple.ClientConfig, error)
	Limits(ctx context.Context) (apple.BatchLimits, error)
	AssetsPage(ctx context.Context, q apple.AssetsQuery, pageIndex int) (*apple.AssetsResponse, error)
	AssignmentsPage(ctx context.Context, q apple.AssignmentsQuery, pageIndex int) (*apple.AssignmentsResponse, error)
	Associate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error)
	Disassociate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error)
	CreateUsers(ctx context.Context, req apple.ManageUsersRequest) ([]apple.EventResponse, error)
	EventStatus(ctx context.Context, eventID string) (*apple.StatusResponse, error)
}

var _ AppleAPI = (*apple.Client)(nil)

// checkpoint records how far a paged read got, so that a sync that failed part-way
// resumes from the recorded page (S3) when the data set's versionId has not changed
// since; if it has, the read starts over, as any read whose versionId changes
// mid-read does (S5).
type checkpoint[T any] struct {
	version string
	next    int // the next page to read
	items   []T
	done    bool
}

func (c *checkpoint[T]) reset() {
	c.version, c.next, c.items, c.done = "", 0, c.items[:0], false
}

// readStats counts the pages one sync read, and those it did not have to read
// again because an earlier attempt had (S3).
type readStats struct{ read, resumed int }

// read continues the read from the recorded page until the last one. At most
// maxRestarts times a changed versionId starts it over, then it fails with
// *apple.VersionChangedError. On any other failure the checkpoint keeps what was
// read, for the next attempt.
func read[T any, P apple.Page[T]](ctx context.Context, c *checkpoint[T], ep apple.Endpoint, maxRestarts int,
	stats *readStats, fetch func(ctx context.Context, pageIndex int) (P, error)) error {
	if !c.done {
		stats.resumed += c.next
	}
	for restarts := 0; !c.done; {
		page, err := fetch(ctx, c.next)
		if err != nil && c.next > 0 && errors.Is(err, apple.ErrInvalidPageIndex) {
			// The data set shrank under the read: as for a new versionId, start over.
			first := c.version
			c.reset()
			if restarts == maxRestarts {
				return &apple.VersionChangedError{Endpoint: ep, Restarts: restarts, First: first, Last: "(fewer pages)"}
			}
			restarts++
			continue
		}
		if err != nil {
			return err
		}
		info := page.PageInfo()
		if info.CurrentPageIndex != c.next {
			c.reset()
			return &apple.DecodeError{Endpoint: ep, StatusCode: 200,
				Reason: fmt.Sprintf("asked for page %d, got page %d", c.next, info.CurrentPageIndex)}
		}
		switch {
		case c.next == 0:
			c.version = info.VersionID
			c.items = c.items[:0]
			if n := len(page.PageItems()) * info.TotalPages; cap(c.items) < n && n <= 1<<20 {
				c.items = make([]T, 0, n)
			}
		case info.VersionID != c.version:
			first := c.version
			c.reset()
			if restarts == maxRestarts {
				return &apple.VersionChangedError{Endpoint: ep, Restarts: restarts, First: first, Last: info.VersionID}
			}
			restarts++
			continue
		}
		c.items = append(c.items, page.PageItems()...)
		stats.read++
		if info.NextPageIndex == nil {
			c.done = true
			return nil
		}
		if *info.NextPageIndex != c.next+1 {
			c.reset()
			return &apple.DecodeError{Endpoint: ep, StatusCode: 200,
				Reason: fmt.Sprintf("page %d names page %d as the next one", info.CurrentPageIndex, *info.NextPageIndex)}
		}
		c.next++
	}
	return nil
}

// AppleProductID is the pool product of an Apple asset: its adamId, with
// ":"+pricingParam appended for any pricing but the standard one (STDQ and PLUS
// licenses of one app are separate).
func AppleProductID(a apple.Asset) string {
	if a.PricingParam == "" || a.PricingParam == apple.PricingStandard {
		return a.AdamID
	}
	return a.AdamID + ":" + a.PricingParam
}

// AppleAsset is the inverse of AppleProductID.
func AppleAsset(product string) apple.Asset {
	adam, pricing, ok := strings.Cut(product, ":")
	if !ok {
		return apple.Asset{AdamID: product, PricingParam: apple.PricingStandard}
	}
	return apple.Asset{AdamID: adam, PricingParam: pricing}
}

// AppleNames names the catalog entries of Apple assets. The Apps and Books API does
// not return names (Apple's content metadata lookup does); without one, an entry is
// named after its kind and adamId.
type AppleNames func(adamID string) (displayName, publisher string, ok bool)

// AppleVersions gives the version an app asset has at the App Store now, for
// the catalog entry of one platform family (mdm.AppTypeIOSVPP or
// mdm.AppTypeMacOSVPP: an app's iOS and macOS builds are numbered apart). The
// Apps and Books API does not carry versions (Apple's content metadata lookup
// does). ok is false when the lookup cannot answer now; the entry then keeps
// the version the catalog has, as it does when the answer is not valid UTF-8
// (the catalog would refuse it): a failing lookup neither erases a version nor
// stops the sync of the token's licenses (S2). Without WithAppleVersions an
// entry has no version and the tenant does not track it: every copy installed
// counts as current (T4), and no update goes out.
type AppleVersions func(adamID string, t mdm.AppType) (version string, ok bool)

// setVersions gives the app entries of the snapshot their store versions
// (books have none); an entry the lookup gives no usable version keeps the
// one known reads from the catalog, asked once, and only then.
func setVersions(snap *Snapshot, versions AppleVersions, known func() (map[mdm.AppID]string, error)) error {
	var have map[mdm.AppID]string
	for i := range snap.Products {
		p := &snap.Products[i]
		for j := range p.Apps {
			a := &p.Apps[j]
			if a.Type == mdm.AppTypeVPPBook {
				continue
			}
			if v, ok := versions(AppleAsset(p.ID).AdamID, a.Type); ok && utf8.ValidString(v) {
				a.Version = v
				continue
			}
			if have == nil {
				var err error
				if have, err = known(); err != nil {
					return err
				}
			}
			a.Version = have[a.ID]
		}
	}
	return nil
}

// appleApps builds the catalog entries of an asset: a book is one entry; an app is
// one entry per platform family it supports, iOS (iPadOS, tvOS, watchOS and
// visionOS install through the iOS type) and macOS. Each id carries its kind, so a
// change of platforms never renames an entry (C8).
func appleApps(token mdm.TokenID, a *apple.ResponseAsset, names AppleNames) []mdm.App {
	product := AppleProductID(a.Asset())
	base := mdm.App{Origin: mdm.StoreOrigin{Store: mdm.StoreAppleVPP, Token: token, ProductID: product}}
	if names != nil {
		if n, pub, ok := names(a.AdamID); ok && strings.TrimSpace(n) != "" {
			base.DisplayName, base.Publisher = n, pub
		}
	}
	kind := "VPP app "
	if a.ProductType == apple.ProductBook {
		kind = "VPP book "
	}
	if base.DisplayName == "" {
		base.DisplayName = kind + product
	}
	if a.ProductType == apple.ProductBook {
		base.ID, base.Type = AppID(mdm.StoreAppleVPP, token, product, "book"), mdm.AppTypeVPPBook
		return []mdm.App{base}
	}
	ios, mac := len(a.SupportedPlatforms) == 0, false
	for _, p := range a.SupportedPlatforms {
		switch strings.ToLower(p) {
		case "macos", "osx":
			mac = true
		default:
			ios = true
		}
	}
	var out []mdm.App
	if ios {
		x := base
		x.ID, x.Type = AppID(mdm.StoreAppleVPP, token, product, "ios"), mdm.AppTypeIOSVPP
		out = append(out, x)
	}
	if mac {
		x := base
		x.ID, x.Type = AppID(mdm.StoreAppleVPP, token, product, "macos"), mdm.AppTypeMacOSVPP
		out = append(out, x)
	}
	return out
}

// AppleSnapshot builds a snapshot from what GET assets and GET assignments returned.
// Assignments of an asset the asset listing does not hold (bought between the two
// reads) are left for the next sync.
func AppleSnapshot(token mdm.TokenID, account string, assets []apple.ResponseAsset, assignments []apple.Assignment, names AppleNames) *Snapshot {
	s := &Snapshot{Store: mdm.StoreAppleVPP, Token: token, Account: account, Products: make([]Product, 0, len(assets))}
	for i := range assets {
		a := &assets[i]
		s.Products = append(s.Products, Product{ID: AppleProductID(a.Asset()), Apps: appleApps(token, a, names),
			Total: max(a.TotalCount, 0), Retired: max(a.RetiredCount, 0),
			OverTotal: a.AssignedCount > a.TotalCount, Revocable: a.Revocable && a.ProductType != apple.ProductBook})
	}
	s.Normalize()
	index := s.productIndex()
	hs := make([]Holding, 0, len(assignments))
	of := make([]int32, 0, len(assignments))
	for _, as := range assignments {
		h, valid := appleHolding(as)
		if k, ok := index[h.Product]; ok && valid {
			hs = append(hs, h)
			of = append(of, k)
		}
	}
	s.Holdings = s.groupByIndex(hs, of)
	return s
}

// appleHolding is the holding an assignment records; ok is false when it names
// both or neither of a serial number and a clientUserId.
func appleHolding(as apple.Assignment) (h Holding, ok bool) {
	h = Holding{Product: AppleProductID(apple.Asset{AdamID: as.AdamID, PricingParam: as.PricingParam}),
		Serial: as.SerialNumber, ClientUserID: as.ClientUserID}
	return h, (h.Serial == "") != (h.ClientUserID == "")
}
