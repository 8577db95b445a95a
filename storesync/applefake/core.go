package applefake

import (
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// DefaultPageSize is how many records a page holds unless Config says otherwise (Apple:
// "on the order of several hundred").
const DefaultPageSize = 500

// DefaultLimits are the service/config limits Apple publishes.
func DefaultLimits() map[string]int {
	return map[string]int{
		apple.LimitMaxAssets: 25, apple.LimitMaxUsers: 100, "maxNotificationLength": 512,
		"maxRevokeClientUserIds": 100, apple.LimitMaxClientUserIDs: 1000, apple.LimitMaxSerialNumbers: 1000,
		"maxRevokeSerialNumbers": 100, "maxSubscriptions": 25, "maxSubscriptionClientUserIds": 1000,
		"maxMdmNameLength": 100, "maxMdmMetadataLength": 255, "maxMdmIdLength": 100,
	}
}

// Config shapes a Core.
type Config struct {
	PageSize     int            // records per page; DefaultPageSize when < 1
	Limits       map[string]int // service/config limits; DefaultLimits() when nil
	EventLatency time.Duration  // how long an event reports PENDING before its outcome
	MaxEvents    int            // events kept for GET status; DefaultMaxEvents when < 1
}

// DefaultMaxEvents is how many events a core remembers; older ones answer 9604.
const DefaultMaxEvents = 1 << 16

// Core is the fake's state: locations (organisational units) with their tokens,
// assets and license counts, registered users, assignments and events. It is pure: no
// goroutines, no wall clock (methods that need the time take now). Every exported
// method locks, so a Handler, a Direct adapter and a test can share one Core.
//
// Outputs are deterministic: records are sorted (assets by adamId and pricingParam,
// assignments by asset then subject, users by creation), ids come from counters.
type Core struct {
	mu         sync.Mutex
	cfg        Config
	seq        uint64 // the change counter behind every versionId
	locs       []*location
	locByID    map[string]*location
	tokens     map[string]*token
	events     map[string]*event
	eventOrder []string // oldest first
	eventSeq   uint64
}

type token struct {
	sToken  string
	loc     *location
	exp     time.Time
	expired bool // forced by ExpireToken, before exp
	revoked bool
}

type location struct {
	uid, name string
	owner     *apple.MdmInfo // set through client/config; nil until then

	notificationURL   string
	notificationAuth  apple.Secret
	notificationTypes []string

	assets   []*asset // sorted by key
	assetIdx map[apple.Asset]*asset

	users  []*user // creation order; retired records stay
	active map[string]*user

	// assigns holds the assignments by key; sorted, added and log keep them in
	// order (see sortedAssigns).
	assigns   map[assignKey]*assignment
	sorted    []*assignment // sorted by key, as of the last merge; may hold gone ones
	added     []*assignment // made since the last merge, unsorted
	spare     []*assignment // the buffer of the next merge
	goneInRun int           // unassigned since the last merge
	log       []*assignment // in version order; may hold gone ones
	goneInLog int
	query     assignQueryCache

	assetsVer, assignsVer, usersVer uint64
}

// NewCore returns an empty core.
func NewCore(cfg Config) *Core {
	if cfg.PageSize < 1 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.MaxEvents < 1 {
		cfg.MaxEvents = DefaultMaxEvents
	}
	if cfg.Limits == nil {
		cfg.Limits = DefaultLimits()
	} else {
		cfg.Limits = maps.Clone(cfg.Limits)
	}
	return &Core{cfg: cfg, locByID: map[string]*location{}, tokens: map[string]*token{}, events: map[string]*event{}}
}

// batchLimits reads the limits the core enforces.
func (c *Core) batchLimits() apple.BatchLimits {
	sc := apple.ServiceConfig{Limits: c.cfg.Limits}
	return sc.BatchLimits()
}

func (c *Core) limit(key string, def int) int {
	if v, ok := c.cfg.Limits[key]; ok && v > 0 {
		return v
	}
	return def
}

// bump advances the change counter and returns the new version.
func (c *Core) bump() uint64 { c.seq++; return c.seq }

// envelope is what every authenticated response carries.
func envelope(t *token) apple.Envelope {
	env := apple.Envelope{TokenExpirationDate: apple.FormatTime(t.exp), UID: t.loc.uid}
	if t.loc.owner != nil {
		o := *t.loc.owner
		env.MdmInfo = &o
	}
	return env
}

// ownerID is the id of the service managing loc now; assignments and users record it
// as their creator (S6).
func (l *location) ownerID() string {
	if l.owner == nil {
		return ""
	}
	return l.owner.ID
}

// auth checks a token at now: missing 9601, unknown 9622, revoked 9625, expired 9621.
func (c *Core) auth(now time.Time, ep apple.Endpoint, sToken string) (*token, error) {
	if sToken == "" {
		return nil, apiErr(ep, apple.ErrLoginRequired, nil, "")
	}
	t, ok := c.tokens[sToken]
	switch {
	case !ok:
		return nil, apiErr(ep, apple.ErrInvalidToken, nil, "")
	case t.revoked:
		return nil, apiErr(ep, apple.ErrTokenRevoked, nil, "")
	case t.expired || !now.Before(t.exp):
		return nil, apiErr(ep, apple.ErrTokenExpired, nil, "")
	}
	return t, nil
}

// apiErr is a synchronous API error with Apple's message and status for n; detail,
// when given, says what exactly was wrong.
func apiErr(ep apple.Endpoint, n apple.ErrorNumber, info *apple.ErrorInfo, detail string) *apple.APIError {
	msg := n.Message()
	if detail != "" {
		msg += " (" + detail + ")"
	}
	return &apple.APIError{Endpoint: ep, StatusCode: n.HTTPStatus(), Number: n, Message: msg, Info: info}
}

// ErrAdmin is wrapped by every refused admin call (AddAsset, Refund, ...).
var ErrAdmin = errors.New("applefake: admin call refused")

// AdminError says which admin call was refused and why. Nothing was changed.
type AdminError struct {
	Op     string // "AddAsset", "Refund", ...
	Reason string
}

func (e *AdminError) Error() string { return fmt.Sprintf("applefake: %s: %s", e.Op, e.Reason) }
func (e *AdminError) Unwrap() error { return ErrAdmin }

func adminErr(op, format string, args ...any) error {
	return &AdminError{Op: op, Reason: fmt.Sprintf(format, args...)}
}

func (c *Core) location(op, uid string) (*location, error) {
	l, ok := c.locByID[uid]
	if !ok {
		return nil, adminErr(op, "no location %q: create it with AddLocation", uid)
	}
	return l, nil
}

func (c *Core) token(op, sToken string) (*token, error) {
	t, ok := c.tokens[sToken]
	if !ok {
		return nil, adminErr(op, "unknown sToken: issue one with IssueToken")
	}
	return t, nil
}
