package applefake

import (
	"fmt"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// Associate answers POST assets/associate. The request is checked whole first; a
// refused request changes nothing (L11): no asset or no subject is 9600, a batch over
// the service/config limits or with duplicates is 9602, an asset the location does not
// own is 9604, a serial number with an asset that is not device-assignable (every
// book) is 9628. Then each (asset, subject) pair is applied in request order, counted
// as Apple counts: a pair already assigned is done with nothing consumed (L19); an
// unregistered or retired user fails with 9609; an asset with nothing available fails
// with 9709. Failures are reported in the event, not in the answer.
func (c *Core) Associate(now time.Time, sToken string, req apple.ManageAssetsRequest) (*apple.EventResponse, error) {
	return c.manage(now, sToken, req, false)
}

// Disassociate answers POST assets/disassociate, checked like Associate, except that
// an asset that is not revocable (every book, L8) refuses the whole request with 9607.
// A pair that holds no license fails with 9619 in the event.
func (c *Core) Disassociate(now time.Time, sToken string, req apple.ManageAssetsRequest) (*apple.EventResponse, error) {
	return c.manage(now, sToken, req, true)
}

func (c *Core) manage(now time.Time, sToken string, req apple.ManageAssetsRequest, revoke bool) (*apple.EventResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ep, typ := apple.EndpointAssociate, apple.EventAssociate
	if revoke {
		ep, typ = apple.EndpointDisassociate, apple.EventDisassociate
	}
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	l := t.loc
	assets, err := c.validateManage(ep, l, req, revoke)
	if err != nil {
		return nil, err
	}
	ev := c.newEvent(t, typ, now, len(assets)*(len(req.SerialNumbers)+len(req.ClientUserIDs)))
	var v uint64 // the version of this request's changes, taken at the first change
	version := func() uint64 {
		if v == 0 {
			v = c.bump()
		}
		return v
	}
	for _, a := range assets {
		for _, s := range req.SerialNumbers {
			manageOne(l, ev, a, assignKey{asset: a.key, subject: s}, revoke, version)
		}
		for _, u := range req.ClientUserIDs {
			if !revoke && l.active[u] == nil {
				ev.fail(apple.ErrRegisteredUserNotFound, &a.key, true, u)
				continue
			}
			manageOne(l, ev, a, assignKey{asset: a.key, user: true, subject: u}, revoke, version)
		}
	}
	return ev.response(t), nil
}

func manageOne(l *location, ev *event, a *asset, k assignKey, revoke bool, version func() uint64) {
	held := l.assigns[k]
	switch {
	case revoke && held == nil:
		ev.fail(apple.ErrLicenseNotAssociated, &a.key, k.user, k.subject)
		return
	case revoke:
		l.unassign(held, version())
	case held != nil:
		// Already assigned: done, nothing consumed (L19).
	case a.available() == 0:
		ev.fail(apple.ErrNotEnoughLicenses, &a.key, k.user, k.subject)
		return
	default:
		l.assign(k, a, version())
	}
	ev.completed++
}

// validateManage checks a manage request whole and returns its assets.
func (c *Core) validateManage(ep apple.Endpoint, l *location, req apple.ManageAssetsRequest, revoke bool) ([]*asset, error) {
	lim := c.batchLimits()
	switch {
	case len(req.Assets) == 0:
		return nil, apiErr(ep, apple.ErrMissingArgument, nil, "no assets")
	case len(req.SerialNumbers) == 0 && len(req.ClientUserIDs) == 0:
		return nil, apiErr(ep, apple.ErrMissingArgument, nil, "no clientUserIds or serialNumbers")
	case len(req.Assets) > lim.MaxAssets:
		return nil, apiErr(ep, apple.ErrInvalidArgument, nil, fmt.Sprintf("%d assets, over maxAssets %d", len(req.Assets), lim.MaxAssets))
	case len(req.SerialNumbers) > lim.MaxSerialNumbers:
		return nil, apiErr(ep, apple.ErrInvalidArgument, nil,
			fmt.Sprintf("%d serialNumbers, over maxSerialNumbers %d", len(req.SerialNumbers), lim.MaxSerialNumbers))
	case len(req.ClientUserIDs) > lim.MaxClientUserIDs:
		return nil, apiErr(ep, apple.ErrInvalidArgument, nil,
			fmt.Sprintf("%d clientUserIds, over maxClientUserIds %d", len(req.ClientUserIDs), lim.MaxClientUserIDs))
	}
	if err := uniqueNonEmpty(ep, "serialNumbers", req.SerialNumbers); err != nil {
		return nil, err
	}
	if err := uniqueNonEmpty(ep, "clientUserIds", req.ClientUserIDs); err != nil {
		return nil, err
	}
	assets := make([]*asset, 0, len(req.Assets))
	seen := make(map[apple.Asset]bool, len(req.Assets))
	var unknown, refused []apple.Asset
	for _, ra := range req.Assets {
		if ra.AdamID == "" {
			return nil, apiErr(ep, apple.ErrInvalidArgument, nil, "empty adamId")
		}
		k := assetKey(ra)
		if seen[k] {
			return nil, apiErr(ep, apple.ErrInvalidArgument, &apple.ErrorInfo{Assets: []apple.Asset{k}}, "duplicate asset")
		}
		seen[k] = true
		a := l.assetIdx[k]
		switch {
		case a == nil:
			unknown = append(unknown, k)
		case revoke && !a.revocable:
			refused = append(refused, k)
		case !revoke && len(req.SerialNumbers) > 0 && !a.deviceAssignable:
			refused = append(refused, k)
		}
		assets = append(assets, a)
	}
	if unknown != nil {
		return nil, apiErr(ep, apple.ErrNotFound, &apple.ErrorInfo{Assets: unknown}, "asset not owned by this location")
	}
	if refused != nil && revoke {
		return nil, apiErr(ep, apple.ErrLicenseIrrevocable, &apple.ErrorInfo{Assets: refused}, "")
	}
	if refused != nil {
		return nil, apiErr(ep, apple.ErrDeviceAssignmentNotAllowed, &apple.ErrorInfo{Assets: refused}, "")
	}
	return assets, nil
}

func uniqueNonEmpty(ep apple.Endpoint, field string, ids []string) error {
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id == "" {
			return apiErr(ep, apple.ErrInvalidArgument, nil, "empty id in "+field)
		}
		if seen[id] {
			info := &apple.ErrorInfo{}
			if field == "serialNumbers" {
				info.SerialNumbers = []string{id}
			} else {
				info.ClientUserIDs = []string{id}
			}
			return apiErr(ep, apple.ErrInvalidArgument, info, "duplicate id in "+field)
		}
		seen[id] = true
	}
	return nil
}
