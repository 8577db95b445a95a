package tenant

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// T2: the push schedule's heap hands entries out by (time, device index), against
// a sorted slice as the model, under any mix of pushes and pops.
func TestPushHeap(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var h pushHeap
		var model []pushEntry
		for range rapid.IntRange(0, 200).Draw(rt, "ops") {
			if len(model) > 0 && rapid.Bool().Draw(rt, "pop") {
				got := h.pop()
				want := model[0]
				model = model[1:]
				if got.at != want.at || got.dev != want.dev {
					rt.Fatalf("pop = %+v, want %+v", got, want)
				}
				continue
			}
			e := pushEntry{at: rapid.Int64Range(0, 20).Draw(rt, "at"), dev: rapid.Int32Range(0, 20).Draw(rt, "dev")}
			h.push(e)
			i, _ := slices.BinarySearchFunc(model, e, comparePush)
			model = slices.Insert(model, i, e)
		}
		if len(h) != len(model) {
			rt.Fatalf("%d entries, want %d", len(h), len(model))
		}
	})
}
