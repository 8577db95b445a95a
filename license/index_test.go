package license

import (
	"fmt"
	"testing"
	"unsafe"

	"pgregory.net/rapid"
)

// holderIndex against a map: inserts, removes (tombstones), re-inserts and
// growth, with device and user ids that collide as strings.
func TestHolderIndex_Model(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var x holderIndex
		var recs []rec
		type key struct {
			kind HolderKind
			id   string
		}
		model := map[key]int32{}
		var free []int32
		ids := rapid.IntRange(1, 200).Draw(rt, "ids")
		drawKey := func() key {
			k := key{DeviceHolder, fmt.Sprintf("id-%d", rapid.IntRange(0, ids).Draw(rt, "id"))}
			if rapid.Bool().Draw(rt, "user") {
				k.kind = UserHolder
			}
			return k
		}
		rt.Repeat(map[string]func(*rapid.T){
			"insert": func(rt *rapid.T) {
				k := drawKey()
				if _, ok := model[k]; ok {
					return
				}
				var i int32
				if n := len(free); n > 0 {
					i, free = free[n-1], free[:n-1]
				} else {
					i = int32(len(recs))
					recs = append(recs, rec{})
				}
				recs[i] = rec{id: k.id, kind: k.kind}
				x.insert(recs, k.kind, k.id, i)
				model[k] = i
			},
			"remove": func(rt *rapid.T) {
				k := drawKey()
				i, ok := model[k]
				if !ok {
					return
				}
				x.remove(k.kind, k.id, i)
				recs[i] = rec{}
				free = append(free, i)
				delete(model, k)
			},
			"": func(rt *rapid.T) {
				if x.used != len(model) {
					rt.Fatalf("used %d, model %d", x.used, len(model))
				}
				if len(x.slots) > 0 && (x.used+x.tombs)*4 > len(x.slots)*3 {
					rt.Fatalf("over the load factor: %d+%d of %d", x.used, x.tombs, len(x.slots))
				}
				for id := 0; id <= ids; id++ {
					for _, kind := range []HolderKind{DeviceHolder, UserHolder} {
						k := key{kind, fmt.Sprintf("id-%d", id)}
						want, ok := model[k]
						if !ok {
							want = none
						}
						if got := x.find(recs, kind, k.id); got != want {
							rt.Fatalf("find %v: %d, model %d", k, got, want)
						}
					}
				}
			},
		})
	})
}

// Growth and tombstones at scale: 20,000 holders, half removed, others added
// back into the freed recs; every lookup answers as a map would.
func TestHolderIndex_Churn(t *testing.T) {
	var x holderIndex
	recs := make([]rec, 20000)
	for i := range recs {
		recs[i] = rec{id: fmt.Sprintf("dev-%d", i), kind: DeviceHolder}
		x.insert(recs, DeviceHolder, recs[i].id, int32(i))
	}
	for i := 0; i < len(recs); i += 2 {
		x.remove(DeviceHolder, recs[i].id, int32(i))
		recs[i] = rec{id: fmt.Sprintf("user-%d", i), kind: UserHolder}
		x.insert(recs, UserHolder, recs[i].id, int32(i))
	}
	for i := range recs {
		dev, user := fmt.Sprintf("dev-%d", i), fmt.Sprintf("user-%d", i)
		wantDev, wantUser := int32(i), none
		if i%2 == 0 {
			wantDev, wantUser = none, int32(i)
		}
		if got := x.find(recs, DeviceHolder, dev); got != wantDev {
			t.Fatalf("%s: %d", dev, got)
		}
		if got := x.find(recs, UserHolder, user); got != wantUser {
			t.Fatalf("%s: %d", user, got)
		}
		if got := x.find(recs, UserHolder, dev); got != none {
			t.Fatalf("a device id found as a user: %d", got)
		}
	}
	if x.used != len(recs) || len(x.slots) > 4*len(recs) {
		t.Fatalf("used %d, %d slots", x.used, len(x.slots))
	}
}

// The hot part of a holder's record is one cache line: a grant and a release
// touch that line and no other of the record's.
func TestRecIsOneCacheLine(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is for 64-bit platforms")
	}
	if n := unsafe.Sizeof(rec{}); n != 64 {
		t.Errorf("rec is %d bytes, want 64", n)
	}
}
