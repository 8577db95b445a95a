package applefake

import (
	"cmp"
	"slices"
	"time"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// assignKey identifies an assignment as Apple does: the asset and either a device
// (serial number) or a user (clientUserId).
type assignKey struct {
	asset   apple.Asset
	user    bool
	subject string
}

type assignment struct {
	key       assignKey
	createdBy string // mdmInfo id of the service that made it (S6); "" before any was set
	ver       uint64 // the change that made it
	gone      bool   // unassigned: dropped from the orders below at their next use
}

func (a *assignment) wire() apple.Assignment {
	w := apple.Assignment{AdamID: a.key.asset.AdamID, PricingParam: a.key.asset.PricingParam}
	if a.key.user {
		w.ClientUserID = a.key.subject
	} else {
		w.SerialNumber = a.key.subject
	}
	return w
}

func compareAssignKeys(a, b assignKey) int {
	return cmp.Or(compareAssets(a.asset, b.asset), cmpBool(a.user, b.user), cmp.Compare(a.subject, b.subject))
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// The assignments of a location are kept in two orders without ever sorting them
// all again after a change:
//
//   - by key (GET assignments, AssignmentRecords): a sorted run, plus the
//     assignments added since it was last read, unsorted. A read sorts only those
//     (few, between two syncs) and merges them into the run, dropping the gone ones
//     on the way: O(n + k log k) for k changes, where a full sort after every change
//     cost O(n log n) of string compares per read.
//   - by version (sinceVersionId): a log in the order the assignments were made,
//     which is version order, so the assignments made after a version are a suffix
//     found by binary search. Gone entries are dropped when they are half the log.
//
// Unassigning only flags the assignment and takes it out of the map.

// sortedAssigns returns the assignments sorted by key. The slice is the location's
// own: valid until the next change, and not to be modified.
func (l *location) sortedAssigns() []*assignment {
	if len(l.added) == 0 && l.goneInRun == 0 {
		return l.sorted
	}
	slices.SortFunc(l.added, func(a, b *assignment) int { return compareAssignKeys(a.key, b.key) })
	out := slices.Grow(l.spare[:0], len(l.sorted)-l.goneInRun+len(l.added))
	run, add := l.sorted, l.added
	for len(run) > 0 || len(add) > 0 {
		switch {
		case len(run) > 0 && run[0].gone:
			run = run[1:]
		case len(add) > 0 && add[0].gone:
			add = add[1:]
		case len(add) == 0 || len(run) > 0 && compareAssignKeys(run[0].key, add[0].key) < 0:
			out = append(out, run[0])
			run = run[1:]
		default:
			out = append(out, add[0])
			add = add[1:]
		}
	}
	// The old run becomes the next merge's buffer: a caller iterating the slice
	// returned before this merge (ClaimToken, RemoveAsset unassign while they
	// iterate) never sees it rewritten, because unassigning does not merge.
	clear(l.sorted)
	l.spare, l.sorted = l.sorted[:0], out
	clear(l.added)
	l.added, l.goneInRun = l.added[:0], 0
	return l.sorted
}

// since returns the assignments made after version v, sorted by key.
func (l *location) since(v uint64) []*assignment {
	i, _ := slices.BinarySearchFunc(l.log, v+1, func(a *assignment, v uint64) int { return cmp.Compare(a.ver, v) })
	out := make([]*assignment, 0, len(l.log)-i)
	for _, a := range l.log[i:] {
		if !a.gone {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *assignment) int { return compareAssignKeys(a.key, b.key) })
	return out
}

// assign records a new assignment at version v; the caller checked availability.
func (l *location) assign(key assignKey, a *asset, v uint64) {
	as := &assignment{key: key, createdBy: l.ownerID(), ver: v}
	l.assigns[key] = as
	l.added = append(l.added, as)
	l.log = append(l.log, as)
	a.assigned++
	l.assignsVer, l.assetsVer = v, v
}

// unassign removes an assignment at version v.
func (l *location) unassign(as *assignment, v uint64) {
	delete(l.assigns, as.key)
	as.gone = true
	l.goneInRun++ // counted as if in the run; a merge drops it wherever it is
	l.goneInLog++
	if l.goneInLog > len(l.log)/2 {
		l.log = slices.DeleteFunc(l.log, func(a *assignment) bool { return a.gone })
		l.goneInLog = 0
	}
	if a := l.assetIdx[as.key.asset]; a != nil {
		a.assigned--
	}
	l.assignsVer, l.assetsVer = v, v
}

// assignQueryCache keeps the filtered list of the last assignments query, so reading
// its pages one by one filters once.
type assignQueryCache struct {
	q      apple.AssignmentsQuery
	at     uint64
	result []*assignment
}

// Assignments answers one page of GET assignments. sinceVersionId returns the
// assignments made after that version; a removal is seen by a full read.
func (c *Core) Assignments(now time.Time, sToken string, q apple.AssignmentsQuery, pageIndex int) (*apple.AssignmentsResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	const ep = apple.EndpointAssignments
	t, err := c.auth(now, ep, sToken)
	if err != nil {
		return nil, err
	}
	since, err := c.sinceVersion(ep, q.SinceVersionID)
	if err != nil {
		return nil, err
	}
	l := t.loc
	var match []*assignment
	switch {
	case q == apple.AssignmentsQuery{}:
		match = l.sortedAssigns()
	case l.query.result != nil && l.query.q == q && l.query.at == l.assignsVer:
		match = l.query.result
	case q == apple.AssignmentsQuery{SinceVersionID: q.SinceVersionID}:
		// An incremental read: the suffix of the version log, not a pass over
		// every assignment.
		match = l.since(since)
		l.query = assignQueryCache{q: q, at: l.assignsVer, result: match}
	default:
		match = make([]*assignment, 0)
		for _, a := range l.sortedAssigns() {
			if assignmentMatches(a, q, since) {
				match = append(match, a)
			}
		}
		l.query = assignQueryCache{q: q, at: l.assignsVer, result: match}
	}
	lo, hi, p, err := page(ep, len(match), c.cfg.PageSize, pageIndex, l.assignsVer)
	if err != nil {
		return nil, err
	}
	out := &apple.AssignmentsResponse{Assignments: make([]apple.Assignment, 0, hi-lo), Paging: p, Envelope: envelope(t)}
	for _, a := range match[lo:hi] {
		out.Assignments = append(out.Assignments, a.wire())
	}
	return out, nil
}

func assignmentMatches(a *assignment, q apple.AssignmentsQuery, since uint64) bool {
	k := a.key
	return (q.AdamID == "" || k.asset.AdamID == q.AdamID) &&
		(q.PricingParam == "" || k.asset.PricingParam == q.PricingParam) &&
		(q.ClientUserID == "" || k.user && k.subject == q.ClientUserID) &&
		(q.SerialNumber == "" || !k.user && k.subject == q.SerialNumber) &&
		a.ver > since
}

// AssignmentRecord is an assignment with the service that created it, for tests and
// the simulator (S6: only this service's records are imported by a sync).
type AssignmentRecord struct {
	apple.Assignment
	CreatedBy string // mdmInfo id of the creating service; "" if none was set then
}

// AssignmentRecords lists a location's assignments in the order GET assignments uses.
func (c *Core) AssignmentRecords(uid string) []AssignmentRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locByID[uid]
	if !ok {
		return nil
	}
	all := l.sortedAssigns()
	out := make([]AssignmentRecord, len(all))
	for i, a := range all {
		out[i] = AssignmentRecord{Assignment: a.wire(), CreatedBy: a.createdBy}
	}
	return out
}
