package applefake

import (
	"fmt"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

type user struct {
	clientUserID, email, managedAppleID string
	inviteCode, idHash                  string
	status                              string
	createdBy                           string // mdmInfo id of the creating service (S6)
	ver                                 uint64
}

func (u *user) wire() apple.ResponseUser {
	w := apple.ResponseUser{ClientUserID: u.clientUserID, Email: u.email, Status: u.status, IDHash: u.idHash}
	if u.status == apple.UserRegistered {
		w.InviteCode = u.inviteCode
	}
	return w
}

// retire retires u at version v and takes back its revocable licenses; book licenses
// stay with the user's Apple Account (L8).
func (l *location) retire(u *user, v uint64) {
	u.status, u.ver = apple.UserRetired, v
	delete(l.active, u.clientUserID)
	l.usersVer = v
	for _, as := range l.sortedAssigns() {
		if as.key.user && as.key.subject == u.clientUserID && l.assetIdx[as.key.asset].revocable {
			l.unassign(as, v)
		}
	}
}

// Users answers one page of GET users.
func (c *Core) Users(now time.Time, sToken string, q apple.UsersQuery, pageIndex int) (*apple.UsersResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const ep = apple.EndpointUsers
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	since, err := c.sinceVersion(ep, q.SinceVersionID)
	if err != nil {
		return nil, err
	}
	l := t.loc
	match := l.users
	if q != (apple.UsersQuery{}) {
		match = nil
		for _, u := range l.users {
			if (q.ClientUserID == "" || u.clientUserID == q.ClientUserID) &&
				(!q.ActiveOnly || u.status != apple.UserRetired) && u.ver > since {
				match = append(match, u)
			}
		}
	}
	lo, hi, p, err := page(ep, len(match), c.cfg.PageSize, pageIndex, l.usersVer)
	if err != nil {
		return nil, err
	}
	out := &apple.UsersResponse{Users: make([]apple.ResponseUser, 0, hi-lo), Paging: p, Envelope: envelope(t)}
	for _, u := range match[lo:hi] {
		out.Users = append(out.Users, u.wire())
	}
	return out, nil
}

// validateUsers checks a users/create or users/retire body: at least one user (9600),
// within maxUsers, unique non-empty clientUserIds and plausible emails (9602).
func (c *Core) validateUsers(ep apple.Endpoint, req apple.ManageUsersRequest) error {
	if len(req.Users) == 0 {
		return apiErr(ep, apple.ErrMissingArgument, nil, "no users")
	}
	if maxUsers := c.batchLimits().MaxUsers; len(req.Users) > maxUsers {
		return apiErr(ep, apple.ErrInvalidArgument, nil, fmt.Sprintf("%d users, over maxUsers %d", len(req.Users), maxUsers))
	}
	seen := make(map[string]bool, len(req.Users))
	for _, u := range req.Users {
		switch {
		case u.ClientUserID == "":
			return apiErr(ep, apple.ErrInvalidArgument, nil, "empty clientUserId")
		case seen[u.ClientUserID]:
			return apiErr(ep, apple.ErrInvalidArgument, &apple.ErrorInfo{ClientUserIDs: []string{u.ClientUserID}}, "duplicate clientUserId")
		case u.Email != "" && !strings.Contains(u.Email, "@"):
			return apiErr(ep, apple.ErrInvalidArgument, &apple.ErrorInfo{ClientUserIDs: []string{u.ClientUserID}}, "invalid email")
		}
		seen[u.ClientUserID] = true
	}
	return nil
}

// CreateUsers answers POST users/create: each user not already active is registered;
// an active one is a failure 9716 in the event.
func (c *Core) CreateUsers(now time.Time, sToken string, req apple.ManageUsersRequest) (*apple.EventResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const ep = apple.EndpointCreateUsers
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	if err := c.validateUsers(ep, req); err != nil {
		return nil, err
	}
	l := t.loc
	ev := c.newEvent(t, apple.EventCreateUsers, now, len(req.Users))
	var v uint64
	for _, ru := range req.Users {
		if l.active[ru.ClientUserID] != nil {
			ev.fail(apple.ErrUserAlreadyExists, nil, true, ru.ClientUserID)
			continue
		}
		if v == 0 {
			v = c.bump()
		}
		u := &user{clientUserID: ru.ClientUserID, email: ru.Email, managedAppleID: ru.ManagedAppleID,
			inviteCode: fmt.Sprintf("%032x", v<<20|uint64(len(l.users))), status: apple.UserRegistered,
			createdBy: l.ownerID(), ver: v}
		l.users = append(l.users, u)
		l.active[u.clientUserID] = u
		l.usersVer = v
		ev.completed++
	}
	return ev.response(t), nil
}

// RetireUsers answers POST users/retire: each active user is retired and loses its
// revocable licenses; an unknown one is a failure 9609 in the event.
func (c *Core) RetireUsers(now time.Time, sToken string, req apple.ManageUsersRequest) (*apple.EventResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const ep = apple.EndpointRetireUsers
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	if err := c.validateUsers(ep, req); err != nil {
		return nil, err
	}
	l := t.loc
	ev := c.newEvent(t, apple.EventRetireUsers, now, len(req.Users))
	var v uint64
	for _, ru := range req.Users {
		u := l.active[ru.ClientUserID]
		if u == nil {
			ev.fail(apple.ErrRegisteredUserNotFound, nil, true, ru.ClientUserID)
			continue
		}
		if v == 0 {
			v = c.bump()
		}
		l.retire(u, v)
		ev.completed++
	}
	return ev.response(t), nil
}

// AcceptInvite models the user accepting the invitation with an Apple Account: the
// user becomes Associated and gets an idHash.
func (c *Core) AcceptInvite(uid, clientUserID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, err := c.location("AcceptInvite", uid)
	if err != nil {
		return err
	}
	u := l.active[clientUserID]
	if u == nil {
		return adminErr("AcceptInvite", "no active user %q in location %s", clientUserID, uid)
	}
	v := c.bump()
	u.status, u.idHash, u.ver = apple.UserAssociated, fmt.Sprintf("idhash-%016x", v), v
	l.usersVer = v
	return nil
}

// UserRecord is a user with the service that created it (S6).
type UserRecord struct {
	apple.ResponseUser
	CreatedBy string
}

// UserRecords lists a location's user records in creation order.
func (c *Core) UserRecords(uid string) []UserRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locByID[uid]
	if !ok {
		return nil
	}
	out := make([]UserRecord, len(l.users))
	for i, u := range l.users {
		out[i] = UserRecord{ResponseUser: u.wire(), CreatedBy: u.createdBy}
	}
	return out
}
