package msfb

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Ops of the connector, the keys of fault injection.
const (
	OpInventory        = "inventory"
	OpProductDetails   = "productDetails"
	OpLocalizedDetails = "localizedDetails"
	OpSeats            = "seats"
	OpBulkSeats        = "bulkSeats"
)

var ops = []string{OpInventory, OpProductDetails, OpLocalizedDetails, OpSeats, OpBulkSeats}

// FaultKind is what an injected fault does to a call; the same faults applefake
// offers for Apple.
type FaultKind uint8

const (
	// FaultStatus answers with HTTP Status (503 when 0), with RetryAfter when set.
	FaultStatus FaultKind = iota + 1
	// FaultRateLimit answers 429 with Retry-After (1 s when 0).
	FaultRateLimit
	// FaultTruncated serves the call, then loses the second half of the answer.
	FaultTruncated
	// FaultSlow answers after Delay: past the connector's timeout the call fails
	// with ErrTimeout, as a client that gave up; within it, it is served and the
	// delay adds to Waited. Nothing sleeps.
	FaultSlow
	// FaultUnauthorized answers 401: the connection's credentials expired or were
	// revoked.
	FaultUnauthorized
	// FaultChangeInventory records a change in the account, then serves the call:
	// a continuation token issued before it is refused, mid-paging.
	FaultChangeInventory
)

var faultNames = [...]string{"", "status", "rateLimit", "truncated", "slow", "unauthorized", "changeInventory"}

func (k FaultKind) String() string {
	if k > 0 && int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is one scripted misbehaviour of an op.
type Fault struct {
	Kind       FaultKind
	Status     int
	RetryAfter time.Duration
	Delay      time.Duration
	After      int // calls let through first
	Times      int // calls it fires on; 1 when < 1
}

// Faults is a script of faults per op, safe for concurrent use. Every call is
// counted.
type Faults struct {
	mu    sync.Mutex
	queue map[string][]*Fault
	calls map[string]int
}

// NewFaults returns an empty script.
func NewFaults() *Faults { return &Faults{queue: map[string][]*Fault{}, calls: map[string]int{}} }

// Add appends a fault for an op; one that cannot be injected is refused.
func (f *Faults) Add(op string, ft Fault) error {
	known := false
	for _, o := range ops {
		known = known || o == op
	}
	switch {
	case !known:
		return adminErr("Faults.Add", "unknown op %q", op)
	case ft.Kind < FaultStatus || ft.Kind > FaultChangeInventory:
		return adminErr("Faults.Add", "unknown kind %d", ft.Kind)
	case ft.Kind == FaultStatus && ft.Status != 0 && (ft.Status < 400 || ft.Status > 599):
		return adminErr("Faults.Add", "status %d is not an HTTP error", ft.Status)
	case ft.After < 0 || ft.RetryAfter < 0 || ft.Delay < 0:
		return adminErr("Faults.Add", "After, RetryAfter and Delay cannot be negative")
	}
	ft.Times = max(ft.Times, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue[op] = append(f.queue[op], &ft)
	return nil
}

// Calls is how many calls an op received.
func (f *Faults) Calls(op string) int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls[op] }

func (f *Faults) take(op string) (Fault, bool) {
	if f == nil {
		return Fault{}, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	q := f.queue[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	if q[0].After > 0 {
		q[0].After--
		return Fault{}, false
	}
	ft := *q[0]
	if q[0].Times--; q[0].Times == 0 {
		f.queue[op] = q[1:]
	}
	return ft, true
}

// Defaults of a Connector.
const (
	DefaultMaxRetries    = 3
	DefaultTimeout       = 30 * time.Second
	DefaultMaxRetryAfter = 5 * time.Minute
)

// Connector is the management service's in-process connection to one account of a
// Core, with fault injection: what a client of the retired REST API did, without
// HTTP. It retries throttling (429) and server errors (5xx) a bounded number of
// times; the Retry-After it would have waited adds up in Waited (nothing sleeps).
// It is safe for concurrent use.
type Connector struct {
	core          *Core
	account       string
	faults        *Faults
	maxRetries    int
	timeout       time.Duration
	maxRetryAfter time.Duration

	mu     sync.Mutex
	waited time.Duration
}

// Option configures a Connector.
type Option func(*Connector)

// WithFaults injects the faults of f.
func WithFaults(f *Faults) Option { return func(c *Connector) { c.faults = f } }

// WithMaxRetries bounds the retries of one call.
func WithMaxRetries(n int) Option { return func(c *Connector) { c.maxRetries = max(n, 0) } }

// WithTimeout is how long a call may take before the connector gives up on it.
func WithTimeout(d time.Duration) Option { return func(c *Connector) { c.timeout = max(d, 0) } }

// NewConnector connects to an account of core.
func NewConnector(core *Core, account string, opts ...Option) *Connector {
	c := &Connector{core: core, account: account, maxRetries: DefaultMaxRetries, timeout: DefaultTimeout,
		maxRetryAfter: DefaultMaxRetryAfter}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Account is the tenant id of the account the connector is connected to.
func (c *Connector) Account() string { return c.account }

// Waited is the total delay and Retry-After the connector's calls skipped over.
func (c *Connector) Waited() time.Duration { c.mu.Lock(); defer c.mu.Unlock(); return c.waited }

func (c *Connector) wait(d time.Duration) {
	c.mu.Lock()
	c.waited += d
	c.mu.Unlock()
}

// call serves one call with faults and retries.
func call[T any](ctx context.Context, c *Connector, op string, serve func() (*T, error)) (*T, error) {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("msfb: %s: %w", op, err)
		}
		out, err := serveOnce(c, op, serve)
		if err == nil {
			return out, nil
		}
		var e *Error
		if !errors.As(err, &e) || !e.Retryable() || attempt > c.maxRetries || e.RetryAfter > c.maxRetryAfter {
			if e != nil {
				e.Attempts = attempt
			}
			return nil, err
		}
		c.wait(e.RetryAfter)
	}
}

func serveOnce[T any](c *Connector, op string, serve func() (*T, error)) (*T, error) {
	ft, fired := c.faults.take(op)
	if fired {
		switch ft.Kind {
		case FaultStatus:
			st := ft.Status
			if st == 0 {
				st = http.StatusServiceUnavailable
			}
			return nil, &Error{Op: op, Status: st, RetryAfter: ft.RetryAfter}
		case FaultRateLimit:
			ra := ft.RetryAfter
			if ra == 0 {
				ra = time.Second
			}
			return nil, &Error{Op: op, Status: http.StatusTooManyRequests, Reason: "Too many requests", RetryAfter: ra}
		case FaultUnauthorized:
			return nil, &Error{Op: op, Status: http.StatusUnauthorized, Reason: "credentials expired"}
		case FaultSlow:
			if c.timeout > 0 && ft.Delay > c.timeout {
				c.wait(c.timeout)
				return nil, fmt.Errorf("msfb: %s: %w (%s)", op, ErrTimeout, c.timeout)
			}
			c.wait(ft.Delay)
		case FaultChangeInventory:
			_ = c.core.Touch(c.account)
		}
	}
	out, err := serve()
	if err != nil {
		return nil, err
	}
	if fired && ft.Kind == FaultTruncated {
		return nil, &DecodeError{Op: op, Reason: "unexpected end of JSON input"}
	}
	return out, nil
}

// InventoryPage reads one page of Get Inventory.
func (c *Connector) InventoryPage(ctx context.Context, continuationToken string, maxResults int) (*InventoryResultSet, error) {
	return call(ctx, c, OpInventory, func() (*InventoryResultSet, error) {
		return c.core.Inventory(c.account, continuationToken, maxResults)
	})
}

// ProductDetails reads Get product details.
func (c *Connector) ProductDetails(ctx context.Context, key ProductKey) (*ProductDetails, error) {
	return call(ctx, c, OpProductDetails, func() (*ProductDetails, error) { return c.core.ProductDetails(c.account, key) })
}

// LocalizedDetails reads Get localized product details in language.
func (c *Connector) LocalizedDetails(ctx context.Context, key ProductKey, language string) (*LocalizedProductDetail, error) {
	return call(ctx, c, OpLocalizedDetails, func() (*LocalizedProductDetail, error) {
		return c.core.LocalizedDetails(c.account, key, language)
	})
}

// SeatsPage reads one page of Get seats.
func (c *Connector) SeatsPage(ctx context.Context, key ProductKey, continuationToken string, maxResults int) (*SeatDetailsResultSet, error) {
	return call(ctx, c, OpSeats, func() (*SeatDetailsResultSet, error) {
		return c.core.Seats(c.account, key, continuationToken, maxResults)
	})
}

// BulkSeats assigns or reclaims seats of users, at now.
func (c *Connector) BulkSeats(ctx context.Context, now time.Time, key ProductKey, users []string, action SeatAction) (*BulkSeatOperationResultSet, error) {
	return call(ctx, c, OpBulkSeats, func() (*BulkSeatOperationResultSet, error) {
		return c.core.BulkSeats(c.account, now, key, users, action)
	})
}
