package apple

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testSecret = "c2VjcmV0LXRva2VuLXRleHQtZm9yLXRlc3Rz"

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestDecodeResponse_OK(t *testing.T) {
	body := `{"assets":[{"adamId":"408709785","assignedCount":5,"availableCount":10,"deviceAssignable":true,
	"pricingParam":"STDQ","productType":"App","retiredCount":0,"revocable":true,"supportedPlatforms":["iOS"],"totalCount":15}],
	"currentPageIndex":0,"nextPageIndex":1,"size":1,"totalPages":2,"tokenExpirationDate":"2030-11-08T22:33:22+0000",
	"uId":"2049025000431439","versionId":"70e8c740","mdmInfo":{"id":"a","metadata":"m","name":"n"}}`
	var out AssetsResponse
	if err := DecodeResponse(EndpointAssets, 200, nil, []byte(body), &out, t0, testSecret); err != nil {
		t.Fatal(err)
	}
	next := 1
	want := AssetsResponse{
		Assets: []ResponseAsset{{AdamID: "408709785", AssignedCount: 5, AvailableCount: 10, DeviceAssignable: true,
			PricingParam: "STDQ", ProductType: ProductApp, Revocable: true, SupportedPlatforms: []string{"iOS"}, TotalCount: 15}},
		Paging:   Paging{CurrentPageIndex: 0, NextPageIndex: &next, Size: 1, TotalPages: 2, VersionID: "70e8c740"},
		Envelope: Envelope{TokenExpirationDate: "2030-11-08T22:33:22+0000", UID: "2049025000431439", MdmInfo: &MdmInfo{ID: "a", Metadata: "m", Name: "n"}},
	}
	if d := cmp.Diff(want, out); d != "" {
		t.Fatal(d)
	}
	exp, err := out.TokenExpiration()
	if err != nil || !exp.Equal(time.Date(2030, 11, 8, 22, 33, 22, 0, time.UTC)) {
		t.Fatalf("expiration %v %v", exp, err)
	}
}

// L11, S5: errors inside HTTP 200 bodies, with non-2xx statuses, and bodies that are
// not the documented JSON.
func TestDecodeResponse_Errors(t *testing.T) {
	cases := []struct {
		name       string
		status     int
		header     http.Header
		body       string
		wantNumber ErrorNumber
		wantStatus int
		wantDecode bool
		retryAfter time.Duration
	}{
		{"9621 in 200 body", 200, nil, `{"errorNumber":9621,"errorMessage":"The token has expired."}`, ErrTokenExpired, 200, false, 0},
		{"9646 in 200 body with Retry-After", 200, hdr("Retry-After", "7"), `{"errorNumber":9646}`, ErrRateLimited, 200, false, 7 * time.Second},
		{"401 9622", 401, nil, `{"errorNumber":9622,"errorMessage":"Invalid authentication token."}`, ErrInvalidToken, 401, false, 0},
		{"429 bare", 429, hdr("Retry-After", "120"), ``, 0, 429, false, 2 * time.Minute},
		{"503 text", 503, nil, `Service Unavailable`, 0, 503, false, 0},
		{"500 broken json", 500, nil, `{"errorNumber":96`, 0, 500, false, 0},
		{"truncated", 200, nil, `{"assets":[{"adamId":"1"`, 0, 0, true, 0},
		{"not an object", 200, nil, `[1,2]`, 0, 0, true, 0},
		{"empty", 200, nil, ``, 0, 0, true, 0},
		{"null", 200, nil, `null`, 0, 0, true, 0},
		{"wrong type", 200, nil, `{"assets":[{"assignedCount":"many"}]}`, 0, 0, true, 0},
		{"errorNumber wrong type", 200, nil, `{"errorNumber":"9621"}`, 0, 0, true, 0},
		{"Retry-After date", 429, hdr("Retry-After", t0.Add(90*time.Second).Format(http.TimeFormat)), `{"errorNumber":9646}`, ErrRateLimited, 429, false, 90 * time.Second},
		{"Retry-After junk", 429, hdr("Retry-After", "soon"), ``, 0, 429, false, 0},
		{"Retry-After huge", 429, hdr("Retry-After", "99999999999999999"), ``, 0, 429, false, 24 * time.Hour},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out AssetsResponse
			h := c.header
			if h == nil {
				h = http.Header{}
			}
			err := DecodeResponse(EndpointAssets, c.status, h, []byte(c.body), &out, t0, testSecret)
			if c.wantDecode {
				var de *DecodeError
				if !errors.As(err, &de) || !errors.Is(err, ErrDecode) {
					t.Fatalf("want *DecodeError, got %T %v", err, err)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("want *APIError, got %T %v", err, err)
			}
			if ae.Number != c.wantNumber || ae.StatusCode != c.wantStatus || ae.RetryAfter != c.retryAfter {
				t.Fatalf("got number %d status %d retry %v", ae.Number, ae.StatusCode, ae.RetryAfter)
			}
		})
	}
}

// L1: server text that echoes the token is scrubbed before it reaches an error.
func TestDecodeResponse_ScrubsToken(t *testing.T) {
	bodies := map[string]int{
		`{"errorNumber":9622,"errorMessage":"bad token ` + testSecret + `"}`: 401,
		`{"errorNumber":9603,"errorMessage":"` + testSecret + `"}`:           200,
		`{"echo":"` + testSecret + `","assets":[`:                            200, // truncated, whole token inside
		`{"echo":"` + testSecret[:20]:                                        200, // cut mid-token
		`{"x":"` + testSecret[5:25] + `"} trailing`:                          200,
	}
	for body, status := range bodies {
		var out AssetsResponse
		err := DecodeResponse(EndpointAssets, status, http.Header{}, []byte(body), &out, t0, testSecret)
		if err == nil {
			t.Fatalf("%s: no error", body)
		}
		assertNoSecret(t, err.Error(), testSecret)
	}
}

// assertNoSecret fails if text holds the secret or any 8-byte piece of it.
func assertNoSecret(t *testing.T, text, secret string) {
	t.Helper()
	for i := 0; i+scrubWindow <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+scrubWindow]) {
			t.Fatalf("text reveals part of the token: %s", text)
		}
	}
}

func TestCheckOwner(t *testing.T) {
	me := &MdmInfo{ID: "me", Name: "mdmkit"}
	if err := CheckOwner(EndpointAssets, me, Envelope{}); err != nil {
		t.Fatal("no mdmInfo in the answer is not a claim")
	}
	if err := CheckOwner(EndpointAssets, me, Envelope{MdmInfo: &MdmInfo{ID: "me", Name: "renamed"}}); err != nil {
		t.Fatal("the id decides, not the name")
	}
	err := CheckOwner(EndpointAssets, me, Envelope{MdmInfo: &MdmInfo{ID: "them", Name: "Other MDM"}})
	var ce *ClaimedError
	if !errors.As(err, &ce) || !errors.Is(err, ErrClaimed) || ce.Found.ID != "them" {
		t.Fatalf("want *ClaimedError, got %v", err)
	}
	if CheckOwner(EndpointAssets, nil, Envelope{MdmInfo: &MdmInfo{ID: "them"}}) != nil {
		t.Fatal("no expected owner checks nothing")
	}
}

// S5, S2: a page of GET assets, assignments or users always carries its list,
// "[]" when there is nothing. An answer without it (the JSON "{}", or the list
// null) is not the documented answer: read as an empty list it would tell a
// sync that the store holds nothing, and the sync would mark every app gone. It
// is a *DecodeError naming the field; an empty list stays an empty page.
func TestDecodeResponse_S5_MissingListIsDecodeError(t *testing.T) {
	paging := `"currentPageIndex":0,"size":0,"totalPages":1,"versionId":"v1"`
	for _, c := range []struct {
		ep    Endpoint
		field string
		out   func() any
		items func(any) int
	}{
		{EndpointAssets, "assets", func() any { return new(AssetsResponse) }, func(o any) int { return len(o.(*AssetsResponse).Assets) }},
		{EndpointAssignments, "assignments", func() any { return new(AssignmentsResponse) }, func(o any) int { return len(o.(*AssignmentsResponse).Assignments) }},
		{EndpointUsers, "users", func() any { return new(UsersResponse) }, func(o any) int { return len(o.(*UsersResponse).Users) }},
	} {
		for _, body := range []string{`{}`, `{` + paging + `}`, `{"` + c.field + `":null,` + paging + `}`} {
			err := DecodeResponse(c.ep, 200, http.Header{}, []byte(body), c.out(), t0, testSecret)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), `"`+c.field+`"`) {
				t.Errorf("%s %s: want a *DecodeError naming %q, got %v", c.ep, body, c.field, err)
			}
		}
		out := c.out()
		if err := DecodeResponse(c.ep, 200, http.Header{}, []byte(`{"`+c.field+`":[],`+paging+`}`), out, t0, testSecret); err != nil || c.items(out) != 0 {
			t.Errorf("%s: an empty list: %v", c.ep, err)
		}
	}
}
