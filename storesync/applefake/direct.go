package applefake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
	"github.com/mdmkit/mdmkit/storesync/apple"
)

// Direct exposes a Core in process with the method set of *apple.Client: the same
// wire types, the same typed errors, the same batching (apple.SplitManageAssets),
// paging (apple.ReadAll), owner check and bounded retries, but no HTTP and no JSON, so
// a simulator can call it millions of times.
//
// Time comes from the now function (the simulator's virtual clock). Retries do not
// wait; the Retry-After they would have waited for adds up in Waited. FaultSlow has no
// effect here. Like the client, Direct never prints its token.
type Direct struct {
	core  *Core
	token *string
	now   func() time.Time
	s     settings

	mu       sync.Mutex
	waited   time.Duration
	limAt    time.Time
	lim      apple.BatchLimits
	limValid bool
}

// NewDirect returns an adapter that calls core with sToken at the times now returns.
// A nil now reads the WithClock clock (the wall clock by default). Options: WithFaults,
// WithMdmInfo, WithMaxRetries, WithMaxRestarts, WithMaxRetryAfter, WithClock.
func NewDirect(core *Core, sToken string, now func() time.Time, opts ...Option) *Direct {
	tok := sToken
	s := newSettings(opts)
	if now == nil {
		now = s.clock.Now
	}
	return &Direct{core: core, token: &tok, now: now, s: s}
}

func (d *Direct) String() string             { return "applefake.Direct{sToken: " + apple.Redacted + "}" }
func (d *Direct) GoString() string           { return d.String() }
func (d *Direct) Format(f fmt.State, _ rune) { io.WriteString(f, d.String()) }

// Waited is the total Retry-After the adapter's retries skipped over.
func (d *Direct) Waited() time.Duration { d.mu.Lock(); defer d.mu.Unlock(); return d.waited }

// call serves one API call with faults, retries and the owner check, as the client
// would over HTTP. On a *apple.ClaimedError the answer is returned with the error.
func call[T any](ctx context.Context, d *Direct, ep apple.Endpoint, checkOwner bool, serve func(now time.Time, sToken string) (*T, error)) (*T, error) {
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("apple: %s: %w", ep, err)
		}
		out, err := serveOnce(d, ep, serve)
		if err == nil {
			if checkOwner {
				if e, ok := any(out).(interface{ Env() apple.Envelope }); ok {
					return out, apple.CheckOwner(ep, d.s.owner, e.Env())
				}
			}
			return out, nil
		}
		wait, retry := apple.Retryable(err)
		if !retry || attempt > d.s.maxRetries || wait > d.s.maxRetryAfter {
			var ae *apple.APIError
			if errors.As(err, &ae) {
				ae.Attempts = attempt
			}
			return nil, err
		}
		d.mu.Lock()
		d.waited += wait
		d.mu.Unlock()
	}
}

// serveOnce serves a call one time, applying the fault that fires on it.
func serveOnce[T any](d *Direct, ep apple.Endpoint, serve func(now time.Time, sToken string) (*T, error)) (*T, error) {
	var o outcome
	if ft, ok := d.s.faults.take(ep); ok {
		o = ft.prepare(d.core, ep, *d.token)
	}
	if o.err != nil {
		return nil, o.err
	}
	out, err := serve(d.now(), *d.token)
	if err != nil {
		return nil, err
	}
	if o.truncate { // served, but the answer is lost, as a cut HTTP body would be
		return nil, &apple.DecodeError{Endpoint: ep, StatusCode: 200, Reason: "unexpected end of JSON input"}
	}
	return out, nil
}

// ServiceConfig answers as GET service/config would, and refreshes the cached limits.
func (d *Direct) ServiceConfig(ctx context.Context) (*apple.ServiceConfig, error) {
	sc, err := call(ctx, d, apple.EndpointServiceConfig, false, func(time.Time, string) (*apple.ServiceConfig, error) {
		return d.core.ServiceConfig("direct:"), nil
	})
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.lim, d.limAt, d.limValid = sc.BatchLimits(), d.now(), true
	d.mu.Unlock()
	return sc, nil
}

// Limits returns the batch limits, re-read after the limits TTL of virtual time.
func (d *Direct) Limits(ctx context.Context) (apple.BatchLimits, error) {
	d.mu.Lock()
	if d.limValid && d.now().Sub(d.limAt) < d.s.limitsTTL {
		l := d.lim
		d.mu.Unlock()
		return l, nil
	}
	d.mu.Unlock()
	sc, err := d.ServiceConfig(ctx)
	if err != nil {
		return apple.BatchLimits{}, err
	}
	return sc.BatchLimits(), nil
}

// ClientConfig answers as GET client/config would.
func (d *Direct) ClientConfig(ctx context.Context) (*apple.ClientConfig, error) {
	return call(ctx, d, apple.EndpointClientConfig, false, d.core.ClientConfig)
}

// SetClientConfig answers as POST client/config would.
func (d *Direct) SetClientConfig(ctx context.Context, req apple.ClientConfigRequest) (*apple.ClientConfig, error) {
	return call(ctx, d, apple.EndpointClientConfig, false, func(now time.Time, tok string) (*apple.ClientConfig, error) {
		return d.core.SetClientConfig(now, tok, req)
	})
}

// AssetsPage answers one page of GET assets.
func (d *Direct) AssetsPage(ctx context.Context, q apple.AssetsQuery, pageIndex int) (*apple.AssetsResponse, error) {
	if err := apple.CheckPageIndex(pageIndex); err != nil {
		return nil, err
	}
	return read(call(ctx, d, apple.EndpointAssets, true, func(now time.Time, tok string) (*apple.AssetsResponse, error) {
		return d.core.Assets(now, tok, q, pageIndex)
	}))
}

// Assets reads every page of GET assets against one versionId.
func (d *Direct) Assets(ctx context.Context, q apple.AssetsQuery) (*apple.Listing[apple.ResponseAsset], error) {
	return apple.ReadAll[apple.ResponseAsset](ctx, apple.EndpointAssets, d.s.maxRestarts,
		func(ctx context.Context, i int) (*apple.AssetsResponse, error) { return d.AssetsPage(ctx, q, i) })
}

// AssignmentsPage answers one page of GET assignments.
func (d *Direct) AssignmentsPage(ctx context.Context, q apple.AssignmentsQuery, pageIndex int) (*apple.AssignmentsResponse, error) {
	if err := apple.CheckPageIndex(pageIndex); err != nil {
		return nil, err
	}
	return read(call(ctx, d, apple.EndpointAssignments, true, func(now time.Time, tok string) (*apple.AssignmentsResponse, error) {
		return d.core.Assignments(now, tok, q, pageIndex)
	}))
}

// Assignments reads every page of GET assignments against one versionId.
func (d *Direct) Assignments(ctx context.Context, q apple.AssignmentsQuery) (*apple.Listing[apple.Assignment], error) {
	return apple.ReadAll[apple.Assignment](ctx, apple.EndpointAssignments, d.s.maxRestarts,
		func(ctx context.Context, i int) (*apple.AssignmentsResponse, error) {
			return d.AssignmentsPage(ctx, q, i)
		})
}

// UsersPage answers one page of GET users.
func (d *Direct) UsersPage(ctx context.Context, q apple.UsersQuery, pageIndex int) (*apple.UsersResponse, error) {
	if err := apple.CheckPageIndex(pageIndex); err != nil {
		return nil, err
	}
	return read(call(ctx, d, apple.EndpointUsers, true, func(now time.Time, tok string) (*apple.UsersResponse, error) {
		return d.core.Users(now, tok, q, pageIndex)
	}))
}

// Users reads every page of GET users against one versionId.
func (d *Direct) Users(ctx context.Context, q apple.UsersQuery) (*apple.Listing[apple.ResponseUser], error) {
	return apple.ReadAll[apple.ResponseUser](ctx, apple.EndpointUsers, d.s.maxRestarts,
		func(ctx context.Context, i int) (*apple.UsersResponse, error) { return d.UsersPage(ctx, q, i) })
}

// Associate splits and sends like (*apple.Client).Associate.
func (d *Direct) Associate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error) {
	return d.manageAssets(ctx, apple.EndpointAssociate, req, d.core.Associate)
}

// Disassociate splits and sends like (*apple.Client).Disassociate.
func (d *Direct) Disassociate(ctx context.Context, req apple.ManageAssetsRequest) ([]apple.EventResponse, error) {
	return d.manageAssets(ctx, apple.EndpointDisassociate, req, d.core.Disassociate)
}

// CreateUsers splits and sends like (*apple.Client).CreateUsers.
func (d *Direct) CreateUsers(ctx context.Context, req apple.ManageUsersRequest) ([]apple.EventResponse, error) {
	return d.manageUsers(ctx, apple.EndpointCreateUsers, req, d.core.CreateUsers)
}

// RetireUsers splits and sends like (*apple.Client).RetireUsers.
func (d *Direct) RetireUsers(ctx context.Context, req apple.ManageUsersRequest) ([]apple.EventResponse, error) {
	return d.manageUsers(ctx, apple.EndpointRetireUsers, req, d.core.RetireUsers)
}

// EventStatus answers as GET status?eventId= would.
func (d *Direct) EventStatus(ctx context.Context, eventID string) (*apple.StatusResponse, error) {
	if err := mdm.CheckID("eventId", eventID); err != nil {
		return nil, err
	}
	return read(call(ctx, d, apple.EndpointEventStatus, true, func(now time.Time, tok string) (*apple.StatusResponse, error) {
		return d.core.EventStatus(now, tok, eventID)
	}))
}

type manageFunc[R any] func(now time.Time, sToken string, req R) (*apple.EventResponse, error)

func (d *Direct) manageAssets(ctx context.Context, ep apple.Endpoint, req apple.ManageAssetsRequest, serve manageFunc[apple.ManageAssetsRequest]) ([]apple.EventResponse, error) {
	if _, err := apple.SplitManageAssets(req, apple.DefaultBatchLimits); err != nil {
		return nil, err
	}
	lim, err := d.Limits(ctx)
	if err != nil {
		return nil, err
	}
	batches, err := apple.SplitManageAssets(req, lim)
	if err != nil {
		return nil, err
	}
	return sendAll(ctx, d, ep, batches, serve)
}

func (d *Direct) manageUsers(ctx context.Context, ep apple.Endpoint, req apple.ManageUsersRequest, serve manageFunc[apple.ManageUsersRequest]) ([]apple.EventResponse, error) {
	if _, err := apple.SplitManageUsers(req, apple.DefaultBatchLimits); err != nil {
		return nil, err
	}
	lim, err := d.Limits(ctx)
	if err != nil {
		return nil, err
	}
	batches, err := apple.SplitManageUsers(req, lim)
	if err != nil {
		return nil, err
	}
	return sendAll(ctx, d, ep, batches, serve)
}

func sendAll[R any](ctx context.Context, d *Direct, ep apple.Endpoint, batches []R, serve manageFunc[R]) ([]apple.EventResponse, error) {
	return apple.SendBatches(ctx, ep, batches, func(ctx context.Context, b R) (*apple.EventResponse, error) {
		return call(ctx, d, ep, true, func(now time.Time, tok string) (*apple.EventResponse, error) {
			return serve(now, tok, b)
		})
	})
}

// read drops the answer of a failed read: only manage calls return an answer with a
// *apple.ClaimedError, as the client does.
func read[T any](out *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return out, nil
}
