package applefake

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mdmkit/mdmkit/storesync/apple"
)

// versionPrefix makes versionIds look like Apple's UUIDs while staying a counter.
const versionPrefix = "00000000-0000-4000-8000-"

// VersionID formats a change counter the way the fake reports it.
func VersionID(v uint64) string { return fmt.Sprintf("%s%012x", versionPrefix, v) }

// parseVersionID reads a versionId the core issued, at most current.
func parseVersionID(s string, current uint64) (uint64, bool) {
	hex, ok := strings.CutPrefix(s, versionPrefix)
	if !ok || len(hex) != 12 {
		return 0, false
	}
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil || v > current {
		return 0, false
	}
	return v, true
}

// page cuts page pageIndex of n records of size records each. An empty set has one
// empty page. A page index outside [0, totalPages) is 9650.
func page(ep apple.Endpoint, n, size, pageIndex int, ver uint64) (lo, hi int, p apple.Paging, err error) {
	total := max(1, (n+size-1)/size)
	if pageIndex < 0 || pageIndex >= total {
		return 0, 0, p, apiErr(ep, apple.ErrInvalidPageIndex, nil, fmt.Sprintf("page %d of %d", pageIndex, total))
	}
	lo = pageIndex * size
	hi = min(lo+size, n)
	p = apple.Paging{CurrentPageIndex: pageIndex, Size: hi - lo, TotalPages: total, VersionID: VersionID(ver)}
	if pageIndex+1 < total {
		next := pageIndex + 1
		p.NextPageIndex = &next
	}
	return lo, hi, p, nil
}

// sinceVersion reads sinceVersionId: 0 when absent, 9721 when it is not a versionId
// the core issued.
func (c *Core) sinceVersion(ep apple.Endpoint, s string) (uint64, error) {
	if s == "" {
		return 0, nil
	}
	v, ok := parseVersionID(s, c.seq)
	if !ok {
		return 0, apiErr(ep, apple.ErrInvalidVersionID, nil, "")
	}
	return v, nil
}
