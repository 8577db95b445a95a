package tenant

import "sync"

// shardedRW is the tenant's admin-versus-check-in lock. Check-ins and reads take
// one shard for reading, chosen by the device id; admin operations take every
// shard for writing. With one RWMutex every check-in would write the same
// reader count, and check-ins on different cores would pass that cache line back
// and forth; with shards, check-ins of different devices touch different lines.
type shardedRW struct {
	s [lockShards]paddedRW
}

const lockShards = 32

type paddedRW struct {
	sync.RWMutex
	_ [64 - 24]byte // a cache line each (sync.RWMutex is 24 bytes)
}

// Lock takes every shard: the caller is alone.
func (l *shardedRW) Lock() {
	for i := range l.s {
		l.s[i].Lock()
	}
}

// Unlock releases every shard.
func (l *shardedRW) Unlock() {
	for i := len(l.s) - 1; i >= 0; i-- {
		l.s[i].Unlock()
	}
}

// RLock takes shard 0 for reading: enough to exclude admin operations, for
// reads that are not on the check-in path.
func (l *shardedRW) RLock() { l.s[0].RLock() }

// RUnlock releases what RLock took.
func (l *shardedRW) RUnlock() { l.s[0].RUnlock() }

// shard returns the shard a device's check-ins read-lock: a hash of the last
// bytes of its id (Graph ids are GUIDs, whose last bytes vary most).
func (l *shardedRW) shard(id string) *paddedRW {
	h := uint32(len(id))
	for i := max(0, len(id)-8); i < len(id); i++ {
		h = h*31 + uint32(id[i])
	}
	return &l.s[h%lockShards]
}
