package applefake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// AddLocation creates an organisational unit (a "location" or library) and returns
// its uId.
func (c *Core) AddLocation(name string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	uid := fmt.Sprint(int64(2049025000000000) + int64(len(c.locs)) + 1)
	l := &location{uid: uid, name: name, assetIdx: map[apple.Asset]*asset{}, active: map[string]*user{},
		assigns: map[assignKey]*assignment{}}
	v := c.bump()
	l.assetsVer, l.assignsVer, l.usersVer = v, v, v
	c.locs = append(c.locs, l)
	c.locByID[uid] = l
	return uid
}

// EncodeSToken builds an sToken the way Apple does (L1): base64 of
// {"token","expDate","orgName"}.
func EncodeSToken(secret, orgName string, exp time.Time) string {
	b, _ := json.Marshal(struct {
		Token   string `json:"token"`
		ExpDate string `json:"expDate"`
		OrgName string `json:"orgName"`
	}{secret, exp.Format(apple.TimeLayout), orgName})
	return base64.StdEncoding.EncodeToString(b)
}

// IssueToken issues a token for a location, valid until exp (Apple: one year, L1).
// Several tokens for one location are duplicates of each other (L3).
func (c *Core) IssueToken(uid string, exp time.Time) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.location("IssueToken", uid)
	if err != nil {
		return "", err
	}
	s := EncodeSToken(fmt.Sprintf("fake-%s-%d", uid, len(c.tokens)+1), l.name, exp)
	c.tokens[s] = &token{sToken: s, loc: l, exp: exp}
	return s, nil
}

// ExpireToken makes a token expired now, whatever its date (9621 from then on).
func (c *Core) ExpireToken(sToken string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := c.token("ExpireToken", sToken)
	if err == nil {
		t.expired = true
	}
	return err
}

// RevokeToken revokes a token (9625 from then on).
func (c *Core) RevokeToken(sToken string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := c.token("RevokeToken", sToken)
	if err == nil {
		t.revoked = true
	}
	return err
}

// ClaimToken models another service taking over the token's location (L3): from now
// on responses carry by as mdmInfo. With loseRecords, what the previous service made
// is lost, as Apple warns it can be: its revocable assignments disappear and its users
// are retired.
func (c *Core) ClaimToken(sToken string, by apple.MdmInfo, loseRecords bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := c.token("ClaimToken", sToken)
	if err != nil {
		return err
	}
	if by.ID == "" {
		return adminErr("ClaimToken", "the claiming service needs an mdmInfo id")
	}
	l := t.loc
	prev := l.ownerID()
	o := by
	l.owner = &o
	if !loseRecords || prev == by.ID {
		return nil
	}
	v := c.bump()
	for _, a := range l.sortedAssigns() {
		if a.createdBy == prev && l.assetIdx[a.key.asset].revocable {
			l.unassign(a, v)
		}
	}
	for _, u := range l.users {
		if u.status != apple.UserRetired && u.createdBy == prev {
			l.retire(u, v)
		}
	}
	return nil
}

// BumpVersion records a change in every data set of the token's location without
// changing data, as a write elsewhere at Apple would: readers see new versionIds.
func (c *Core) BumpVersion(sToken string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := c.token("BumpVersion", sToken)
	if err != nil {
		return err
	}
	v := c.bump()
	t.loc.assetsVer, t.loc.assignsVer, t.loc.usersVer = v, v, v
	return nil
}

// LocationOf returns the uId of a token's location.
func (c *Core) LocationOf(sToken string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tokens[sToken]
	if !ok {
		return "", false
	}
	return t.loc.uid, true
}

// Owner returns the mdmInfo set on a location, if any.
func (c *Core) Owner(uid string) (apple.MdmInfo, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locByID[uid]
	if !ok || l.owner == nil {
		return apple.MdmInfo{}, false
	}
	return *l.owner, true
}

// ServiceConfig answers GET service/config; base is the URL the endpoints live under.
func (c *Core) ServiceConfig(base string) *apple.ServiceConfig {
	c.mu.Lock()
	defer c.mu.Unlock()
	sc := &apple.ServiceConfig{
		Limits:            make(map[string]int, len(c.cfg.Limits)),
		NotificationTypes: []string{"ASSET_MANAGEMENT", "USER_MANAGEMENT", "USER_ASSOCIATED", "ASSET_COUNT"},
		URLs:              map[string]string{},
	}
	for k, v := range c.cfg.Limits {
		sc.Limits[k] = v
	}
	for _, n := range apple.KnownErrorNumbers() {
		sc.ErrorCodes = append(sc.ErrorCodes, apple.ErrorResponse{ErrorNumber: n, ErrorMessage: n.Message()})
	}
	for key, ep := range map[string]apple.Endpoint{
		"clientConfig": apple.EndpointClientConfig, "getAssets": apple.EndpointAssets,
		"getAssignments": apple.EndpointAssignments, "associateAssets": apple.EndpointAssociate,
		"disassociateAssets": apple.EndpointDisassociate, "getUsers": apple.EndpointUsers,
		"createUsers": apple.EndpointCreateUsers, "retireUsers": apple.EndpointRetireUsers,
		"eventStatus": apple.EndpointEventStatus,
	} {
		sc.URLs[key] = base + "/" + string(ep)
	}
	return sc
}

// ClientConfig answers GET client/config.
func (c *Core) ClientConfig(now time.Time, sToken string) (*apple.ClientConfig, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, err := c.auth(now, apple.EndpointClientConfig, sToken)
	if err != nil {
		return nil, err
	}
	return clientConfig(t), nil
}

func clientConfig(t *token) *apple.ClientConfig {
	l := t.loc
	return &apple.ClientConfig{
		CountryISO2ACode: "US", LocationName: l.name, NotificationURL: l.notificationURL,
		NotificationAuthToken:       l.notificationAuth,
		SubscribedNotificationTypes: append([]string(nil), l.notificationTypes...),
		WebsiteURL:                  "https://business.apple.com",
		Envelope:                    envelope(t),
	}
}

// SetClientConfig answers POST client/config. Setting mdmInfo is how a service marks
// the location as its own, or takes it back after a claim (L3). mdmInfo needs an id
// and a name (9600) within the service/config lengths (9602); a notification URL must
// be https and come with its auth token (9602, 9600). A refused request changes
// nothing.
func (c *Core) SetClientConfig(now time.Time, sToken string, req apple.ClientConfigRequest) (*apple.ClientConfig, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const ep = apple.EndpointClientConfig
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	if m := req.MdmInfo; m != nil {
		if m.ID == "" || m.Name == "" {
			return nil, apiErr(ep, apple.ErrMissingArgument, nil, "mdmInfo needs id and name")
		}
		if len(m.ID) > c.limit("maxMdmIdLength", 100) || len(m.Name) > c.limit("maxMdmNameLength", 100) ||
			len(m.Metadata) > c.limit("maxMdmMetadataLength", 255) {
			return nil, apiErr(ep, apple.ErrInvalidArgument, nil, "mdmInfo field longer than the service/config limit")
		}
	}
	if (req.NotificationURL == "") != (req.NotificationAuthToken == "") {
		return nil, apiErr(ep, apple.ErrMissingArgument, nil, "notificationUrl and notificationAuthToken go together")
	}
	if req.NotificationURL != "" {
		u, err := url.Parse(req.NotificationURL)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return nil, apiErr(ep, apple.ErrInvalidArgument, nil, "notificationUrl must be an https URL")
		}
	}
	l := t.loc
	if req.MdmInfo != nil {
		m := *req.MdmInfo
		l.owner = &m
	}
	if req.NotificationURL != "" {
		l.notificationURL, l.notificationAuth = req.NotificationURL, req.NotificationAuthToken
	}
	if req.NotificationTypes != nil {
		l.notificationTypes = append([]string(nil), req.NotificationTypes...)
	}
	return clientConfig(t), nil
}
