package assign

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// deepNesting loads, as the tenant does, a directory of n user groups where
// group k nests every group before it (D1): n(n-1)/2 nesting edges, each group
// with one user of its own, the user with one device. Then it targets the top,
// the middle and the bottom group and puts the middle group again with one
// nested group fewer and then all again, below targeted groups, and returns the
// Affected of those two changes.
func deepNesting(tb testing.TB, n int) (*Resolver, [2]Affected) {
	tb.Helper()
	r := New()
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	gid := func(k int) mdm.GroupID { return mdm.GroupID(fmt.Sprintf("g%04d", k)) }
	for k := range n {
		u := mdm.UserID(fmt.Sprintf("u%04d", k))
		must(r.PutUser(mdm.User{ID: u}))
		_, err := r.PutDevice(mdm.Device{ID: mdm.DeviceID(fmt.Sprintf("d%04d", k)), PrimaryUser: u})
		must(err)
	}
	group := func(k, nested int) mdm.Group {
		g := mdm.Group{ID: gid(k), Kind: mdm.UserMembers, Users: []mdm.UserID{mdm.UserID(fmt.Sprintf("u%04d", k))}}
		for c := range nested {
			g.Groups = append(g.Groups, gid(c))
		}
		return g
	}
	for k := range n {
		_, err := r.PutGroup(group(k, k))
		must(err)
	}
	must(r.PutApp(&mdm.App{ID: "app", Type: mdm.AppTypeWin32}))
	for i, k := range []int{n - 1, n / 2, 0} {
		_, err := r.Assign(mdm.Assignment{ID: mdm.AssignmentID(fmt.Sprintf("as%d", i)), App: "app",
			Intent: mdm.Intent(i % 3), Target: mdm.GroupTarget(gid(k))})
		must(err)
	}
	mid := n / 2
	var re [2]Affected
	var err error
	re[0], err = r.PutGroup(group(mid, mid-1))
	must(err)
	re[1], err = r.PutGroup(group(mid, mid))
	must(err)
	return r, re
}

// TestDeepNesting (D1; A6 rows 1 and 12): where every group nests all groups
// before it, members of nested groups are members of the parent, a change of
// nesting affects exactly the devices that gained or lost a targeted group, and
// the work of loading the directory grows with its size (groups plus nesting
// edges), not faster: a change walks the groups it can alter once, instead of
// walking every group above each group below it.
func TestDeepNesting(t *testing.T) {
	const n = 120
	r, re := deepNesting(t, n)
	mid := n / 2
	moved := []string{fmt.Sprintf("d%04d", mid-1)} // its user leaves and rejoins group mid
	for i, af := range re {
		if got := idsOf(af); !slices.Equal(got, moved) {
			t.Errorf("PutGroup %d of the middle group: Affected %v, want %v", i+1, got, moved)
		}
	}
	for _, k := range []int{0, 1, mid - 1, mid, mid + 1, n - 1} {
		want := IntentAvailable // through the top group only
		if k <= mid {
			want = IntentRequired | IntentAvailable // and through the middle one (row 1, row 12 for k = 0)
		}
		id := mdm.DeviceID(fmt.Sprintf("d%04d", k))
		res, err := r.ResolveDevice(id)
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := res.Lookup("app"); !ok || e.Intent != want {
			t.Errorf("%s: app %v (reached: %v), want %v", id, e.Intent, ok, want)
		}
	}
	// Each of the five changes after the load (three assignments, two
	// PutGroups) walks the nesting below or above one group a few times; the
	// n PutGroups of the load walk nothing. Before the fix the count was 29.7
	// million, 400 times this bound.
	edges := n * (n - 1) / 2
	if v, limit := r.marks.visits+r.marks2.visits, uint64(10*(n+edges)); v > limit {
		t.Errorf("loading %d groups with %d nesting edges visited groups %d times, want at most %d", n, edges, v, limit)
	}
}

// BenchmarkPutGroupDeepNesting loads deepNesting directories: the cost of the
// directory changes when nesting is deep and wide (one op is one whole load).
func BenchmarkPutGroupDeepNesting(b *testing.B) {
	for _, n := range []int{100, 200, 400} {
		b.Run(fmt.Sprintf("groups=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				deepNesting(b, n)
			}
		})
	}
}
