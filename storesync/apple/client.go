package apple

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Client calls the Apps and Books v2 API for one location token. It is safe for
// concurrent use. It never prints its token: String, GoString and every fmt verb show
// only the base URL.
type Client struct {
	cfg   config
	base  *url.URL
	token *string // behind a pointer so that reflection-based printing shows an address
	wait  func(ctx context.Context, d time.Duration) error
	lim   *limitsCache
}

type limitsCache struct {
	mu  sync.Mutex
	at  time.Time
	lim BatchLimits
	ok  bool
}

// New returns a client that authenticates with sToken. Errors never contain the token.
func New(sToken string, opts ...Option) (*Client, error) {
	if sToken == "" {
		return nil, &mdm.ValidationError{Field: "sToken", Rule: "S5", Err: mdm.ErrMissingField,
			Reason: "is empty", Remedy: "pass the location token uploaded by the administrator"}
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	base, err := url.Parse(cfg.baseURL)
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, &mdm.ValidationError{Field: "baseURL", Value: cfg.baseURL, Rule: "S5", Err: mdm.ErrInvalidURL,
			Reason: "is not an absolute http(s) URL", Remedy: "use " + DefaultBaseURL + " or the fake's URL + \"/mdm/v2\""}
	}
	tok := sToken
	c := &Client{cfg: cfg, base: base, token: &tok, wait: cfg.wait, lim: &limitsCache{}}
	if c.wait == nil {
		c.wait = clockWait(cfg.clock)
	}
	return c, nil
}

// String describes the client without its token.
func (c Client) String() string {
	base := ""
	if c.base != nil {
		base = c.base.String()
	}
	return fmt.Sprintf("apple.Client{baseURL: %s, sToken: %s}", base, Redacted)
}

// GoString is String, so %#v does not reveal the token either.
func (c Client) GoString() string { return c.String() }

// Format prints String for every verb.
func (c Client) Format(f fmt.State, _ rune) { io.WriteString(f, c.String()) }

// ServiceConfig reads GET service/config (no token needed) and refreshes the cached
// batch limits.
func (c *Client) ServiceConfig(ctx context.Context) (*ServiceConfig, error) {
	var out ServiceConfig
	if err := c.do(ctx, request{ep: EndpointServiceConfig, method: http.MethodGet, noAuth: true}, &out); err != nil {
		return nil, err
	}
	c.lim.mu.Lock()
	c.lim.lim, c.lim.at, c.lim.ok = out.BatchLimits(), c.cfg.clock.Now(), true
	c.lim.mu.Unlock()
	return &out, nil
}

// Limits returns the batch limits of service/config, re-reading them when the cached
// copy is older than the limits TTL (S5: limits are re-read periodically).
func (c *Client) Limits(ctx context.Context) (BatchLimits, error) {
	c.lim.mu.Lock()
	if c.lim.ok && c.cfg.clock.Now().Sub(c.lim.at) < c.cfg.limitsTTL {
		l := c.lim.lim
		c.lim.mu.Unlock()
		return l, nil
	}
	c.lim.mu.Unlock()
	sc, err := c.ServiceConfig(ctx)
	if err != nil {
		return BatchLimits{}, err
	}
	return sc.BatchLimits(), nil
}

// ClientConfig reads GET client/config. It does not fail on another service's mdmInfo:
// it is how a caller sees who manages the token (L3).
func (c *Client) ClientConfig(ctx context.Context) (*ClientConfig, error) {
	var out ClientConfig
	if err := c.do(ctx, request{ep: EndpointClientConfig, method: http.MethodGet}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetClientConfig sends POST client/config. Setting MdmInfo marks the token as this
// service's, and takes control back after another service claimed it (L3).
func (c *Client) SetClientConfig(ctx context.Context, req ClientConfigRequest) (*ClientConfig, error) {
	var out ClientConfig
	if err := c.do(ctx, request{ep: EndpointClientConfig, method: http.MethodPost, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AssetsPage reads one page of GET assets, e.g. to resume a sync from a recorded page
// (S3); the caller compares the page's VersionID with the one it recorded.
func (c *Client) AssetsPage(ctx context.Context, q AssetsQuery, pageIndex int) (*AssetsResponse, error) {
	var out AssetsResponse
	if err := c.getPage(ctx, EndpointAssets, q.Values(pageIndex), pageIndex, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Assets reads every page of GET assets against one versionId (S5).
func (c *Client) Assets(ctx context.Context, q AssetsQuery) (*Listing[ResponseAsset], error) {
	return ReadAll[ResponseAsset](ctx, EndpointAssets, c.cfg.maxRestarts,
		func(ctx context.Context, i int) (*AssetsResponse, error) { return c.AssetsPage(ctx, q, i) })
}

// AssignmentsPage reads one page of GET assignments.
func (c *Client) AssignmentsPage(ctx context.Context, q AssignmentsQuery, pageIndex int) (*AssignmentsResponse, error) {
	var out AssignmentsResponse
	if err := c.getPage(ctx, EndpointAssignments, q.Values(pageIndex), pageIndex, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Assignments reads every page of GET assignments against one versionId (S5).
func (c *Client) Assignments(ctx context.Context, q AssignmentsQuery) (*Listing[Assignment], error) {
	return ReadAll[Assignment](ctx, EndpointAssignments, c.cfg.maxRestarts,
		func(ctx context.Context, i int) (*AssignmentsResponse, error) { return c.AssignmentsPage(ctx, q, i) })
}

// UsersPage reads one page of GET users.
func (c *Client) UsersPage(ctx context.Context, q UsersQuery, pageIndex int) (*UsersResponse, error) {
	var out UsersResponse
	if err := c.getPage(ctx, EndpointUsers, q.Values(pageIndex), pageIndex, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Users reads every page of GET users against one versionId.
func (c *Client) Users(ctx context.Context, q UsersQuery) (*Listing[ResponseUser], error) {
	return ReadAll[ResponseUser](ctx, EndpointUsers, c.cfg.maxRestarts,
		func(ctx context.Context, i int) (*UsersResponse, error) { return c.UsersPage(ctx, q, i) })
}

// Associate assigns every asset to every listed device and user, split into requests
// within the service/config limits. It returns the eventId of every request sent; on a
// failure, those accepted before it and a *BatchError. An answer without a usable
// eventId is a failure too (a *DecodeError inside the *BatchError).
func (c *Client) Associate(ctx context.Context, req ManageAssetsRequest) ([]EventResponse, error) {
	return c.manageAssets(ctx, EndpointAssociate, req)
}

// Disassociate revokes every asset from every listed device and user, split like
// Associate. Books and other irrevocable assets are refused (9607, L8).
func (c *Client) Disassociate(ctx context.Context, req ManageAssetsRequest) ([]EventResponse, error) {
	return c.manageAssets(ctx, EndpointDisassociate, req)
}

// CreateUsers registers users for user licensing (associating a license with an
// unregistered clientUserId fails with 9609), split within maxUsers.
func (c *Client) CreateUsers(ctx context.Context, req ManageUsersRequest) ([]EventResponse, error) {
	return c.manageUsers(ctx, EndpointCreateUsers, req)
}

// RetireUsers retires users, split within maxUsers.
func (c *Client) RetireUsers(ctx context.Context, req ManageUsersRequest) ([]EventResponse, error) {
	return c.manageUsers(ctx, EndpointRetireUsers, req)
}

// EventStatus reads GET status for an eventId returned by a manage request.
func (c *Client) EventStatus(ctx context.Context, eventID string) (*StatusResponse, error) {
	if err := mdm.CheckID("eventId", eventID); err != nil {
		return nil, err
	}
	var out StatusResponse
	r := request{ep: EndpointEventStatus, method: http.MethodGet, query: url.Values{"eventId": {eventID}}, checkOwner: true}
	if err := c.do(ctx, r, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (c *Client) getPage(ctx context.Context, ep Endpoint, q url.Values, pageIndex int, out any) error {
	if err := CheckPageIndex(pageIndex); err != nil {
		return err
	}
	return c.do(ctx, request{ep: ep, method: http.MethodGet, query: q, checkOwner: true}, out)
}

func (c *Client) manageAssets(ctx context.Context, ep Endpoint, req ManageAssetsRequest) ([]EventResponse, error) {
	if _, err := SplitManageAssets(req, DefaultBatchLimits); err != nil {
		return nil, err // refuse bad input before reading the limits
	}
	lim, err := c.Limits(ctx)
	if err != nil {
		return nil, err
	}
	batches, err := SplitManageAssets(req, lim)
	if err != nil {
		return nil, err
	}
	return SendBatches(ctx, ep, batches, func(ctx context.Context, b ManageAssetsRequest) (*EventResponse, error) {
		return c.post(ctx, ep, b)
	})
}

func (c *Client) manageUsers(ctx context.Context, ep Endpoint, req ManageUsersRequest) ([]EventResponse, error) {
	if _, err := SplitManageUsers(req, DefaultBatchLimits); err != nil {
		return nil, err
	}
	lim, err := c.Limits(ctx)
	if err != nil {
		return nil, err
	}
	batches, err := SplitManageUsers(req, lim)
	if err != nil {
		return nil, err
	}
	return SendBatches(ctx, ep, batches, func(ctx context.Context, b ManageUsersRequest) (*EventResponse, error) {
		return c.post(ctx, ep, b)
	})
}

func (c *Client) post(ctx context.Context, ep Endpoint, body any) (*EventResponse, error) {
	var out EventResponse
	err := c.do(ctx, request{ep: ep, method: http.MethodPost, body: body, checkOwner: true}, &out)
	var claimed *ClaimedError
	if err != nil && !errors.As(err, &claimed) {
		return nil, err
	}
	// The eventId is the only way to learn the request's outcome: an answer
	// without a usable one is not the documented JSON.
	if mdm.CheckID("eventId", out.EventID) != nil {
		if err != nil {
			return nil, err
		}
		return nil, &DecodeError{Endpoint: ep, StatusCode: http.StatusOK,
			Reason: "the answer has no usable eventId, so the request's outcome cannot be read"}
	}
	if err != nil {
		return &out, err // accepted, but by a token another service now manages
	}
	return &out, nil
}

// SendBatches sends each batch in order and collects the events. On the first failure
// it returns the events so far and a *BatchError naming the failed batch. An accepted
// request whose response names another service (*ClaimedError) still counts as sent:
// its event is returned with the error.
func SendBatches[R any](ctx context.Context, ep Endpoint, batches []R,
	send func(context.Context, R) (*EventResponse, error)) ([]EventResponse, error) {
	events := make([]EventResponse, 0, len(batches))
	for i, b := range batches {
		if err := ctx.Err(); err != nil {
			return events, &BatchError{Endpoint: ep, Index: i, Total: len(batches), Err: err}
		}
		ev, err := send(ctx, b)
		if ev != nil {
			events = append(events, *ev)
		}
		if err != nil {
			return events, &BatchError{Endpoint: ep, Index: i, Total: len(batches), Err: err}
		}
	}
	return events, nil
}

// CheckPageIndex refuses a negative page index.
func CheckPageIndex(i int) error {
	if i < 0 {
		return &mdm.ValidationError{Field: "pageIndex", Value: fmt.Sprint(i), Rule: "S5", Err: ErrInvalidArgument,
			Reason: "is negative", Remedy: "pages are numbered from 0"}
	}
	return nil
}
