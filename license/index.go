package license

import "hash/maphash"

// holderIndex finds a holder's rec from its kind and id: an open-addressing
// table of uint64 slots, each the upper 32 bits of the hash and the rec index
// plus one. A Go map[string]int32 keeps each key's string header in its slot, so
// a lookup in a pool of a million holders touches the group's control word, the
// slot and then the rec; here eight slots share a cache line and the only other
// line touched is the rec's own, which the operation reads anyway. The id is
// compared with the rec's, so a hash collision is never a wrong answer.
type holderIndex struct {
	seed  maphash.Seed
	slots []uint64
	used  int // live entries
	tombs int // deleted entries still occupying slots
}

const (
	slotEmpty = 0
	slotTomb  = 1 // hash 0, index 0: a deleted entry (index 0 is never stored: indexes are +1)
	minSlots  = 16
)

func (x *holderIndex) hash(kind HolderKind, id string) uint64 {
	return maphash.String(x.seed, id) ^ uint64(kind)*0x9e3779b97f4a7c15
}

// pack keeps the upper 32 bits of h and i+1.
func pack(h uint64, i int32) uint64 { return h&^0xffffffff | uint64(uint32(i+1)) }

// find returns the rec of (kind, id), or none.
func (x *holderIndex) find(recs []rec, kind HolderKind, id string) int32 {
	if len(x.slots) == 0 {
		return none
	}
	h := x.hash(kind, id)
	mask := uint64(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		s := x.slots[j]
		if s == slotEmpty {
			return none
		}
		if s != slotTomb && s>>32 == h>>32 {
			i := int32(uint32(s)) - 1
			if r := &recs[i]; r.kind == kind && r.id == id {
				return i
			}
		}
	}
}

// insert adds rec i under (kind, id), which must not be present.
func (x *holderIndex) insert(recs []rec, kind HolderKind, id string, i int32) {
	if (x.used+x.tombs+1)*4 > len(x.slots)*3 {
		x.rehash(recs)
	}
	h := x.hash(kind, id)
	mask := uint64(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		if s := x.slots[j]; s == slotEmpty || s == slotTomb {
			if s == slotTomb {
				x.tombs--
			}
			x.slots[j] = pack(h, i)
			x.used++
			return
		}
	}
}

// remove deletes the entry of rec i, stored under (kind, id).
func (x *holderIndex) remove(kind HolderKind, id string, i int32) {
	if len(x.slots) == 0 {
		return
	}
	h := x.hash(kind, id)
	want := pack(h, i)
	mask := uint64(len(x.slots) - 1)
	for j := h & mask; ; j = (j + 1) & mask {
		switch x.slots[j] {
		case slotEmpty:
			return
		case want:
			x.slots[j] = slotTomb
			x.used--
			x.tombs++
			return
		}
	}
}

// rehash grows the table (or only clears tombstones) and re-inserts every live
// entry, reading the ids from the recs.
func (x *holderIndex) rehash(recs []rec) {
	if x.seed == (maphash.Seed{}) {
		x.seed = maphash.MakeSeed()
	}
	n := max(minSlots, len(x.slots))
	for (x.used+1)*2 > n { // at most half full after a rehash
		n *= 2
	}
	old := x.slots
	x.slots = make([]uint64, n)
	x.used, x.tombs = 0, 0
	mask := uint64(n - 1)
	for _, s := range old {
		if s == slotEmpty || s == slotTomb {
			continue
		}
		i := int32(uint32(s)) - 1
		r := &recs[i]
		h := x.hash(r.kind, r.id)
		for j := h & mask; ; j = (j + 1) & mask {
			if x.slots[j] == slotEmpty {
				x.slots[j] = pack(h, i)
				x.used++
				break
			}
		}
	}
}
