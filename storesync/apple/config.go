package apple

import (
	"fmt"
	"time"
)

// MdmInfo identifies the management service that set it through client/config. Apple
// returns it on every later response, which is how a service notices that another one
// claimed its token (L3, S5).
type MdmInfo struct {
	ID       string `json:"id"`
	Metadata string `json:"metadata"`
	Name     string `json:"name"`
}

// SameService reports whether two mdmInfo values name the same service. The id decides;
// name and metadata are descriptive and may change.
func (m MdmInfo) SameService(o MdmInfo) bool { return m.ID == o.ID }

// Envelope holds the fields Apple adds to every authenticated response.
type Envelope struct {
	TokenExpirationDate string   `json:"tokenExpirationDate,omitempty"` // ISO 8601, UTC
	UID                 string   `json:"uId,omitempty"`                 // the location (library) id
	MdmInfo             *MdmInfo `json:"mdmInfo,omitempty"`             // present once a service set it
}

// Env returns the envelope; the response types embed it.
func (e Envelope) Env() Envelope { return e }

// TimeLayout is the layout of Apple's dates: tokenExpirationDate
// ("2030-11-08T22:33:22+0000") and the sToken's expDate ("2014-08-15T18:13:52-0700").
const TimeLayout = "2006-01-02T15:04:05-0700"

// FormatTime formats t the way Apple does (UTC, TimeLayout).
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime parses one of Apple's dates. RFC 3339 ("...Z", "+00:00") is accepted too.
func ParseTime(s string) (time.Time, error) {
	if t, err := time.Parse(TimeLayout, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("apple: date %q is neither %s nor RFC 3339", s, TimeLayout)
	}
	return t, nil
}

// TokenExpiration parses TokenExpirationDate.
func (e Envelope) TokenExpiration() (time.Time, error) { return ParseTime(e.TokenExpirationDate) }

// ServiceConfig is the answer of GET service/config: the request limits, the URLs and
// the error numbers of the service. Limits change without notice; Apple asks clients
// to re-read them every few minutes (S5).
type ServiceConfig struct {
	ErrorCodes        []ErrorResponse   `json:"errorCodes,omitempty"`
	Limits            map[string]int    `json:"limits,omitempty"`
	NotificationTypes []string          `json:"notificationTypes,omitempty"`
	URLs              map[string]string `json:"urls,omitempty"`
}

// Keys of ServiceConfig.Limits this package uses.
const (
	LimitMaxAssets        = "maxAssets"
	LimitMaxClientUserIDs = "maxClientUserIds"
	LimitMaxSerialNumbers = "maxSerialNumbers"
	LimitMaxUsers         = "maxUsers"
)

// BatchLimits are the sizes a manage request must stay within.
type BatchLimits struct {
	MaxAssets        int
	MaxClientUserIDs int
	MaxSerialNumbers int
	MaxUsers         int
}

// DefaultBatchLimits are Apple's published values, used only where service/config
// leaves a limit out or gives a value below 1.
var DefaultBatchLimits = BatchLimits{MaxAssets: 25, MaxClientUserIDs: 1000, MaxSerialNumbers: 1000, MaxUsers: 100}

// BatchLimits reads the manage-request limits, falling back to DefaultBatchLimits for
// a missing or non-positive value.
func (s *ServiceConfig) BatchLimits() BatchLimits {
	get := func(key string, def int) int {
		if v, ok := s.Limits[key]; ok && v > 0 {
			return v
		}
		return def
	}
	d := DefaultBatchLimits
	return BatchLimits{
		MaxAssets:        get(LimitMaxAssets, d.MaxAssets),
		MaxClientUserIDs: get(LimitMaxClientUserIDs, d.MaxClientUserIDs),
		MaxSerialNumbers: get(LimitMaxSerialNumbers, d.MaxSerialNumbers),
		MaxUsers:         get(LimitMaxUsers, d.MaxUsers),
	}
}

// ClientConfig is the answer of GET and POST client/config.
type ClientConfig struct {
	CountryISO2ACode            string   `json:"countryISO2ACode,omitempty"`
	DefaultPlatform             string   `json:"defaultPlatform,omitempty"`
	LocationName                string   `json:"locationName,omitempty"`
	NotificationAuthToken       Secret   `json:"notificationAuthToken,omitempty"`
	NotificationURL             string   `json:"notificationUrl,omitempty"`
	SubscribedNotificationTypes []string `json:"subscribedNotificationTypes,omitempty"`
	WebsiteURL                  string   `json:"websiteURL,omitempty"`
	Envelope
}

// ClientConfigRequest is the body of POST client/config. Setting MdmInfo is how a
// service marks the token as its own, and how it takes control back after another
// service claimed it (L3).
type ClientConfigRequest struct {
	MdmInfo               *MdmInfo `json:"mdmInfo,omitempty"`
	NotificationAuthToken Secret   `json:"notificationAuthToken,omitempty"`
	NotificationTypes     []string `json:"notificationTypes,omitempty"`
	NotificationURL       string   `json:"notificationUrl,omitempty"`
}
