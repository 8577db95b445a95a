package applefake_test

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
	"github.com/google/go-cmp/cmp"
	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
)

// loop is the client talking to the fake's handler over 127.0.0.1.
type loop struct {
	*fixture
	faults *applefake.Faults
	srv    *httptest.Server
	client *apple.Client
	waits  *waitRecorder
}

type waitRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (w *waitRecorder) wait(ctx context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waits = append(w.waits, d)
	return ctx.Err()
}

func (w *waitRecorder) got() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.waits...)
}

// newLoop starts a handler over a fixture core and a client owned by mdmkit (client
// config set). Every error a test passes to l.check is tested for the token.
func newLoop(t *testing.T, cfg applefake.Config, opts ...apple.Option) *loop {
	t.Helper()
	f := newFixture(t, cfg)
	mock := clock.NewMock()
	mock.Set(t0)
	faults := applefake.NewFaults()
	srv := httptest.NewServer(applefake.NewHandler(f.core, applefake.WithClock(mock), applefake.WithFaults(faults)))
	t.Cleanup(srv.Close)
	rec := &waitRecorder{}
	base := []apple.Option{apple.WithBaseURL(srv.URL + "/mdm/v2"), apple.WithHTTPClient(srv.Client()),
		apple.WithWait(rec.wait), apple.WithTimeout(2 * time.Second), apple.WithMdmInfo(mdmkit), apple.WithClock(mock)}
	c, err := apple.New(f.token, append(base, opts...)...)
	must(t, err)
	l := &loop{fixture: f, faults: faults, srv: srv, client: c, waits: rec}
	_, err = c.SetClientConfig(ctxb, apple.ClientConfigRequest{MdmInfo: &mdmkit})
	must(t, err)
	t.Cleanup(func() { l.check(t, fmt.Errorf("%v %+v %#v %s", c, c, *c, c)) })
	return l
}

// check fails the test if err's text reveals any part of the token (L1).
func (l *loop) check(t *testing.T, err error) error {
	t.Helper()
	if err == nil {
		return nil
	}
	text := err.Error()
	for i := 0; i+8 <= len(l.token); i++ {
		if strings.Contains(text, l.token[i:i+8]) {
			t.Fatalf("error reveals the token: %s", text)
		}
	}
	return err
}

func (l *loop) addFault(t *testing.T, ep apple.Endpoint, f applefake.Fault) {
	t.Helper()
	must(t, l.faults.Add(ep, f))
}

// S5: every endpoint over loopback HTTP.
func TestHTTP_Endpoints(t *testing.T) {
	l := newLoop(t, applefake.Config{PageSize: 2})
	c := l.client
	sc, err := c.ServiceConfig(ctxb)
	must(t, err)
	if sc.BatchLimits() != apple.DefaultBatchLimits || sc.URLs["getAssets"] != l.srv.URL+"/mdm/v2/assets" || len(sc.ErrorCodes) < 18 {
		t.Fatalf("service config %+v", sc)
	}
	cc, err := c.ClientConfig(ctxb)
	must(t, err)
	if cc.MdmInfo == nil || *cc.MdmInfo != mdmkit || cc.LocationName != "Example School" || cc.UID != l.uid {
		t.Fatalf("client config %+v", cc)
	}
	assets, err := c.Assets(ctxb, apple.AssetsQuery{})
	must(t, err)
	if len(assets.Items) != 3 || assets.Pages != 2 || assets.Restarts != 0 {
		t.Fatalf("assets %+v", assets)
	}
	events, err := c.CreateUsers(ctxb, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "u1", Email: "u1@example.org"}, {ClientUserID: "u2"}}})
	must(t, err)
	listed, err := c.Users(ctxb, apple.UsersQuery{ActiveOnly: true})
	must(t, err)
	if len(events) != 1 || len(listed.Items) != 2 || listed.Items[0].Status != apple.UserRegistered {
		t.Fatalf("users %+v", listed.Items)
	}
	events, err = c.Associate(ctxb, apple.ManageAssetsRequest{Assets: []apple.Asset{userAppC}, ClientUserIDs: []string{"u1", "u2"}})
	must(t, err)
	events2, err := c.Associate(ctxb, devices(appA, "S1", "S2"))
	must(t, err)
	for _, ev := range append(events, events2...) {
		st, err := c.EventStatus(ctxb, ev.EventID)
		must(t, err)
		if st.EventStatus != apple.EventComplete || st.EventType != apple.EventAssociate || st.NumCompleted != 2 {
			t.Fatalf("status %+v", st)
		}
	}
	all, err := c.Assignments(ctxb, apple.AssignmentsQuery{})
	must(t, err)
	mine, err := c.Assignments(ctxb, apple.AssignmentsQuery{ClientUserID: "u2"})
	must(t, err)
	if len(all.Items) != 4 || all.Pages != 2 || len(mine.Items) != 1 || mine.Items[0].AdamID != "300" {
		t.Fatalf("assignments %+v / %+v", all.Items, mine.Items)
	}
	delta, err := c.Assignments(ctxb, apple.AssignmentsQuery{SinceVersionID: all.VersionID})
	must(t, err)
	if len(delta.Items) != 0 {
		t.Fatalf("nothing changed since %s: %+v", all.VersionID, delta.Items)
	}
	_, err = c.Disassociate(ctxb, devices(appA, "S1"))
	must(t, err)
	_, err = c.RetireUsers(ctxb, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "u2"}}})
	must(t, err)
	all, err = c.Assignments(ctxb, apple.AssignmentsQuery{})
	must(t, err)
	if len(all.Items) != 2 {
		t.Fatalf("after revoking S1 and retiring u2: %+v", all.Items)
	}
	page, err := c.AssetsPage(ctxb, apple.AssetsQuery{}, 1)
	must(t, err)
	if page.CurrentPageIndex != 1 || page.NextPageIndex != nil || len(page.Assets) != 1 {
		t.Fatalf("page 1 %+v", page)
	}
	_, err = c.AssetsPage(ctxb, apple.AssetsQuery{}, 7)
	l.check(t, err)
	if !errors.Is(err, apple.ErrInvalidPageIndex) || !errors.Is(err, apple.ErrInvalidArgument) {
		t.Fatalf("page 7: %v", err)
	}
	_, err = c.Disassociate(ctxb, users(bookB, "u1"))
	l.check(t, err)
	if !errors.Is(err, apple.ErrLicenseIrrevocable) { // L8
		t.Fatalf("revoking a book: %v", err)
	}
}

// S5: associate splits within service/config limits and returns every eventId.
func TestHTTP_Batching(t *testing.T) {
	l := newLoop(t, applefake.Config{Limits: map[string]int{"maxAssets": 1, "maxSerialNumbers": 2, "maxClientUserIds": 2}})
	must(t, l.core.AddAsset(l.uid, applefake.AssetSpec{AdamID: "101", ProductType: apple.ProductApp, DeviceAssignable: true, Revocable: true, Total: 10}))
	must(t, l.core.BuyLicenses(l.uid, appA, 8))
	events, err := l.client.Associate(ctxb, apple.ManageAssetsRequest{Assets: []apple.Asset{appA, {AdamID: "101"}},
		SerialNumbers: []string{"S1", "S2", "S3", "S4", "S5", "S1"}})
	must(t, err)
	ids := map[string]bool{}
	for _, ev := range events {
		ids[ev.EventID] = true
	}
	if len(events) != 6 || len(ids) != 6 || l.faults.Calls(apple.EndpointAssociate) != 6 {
		t.Fatalf("%d events, %d distinct, %d calls", len(events), len(ids), l.faults.Calls(apple.EndpointAssociate))
	}
	if l.counts(t, appA)[0] != 5 || l.counts(t, apple.Asset{AdamID: "101"})[0] != 5 {
		t.Fatal("not every pair was assigned")
	}
	// The limits were read once and reused.
	if n := l.faults.Calls(apple.EndpointServiceConfig); n != 1 {
		t.Fatalf("service/config read %d times", n)
	}
	// A failing batch stops the rest and says which one.
	l.addFault(t, apple.EndpointAssociate, applefake.Fault{Kind: applefake.FaultErrorInBody, Number: apple.ErrInvalidArgument, After: 1})
	events, err = l.client.Associate(ctxb, apple.ManageAssetsRequest{Assets: []apple.Asset{appA}, SerialNumbers: []string{"S6", "S7", "S8"}})
	l.check(t, err)
	var be *apple.BatchError
	if !errors.As(err, &be) || be.Index != 1 || be.Total != 2 || len(events) != 1 || !errors.Is(err, apple.ErrInvalidArgument) {
		t.Fatalf("got %v with %d events", err, len(events))
	}
}

// L11: rate limiting (HTTP 429 and 9646 in a 200 body) is retried after Retry-After,
// boundedly.
func TestHTTP_RateLimited(t *testing.T) {
	l := newLoop(t, applefake.Config{})
	l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultRateLimit, RetryAfter: 2 * time.Second, Times: 2})
	l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultErrorInBody, Number: apple.ErrRateLimited, RetryAfter: 5 * time.Second})
	_, err := l.client.Assets(ctxb, apple.AssetsQuery{})
	must(t, err)
	if d := cmp.Diff([]time.Duration{2 * time.Second, 2 * time.Second, 5 * time.Second}, l.waits.got()); d != "" {
		t.Fatal(d)
	}
	if l.faults.Calls(apple.EndpointAssets) != 4 || l.faults.Fired(apple.EndpointAssets) != 3 {
		t.Fatalf("calls %d fired %d", l.faults.Calls(apple.EndpointAssets), l.faults.Fired(apple.EndpointAssets))
	}
	l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultRateLimit, Times: 10})
	_, err = l.client.Assets(ctxb, apple.AssetsQuery{})
	l.check(t, err)
	var ae *apple.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 429 || ae.Attempts != 4 || ae.RetryAfter != time.Second || !errors.Is(err, apple.ErrRateLimited) {
		t.Fatalf("got %v", err)
	}
}

// Server errors are retried with backoff, boundedly.
func TestHTTP_ServerErrors(t *testing.T) {
	l := newLoop(t, applefake.Config{}, apple.WithBackoff(time.Second, 3*time.Second))
	l.addFault(t, apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultStatus, Status: 503, Times: 2})
	l.addFault(t, apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultStatus, Status: 500, Number: apple.ErrInternal, RetryAfter: 9 * time.Second})
	_, err := l.client.Assignments(ctxb, apple.AssignmentsQuery{})
	must(t, err)
	if d := cmp.Diff([]time.Duration{time.Second, 2 * time.Second, 9 * time.Second}, l.waits.got()); d != "" {
		t.Fatal(d)
	}
	l.addFault(t, apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultStatus, Status: 502, Times: 100})
	_, err = l.client.Assignments(ctxb, apple.AssignmentsQuery{})
	l.check(t, err)
	var ae *apple.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 502 || ae.Attempts != 4 || !errors.Is(err, apple.ErrInternal) {
		t.Fatalf("got %v", err)
	}
}

// L11: every named number arriving in an HTTP 200 body is an error the caller can
// match; 9603 and 9646 are retried, token numbers map to a token state (S4).
func TestHTTP_ErrorInBody(t *testing.T) {
	l11 := []apple.ErrorNumber{9600, 9601, 9602, 9603, 9604, 9607, 9609, 9610, 9616, 9619, 9621, 9622, 9624, 9625,
		9626, 9628, 9630, 9646}
	l := newLoop(t, applefake.Config{}, apple.WithMaxRetries(1))
	for _, n := range l11 {
		l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultErrorInBody, Number: n, Times: 2})
		_, err := l.client.AssetsPage(ctxb, apple.AssetsQuery{}, 0)
		l.check(t, err)
		var ae *apple.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 200 || !errors.Is(err, n) || ae.Message != n.Message() {
			t.Fatalf("%d: got %v", n, err)
		}
		wantAttempts := 1
		if n == apple.ErrInternal || n == apple.ErrRateLimited {
			wantAttempts = 2
		}
		if ae.Attempts != wantAttempts {
			t.Fatalf("%d: %d attempts", n, ae.Attempts)
		}
		state, ok := apple.TokenState(err)
		switch n {
		case apple.ErrTokenExpired:
			ok = ok && state == mdm.TokenExpired
		case apple.ErrInvalidToken, apple.ErrTokenRevoked, apple.ErrLoginRequired:
			ok = ok && state == mdm.TokenInvalid
		default:
			ok = !ok
		}
		if !ok {
			t.Fatalf("%d: token state %v", n, state)
		}
		for l.faults.Pending(apple.EndpointAssets) > 0 { // drain what was not retried
			_, _ = l.client.AssetsPage(ctxb, apple.AssetsQuery{}, 0)
		}
	}
}

// A truncated body is a typed decode error, not retried.
func TestHTTP_Truncated(t *testing.T) {
	l := newLoop(t, applefake.Config{})
	l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultTruncated})
	_, err := l.client.Assets(ctxb, apple.AssetsQuery{})
	l.check(t, err)
	var de *apple.DecodeError
	if !errors.As(err, &de) || !errors.Is(err, apple.ErrDecode) || l.faults.Calls(apple.EndpointAssets) != 1 {
		t.Fatalf("got %v after %d calls", err, l.faults.Calls(apple.EndpointAssets))
	}
	// The associate was applied even though its answer was cut: Apple got it.
	l.addFault(t, apple.EndpointAssociate, applefake.Fault{Kind: applefake.FaultTruncated})
	_, err = l.client.Associate(ctxb, devices(appA, "S1"))
	if !errors.Is(l.check(t, err), apple.ErrDecode) || l.counts(t, appA)[0] != 1 {
		t.Fatalf("got %v, counts %v", err, l.counts(t, appA))
	}
}

// A slow answer past the per-attempt timeout is abandoned and retried (bounded time:
// the handler stops waiting when the client gives up).
func TestHTTP_Slow(t *testing.T) {
	l := newLoop(t, applefake.Config{}, apple.WithTimeout(40*time.Millisecond))
	l.addFault(t, apple.EndpointClientConfig, applefake.Fault{Kind: applefake.FaultSlow, Delay: time.Second})
	start := time.Now()
	cc, err := l.client.ClientConfig(ctxb)
	must(t, err)
	if cc.UID != l.uid || len(l.waits.got()) != 1 || time.Since(start) > time.Second {
		t.Fatalf("took %v, waits %v", time.Since(start), l.waits.got())
	}
	l.addFault(t, apple.EndpointClientConfig, applefake.Fault{Kind: applefake.FaultSlow, Delay: time.Second, Times: 5})
	_, err = l.client.ClientConfig(ctxb)
	l.check(t, err)
	if !errors.Is(err, apple.ErrTransport) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
}

// S4, L1: the token expiring or being revoked mid-sync fails the read with its state.
func TestHTTP_TokenLostMidSync(t *testing.T) {
	for kind, want := range map[applefake.FaultKind]mdm.TokenState{
		applefake.FaultExpireToken: mdm.TokenExpired,
		applefake.FaultRevokeToken: mdm.TokenInvalid,
	} {
		l := newLoop(t, applefake.Config{PageSize: 1})
		l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: kind, After: 1})
		_, err := l.client.Assets(ctxb, apple.AssetsQuery{})
		l.check(t, err)
		state, ok := apple.TokenState(err)
		var ae *apple.APIError
		if !ok || state != want || !errors.As(err, &ae) || ae.StatusCode != 401 || l.faults.Calls(apple.EndpointAssets) != 2 {
			t.Fatalf("%v: got %v (%v)", kind, err, state)
		}
	}
	l := newLoop(t, applefake.Config{})
	l.addFault(t, apple.EndpointUsers, applefake.Fault{Kind: applefake.FaultStatus, Status: 401})
	_, err := l.client.Users(ctxb, apple.UsersQuery{})
	if state, ok := apple.TokenState(l.check(t, err)); !ok || state != mdm.TokenInvalid {
		t.Fatalf("bare 401: %v", err)
	}
}

// L3, S6: another service claiming the token mid-sync fails the read with
// assignedToExternalMDM; setting client config takes control back.
func TestHTTP_ClaimedMidSync(t *testing.T) {
	l := newLoop(t, applefake.Config{PageSize: 1})
	l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultClaimToken, Claimant: other, After: 2})
	_, err := l.client.Assets(ctxb, apple.AssetsQuery{})
	l.check(t, err)
	var ce *apple.ClaimedError
	if !errors.As(err, &ce) || ce.Found.ID != other.ID || ce.Expected.ID != mdmkit.ID {
		t.Fatalf("got %v", err)
	}
	if state, ok := apple.TokenState(err); !ok || state != mdm.TokenAssignedToExternalMDM {
		t.Fatalf("state %v", state)
	}
	// Manage calls accepted under the other service's name still return their event.
	events, err := l.client.Associate(ctxb, devices(appA, "S1"))
	if !errors.Is(l.check(t, err), apple.ErrClaimed) || len(events) != 1 {
		t.Fatalf("got %v with %v", err, events)
	}
	cc, err := l.client.ClientConfig(ctxb) // client/config shows the owner, no error
	must(t, err)
	if cc.MdmInfo.ID != other.ID {
		t.Fatalf("owner %+v", cc.MdmInfo)
	}
	_, err = l.client.SetClientConfig(ctxb, apple.ClientConfigRequest{MdmInfo: &mdmkit})
	must(t, err)
	_, err = l.client.Assets(ctxb, apple.AssetsQuery{})
	must(t, err)
	if recs := l.core.AssignmentRecords(l.uid); recs[0].CreatedBy != other.ID { // S6
		t.Fatalf("records %+v", recs)
	}
}

// S5: a versionId change mid-paging restarts the read; too many restarts fail typed.
func TestHTTP_VersionChangesMidPaging(t *testing.T) {
	l := newLoop(t, applefake.Config{PageSize: 1}, apple.WithMaxRestarts(2))
	l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultChangeVersion, After: 1})
	got, err := l.client.Assets(ctxb, apple.AssetsQuery{})
	must(t, err)
	if got.Restarts != 1 || len(got.Items) != 3 || l.faults.Calls(apple.EndpointAssets) != 5 {
		t.Fatalf("restarts %d items %d calls %d", got.Restarts, len(got.Items), l.faults.Calls(apple.EndpointAssets))
	}
	l.addFault(t, apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultChangeVersion, After: 1, Times: 100})
	_, err = l.client.Assets(ctxb, apple.AssetsQuery{})
	l.check(t, err)
	var ve *apple.VersionChangedError
	if !errors.As(err, &ve) || ve.Restarts != 2 {
		t.Fatalf("got %v", err)
	}
}

// The handler answers malformed requests the way Apple documents.
func TestHandler_MalformedRequests(t *testing.T) {
	l := newLoop(t, applefake.Config{})
	do := func(method, path, ctype, auth, body string) (int, string) {
		req, err := http.NewRequest(method, l.srv.URL+path, strings.NewReader(body))
		must(t, err)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := l.srv.Client().Do(req)
		must(t, err)
		defer resp.Body.Close()
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		return resp.StatusCode, string(buf[:n])
	}
	bearer := "Bearer " + l.token
	cases := []struct {
		method, path, ctype, auth, body string
		status                          int
		number                          string
	}{
		{"GET", "/mdm/v2/assets/associate", "", bearer, "", 405, "9726"},
		{"GET", "/mdm/v2/nope", "", bearer, "", 404, ""},
		{"GET", "/elsewhere/assets", "", bearer, "", 404, ""},
		{"GET", "/mdm/v2/assets", "", "Basic abc", "", 401, "9722"},
		{"GET", "/mdm/v2/assets", "", "", "", 401, "9601"},
		{"GET", "/mdm/v2/assets?pageIndex=x", "", bearer, "", 400, "9650"},
		{"GET", "/mdm/v2/users?activeOnly=maybe", "", bearer, "", 400, "9602"},
		{"POST", "/mdm/v2/assets/associate", "text/plain", bearer, "{}", 415, "9727"},
		{"POST", "/mdm/v2/assets/associate", "application/json", bearer, "{", 400, "9602"},
		{"PUT", "/mdm/v2/client/config", "application/json; charset=utf-8", bearer, `{"mdmInfo":{"id":"x","name":"y"}}`, 200, ""},
		{"GET", "/mdm/v2/status", "", bearer, "", 400, "9600"},
		{"GET", "/mdm/v2/service/config", "", "Basic abc", "", 200, ""},
	}
	for _, c := range cases {
		status, body := do(c.method, c.path, c.ctype, c.auth, c.body)
		if status != c.status || (c.number != "" && !strings.Contains(body, `"errorNumber":`+c.number)) {
			t.Errorf("%s %s: %d %s", c.method, c.path, status, body)
		}
	}
}

func TestFaults_AddRefuses(t *testing.T) {
	f := applefake.NewFaults()
	for name, c := range map[string]struct {
		ep apple.Endpoint
		f  applefake.Fault
	}{
		"no kind":    {apple.EndpointAssets, applefake.Fault{}},
		"2xx status": {apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultStatus, Status: 204}},
		"no number":  {apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultErrorInBody}},
		"no claim":   {apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultClaimToken}},
		"negative":   {apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultSlow, Delay: -1}},
		"endpoint":   {"assets/nope", applefake.Fault{Kind: applefake.FaultTruncated}},
	} {
		if err := f.Add(c.ep, c.f); !errors.Is(err, applefake.ErrAdmin) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if f.Pending(apple.EndpointAssets) != 0 {
		t.Fatal("a refused fault was added")
	}
	if applefake.FaultClaimToken.String() != "claimToken" || applefake.FaultKind(99).String() != "FaultKind(99)" {
		t.Fatal("fault names")
	}
}

// S5: sinceVersionId over HTTP returns only the assignments made after that
// version; a versionId the service never issued is 9721 (an invalid argument).
func TestHTTP_AssignmentsSinceVersion(t *testing.T) {
	l := newLoop(t, applefake.Config{PageSize: 2})
	_, err := l.client.Associate(ctxb, devices(appA, "S1"))
	must(t, err)
	first, err := l.client.Assignments(ctxb, apple.AssignmentsQuery{})
	must(t, err)
	_, err = l.client.Associate(ctxb, devices(appA, "S2"))
	must(t, err)
	delta, err := l.client.Assignments(ctxb, apple.AssignmentsQuery{SinceVersionID: first.VersionID})
	must(t, err)
	if len(delta.Items) != 1 || delta.Items[0].SerialNumber != "S2" || delta.VersionID == first.VersionID {
		t.Fatalf("delta since %s: %+v at %s", first.VersionID, delta.Items, delta.VersionID)
	}
	_, err = l.client.Assignments(ctxb, apple.AssignmentsQuery{SinceVersionID: "not-a-version"})
	if !errors.Is(l.check(t, err), apple.ErrInvalidVersionID) || !errors.Is(err, apple.ErrInvalidArgument) {
		t.Fatalf("bad sinceVersionId: %v", err)
	}
}
