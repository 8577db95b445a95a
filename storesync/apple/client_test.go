package apple

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/mdmkit/mdmkit/mdm"
)

// recorder is a wait function that returns at once and remembers what it was asked.
type recorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (r *recorder) wait(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.waits = append(r.waits, d)
	return ctx.Err()
}

func newTestClient(t *testing.T, url string, opts ...Option) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	c, err := New(testSecret, append([]Option{WithBaseURL(url + "/mdm/v2"), WithWait(rec.wait), WithTimeout(2 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

func TestNew_Refuses(t *testing.T) {
	if _, err := New(""); !errors.Is(err, mdm.ErrMissingField) {
		t.Fatalf("empty token: %v", err)
	}
	for _, u := range []string{"", "ftp://x/y", "://", "/relative"} {
		_, err := New(testSecret, WithBaseURL(u))
		if !errors.Is(err, mdm.ErrInvalidURL) {
			t.Fatalf("%q: %v", u, err)
		}
		assertNoSecret(t, err.Error(), testSecret)
	}
}

// L1: the client never prints its token, whatever the verb.
func TestClient_NeverPrintsToken(t *testing.T) {
	c, _ := newTestClient(t, "http://127.0.0.1:9")
	type holder struct {
		c *Client
		v Client
	}
	h := holder{c: c, v: *c}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%T %v"} {
		for _, x := range []any{c, *c, h, &h} {
			assertNoSecret(t, fmt.Sprintf(verb, x, x), testSecret)
		}
	}
	opts := []Option{WithBaseURL("http://x"), WithMdmInfo(MdmInfo{ID: "m"}), WithTimeout(time.Second)}
	assertNoSecret(t, fmt.Sprintf("%v %+v %#v", opts, opts, opts), testSecret)
	if !strings.Contains(c.String(), Redacted) {
		t.Fatalf("String: %s", c)
	}
}

// S5: the token goes in "Authorization: Bearer", except to service/config.
func TestClient_AuthorizationHeader(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Path] = r.Header.Get("Authorization")
		mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "service/config") {
			w.Write([]byte(`{"limits":{"maxAssets":5}}`))
			return
		}
		w.Write([]byte(`{"countryISO2ACode":"US"}`))
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	if _, err := c.ServiceConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClientConfig(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen["/mdm/v2/service/config"] != "" || seen["/mdm/v2/client/config"] != "Bearer "+testSecret {
		t.Fatalf("headers: %q", seen)
	}
}

// A body over the limit is a typed error, read no further.
func TestClient_BodyTooLarge(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"assets":[` + strings.Repeat(`{"adamId":"1"},`, 1000) + `{}]}`))
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL, WithMaxBodySize(1024))
	_, err := c.AssetsPage(context.Background(), AssetsQuery{}, 0)
	var be *BodyTooLargeError
	if !errors.As(err, &be) || !errors.Is(err, ErrBodyTooLarge) || be.Limit != 1024 {
		t.Fatalf("got %v", err)
	}
}

// No answer at all is retried with backoff, then a *TransportError.
func TestClient_TransportRetries(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there now
	c, rec := newTestClient(t, url, WithMaxRetries(3), WithBackoff(100*time.Millisecond, 250*time.Millisecond))
	_, err := c.ClientConfig(context.Background())
	var te *TransportError
	if !errors.As(err, &te) || !errors.Is(err, ErrTransport) || te.Attempts != 4 {
		t.Fatalf("got %v", err)
	}
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	if fmt.Sprint(rec.waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", rec.waits, want)
	}
	assertNoSecret(t, err.Error(), testSecret)
}

// L11: a Retry-After longer than the client will wait goes back to the caller.
func TestClient_RetryAfterTooLong(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"errorNumber":9646,"errorMessage":"slow down"}`))
	}))
	defer srv.Close()
	c, rec := newTestClient(t, srv.URL, WithMaxRetryAfter(time.Minute))
	_, err := c.ClientConfig(context.Background())
	var ae *APIError
	if !errors.As(err, &ae) || !errors.Is(err, ErrRateLimited) || ae.RetryAfter != time.Hour || ae.Attempts != 1 {
		t.Fatalf("got %v", err)
	}
	if len(rec.waits) != 0 {
		t.Fatalf("waited %v", rec.waits)
	}
}

// A cancelled context stops a retry wait and is not retried.
func TestClient_ContextCancelledDuringWait(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := New(testSecret, WithBaseURL(srv.URL+"/mdm/v2"), WithWait(func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ClientConfig(ctx)
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("got %v after %d calls", err, calls)
	}
}

// The default wait runs on the clock: with a mock clock the retry happens when the
// clock reaches the Retry-After.
func TestClient_WaitsOnClock(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	mock := clock.NewMock()
	c, err := New(testSecret, WithBaseURL(srv.URL+"/mdm/v2"), WithClock(mock))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := c.ClientConfig(context.Background()); done <- err }()
	for i := 0; ; i++ {
		select {
		case err := <-done:
			if err != nil || calls != 2 {
				t.Fatalf("got %v after %d calls", err, calls)
			}
			return
		case <-time.After(time.Millisecond):
			mock.Add(10 * time.Second)
		}
		if i > 2000 {
			t.Fatal("retry never happened")
		}
	}
}

// S5: limits are read from service/config and re-read after the TTL.
func TestClient_LimitsCache(t *testing.T) {
	reads := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reads++
		fmt.Fprintf(w, `{"limits":{"maxAssets":%d}}`, reads)
	}))
	defer srv.Close()
	mock := clock.NewMock()
	c, _ := newTestClient(t, srv.URL, WithClock(mock), WithLimitsTTL(5*time.Minute))
	ctx := context.Background()
	l1, _ := c.Limits(ctx)
	mock.Add(4 * time.Minute)
	l2, _ := c.Limits(ctx)
	mock.Add(2 * time.Minute)
	l3, err := c.Limits(ctx)
	if err != nil || l1.MaxAssets != 1 || l2.MaxAssets != 1 || l3.MaxAssets != 2 || l3.MaxSerialNumbers != 1000 {
		t.Fatalf("limits %v %v %v (%v), %d reads", l1, l2, l3, err, reads)
	}
}

// Bad input is refused before anything is sent.
func TestClient_RefusesBadInput(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++ }))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	ctx := context.Background()
	if _, err := c.Associate(ctx, ManageAssetsRequest{SerialNumbers: []string{"s"}}); !errors.Is(err, mdm.ErrMissingField) {
		t.Fatal(err)
	}
	if _, err := c.CreateUsers(ctx, ManageUsersRequest{Users: []RequestUser{{}}}); !errors.Is(err, mdm.ErrInvalidID) {
		t.Fatal(err)
	}
	if _, err := c.AssetsPage(ctx, AssetsQuery{}, -1); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	if _, err := c.EventStatus(ctx, ""); !errors.Is(err, mdm.ErrInvalidID) {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Fatalf("%d requests sent", calls)
	}
}

// S5: a hostile totalPages (one that overflows when multiplied by the page's
// items) must not panic the read; the single page is read as it is.
func TestClient_Assets_HugeTotalPages(t *testing.T) {
	for _, total := range []string{"4611686018427387905", "9223372036854775807", "-9223372036854775808", "-1"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"assets":[{"adamId":"1"},{"adamId":"2"}],"currentPageIndex":0,"totalPages":` + total + `,"versionId":"v"}`))
		}))
		c, _ := newTestClient(t, srv.URL)
		l, err := c.Assets(context.Background(), AssetsQuery{})
		srv.Close()
		if err != nil || len(l.Items) != 2 {
			t.Fatalf("totalPages %s: %v, %v", total, l, err)
		}
	}
}

// S5: a manage request is answered with an eventId, the only handle on its
// outcome; an answer without one is a *DecodeError, never an event with an
// empty id that nobody can ask about.
func TestClient_Associate_NoEventID(t *testing.T) {
	for _, body := range []string{`{}`, `{"eventId":""}`, `{"eventId":"a\u0001b"}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if strings.HasSuffix(r.URL.Path, "/service/config") {
				w.Write([]byte(`{}`))
				return
			}
			w.Write([]byte(body))
		}))
		c, _ := newTestClient(t, srv.URL)
		events, err := c.Associate(context.Background(), ManageAssetsRequest{Assets: []Asset{{AdamID: "1"}}, SerialNumbers: []string{"S1"}})
		srv.Close()
		var be *BatchError
		if !errors.Is(err, ErrDecode) || !errors.As(err, &be) || len(events) != 0 {
			t.Fatalf("body %s: events %v, err %v", body, events, err)
		}
	}
}

// S5: service/config limits come from the server; a huge one must not panic
// the split of a manage request: everything fits in one request.
func TestClient_Associate_HugeLimits(t *testing.T) {
	var mu sync.Mutex
	var posts int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/service/config") {
			w.Write([]byte(`{"limits":{"maxAssets":9223372036854775807,"maxSerialNumbers":9223372036854775807,"maxClientUserIds":9223372036854775807,"maxUsers":9223372036854775807}}`))
			return
		}
		mu.Lock()
		posts++
		mu.Unlock()
		w.Write([]byte(`{"eventId":"ev-1"}`))
	}))
	defer srv.Close()
	c, _ := newTestClient(t, srv.URL)
	events, err := c.Associate(context.Background(), ManageAssetsRequest{Assets: []Asset{{AdamID: "1"}, {AdamID: "2"}},
		SerialNumbers: []string{"S1", "S2"}, ClientUserIDs: []string{"u1", "u2"}})
	mu.Lock()
	n := posts
	mu.Unlock()
	if err != nil || len(events) != 1 || n != 1 {
		t.Fatalf("events %v, %d requests, %v", events, n, err)
	}
	users := ManageUsersRequest{Users: []RequestUser{{ClientUserID: "u1"}, {ClientUserID: "u2"}}}
	if events, err := c.CreateUsers(context.Background(), users); err != nil || len(events) != 1 {
		t.Fatalf("users: events %v, %v", events, err)
	}
}
