package applefake_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdmkit/mdmkit/storesync/apple"
	"github.com/mdmkit/mdmkit/storesync/applefake"
)

// storeAPI is the method set a sync needs; the HTTP client and the in-process adapter
// both have it.
type storeAPI interface {
	ServiceConfig(ctx context.Context) (*apple.ServiceConfig, error)
	Limits(ctx context.Context) (apple.BatchLimits, error)
	ClientConfig(ctx context.Context) (*apple.ClientConfig, error)
	SetClientConfig(ctx context.Context, req apple.ClientConfigRequest) (*apple.ClientConfig, error)
	AssetsPage(ctx context.Context, q apple.AssetsQuery, pageIndex int) (*apple.AssetsResponse, error)
	Assets(ctx context.Context, q apple.AssetsQuery) (*apple.Listing[apple.ResponseAsset], error)
	AssignmentsPage(ctx context.Context, q apple.AssignmentsQuery, pageIndex int) (*apple.AssignmentsResponse, error)
	Assignments(ctx context.Context, q apple.AssignmentsQuery) (*apple.Listing[apple.Assignment], error)
	UsersPage(ctx context.Context, q apple.UsersQuery, pageIndex int) (*apple.UsersResponse, error)
	Users(ctx context.Context, q apple.UsersQuery) (*apple.Listing[apple.ResponseUser], error)
	Associate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error)
	Disassociate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error)
	CreateUsers(ctx context.Context, req apple.ManageUsersRequest) ([]apple.EventResponse, error)
	RetireUsers(ctx context.Context, req apple.ManageUsersRequest) ([]apple.EventResponse, error)
	EventStatus(ctx context.Context, eventID string) (*apple.StatusResponse, error)
}

// Both satisfy one interface (compile-time check).
var (
	_ storeAPI = (*apple.Client)(nil)
	_ storeAPI = (*applefake.Direct)(nil)
)

// errSummary is what a caller can branch on, comparable across the two.
type errSummary struct {
	Type       string
	Number     apple.ErrorNumber
	Status     int
	Attempts   int
	TokenState string
}

func summarize(err error) *errSummary {
	if err == nil {
		return nil
	}
	s := &errSummary{Type: "other"}
	var ae *apple.APIError
	var be *apple.BatchError
	switch {
	case errors.As(err, &be):
		s.Type = "batch"
	case errors.As(err, new(*apple.ClaimedError)):
		s.Type = "claimed"
	case errors.As(err, new(*apple.VersionChangedError)):
		s.Type = "versionChanged"
	case errors.As(err, new(*apple.DecodeError)):
		s.Type = "decode"
	case errors.As(err, &ae):
		s.Type = "api"
	}
	if errors.As(err, &ae) {
		s.Number, s.Status, s.Attempts = ae.Number, ae.StatusCode, ae.Attempts
	}
	if st, ok := apple.TokenState(err); ok {
		s.TokenState = st.String()
	}
	return s
}

// scenario drives one API through a sync-like sequence and records every result;
// every error goes through check.
func scenario(t *testing.T, api storeAPI, check func(*testing.T, error) error) []any {
	t.Helper()
	var out []any
	rec := func(v any, err error) {
		out = append(out, v, summarize(check(t, err)))
	}
	rec(api.SetClientConfig(ctxb, apple.ClientConfigRequest{MdmInfo: &mdmkit}))
	rec(api.Limits(ctxb))
	rec(api.Assets(ctxb, apple.AssetsQuery{}))
	rec(api.CreateUsers(ctxb, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "u1"}, {ClientUserID: "u2"}}}))
	evs, err := api.Associate(ctxb, apple.ManageAssetsRequest{Assets: []apple.Asset{appA}, SerialNumbers: []string{"S1", "S2", "S3"}})
	rec(evs, err)
	for _, ev := range evs {
		rec(api.EventStatus(ctxb, ev.EventID))
	}
	rec(api.Associate(ctxb, apple.ManageAssetsRequest{Assets: []apple.Asset{bookB, userAppC}, ClientUserIDs: []string{"u1", "ghost"}}))
	rec(api.Assignments(ctxb, apple.AssignmentsQuery{}))
	rec(api.AssignmentsPage(ctxb, apple.AssignmentsQuery{AdamID: "300"}, 0))
	rec(api.Disassociate(ctxb, users(bookB, "u1")))
	rec(api.RetireUsers(ctxb, apple.ManageUsersRequest{Users: []apple.RequestUser{{ClientUserID: "u2"}}}))
	rec(api.Users(ctxb, apple.UsersQuery{}))
	rec(api.UsersPage(ctxb, apple.UsersQuery{ActiveOnly: true}, 0))
	rec(api.AssetsPage(ctxb, apple.AssetsQuery{}, 0))
	rec(api.ClientConfig(ctxb))
	rec(api.EventStatus(ctxb, "unknown"))
	return out
}

func newDirect(t *testing.T, cfg applefake.Config) (*fixture, *applefake.Direct, *applefake.Faults) {
	t.Helper()
	f := newFixture(t, cfg)
	faults := applefake.NewFaults()
	d := applefake.NewDirect(f.core, f.token, func() time.Time { return t0 }, applefake.WithFaults(faults),
		applefake.WithMdmInfo(mdmkit), applefake.WithMaxRestarts(2))
	return f, d, faults
}

// The in-process adapter gives the same answers and the same typed errors as the
// client over HTTP, with and without faults.
func TestDirect_SameAsHTTP(t *testing.T) {
	faultSets := map[string][]struct {
		ep apple.Endpoint
		f  applefake.Fault
	}{
		"none":          nil,
		"rate limited":  {{apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultRateLimit, Times: 2}}},
		"9621 in body":  {{apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultErrorInBody, Number: apple.ErrTokenExpired}}},
		"5xx exhausted": {{apple.EndpointUsers, applefake.Fault{Kind: applefake.FaultStatus, Status: 503, Times: 10}}},
		"truncated":     {{apple.EndpointAssociate, applefake.Fault{Kind: applefake.FaultTruncated}}},
		"slow":          {{apple.EndpointClientConfig, applefake.Fault{Kind: applefake.FaultSlow, Delay: 5 * time.Millisecond}}},
		"expired":       {{apple.EndpointAssignments, applefake.Fault{Kind: applefake.FaultExpireToken, After: 1}}},
		"claimed":       {{apple.EndpointAssociate, applefake.Fault{Kind: applefake.FaultClaimToken, Claimant: other, After: 1}}},
		"version churn": {{apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultChangeVersion, After: 1, Times: 20}}},
		"second batch":  {{apple.EndpointAssociate, applefake.Fault{Kind: applefake.FaultErrorInBody, Number: apple.ErrInvalidArgument, After: 1}}},
		"limits fail":   {{apple.EndpointServiceConfig, applefake.Fault{Kind: applefake.FaultErrorInBody, Number: apple.ErrServiceRemoved}}},
	}
	cfg := applefake.Config{PageSize: 1, Limits: map[string]int{"maxSerialNumbers": 2}}
	for name, faults := range faultSets {
		t.Run(name, func(t *testing.T) {
			l := newLoop(t, cfg, apple.WithMaxRestarts(2))
			_, d, dFaults := newDirect(t, cfg)
			_, err := d.SetClientConfig(ctxb, apple.ClientConfigRequest{MdmInfo: &mdmkit}) // as newLoop did
			must(t, err)
			for _, f := range faults {
				l.addFault(t, f.ep, f.f)
				must(t, dFaults.Add(f.ep, f.f))
			}
			viaHTTP := scenario(t, l.client, l.check)
			viaDirect := scenario(t, d, l.check)
			for _, v := range viaHTTP {
				if s, ok := v.(*errSummary); ok && s != nil && s.Type == "other" {
					t.Fatalf("untyped error in %v", viaHTTP)
				}
			}
			if diff := cmp.Diff(viaHTTP, viaDirect); diff != "" {
				t.Fatalf("HTTP and Direct differ (-http +direct):\n%s", diff)
			}
			for _, ep := range apple.Endpoints() {
				if l.faults.Calls(ep) != dFaults.Calls(ep) {
					t.Errorf("%s: %d calls over HTTP, %d direct", ep, l.faults.Calls(ep), dFaults.Calls(ep))
				}
			}
		})
	}
}

// The adapter skips the Retry-After waits but adds them up, and never prints its
// token.
func TestDirect_WaitedAndSecrecy(t *testing.T) {
	f, d, faults := newDirect(t, applefake.Config{})
	must(t, faults.Add(apple.EndpointAssets, applefake.Fault{Kind: applefake.FaultRateLimit, RetryAfter: 3 * time.Second, Times: 2}))
	_, err := d.Assets(ctxb, apple.AssetsQuery{})
	must(t, err)
	if d.Waited() != 6*time.Second {
		t.Fatalf("waited %v", d.Waited())
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, d); strings.Contains(s, f.token[:16]) {
			t.Fatalf("Direct printed its token: %s", s)
		}
	}
	ctx, cancel := context.WithCancel(ctxb)
	cancel()
	if _, err := d.Assets(ctx, apple.AssetsQuery{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}
