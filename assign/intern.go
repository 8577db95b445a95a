package assign

import (
	"hash/maphash"

	"github.com/mdmkit/mdmkit/mdm"
)

// deviceTable maps device ids to device indexes for the warm path. A Go map of
// 150,000 strings costs a warm ResolveDevice two or three cache misses; this
// open-addressing table of 8-byte slots (index and 32 bits of hash; 2 MiB for
// 150,000 devices, so that more of it stays in the cache) costs one,
// and the id is then compared in the device record, which resolution reads
// anyway. Ids are never removed (an index is an id's for the Resolver's life), so
// there are no tombstones.
type deviceTable struct {
	seed  maphash.Seed
	slots []devSlot // len is a power of two, at most three quarters full
	n     int
}

type devSlot struct {
	idx  int32  // index + 1; 0 marks an empty slot
	hash uint32 // low bits of the id's hash: the probe start, and a tag
}

func newDeviceTable() deviceTable {
	return deviceTable{seed: maphash.MakeSeed(), slots: make([]devSlot, 64)}
}

func (t *deviceTable) hash(id mdm.DeviceID) uint32 {
	return uint32(maphash.String(t.seed, string(id)))
}

// find returns the index of id, if it was ever added.
func (t *deviceTable) find(id mdm.DeviceID, devices []*deviceRec) (int32, bool) {
	return t.findHash(id, t.hash(id), devices)
}

// findHash is find with the id's hash already computed.
func (t *deviceTable) findHash(id mdm.DeviceID, h uint32, devices []*deviceRec) (int32, bool) {
	mask := uint32(len(t.slots) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		s := t.slots[p]
		if s.idx == 0 {
			return 0, false
		}
		if s.hash == h && devices[s.idx-1].id == id {
			return s.idx - 1, true
		}
	}
}

// add records an id that is not in the table yet.
func (t *deviceTable) add(id mdm.DeviceID, idx int32) {
	if 4*(t.n+1) > 3*len(t.slots) {
		old := t.slots
		t.slots = make([]devSlot, 2*len(old))
		for _, s := range old {
			if s.idx != 0 {
				t.put(s)
			}
		}
	}
	t.put(devSlot{idx: idx + 1, hash: t.hash(id)})
	t.n++
}

func (t *deviceTable) put(s devSlot) {
	mask := uint32(len(t.slots) - 1)
	p := s.hash & mask
	for t.slots[p].idx != 0 {
		p = (p + 1) & mask
	}
	t.slots[p] = s
}

func (r *Resolver) findDevice(id mdm.DeviceID) (int32, bool) { return r.deviceIdx.find(id, r.devices) }
