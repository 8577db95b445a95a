package applefake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// maxRequestBody bounds a request body the handler reads.
const maxRequestBody = 1 << 20

// Handler serves the Apps and Books v2 wire format over a Core, for tests and examples
// on 127.0.0.1 (httptest.NewServer). The time of each request comes from its clock.
// Faults added to its Faults fire per endpoint, before the token is checked.
type Handler struct {
	core *Core
	s    settings
}

// NewHandler returns a handler over core. Options: WithClock, WithFaults, WithPrefix.
func NewHandler(core *Core, opts ...Option) *Handler {
	return &Handler{core: core, s: newSettings(opts)}
}

// routes lists the methods each endpoint accepts.
var routes = map[apple.Endpoint][]string{
	apple.EndpointServiceConfig: {http.MethodGet},
	apple.EndpointClientConfig:  {http.MethodGet, http.MethodPost, http.MethodPut},
	apple.EndpointAssets:        {http.MethodGet},
	apple.EndpointAssignments:   {http.MethodGet},
	apple.EndpointUsers:         {http.MethodGet},
	apple.EndpointEventStatus:   {http.MethodGet},
	apple.EndpointAssociate:     {http.MethodPost},
	apple.EndpointDisassociate:  {http.MethodPost},
	apple.EndpointCreateUsers:   {http.MethodPost},
	apple.EndpointRetireUsers:   {http.MethodPost},
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, h.s.prefix+"/")
	ep := apple.Endpoint(rest)
	methods, known := routes[ep]
	if !ok || !known {
		http.NotFound(w, r)
		return
	}
	allowed := false
	for _, m := range methods {
		allowed = allowed || m == r.Method
	}
	if !allowed {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, apiErr(ep, apple.ErrUnsupportedMethod, nil, r.Method))
		return
	}
	var o outcome
	sToken, authErr := bearer(ep, r)
	if ft, fired := h.s.faults.take(ep); fired {
		o = ft.prepare(h.core, ep, sToken)
	}
	if o.err != nil {
		writeError(w, o.err)
		return
	}
	var out any
	var err error
	if authErr != nil && ep != apple.EndpointServiceConfig {
		err = authErr
	} else {
		out, err = h.serve(ep, r, sToken)
	}
	if err != nil {
		if ae, isAPI := err.(*apple.APIError); isAPI {
			writeError(w, ae)
			return
		}
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body, err := json.Marshal(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if o.truncate {
		body = body[:len(body)/2]
	}
	if o.delay > 0 {
		t := time.NewTimer(o.delay)
		select {
		case <-t.C:
		case <-r.Context().Done(): // the client gave up: answer nothing
			t.Stop()
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// serve answers one authenticated call from the core.
func (h *Handler) serve(ep apple.Endpoint, r *http.Request, sToken string) (any, error) {
	now := h.s.clock.Now()
	q := r.URL.Query()
	switch ep {
	case apple.EndpointServiceConfig:
		return h.core.ServiceConfig(baseURL(r, h.s.prefix)), nil
	case apple.EndpointClientConfig:
		if r.Method == http.MethodGet {
			return h.core.ClientConfig(now, sToken)
		}
		var req apple.ClientConfigRequest
		if err := decodeBody(ep, r, &req); err != nil {
			return nil, err
		}
		return h.core.SetClientConfig(now, sToken, req)
	case apple.EndpointAssets:
		i, err := pageIndex(ep, q.Get("pageIndex"))
		if err != nil {
			return nil, err
		}
		return h.core.Assets(now, sToken, apple.AssetsQuery{AdamID: q.Get("adamId"), PricingParam: q.Get("pricingParam"),
			ProductType: apple.ProductType(q.Get("productType"))}, i)
	case apple.EndpointAssignments:
		i, err := pageIndex(ep, q.Get("pageIndex"))
		if err != nil {
			return nil, err
		}
		return h.core.Assignments(now, sToken, apple.AssignmentsQuery{AdamID: q.Get("adamId"), PricingParam: q.Get("pricingParam"),
			ClientUserID: q.Get("clientUserId"), SerialNumber: q.Get("serialNumber"), SinceVersionID: q.Get("sinceVersionId")}, i)
	case apple.EndpointUsers:
		i, err := pageIndex(ep, q.Get("pageIndex"))
		if err != nil {
			return nil, err
		}
		active := false
		if v := q.Get("activeOnly"); v != "" {
			if active, err = strconv.ParseBool(v); err != nil {
				return nil, apiErr(ep, apple.ErrInvalidArgument, nil, "activeOnly is not a boolean")
			}
		}
		return h.core.Users(now, sToken, apple.UsersQuery{ClientUserID: q.Get("clientUserId"), ActiveOnly: active,
			SinceVersionID: q.Get("sinceVersionId")}, i)
	case apple.EndpointEventStatus:
		return h.core.EventStatus(now, sToken, q.Get("eventId"))
	case apple.EndpointAssociate, apple.EndpointDisassociate:
		var req apple.ManageAssetsRequest
		if err := decodeBody(ep, r, &req); err != nil {
			return nil, err
		}
		if ep == apple.EndpointAssociate {
			return h.core.Associate(now, sToken, req)
		}
		return h.core.Disassociate(now, sToken, req)
	case apple.EndpointCreateUsers, apple.EndpointRetireUsers:
		var req apple.ManageUsersRequest
		if err := decodeBody(ep, r, &req); err != nil {
			return nil, err
		}
		if ep == apple.EndpointCreateUsers {
			return h.core.CreateUsers(now, sToken, req)
		}
		return h.core.RetireUsers(now, sToken, req)
	}
	return nil, fmt.Errorf("applefake: no route for %s", ep)
}

// bearer reads "Authorization: Bearer <sToken>". No header gives "" (the core answers
// 9601); another form is 9722.
func bearer(ep apple.Endpoint, r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", nil
	}
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return "", apiErr(ep, apple.ErrInvalidAuthorizationHeader, nil, "")
	}
	return tok, nil
}

func pageIndex(ep apple.Endpoint, s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 0 {
		return 0, apiErr(ep, apple.ErrInvalidPageIndex, nil, "pageIndex is not a page number")
	}
	return i, nil
}

func decodeBody(ep apple.Endpoint, r *http.Request, v any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return apiErr(ep, apple.ErrUnsupportedContentType, nil, "")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(body) > maxRequestBody {
		return apiErr(ep, apple.ErrInvalidArgument, nil, "body unreadable or over 1 MiB")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return apiErr(ep, apple.ErrInvalidArgument, nil, "body is not the documented JSON")
	}
	return nil
}

func baseURL(r *http.Request, prefix string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + prefix
}

// writeError answers with an API error: its status, Retry-After in whole seconds, and
// Apple's error body, or a plain-text body when it has no number (a bare 5xx).
func writeError(w http.ResponseWriter, e *apple.APIError) {
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if e.Number == 0 {
		http.Error(w, http.StatusText(e.StatusCode), e.StatusCode)
		return
	}
	body, _ := json.Marshal(apple.ErrorResponse{ErrorNumber: e.Number, ErrorMessage: e.Message, ErrorInfo: e.Info})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.StatusCode)
	w.Write(body)
}
