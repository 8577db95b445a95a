package assign

import (
	"fmt"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// deepNesting loads, as the tenant does, a directory of n user groups where
// group k nests every group before it (D1): n(n-1)/2 nesting edges, each group
// with one user of its own, the user with one device. Then it targets the top,
// the middle and the bottom group and puts the middle group again with one
// nested group fewer and then all again, below targeted groups.
func deepNesting(tb testing.TB, n int) *Resolver {
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
	_, err := r.PutGroup(group(mid, mid-1))
	must(err)
	_, err = r.PutGroup(group(mid, mid))
	must(err)
	return r
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
