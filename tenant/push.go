package tenant

import (
	"slices"
	"sync"

	"github.com/mdmkit/mdmkit/mdm"
)

// Push notifications as data (T2). The tenant never sends anything: it says
// which devices should be pushed now (Change.Notify, at once, after an admin
// change) and keeps a schedule of later pushes that DuePushes hands out:
//
//   - re-notifications: a device that does not check in after a push is pushed
//     again, Policy.PushRenotifications more times, Policy.PushRenotifyInterval
//     apart;
//   - wake-ups: when a timer of the device's apps runs out (the reinstall
//     cycle's tick after a failure or a user removal, T3; a "retry" interval,
//     T5; a deadline, T14) the service pushes the device so it acts within the window instead of
//     waiting for its next regular check-in.
//
// Any check-in answers the outstanding push. The schedule is sharded by device
// so that check-ins of different devices rarely meet on a lock, and a check-in
// takes its shard's lock only when the device has a push outstanding or its
// wake-up time changes.

const pushShards = 64

// pushState is a device's push bookkeeping, guarded by its shard's mutex.
type pushState struct {
	out    bool  // a push was sent and not answered by a check-in
	sentAt int64 // when the last push (or re-notification) was sent
	left   int   // re-notifications left
	wake   int64 // a scheduled wake-up, 0 for none
	at     int64 // the time of the device's valid heap entry; never for none
	gen    uint32
}

type pushEntry struct {
	at  int64
	dev int32
	gen uint32
}

// pushHeap is a binary min-heap of entries by (at, dev). It is typed rather
// than a container/heap.Interface: Pop through the interface boxes each entry
// it returns, an allocation per push handed out.
type pushHeap []pushEntry

func (a pushEntry) before(b pushEntry) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.dev < b.dev
}

// comparePush orders entries as the heap does, for sorting.
func comparePush(a, b pushEntry) int {
	if a.before(b) {
		return -1
	}
	if b.before(a) {
		return 1
	}
	return 0
}

func (h *pushHeap) push(e pushEntry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		up := (i - 1) / 2
		if !s[i].before(s[up]) {
			break
		}
		s[i], s[up] = s[up], s[i]
		i = up
	}
}

// pop removes and returns the first entry; the heap must not be empty.
func (h *pushHeap) pop() pushEntry {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && s[r].before(s[c]) {
			c = r
		}
		if !s[c].before(s[i]) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}

type pushShard struct {
	mu sync.Mutex
	h  pushHeap
	// gen numbers the heap entries of the shard's devices. It is the
	// shard's, not the device's: a device removed and enrolled again keeps
	// its index (and shard) but gets a new state, and entries its old state
	// left in the heap must not pass for the new state's.
	gen uint32
}

// pusher is the tenant's push schedule.
type pusher struct {
	shards   [pushShards]pushShard
	renotify int
	interval int64
}

func (p *pusher) shard(d *deviceState) *pushShard { return &p.shards[uint32(d.idx)%pushShards] }

// next is the time the device's schedule fires next, never for none.
func (p *pusher) next(ps *pushState) int64 {
	t := never
	if ps.wake != 0 {
		t = ps.wake
	}
	if ps.out && ps.left > 0 && ps.sentAt+p.interval < t {
		t = ps.sentAt + p.interval
	}
	return t
}

// reschedule puts the device's next firing in the heap; older entries become
// stale by generation. Called with the shard locked.
func (p *pusher) reschedule(s *pushShard, d *deviceState) {
	ps := &d.pushSt
	if t := p.next(ps); t != ps.at {
		// a new time: the old entry goes stale; the same time (a second push
		// at one instant) keeps the entry there is
		s.gen++
		ps.gen = s.gen
		ps.at = t
		if t != never {
			s.h.push(pushEntry{at: t, dev: d.idx, gen: ps.gen})
		}
	}
	if ps.out || ps.wake != 0 {
		d.push.Store(1)
	} else {
		d.push.Store(0)
	}
}

// notify records a push sent now to d (T2).
func (p *pusher) notify(d *deviceState, now int64) {
	s := p.shard(d)
	s.mu.Lock()
	ps := &d.pushSt
	ps.out, ps.sentAt, ps.left = true, now, p.renotify
	p.reschedule(s, d)
	s.mu.Unlock()
}

// answered records a check-in of d at now: the outstanding push is answered,
// and the device's wake-up is set to wake (0 for none).
func (p *pusher) answered(d *deviceState, wake int64) {
	if d.push.Load() == 0 && wake == 0 {
		return
	}
	s := p.shard(d)
	s.mu.Lock()
	ps := &d.pushSt
	if ps.out || ps.wake != wake {
		ps.out, ps.left = false, 0
		ps.wake = wake
		p.reschedule(s, d)
	}
	s.mu.Unlock()
}

// wakeAt schedules a push of d at n (or keeps an earlier one).
func (p *pusher) wakeAt(d *deviceState, n int64) {
	s := p.shard(d)
	s.mu.Lock()
	ps := &d.pushSt
	if ps.wake == 0 || n < ps.wake {
		ps.wake = n
		p.reschedule(s, d)
	}
	s.mu.Unlock()
}

// forget drops a removed device's schedule.
func (p *pusher) forget(d *deviceState) {
	s := p.shard(d)
	s.mu.Lock()
	s.gen++
	d.pushSt = pushState{gen: s.gen}
	d.push.Store(0)
	s.mu.Unlock()
}

// due pops every firing at or before now and returns the devices to push, by
// time then device index. devs maps an index to its state (nil once removed).
func (p *pusher) due(now int64, devs []*deviceState, dst []mdm.DeviceID) []mdm.DeviceID {
	var all []pushEntry // gen unused
	for k := range p.shards {
		s := &p.shards[k]
		s.mu.Lock()
		for len(s.h) > 0 && s.h[0].at <= now {
			e := s.h.pop()
			if int(e.dev) >= len(devs) || devs[e.dev] == nil {
				continue
			}
			d := devs[e.dev]
			ps := &d.pushSt
			if ps.gen != e.gen {
				continue
			}
			ps.at = never // the entry is consumed
			switch {
			case ps.wake != 0 && ps.wake <= now:
				ps.wake = 0
				ps.out, ps.sentAt, ps.left = true, now, p.renotify
			case ps.out && ps.left > 0 && ps.sentAt+p.interval <= now:
				ps.left--
				ps.sentAt = now
			default:
				continue
			}
			all = append(all, e)
			p.reschedule(s, d)
		}
		s.mu.Unlock()
	}
	slices.SortFunc(all, comparePush)
	for _, f := range all {
		dst = append(dst, devs[f.dev].facts.ID)
	}
	return dst
}

// nextAt is the earliest time DuePushes has something to hand out, never for
// none. Stale entries at the top are dropped on the way.
func (p *pusher) nextAt(devs []*deviceState) int64 {
	t := never
	for k := range p.shards {
		s := &p.shards[k]
		s.mu.Lock()
		for len(s.h) > 0 {
			e := s.h[0]
			if int(e.dev) < len(devs) && devs[e.dev] != nil && devs[e.dev].pushSt.gen == e.gen {
				if e.at < t {
					t = e.at
				}
				break
			}
			s.h.pop()
		}
		s.mu.Unlock()
	}
	return t
}
