package apple

import (
	"context"
	"errors"
	"testing"
)

// fakePages serves pages of items; version returns the versionId for each call.
type fakePages struct {
	items   []string
	size    int
	version func(call int) string
	calls   int
}

type strPage struct {
	Paging
	Envelope
	items []string
}

func (p *strPage) PageItems() []string { return p.items }

func (f *fakePages) fetch(_ context.Context, i int) (*strPage, error) {
	f.calls++
	total := max(1, (len(f.items)+f.size-1)/f.size)
	lo, hi := i*f.size, min((i+1)*f.size, len(f.items))
	p := &strPage{Paging: Paging{CurrentPageIndex: i, TotalPages: total, Size: hi - lo, VersionID: f.version(f.calls)}, items: f.items[lo:hi]}
	if i+1 < total {
		n := i + 1
		p.NextPageIndex = &n
	}
	return p, nil
}

// S5: all pages read at one versionId.
func TestReadAll_Stable(t *testing.T) {
	f := &fakePages{items: []string{"a", "b", "c", "d", "e"}, size: 2, version: func(int) string { return "v1" }}
	l, err := ReadAll[string](context.Background(), EndpointAssets, 3, f.fetch)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 5 || l.Pages != 3 || l.Restarts != 0 || l.VersionID != "v1" {
		t.Fatalf("got %+v", l)
	}
}

// S5: a versionId change mid-read restarts the read.
func TestReadAll_RestartsOnVersionChange(t *testing.T) {
	f := &fakePages{items: []string{"a", "b", "c"}, size: 1, version: func(call int) string {
		if call < 3 { // page 0 and 1 of the first attempt at v1, then v2 from page 2 on
			return "v1"
		}
		return "v2"
	}}
	l, err := ReadAll[string](context.Background(), EndpointAssets, 3, f.fetch)
	if err != nil {
		t.Fatal(err)
	}
	if l.Restarts != 1 || l.VersionID != "v2" || len(l.Items) != 3 || f.calls != 6 {
		t.Fatalf("got %+v after %d calls", l, f.calls)
	}
}

// S5: restarts are bounded; then a typed error.
func TestReadAll_BoundedRestarts(t *testing.T) {
	f := &fakePages{items: []string{"a", "b"}, size: 1, version: func(call int) string { return string(rune('a' + call)) }}
	_, err := ReadAll[string](context.Background(), EndpointAssignments, 2, f.fetch)
	var ve *VersionChangedError
	if !errors.As(err, &ve) || !errors.Is(err, ErrVersionChanged) || ve.Restarts != 2 || f.calls != 6 {
		t.Fatalf("got %v after %d calls", err, f.calls)
	}
}

// Pages that do not follow one another are a decode error, not a loop.
func TestReadAll_BadNextPage(t *testing.T) {
	pages := &fakePages{items: []string{"a", "b", "c"}, size: 1, version: func(int) string { return "v" }}
	// page 0 naming page 0 as the next one would loop forever
	_, err := ReadAll[string](context.Background(), EndpointUsers, 1, func(ctx context.Context, i int) (*strPage, error) {
		p, _ := pages.fetch(ctx, i)
		zero := 0
		p.NextPageIndex = &zero
		return p, nil
	})
	if !errors.Is(err, ErrDecode) {
		t.Fatalf("got %v", err)
	}
	// asked for page 1, got page 0 again
	_, err = ReadAll[string](context.Background(), EndpointUsers, 1, func(ctx context.Context, i int) (*strPage, error) {
		return pages.fetch(ctx, 0)
	})
	if !errors.Is(err, ErrDecode) {
		t.Fatalf("got %v", err)
	}
}
