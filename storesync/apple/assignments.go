package apple

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// Assignment is one license held by a device (serialNumber) or a user (clientUserId).
// Apple identifies it by adamId plus one of the two (v2 has no license ids).
type Assignment struct {
	AdamID       string `json:"adamId"`
	ClientUserID string `json:"clientUserId,omitempty"`
	SerialNumber string `json:"serialNumber,omitempty"`
	PricingParam string `json:"pricingParam,omitempty"`
	IDHash       string `json:"idHash,omitempty"`
	UserStatus   string `json:"userStatus,omitempty"`
}

// AssignmentsQuery filters GET assignments. SinceVersionID asks only for records
// changed after that version (a versionId from an earlier read).
type AssignmentsQuery struct {
	AdamID         string
	PricingParam   string
	ClientUserID   string
	SerialNumber   string
	SinceVersionID string
}

// Values encodes the query with the page index.
func (q AssignmentsQuery) Values(pageIndex int) url.Values {
	v := url.Values{}
	setIf(v, "adamId", q.AdamID)
	setIf(v, "pricingParam", q.PricingParam)
	setIf(v, "clientUserId", q.ClientUserID)
	setIf(v, "serialNumber", q.SerialNumber)
	setIf(v, "sinceVersionId", q.SinceVersionID)
	v.Set("pageIndex", strconv.Itoa(pageIndex))
	return v
}

// AssignmentsResponse is one page of GET assignments.
type AssignmentsResponse struct {
	Assignments []Assignment `json:"assignments"`
	Paging
	Envelope
}

// PageItems returns the page's assignments.
func (r *AssignmentsResponse) PageItems() []Assignment { return r.Assignments }

// UnmarshalJSON decodes a page of GET assignments and refuses one without
// "assignments" (missingList): read as empty, it would tell a sync that no
// license is assigned at the store.
func (r *AssignmentsResponse) UnmarshalJSON(b []byte) error {
	type page AssignmentsResponse // the fields, without this method
	var p page
	if err := json.Unmarshal(b, &p); err != nil || string(b) == "null" {
		return err // null changes nothing, as encoding/json asks of an Unmarshaler
	}
	if p.Assignments == nil {
		return missingList("assignments")
	}
	*r = AssignmentsResponse(p)
	return nil
}
