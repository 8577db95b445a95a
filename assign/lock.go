package assign

import "sync"

// readShards is the number of reader locks. Resolution of different devices on
// different cores takes different locks, so parallel check-ins do not pass one
// reader count from core to core; a mutation takes them all.
const readShards = 16

// shardedRW is a readers-writer lock made of readShards RWMutexes, each on its own
// cache lines. RLockShard(k) excludes writers as RLock does; Lock takes every
// shard, in order, so it excludes every reader and every other writer.
type shardedRW struct {
	shards [readShards]struct {
		sync.RWMutex
		_ [128 - 24]byte // a RWMutex is 24 bytes; keep neighbours off its lines
	}
}

func (l *shardedRW) Lock() {
	for k := range l.shards {
		l.shards[k].Lock()
	}
}

func (l *shardedRW) Unlock() {
	for k := range l.shards {
		l.shards[k].Unlock()
	}
}

// RLock takes shard 0: for readers off the hot path.
func (l *shardedRW) RLock()   { l.shards[0].RLock() }
func (l *shardedRW) RUnlock() { l.shards[0].RUnlock() }

// RLockShard takes the shard of k (a device index or an id's hash).
func (l *shardedRW) RLockShard(k uint32)   { l.shards[k%readShards].RLock() }
func (l *shardedRW) RUnlockShard(k uint32) { l.shards[k%readShards].RUnlock() }
