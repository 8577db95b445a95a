package assign

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

type pair struct {
	kind   mdm.MemberKind
	intent mdm.Intent
}

var (
	uR = pair{mdm.UserMembers, mdm.Required}
	uA = pair{mdm.UserMembers, mdm.Available}
	uU = pair{mdm.UserMembers, mdm.Uninstall}
	uW = pair{mdm.UserMembers, mdm.AvailableWithoutEnrollment}
	dR = pair{mdm.DeviceMembers, mdm.Required}
	dA = pair{mdm.DeviceMembers, mdm.Available}
	dU = pair{mdm.DeviceMembers, mdm.Uninstall}
)

const (
	iR  = IntentRequired
	iA  = IntentAvailable
	iU  = IntentUninstall
	iW  = IntentAvailableWithoutEnrollment
	iRA = IntentRequired | IntentAvailable
)

// a6Cases is SPEC A6 written out again, independently of a6Rows: "U R&A" is
// given as U required + U available, the way row 1 produces it.
var a6Cases = []struct {
	row     int
	one     []pair
	other   []pair
	want    Intent
	wantRow uint8
}{
	{1, []pair{uR}, []pair{uA}, iRA, 1},
	{2, []pair{uR}, []pair{uU}, iR, 2},
	{3, []pair{uA}, []pair{uU}, iU, 3},
	{4, []pair{uR}, []pair{dR}, iR, 4},
	{5, []pair{uR}, []pair{dU}, iR, 5},
	{6, []pair{uA}, []pair{dR}, iRA, 6},
	{7, []pair{uA}, []pair{dU}, iA | iU, 7}, // "available (see A7)": offered; an earlier required copy is removed
	{8, []pair{uU}, []pair{dR}, iR, 8},
	{9, []pair{uU}, []pair{dU}, iU, 9},
	{10, []pair{dR}, []pair{dU}, iR, 10},
	{11, []pair{uR, uA}, []pair{uA}, iRA, 1}, // the same set as row 1, which is named
	{12, []pair{uR, uA}, []pair{uU}, iRA, 12},
	{13, []pair{uR, uA}, []pair{dR}, iRA, 13},
	{14, []pair{uR, uA}, []pair{dU}, iRA, 14},
	{15, []pair{uW}, []pair{uR, uA}, iRA, 15},
	{16, []pair{uW}, []pair{uR}, iR, 16},
	{17, []pair{uW}, []pair{uA}, iA, 17},
	{18, []pair{uW}, []pair{dR}, iR | iW, 18},
	{19, []pair{uW}, []pair{dU}, iU | iW, 19},
}

// rowTenant is one user with one enrolled device, four user groups and two
// device groups holding them, and a Win32 app (every intent may target both
// kinds) and an iOS store app (A8).
func rowTenant(t testing.TB) *fixture {
	f := newFixture(t)
	f.user("u1")
	f.device(mdm.Device{ID: "d1", PrimaryUser: "u1", Platform: mdm.PlatformWindows})
	for _, g := range []mdm.GroupID{"gu1", "gu2", "gu3", "gu4"} {
		f.userGroup(g, []mdm.UserID{"u1"})
	}
	for _, g := range []mdm.GroupID{"gd1", "gd2", "gd3"} {
		f.deviceGroup(g, []mdm.DeviceID{"d1"})
	}
	f.app("win32", mdm.AppTypeWin32)
	f.app("ios", mdm.AppTypeIOSStore)
	return f
}

// assignPairs assigns app to the pairs, in order, each through a group of its own.
func assignPairs(f *fixture, app mdm.AppID, pairs []pair) {
	nu, nd := 0, 0
	for k, p := range pairs {
		var g mdm.GroupID
		if p.kind == mdm.UserMembers {
			nu++
			g = mdm.GroupID(fmt.Sprintf("gu%d", nu))
		} else {
			nd++
			g = mdm.GroupID(fmt.Sprintf("gd%d", nd))
		}
		f.assign(mdm.AssignmentID(fmt.Sprintf("as-%s-%d", app, k)), app, p.intent, mdm.GroupTarget(g))
	}
}

// TestA6RowsResolved assigns every row of the A6 table, in both orders, and
// checks the effective intent and the row named (A6 rows 1–19). Rows 11–15 are
// also checked with "U R&A" coming from A8: one U required of an iOS store app.
func TestA6RowsResolved(t *testing.T) {
	for _, c := range a6Cases {
		for _, order := range []string{"one then other", "other then one"} {
			t.Run(fmt.Sprintf("row %d/%s", c.row, order), func(t *testing.T) {
				f := rowTenant(t)
				pairs := append(slices.Clone(c.one), c.other...)
				if order != "one then other" {
					pairs = append(slices.Clone(c.other), c.one...)
				}
				assignPairs(f, "win32", pairs)
				e, ok := f.effective("d1", "win32")
				if !ok || e.Intent != c.want || e.Row != c.wantRow {
					t.Fatalf("A6 row %d: got %s (row %d, present %v), want %s (row %d)", c.row, e.Intent, e.Row, ok, c.want, c.wantRow)
				}
			})
		}
		if c.row < 11 || c.row > 15 {
			continue
		}
		for _, order := range []string{"one then other", "other then one"} {
			t.Run(fmt.Sprintf("row %d/A8/%s", c.row, order), func(t *testing.T) {
				f := rowTenant(t)
				var pairs []pair
				for _, side := range [][]pair{c.one, c.other} {
					if slices.Equal(side, []pair{uR, uA}) {
						side = []pair{uR} // A8: a required iOS store app is available as well
					}
					pairs = append(pairs, side...)
				}
				if order != "one then other" {
					slices.Reverse(pairs)
				}
				assignPairs(f, "ios", pairs)
				if got := f.intent("d1", "ios"); got != c.want {
					t.Fatalf("A6 row %d with A8: got %s, want %s", c.row, got, c.want)
				}
			})
		}
	}
}

// TestA6Unlisted checks sets the table does not list; each follows the
// precedence "required beats everything; otherwise uninstall beats available
// except in row 7's case", with the choices documented on decide.
func TestA6Unlisted(t *testing.T) {
	cases := []struct {
		name  string
		pairs []pair
		want  Intent
		row   uint8
	}{
		// Row 16 (U AWOE + U required → required) outweighs row 18's AWOE.
		{"U AWOE + U required + D required", []pair{uW, uR, dR}, iR, 4},
		// Required removes the uninstall before the uninstall can remove the
		// available (as in row 12): row 6 decides.
		{"U available + U uninstall + D required", []pair{uA, uU, dR}, iRA, 6},
		{"U AWOE + U available + D uninstall", []pair{uW, uA, dU}, iA | iU, 7},
		{"U AWOE + U uninstall", []pair{uW, uU}, iU, RowPrecedence},
		{"D available + D required", []pair{dA, dR}, iRA, RowPrecedence},
		{"D available + D uninstall", []pair{dA, dU}, iU, RowPrecedence},
		{"U uninstall + D available", []pair{uU, dA}, iU, RowPrecedence},
		{"U required + D available", []pair{uR, dA}, iRA, RowPrecedence},
		{"U AWOE + D available", []pair{uW, dA}, iA, RowPrecedence},
		{"U available + D available + D uninstall", []pair{uA, dA, dU}, iA | iU, 7},
		{"U AWOE + U uninstall + D uninstall", []pair{uW, uU, dU}, iU, 9},
		{"U AWOE + U required + D uninstall", []pair{uW, uR, dU}, iR, 5},
		{"all user pairs", []pair{uA, uR, uU, uW}, iRA, 12}, // rows 12 and 15 tie; the lowest is named
		{"everything", []pair{uA, uR, uU, uW, dA, dR, dU}, iRA, 12},
	}
	for _, c := range cases {
		for _, rev := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reversed=%v", c.name, rev), func(t *testing.T) {
				f := rowTenant(t)
				pairs := slices.Clone(c.pairs)
				if rev {
					slices.Reverse(pairs)
				}
				assignPairs(f, "win32", pairs)
				e, _ := f.effective("d1", "win32")
				if e.Intent != c.want || e.Row != c.row {
					t.Fatalf("%s: got %s (row %d), want %s (row %d)", c.name, e.Intent, e.Row, c.want, c.row)
				}
			})
		}
	}
}

// TestA6SinglePairs: one pair is no conflict (row 0), and gives its own intent.
func TestA6SinglePairs(t *testing.T) {
	for _, c := range []struct {
		p    pair
		want Intent
	}{{uR, iR}, {uA, iA}, {uU, iU}, {uW, iW}, {dR, iR}, {dA, iA}, {dU, iU}} {
		f := rowTenant(t)
		assignPairs(f, "win32", []pair{c.p, c.p}) // a second group with the same intent is no conflict
		e, _ := f.effective("d1", "win32")
		if e.Intent != c.want || e.Row != 0 {
			t.Errorf("%v: got %s row %d, want %s row 0", c.p, e.Intent, e.Row, c.want)
		}
	}
}
