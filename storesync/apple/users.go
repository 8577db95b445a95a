package apple

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// User statuses Apple reports.
const (
	UserRegistered = "Registered" // created, no Apple Account yet
	UserAssociated = "Associated" // an Apple Account accepted the invitation
	UserRetired    = "Retired"
	UserDeleted    = "Deleted" // legacy
)

// RequestUser is a user in users/create, users/update or users/retire.
type RequestUser struct {
	ClientUserID   string `json:"clientUserId"`
	Email          string `json:"email,omitempty"`
	ManagedAppleID string `json:"managedAppleId,omitempty"`
}

// ManageUsersRequest is the body of users/create and users/retire.
type ManageUsersRequest struct {
	Users []RequestUser `json:"users"`
}

// ResponseUser is a user of the location. A retired and re-created clientUserId
// appears once per record; at most one of them is not Retired.
type ResponseUser struct {
	ClientUserID string `json:"clientUserId"`
	Email        string `json:"email,omitempty"`
	IDHash       string `json:"idHash,omitempty"`
	InviteCode   string `json:"inviteCode,omitempty"`
	Status       string `json:"status"`
}

// UsersQuery filters GET users.
type UsersQuery struct {
	ClientUserID   string
	ActiveOnly     bool
	SinceVersionID string
}

// Values encodes the query with the page index.
func (q UsersQuery) Values(pageIndex int) url.Values {
	v := url.Values{}
	setIf(v, "clientUserId", q.ClientUserID)
	if q.ActiveOnly {
		v.Set("activeOnly", "true")
	}
	setIf(v, "sinceVersionId", q.SinceVersionID)
	v.Set("pageIndex", strconv.Itoa(pageIndex))
	return v
}

// UsersResponse is one page of GET users.
type UsersResponse struct {
	Users []ResponseUser `json:"users"`
	Paging
	Envelope
}

// PageItems returns the page's users.
func (r *UsersResponse) PageItems() []ResponseUser { return r.Users }

// UnmarshalJSON decodes a page of GET users and refuses one without "users"
// (missingList).
func (r *UsersResponse) UnmarshalJSON(b []byte) error {
	type page UsersResponse // the fields, without this method
	var p page
	if err := json.Unmarshal(b, &p); err != nil || string(b) == "null" {
		return err // null changes nothing, as encoding/json asks of an Unmarshaler
	}
	if p.Users == nil {
		return missingList("users")
	}
	*r = UsersResponse(p)
	return nil
}
