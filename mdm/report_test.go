package mdm

import (
	"errors"
	"fmt"
	"testing"
)

func inventory(n int, order func(i int) int) []InstalledApp {
	inv := make([]InstalledApp, n)
	for i := range inv {
		inv[i] = InstalledApp{App: AppID(fmt.Sprintf("app-%06d", order(i))), Version: "1.0"}
	}
	return inv
}

// T1: a report names each installed app once. The duplicate is found, and
// named by its second place, whether the inventory is sorted, short and
// unsorted, or long and unsorted (where a pairwise check would be quadratic).
func TestReport_ValidateDuplicates(t *testing.T) {
	reverse := func(n int) func(int) int { return func(i int) int { return n - 1 - i } }
	for _, n := range []int{1, 2, 40, 64, 65, 20_000} {
		for _, name := range []string{"sorted", "reversed"} {
			order := func(i int) int { return i }
			if name == "reversed" {
				order = reverse(n)
			}
			r := Report{Device: "d", Inventory: inventory(n, order)}
			if err := r.Validate(); err != nil {
				t.Fatalf("%d %s, no duplicate: %v", n, name, err)
			}
			if n < 2 {
				continue
			}
			dup := n / 2
			r.Inventory[dup].App = r.Inventory[dup/2].App
			err := r.Validate()
			var ve *ValidationError
			if !errors.Is(err, ErrInvalidMessage) || !errors.As(err, &ve) {
				t.Fatalf("%d %s with a duplicate: err = %v", n, name, err)
			}
			if want := fmt.Sprintf("inventory[%d].appId", dup); ve.Field != want {
				t.Fatalf("%d %s: field %q, want %q", n, name, ve.Field, want)
			}
		}
	}
}

// A valid report, sorted or short and unsorted, is validated without
// allocating; a bad id's error names its item.
func TestReport_ValidateAllocations(t *testing.T) {
	sorted := Report{Device: "d", Inventory: inventory(20, func(i int) int { return i })}
	unsorted := Report{Device: "d", Inventory: inventory(30, func(i int) int { return 29 - i })}
	for name, r := range map[string]*Report{"sorted": &sorted, "unsorted": &unsorted} {
		if a := testing.AllocsPerRun(100, func() { _ = r.Validate() }); a != 0 {
			t.Errorf("%s: %v allocations per Validate", name, a)
		}
	}
	bad := Report{Device: "d", Inventory: inventory(3, func(i int) int { return i })}
	bad.Inventory[2].App = ""
	var ve *ValidationError
	if err := bad.Validate(); !errors.As(err, &ve) || ve.Field != "inventory[2].appId" || !errors.Is(err, ErrInvalidID) {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkReportValidate(b *testing.B) {
	for _, n := range []int{20, 20_000} {
		r := Report{Device: "d", Inventory: inventory(n, func(i int) int { return n - 1 - i })}
		b.Run(fmt.Sprintf("unsorted-%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := r.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
