package applefake

import (
	"fmt"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// event is the outcome of one manage request. The core applies the request at once;
// the event reports PENDING until EventLatency has passed, as Apple's asynchronous
// processing would.
type event struct {
	id        string
	loc       *location
	typ       apple.EventType
	requested int
	completed int
	failures  []apple.ErrorResponse
	byKey     map[failKey]int // index into failures
	doneAt    time.Time
}

// failKey groups failures the way Apple's errorInfo does: one entry per error number
// and asset, listing the users and devices.
type failKey struct {
	n     apple.ErrorNumber
	asset apple.Asset
}

func (c *Core) newEvent(t *token, typ apple.EventType, now time.Time, requested int) *event {
	c.eventSeq++
	ev := &event{id: fmt.Sprintf("00000000-0000-4000-a000-%012x", c.eventSeq), loc: t.loc, typ: typ,
		requested: requested, doneAt: now.Add(c.cfg.EventLatency)}
	c.events[ev.id] = ev
	// Old events are forgotten, as Apple forgets them, so a long simulation does not
	// keep every event.
	c.eventOrder = append(c.eventOrder, ev.id)
	if len(c.eventOrder) > c.cfg.MaxEvents {
		delete(c.events, c.eventOrder[0])
		c.eventOrder = c.eventOrder[1:]
	}
	return ev
}

// fail records that subject (a user when user is true, else a device) failed with n
// for asset (nil for user events).
func (ev *event) fail(n apple.ErrorNumber, asset *apple.Asset, user bool, subject string) {
	k := failKey{n: n}
	if asset != nil {
		k.asset = *asset
	}
	i, ok := ev.byKey[k]
	if !ok {
		if ev.byKey == nil {
			ev.byKey = map[failKey]int{}
		}
		info := &apple.ErrorInfo{}
		if asset != nil {
			info.Assets = []apple.Asset{*asset}
		}
		ev.failures = append(ev.failures, apple.ErrorResponse{ErrorNumber: n, ErrorMessage: n.Message(), ErrorInfo: info})
		i = len(ev.failures) - 1
		ev.byKey[k] = i
	}
	info := ev.failures[i].ErrorInfo
	if user {
		info.ClientUserIDs = append(info.ClientUserIDs, subject)
	} else {
		info.SerialNumbers = append(info.SerialNumbers, subject)
	}
}

func (ev *event) response(t *token) *apple.EventResponse {
	return &apple.EventResponse{EventID: ev.id, Envelope: envelope(t)}
}

// EventStatus answers GET status?eventId=. An event of another location, or none, is
// 9604.
func (c *Core) EventStatus(now time.Time, sToken, eventID string) (*apple.StatusResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const ep = apple.EndpointEventStatus
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	if eventID == "" {
		return nil, apiErr(ep, apple.ErrMissingArgument, nil, "eventId")
	}
	ev := c.events[eventID]
	if ev == nil || ev.loc != t.loc {
		return nil, apiErr(ep, apple.ErrNotFound, nil, "no such eventId")
	}
	out := &apple.StatusResponse{EventType: ev.typ, NumRequested: ev.requested, Envelope: envelope(t)}
	switch {
	case now.Before(ev.doneAt):
		out.EventStatus = apple.EventPending
	case len(ev.failures) > 0:
		out.EventStatus, out.NumCompleted = apple.EventFailed, ev.completed
		out.Failures = cloneFailures(ev.failures)
	default:
		out.EventStatus, out.NumCompleted = apple.EventComplete, ev.completed
	}
	return out, nil
}

// cloneFailures copies failures so a response never shares memory with the core.
func cloneFailures(fs []apple.ErrorResponse) []apple.ErrorResponse {
	out := make([]apple.ErrorResponse, len(fs))
	for i, f := range fs {
		out[i] = f
		if f.ErrorInfo != nil {
			info := apple.ErrorInfo{
				Assets:        append([]apple.Asset(nil), f.ErrorInfo.Assets...),
				ClientUserIDs: append([]string(nil), f.ErrorInfo.ClientUserIDs...),
				SerialNumbers: append([]string(nil), f.ErrorInfo.SerialNumbers...),
			}
			out[i].ErrorInfo = &info
		}
	}
	return out
}
