package assign

import (
	"testing"

	"github.com/mdmkit/mdmkit/mdm"
)

// TestA6Rows checks every row of the SPEC A6 table against the precomputed table,
// with the pairs given in both orders: the table is read with a set, so an order
// cannot exist; the resolver-level tests in resolve_test.go assign them in both
// orders.
func TestA6Rows(t *testing.T) {
	for n := 1; n < len(a6Rows); n++ {
		row := a6Rows[n]
		t.Run("row "+itoaTest(n), func(t *testing.T) {
			got, _ := Decide(row.in)
			if got != row.out {
				t.Fatalf("A6 row %d: %s gives %s, want %s", n, row.in, got, row.out)
			}
			found := false
			for _, m := range Rows(row.in) {
				found = found || int(m) == n
			}
			if !found {
				t.Fatalf("A6 row %d: Rows(%s) = %v does not name it", n, row.in, Rows(row.in))
			}
		})
	}
}

func itoaTest(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}

func TestStrings(t *testing.T) {
	for in, want := range map[Intent]string{
		0:                     "none",
		IntentRequired:        "required",
		iRA:                   "required and available",
		iU | iW:               "uninstall and available without enrollment",
		iA | iU:               "uninstall and available",
		iR | iW:               "required and available without enrollment",
		IntentRequired | 1<<6: "required and Intent(64)",
	} {
		if got := in.String(); got != want {
			t.Errorf("Intent(%d).String() = %q, want %q", in, got, want)
		}
	}
	if got := (UserAvailable | DeviceRequired).String(); got != "U available + D required" {
		t.Errorf("Pairs.String() = %q", got)
	}
	if Pairs(0).String() != "none" || PairOf(mdm.UserMembers, 9) != 0 {
		t.Error("empty pairs")
	}
	if RowText(7) == "" || RowText(RowPrecedence) == "" || RowText(0) != "" || RowText(20) != "" {
		t.Error("RowText")
	}
	if !iRA.Has(IntentRequired) || iRA.Has(IntentUninstall) || iRA.Has(0) {
		t.Error("Has")
	}
}
