package apple

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// maxMessageLen bounds an errorMessage kept in an *APIError.
const maxMessageLen = 1 << 10

// request is one API call before it is sent.
type request struct {
	ep         Endpoint
	method     string
	query      url.Values
	body       any  // JSON-encoded when not nil
	noAuth     bool // service/config is the one endpoint without a token
	checkOwner bool // fail with *ClaimedError on another service's mdmInfo
}

// do sends r, retrying within the configured bounds, and decodes the answer into out.
func (c *Client) do(ctx context.Context, r request, out any) error {
	var payload []byte
	if r.body != nil {
		var err error
		if payload, err = json.Marshal(r.body); err != nil {
			return fmt.Errorf("apple: %s: cannot encode request: %w", r.ep, err)
		}
	}
	u := c.base.JoinPath(string(r.ep))
	u.RawQuery = r.query.Encode()
	target := u.String()
	for attempt := 1; ; attempt++ {
		err := c.once(ctx, r, target, payload, out)
		if err == nil {
			if r.checkOwner {
				if e, ok := out.(interface{ Env() Envelope }); ok {
					return CheckOwner(r.ep, c.cfg.owner, e.Env())
				}
			}
			return nil
		}
		wait, retry := c.retryDelay(err, attempt)
		if !retry || attempt > c.cfg.maxRetries {
			return withAttempts(err, attempt)
		}
		if werr := c.wait(ctx, wait); werr != nil {
			return fmt.Errorf("apple: %s: stopped waiting %s to retry: %w (last answer: %v)", r.ep, wait, werr, err)
		}
	}
}

// once sends r one time.
func (c *Client) once(ctx context.Context, r request, target string, payload []byte, out any) error {
	actx := ctx
	if c.cfg.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, c.cfg.timeout)
		defer cancel()
	}
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(actx, r.method, target, body)
	if err != nil {
		return fmt.Errorf("apple: %s: cannot build request: %w", r.ep, err)
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.userAgent != "" {
		req.Header.Set("User-Agent", c.cfg.userAgent)
	}
	if !r.noAuth {
		req.Header.Set("Authorization", "Bearer "+*c.token)
	}
	resp, err := c.cfg.http.Do(req)
	if err != nil {
		if ctx.Err() != nil { // the caller gave up: not the server's fault, no retry
			return fmt.Errorf("apple: %s: %w", r.ep, ctx.Err())
		}
		return &TransportError{Endpoint: r.ep, Err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("apple: %s: %w", r.ep, ctx.Err())
		}
		return &TransportError{Endpoint: r.ep, Err: err}
	}
	if int64(len(raw)) > c.cfg.maxBody {
		return &BodyTooLargeError{Endpoint: r.ep, Limit: c.cfg.maxBody}
	}
	err = DecodeResponse(r.ep, resp.StatusCode, resp.Header, raw, out, c.cfg.clock.Now(), *c.token)
	var ae *APIError
	if errors.As(err, &ae) && len(ae.Message) > maxMessageLen {
		ae.Message = ae.Message[:maxMessageLen] + "…"
	}
	return err
}

// retryDelay says whether err is worth another attempt and how long to wait first:
// Apple's Retry-After when given (S5, L11: 9646 honours it), else exponential backoff.
// A Retry-After over the configured maximum is not waited for here.
func (c *Client) retryDelay(err error, attempt int) (time.Duration, bool) {
	var ae *APIError
	if errors.As(err, &ae) {
		if !ae.Retryable() {
			return 0, false
		}
		if ae.RetryAfter > 0 {
			return ae.RetryAfter, ae.RetryAfter <= c.cfg.maxRetryAfter
		}
		return c.backoff(attempt), true
	}
	if errors.Is(err, ErrTransport) {
		return c.backoff(attempt), true
	}
	return 0, false
}

// backoff is base·2^(attempt-1), at most maxBackoff.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.backoff
	for i := 1; i < attempt && d < c.cfg.maxBackoff; i++ {
		d *= 2
	}
	return min(d, c.cfg.maxBackoff)
}

func withAttempts(err error, n int) error {
	var ae *APIError
	if errors.As(err, &ae) {
		ae.Attempts = n
	}
	var te *TransportError
	if errors.As(err, &te) {
		te.Attempts = n
	}
	return err
}
