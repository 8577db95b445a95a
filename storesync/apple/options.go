package apple

import (
	"context"
	"net/http"
	"time"

	"github.com/benbjohnson/clock"
)

// DefaultBaseURL is Apple's Apps and Books for Organizations v2 endpoint (S5).
const DefaultBaseURL = "https://vpp.itunes.apple.com/mdm/v2"

// Defaults of the client's options.
const (
	DefaultTimeout       = 30 * time.Second // per HTTP attempt
	DefaultMaxBodySize   = 32 << 20         // bytes
	DefaultMaxRetries    = 3
	DefaultMaxRetryAfter = 5 * time.Minute // longer Retry-After waits go back to the caller
	DefaultBackoff       = time.Second     // first wait after a 5xx or no answer, doubled each time
	DefaultMaxBackoff    = 30 * time.Second
	DefaultLimitsTTL     = 5 * time.Minute // Apple asks clients to re-read limits this often
)

// Option configures a Client.
type Option func(*config)

type config struct {
	baseURL       string
	http          *http.Client
	timeout       time.Duration
	maxBody       int64
	maxRetries    int
	maxRetryAfter time.Duration
	backoff       time.Duration
	maxBackoff    time.Duration
	clock         clock.Clock
	wait          func(ctx context.Context, d time.Duration) error
	maxRestarts   int
	owner         *MdmInfo
	limitsTTL     time.Duration
	userAgent     string
}

func defaultConfig() config {
	return config{
		baseURL:       DefaultBaseURL,
		http:          http.DefaultClient,
		timeout:       DefaultTimeout,
		maxBody:       DefaultMaxBodySize,
		maxRetries:    DefaultMaxRetries,
		maxRetryAfter: DefaultMaxRetryAfter,
		backoff:       DefaultBackoff,
		maxBackoff:    DefaultMaxBackoff,
		clock:         clock.New(),
		maxRestarts:   DefaultMaxRestarts,
		limitsTTL:     DefaultLimitsTTL,
		userAgent:     "mdmkit-apple/2",
	}
}

// WithBaseURL replaces DefaultBaseURL, e.g. with a loopback fake's URL + "/mdm/v2".
func WithBaseURL(u string) Option { return func(c *config) { c.baseURL = u } }

// WithHTTPClient sets the HTTP client; nil keeps http.DefaultClient.
func WithHTTPClient(h *http.Client) Option {
	return func(c *config) {
		if h != nil {
			c.http = h
		}
	}
}

// WithTimeout bounds each HTTP attempt (request and body); 0 means no bound beyond the
// context's. Waits between retries are not part of it.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = max(d, 0) } }

// WithMaxBodySize bounds a response body; a larger one is a *BodyTooLargeError.
func WithMaxBodySize(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxBody = n
		}
	}
}

// WithMaxRetries bounds the retries of one request after rate limiting (429, 9646),
// server errors (5xx) and no answer; 0 sends each request once.
func WithMaxRetries(n int) Option { return func(c *config) { c.maxRetries = max(n, 0) } }

// WithMaxRetryAfter is the longest Retry-After the client waits for itself; a longer
// one is returned to the caller as the *APIError, with RetryAfter set.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(c *config) { c.maxRetryAfter = max(d, 0) }
}

// WithBackoff sets the wait after a server error or no answer when Apple gives no
// Retry-After: base, doubled per retry, at most maxWait.
func WithBackoff(base, maxWait time.Duration) Option {
	return func(c *config) { c.backoff, c.maxBackoff = max(base, 0), max(maxWait, 0) }
}

// WithClock sets the clock the client reads (for the limits cache and Retry-After
// dates) and waits on. A test passes clock.NewMock(), or uses WithWait.
func WithClock(clk clock.Clock) Option {
	return func(c *config) {
		if clk != nil {
			c.clock = clk
		}
	}
}

// WithWait replaces how the client waits before a retry. wait must return early with
// ctx.Err() when ctx ends. Tests pass a function that records d and returns at once.
func WithWait(wait func(ctx context.Context, d time.Duration) error) Option {
	return func(c *config) { c.wait = wait }
}

// WithMaxRestarts bounds how often a read of all pages starts over because versionId
// changed mid-read (S5).
func WithMaxRestarts(n int) Option { return func(c *config) { c.maxRestarts = max(n, 0) } }

// WithMdmInfo names this service. Every response whose mdmInfo names another service
// then fails with a *ClaimedError (L3), except client/config, which is how a caller
// looks at the owner and takes control back.
func WithMdmInfo(m MdmInfo) Option { return func(c *config) { c.owner = &m } }

// WithLimitsTTL sets how long service/config limits are reused before re-reading.
func WithLimitsTTL(d time.Duration) Option { return func(c *config) { c.limitsTTL = max(d, 0) } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *config) { c.userAgent = ua } }

// clockWait waits d on clk, or until ctx ends.
func clockWait(clk clock.Clock) func(ctx context.Context, d time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if d <= 0 {
			return ctx.Err()
		}
		t := clk.Timer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			return nil
		}
	}
}
