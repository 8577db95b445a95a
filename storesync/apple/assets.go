package apple

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// ProductType is an asset's kind. Books are never device-assignable and never
// revocable (L4, L8).
type ProductType string

const (
	ProductApp  ProductType = "App"
	ProductBook ProductType = "Book"
)

// PricingStandard and PricingPlus are the pricingParam values ("quality") Apple uses.
const (
	PricingStandard = "STDQ"
	PricingPlus     = "PLUS"
)

// Asset names a product in a request: adamId and, optionally, pricingParam.
type Asset struct {
	AdamID       string `json:"adamId"`
	PricingParam string `json:"pricingParam,omitempty"`
}

// ResponseAsset is an asset the location owns, with its license counts.
type ResponseAsset struct {
	AdamID             string      `json:"adamId"`
	AssignedCount      int         `json:"assignedCount"`
	AvailableCount     int         `json:"availableCount"`
	DeviceAssignable   bool        `json:"deviceAssignable"`
	PricingParam       string      `json:"pricingParam"`
	ProductType        ProductType `json:"productType"`
	RetiredCount       int         `json:"retiredCount"`
	Revocable          bool        `json:"revocable"`
	SupportedPlatforms []string    `json:"supportedPlatforms,omitempty"`
	TotalCount         int         `json:"totalCount"`
}

// Asset returns the request form (adamId, pricingParam) of the asset.
func (a ResponseAsset) Asset() Asset { return Asset{AdamID: a.AdamID, PricingParam: a.PricingParam} }

// AssetsQuery filters GET assets. Empty fields do not filter.
type AssetsQuery struct {
	AdamID       string
	PricingParam string
	ProductType  ProductType
}

// Values encodes the query with the page index.
func (q AssetsQuery) Values(pageIndex int) url.Values {
	v := url.Values{}
	setIf(v, "adamId", q.AdamID)
	setIf(v, "pricingParam", q.PricingParam)
	setIf(v, "productType", string(q.ProductType))
	v.Set("pageIndex", strconv.Itoa(pageIndex))
	return v
}

// AssetsResponse is one page of GET assets.
type AssetsResponse struct {
	Assets []ResponseAsset `json:"assets"`
	Paging
	Envelope
}

// PageItems returns the page's assets.
func (r *AssetsResponse) PageItems() []ResponseAsset { return r.Assets }

// UnmarshalJSON decodes a page of GET assets and refuses one without "assets"
// (missingList): read as empty, it would tell a sync that the location owns
// nothing, and the sync would mark every app gone (S2).
func (r *AssetsResponse) UnmarshalJSON(b []byte) error {
	type page AssetsResponse // the fields, without this method
	var p page
	if err := json.Unmarshal(b, &p); err != nil || string(b) == "null" {
		return err // null changes nothing, as encoding/json asks of an Unmarshaler
	}
	if p.Assets == nil {
		return missingList("assets")
	}
	*r = AssetsResponse(p)
	return nil
}

func setIf(v url.Values, key, val string) {
	if val != "" {
		v.Set(key, val)
	}
}
