package msfb

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// The wire types follow Microsoft's "Data structures for Microsoft Store for
// Business" (the REST API reference, retired with the service); JSON names are the
// documented ones.

// ProductKey identifies a set of seats: a product and one of its SKUs.
type ProductKey struct {
	ProductID string `json:"productId"`
	SkuID     string `json:"skuId"`
}

func (k ProductKey) String() string { return k.ProductID + "/" + k.SkuID }

// LicenseType is how a product's seats are licensed (L13).
type LicenseType string

const (
	Online  LicenseType = "online"  // the store installs; each installing user takes a seat
	Offline LicenseType = "offline" // the management service installs; the license blob goes with it
)

// DistributionPolicy says whether seats are limited by the count.
type DistributionPolicy string

const (
	Open       DistributionPolicy = "open"       // assigned and consumed without limit
	Restricted DistributionPolicy = "restricted" // assigned and consumed within the available count
)

// InventoryStatus says whether an entry is still in the organisation's inventory.
type InventoryStatus string

const (
	Active  InventoryStatus = "active"
	Removed InventoryStatus = "removed"
)

// SeatState is the state of a seat.
type SeatState string

const (
	SeatActive  SeatState = "active"
	SeatRevoked SeatState = "revoked"
)

// SeatAction is what a bulk seat operation does.
type SeatAction string

const (
	Assign  SeatAction = "assign"
	Reclaim SeatAction = "reclaim"
)

// InventoryEntryDetails is one entry of the organisation's inventory.
type InventoryEntryDetails struct {
	ProductKey         ProductKey         `json:"productKey"`
	SeatCapacity       int64              `json:"seatCapacity"`
	AvailableSeats     int64              `json:"availableSeats"`
	LastModified       time.Time          `json:"lastModified"`
	LicenseType        LicenseType        `json:"licenseType"`
	DistributionPolicy DistributionPolicy `json:"distributionPolicy"`
	Status             InventoryStatus    `json:"status"`
}

// InventoryResultSet is one page of Get Inventory. ContinuationToken is set only
// when there is a next page.
type InventoryResultSet struct {
	ContinuationToken string                  `json:"continuationToken,omitempty"`
	InventoryEntries  []InventoryEntryDetails `json:"inventoryEntries"`
}

// SeatDetails is one seat: assigned to a user (UPN).
type SeatDetails struct {
	AssignedTo   string     `json:"assignedTo"`
	DateAssigned time.Time  `json:"dateAssigned"`
	State        SeatState  `json:"state"`
	ProductKey   ProductKey `json:"productKey"`
}

// SeatDetailsResultSet is one page of Get seats.
type SeatDetailsResultSet struct {
	Seats             []SeatDetails `json:"seats"`
	ContinuationToken string        `json:"continuationToken,omitempty"`
}

// PublisherDetails names a publisher.
type PublisherDetails struct {
	PublisherName    string `json:"publisherName"`
	PublisherWebsite string `json:"publisherWebsite,omitempty"`
}

// LocalizedProductDetail is a product's text in one language: the one asked for,
// or the fallback language when the product has no text in it (L16).
type LocalizedProductDetail struct {
	Language    string           `json:"language"`
	DisplayName string           `json:"displayName"`
	Description string           `json:"description,omitempty"`
	Publisher   PublisherDetails `json:"publisher"`
}

// ProductDetails describes a product. RelatedProducts is not in the published
// reference: it stands for what the store told a management service about related
// sets (an app and the products installed with it), which Intune shows as one app
// entry with contained apps (L17).
type ProductDetails struct {
	ProductKey         ProductKey   `json:"productKey"`
	ProductType        string       `json:"productType"`
	SupportedLanguages []string     `json:"supportedLanguages"`
	PublisherID        string       `json:"publisherId"`
	Category           string       `json:"category,omitempty"`
	PackageFamilyName  string       `json:"packageFamilyName,omitempty"`
	RelatedProducts    []ProductKey `json:"relatedProducts,omitempty"`
}

// FailedSeatRequest is one seat a bulk operation could not assign or reclaim.
type FailedSeatRequest struct {
	FailureReason string     `json:"failureReason"`
	ProductKey    ProductKey `json:"productKey"`
	UserName      string     `json:"userName"`
}

// BulkSeatOperationResultSet is the answer of a bulk assign or reclaim.
type BulkSeatOperationResultSet struct {
	SeatDetails          []SeatDetails       `json:"seatDetails"`
	FailedSeatOperations []FailedSeatRequest `json:"failedSeatOperations"`
}

// Sentinels of the documented error codes, for errors.Is.
var (
	ErrInvalidParameters = errors.New("msfb: invalid parameters")           // 400
	ErrUnauthorized      = errors.New("msfb: not authorized")               // 401: the connection's credentials
	ErrNotFound          = errors.New("msfb: not found")                    // 404
	ErrNotOnline         = errors.New("msfb: conflict: product not online") // 409: seats of an offline product
	ErrThrottled         = errors.New("msfb: too many requests")            // 429
	ErrServer            = errors.New("msfb: server error")                 // 5xx
	ErrDecode            = errors.New("msfb: response is not the documented JSON")
	ErrTimeout           = errors.New("msfb: no answer within the timeout")
)

// Error is an error the store answered with.
type Error struct {
	Op         string // "inventory", "seats", ...
	Status     int    // HTTP status
	Reason     string // the documented data field: "Invalid parameter: continuationToken", "Not online", ...
	RetryAfter time.Duration
	Attempts   int
}

func (e *Error) Error() string {
	s := fmt.Sprintf("msfb: %s: HTTP %d", e.Op, e.Status)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	if e.RetryAfter > 0 {
		s += fmt.Sprintf("; retry after %s", e.RetryAfter)
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf("; gave up after %d attempts", e.Attempts)
	}
	return s + ": " + e.remedy()
}

func (e *Error) remedy() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "renew the Store for Business connection's credentials"
	case e.Status == http.StatusTooManyRequests, e.Status >= 500:
		return "retry later"
	case e.Status == http.StatusConflict:
		return "offline products have no seats; count their licenses in the service"
	case e.Status == http.StatusNotFound:
		return "the product or user is not in the inventory; sync again"
	}
	return "fix the request"
}

// Unwrap returns the sentinel of the status.
func (e *Error) Unwrap() error {
	switch {
	case e.Status == http.StatusBadRequest:
		return ErrInvalidParameters
	case e.Status == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.Status == http.StatusNotFound:
		return ErrNotFound
	case e.Status == http.StatusConflict:
		return ErrNotOnline
	case e.Status == http.StatusTooManyRequests:
		return ErrThrottled
	case e.Status >= 500:
		return ErrServer
	}
	return nil
}

// Retryable reports whether the same request may succeed later.
func (e *Error) Retryable() bool { return e.Status == http.StatusTooManyRequests || e.Status >= 500 }

// DecodeError is an answer that is not the documented JSON (e.g. cut short).
type DecodeError struct {
	Op     string
	Reason string
}

func (e *DecodeError) Error() string {
	return "msfb: " + e.Op + ": cannot decode the answer: " + e.Reason + ": retry; report it if it persists"
}

func (e *DecodeError) Unwrap() error { return ErrDecode }

// DecodeInventory decodes a Get Inventory page, refusing what the reference does
// not allow: unknown enum values, negative counts, more available seats than the
// capacity, an entry without a product key.
func DecodeInventory(b []byte) (*InventoryResultSet, error) {
	var out InventoryResultSet
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, &DecodeError{Op: "inventory", Reason: err.Error()}
	}
	for i, e := range out.InventoryEntries {
		bad := func(why string) error {
			return &DecodeError{Op: "inventory", Reason: fmt.Sprintf("inventoryEntries[%d] (%s): %s", i, e.ProductKey, why)}
		}
		switch {
		case e.ProductKey.ProductID == "" || e.ProductKey.SkuID == "":
			return nil, bad("no productKey")
		case e.LicenseType != Online && e.LicenseType != Offline:
			return nil, bad(fmt.Sprintf("licenseType %q", e.LicenseType))
		case e.Status != Active && e.Status != Removed:
			return nil, bad(fmt.Sprintf("status %q", e.Status))
		case e.DistributionPolicy != "" && e.DistributionPolicy != Open && e.DistributionPolicy != Restricted:
			return nil, bad(fmt.Sprintf("distributionPolicy %q", e.DistributionPolicy))
		case e.SeatCapacity < 0 || e.AvailableSeats < 0 || e.AvailableSeats > e.SeatCapacity:
			return nil, bad(fmt.Sprintf("seats %d available of %d", e.AvailableSeats, e.SeatCapacity))
		}
	}
	return &out, nil
}

// DecodeSeats decodes a Get seats page.
func DecodeSeats(b []byte) (*SeatDetailsResultSet, error) {
	var out SeatDetailsResultSet
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, &DecodeError{Op: "seats", Reason: err.Error()}
	}
	for i, s := range out.Seats {
		if s.AssignedTo == "" || (s.State != SeatActive && s.State != SeatRevoked) {
			return nil, &DecodeError{Op: "seats", Reason: fmt.Sprintf("seats[%d]: assignedTo %q, state %q", i, s.AssignedTo, s.State)}
		}
	}
	return &out, nil
}
