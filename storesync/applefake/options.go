package applefake

import (
	"time"

	"github.com/benbjohnson/clock"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// Option configures a Handler or a Direct adapter; each ignores what does not concern
// it.
type Option func(*settings)

type settings struct {
	faults        *Faults
	clock         clock.Clock // Handler: the time of each request
	prefix        string      // Handler: the path the API lives under
	owner         *apple.MdmInfo
	maxRetries    int
	maxRestarts   int
	maxRetryAfter time.Duration
	limitsTTL     time.Duration
}

func newSettings(opts []Option) settings {
	s := settings{clock: clock.New(), prefix: "/mdm/v2", maxRetries: apple.DefaultMaxRetries,
		maxRestarts: apple.DefaultMaxRestarts, maxRetryAfter: apple.DefaultMaxRetryAfter,
		limitsTTL: apple.DefaultLimitsTTL}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// WithFaults injects the faults of f.
func WithFaults(f *Faults) Option { return func(s *settings) { s.faults = f } }

// WithClock gives a Handler its time source (default: the wall clock).
func WithClock(c clock.Clock) Option {
	return func(s *settings) {
		if c != nil {
			s.clock = c
		}
	}
}

// WithPrefix sets the path a Handler serves the API under (default "/mdm/v2", as
// Apple's base URL has).
func WithPrefix(p string) Option { return func(s *settings) { s.prefix = p } }

// WithMdmInfo names the service a Direct adapter acts for, as apple.WithMdmInfo does.
func WithMdmInfo(m apple.MdmInfo) Option { return func(s *settings) { s.owner = &m } }

// WithMaxRetries bounds a Direct adapter's retries, as apple.WithMaxRetries does.
func WithMaxRetries(n int) Option { return func(s *settings) { s.maxRetries = max(n, 0) } }

// WithMaxRestarts bounds a Direct adapter's restarts of paged reads.
func WithMaxRestarts(n int) Option { return func(s *settings) { s.maxRestarts = max(n, 0) } }

// WithMaxRetryAfter is the longest Retry-After a Direct adapter retries after.
func WithMaxRetryAfter(d time.Duration) Option {
	return func(s *settings) { s.maxRetryAfter = max(d, 0) }
}
