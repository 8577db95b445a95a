package apple

import (
	"fmt"
	"strings"
)

// ManageAssetsRequest is the body of assets/associate and assets/disassociate: every
// asset with every listed user and device.
type ManageAssetsRequest struct {
	Assets        []Asset  `json:"assets"`
	ClientUserIDs []string `json:"clientUserIds,omitempty"`
	SerialNumbers []string `json:"serialNumbers,omitempty"`
}

// EventResponse is the synchronous answer of a manage request: the work is queued and
// its outcome is read later with the event status.
type EventResponse struct {
	EventID string `json:"eventId"`
	Envelope
}

// EventStatus is the overall state of an asynchronous event.
type EventStatus string

const (
	EventPending  EventStatus = "PENDING"
	EventComplete EventStatus = "COMPLETE"
	EventFailed   EventStatus = "FAILED"
)

// EventType is what an event does.
type EventType string

const (
	EventAssociate    EventType = "ASSOCIATE"
	EventDisassociate EventType = "DISASSOCIATE"
	EventCreateUsers  EventType = "CREATE"
	EventRetireUsers  EventType = "RETIRE"
)

// StatusResponse is the answer of GET status?eventId=.
type StatusResponse struct {
	EventStatus  EventStatus     `json:"eventStatus"`
	EventType    EventType       `json:"eventType"`
	Failures     []ErrorResponse `json:"failures,omitempty"`
	NumCompleted int             `json:"numCompleted"`
	NumRequested int             `json:"numRequested"`
	Envelope
}

// Done reports whether the event finished, successfully or not.
func (s *StatusResponse) Done() bool { return s.EventStatus != EventPending }

// ErrorResponse is Apple's error object: the whole body of a synchronous failure, an
// element of an event's failures, and an entry of service/config errorCodes.
type ErrorResponse struct {
	ErrorInfo    *ErrorInfo  `json:"errorInfo,omitempty"`
	ErrorMessage string      `json:"errorMessage,omitempty"`
	ErrorNumber  ErrorNumber `json:"errorNumber"`
}

// Err returns the failure as an *APIError of the status endpoint, so errors.Is works
// on an event's failures as on a synchronous error.
func (r ErrorResponse) Err() error {
	return &APIError{Endpoint: EndpointEventStatus, StatusCode: 200, Number: r.ErrorNumber,
		Message: r.ErrorMessage, Info: r.ErrorInfo}
}

// ErrorInfo names the assets, users and devices an error concerns.
type ErrorInfo struct {
	Assets        []Asset  `json:"assets,omitempty"`
	ClientUserIDs []string `json:"clientUserIds,omitempty"`
	SerialNumbers []string `json:"serialNumbers,omitempty"`
}

// summary lists up to a few of the concerned items, for error text.
func (i *ErrorInfo) summary() string {
	const show = 3
	var parts []string
	add := func(kind string, ids []string) {
		if len(ids) == 0 {
			return
		}
		s := kind + " " + strings.Join(ids[:min(len(ids), show)], ", ")
		if len(ids) > show {
			s += fmt.Sprintf(" and %d more", len(ids)-show)
		}
		parts = append(parts, s)
	}
	ids := make([]string, len(i.Assets))
	for k, a := range i.Assets {
		ids[k] = a.AdamID
	}
	add("assets", ids)
	add("clientUserIds", i.ClientUserIDs)
	add("serialNumbers", i.SerialNumbers)
	return strings.Join(parts, "; ")
}
