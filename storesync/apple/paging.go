package apple

import (
	"context"
	"fmt"
)

// Paging holds the paging fields of GET assets, assignments and users. Pages are
// numbered from 0; nextPageIndex is absent on the last page. versionId names the state
// of the whole data set: when it changes mid-read, earlier pages are stale (S5).
type Paging struct {
	CurrentPageIndex int    `json:"currentPageIndex"`
	NextPageIndex    *int   `json:"nextPageIndex,omitempty"`
	Size             int    `json:"size"`
	TotalPages       int    `json:"totalPages"`
	VersionID        string `json:"versionId,omitempty"`
}

// missingList is the error of a page whose list field is absent or null. Apple's
// pages always carry their list ("assets": [] when there is none), so such an
// answer is not the documented one; read as an empty list it would pass for an
// empty data set. DecodeResponse makes it a *DecodeError.
func missingList(field string) error {
	return fmt.Errorf("%q is missing or null: every page carries it, [] when there is nothing", field)
}

// PageInfo returns the paging fields; the response types embed Paging.
func (p Paging) PageInfo() Paging { return p }

// Page is one page of a paged response (*AssetsResponse, *AssignmentsResponse,
// *UsersResponse).
type Page[T any] interface {
	PageInfo() Paging
	PageItems() []T
	Env() Envelope
}

// Listing is the result of reading every page against one versionId.
type Listing[T any] struct {
	Items     []T
	VersionID string // the versionId all pages were read at
	Pages     int    // how many pages were read in the successful attempt
	Restarts  int    // how many times the read started over because versionId changed
	Envelope         // from the last page
}

// DefaultMaxRestarts bounds how often ReadAll starts over when versionId changes.
const DefaultMaxRestarts = 3

// maxPages bounds one read, so a server that never stops answering nextPageIndex cannot
// keep a client busy forever. Apple's largest documented example has 353 pages.
const maxPages = 1 << 20

// maxPreallocItems bounds the capacity ReadAll reserves from page 0's totalPages.
const maxPreallocItems = 1 << 20

// ReadAll reads page 0, then each nextPageIndex, checking that every page carries the
// versionId of page 0. If one does not, the data changed mid-read and the whole read
// starts over, at most maxRestarts times; then it fails with *VersionChangedError.
// Pages that do not follow one another are a *DecodeError. The *apple.Client and the
// fake's in-process adapter both read through ReadAll.
func ReadAll[T any, P Page[T]](ctx context.Context, ep Endpoint, maxRestarts int,
	fetch func(ctx context.Context, pageIndex int) (P, error)) (*Listing[T], error) {
	if maxRestarts < 0 {
		maxRestarts = 0
	}
	for restarts := 0; ; restarts++ {
		l, changedTo, err := readOnce(ctx, ep, fetch)
		if err != nil {
			return nil, err
		}
		if l != nil {
			l.Restarts = restarts
			return l, nil
		}
		if restarts == maxRestarts {
			return nil, &VersionChangedError{Endpoint: ep, Restarts: restarts, First: changedTo[0], Last: changedTo[1]}
		}
	}
}

// readOnce reads all pages once. It returns a nil listing and the two differing
// versionIds when the version changed mid-read.
func readOnce[T any, P Page[T]](ctx context.Context, ep Endpoint,
	fetch func(ctx context.Context, pageIndex int) (P, error)) (*Listing[T], [2]string, error) {
	page, err := fetchPage(ctx, ep, fetch, 0)
	if err != nil {
		return nil, [2]string{}, err
	}
	first := page.PageInfo()
	l := &Listing[T]{VersionID: first.VersionID, Pages: 1, Envelope: page.Env()}
	// Size the result from page 0 (bounded, since totalPages comes from the server),
	// so a large read does not grow the slice many times.
	items := page.PageItems()
	l.Items = make([]T, 0, preallocItems(first.TotalPages, len(items)))
	l.Items = append(l.Items, items...)
	cur := first
	for cur.NextPageIndex != nil {
		next := *cur.NextPageIndex
		if next != cur.CurrentPageIndex+1 || l.Pages >= maxPages {
			return nil, [2]string{}, &DecodeError{Endpoint: ep, StatusCode: 200,
				Reason: fmt.Sprintf("page %d names page %d as the next one", cur.CurrentPageIndex, next)}
		}
		page, err = fetchPage(ctx, ep, fetch, next)
		if err != nil {
			return nil, [2]string{}, err
		}
		cur = page.PageInfo()
		if cur.VersionID != first.VersionID {
			return nil, [2]string{first.VersionID, cur.VersionID}, nil
		}
		l.Items = append(l.Items, page.PageItems()...)
		l.Pages++
		l.Envelope = page.Env()
	}
	return l, [2]string{}, nil
}

// preallocItems is the capacity to reserve for totalPages pages of perPage items,
// at most maxPreallocItems. totalPages comes from the server: the product is not
// formed where it could overflow.
func preallocItems(totalPages, perPage int) int {
	totalPages = max(totalPages, 1)
	if perPage <= 0 {
		return 0
	}
	if totalPages > maxPreallocItems/perPage {
		return maxPreallocItems
	}
	return totalPages * perPage
}

func fetchPage[T any, P Page[T]](ctx context.Context, ep Endpoint,
	fetch func(ctx context.Context, pageIndex int) (P, error), i int) (P, error) {
	page, err := fetch(ctx, i)
	if err != nil {
		return page, err
	}
	if got := page.PageInfo().CurrentPageIndex; got != i {
		return page, &DecodeError{Endpoint: ep, StatusCode: 200,
			Reason: fmt.Sprintf("asked for page %d, got page %d", i, got)}
	}
	return page, nil
}
