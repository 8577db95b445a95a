package assign

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Summary describes a full resolution.
type Summary struct {
	Devices int // devices resolved
	Entries int // (device, app) pairs with an effective intent
	// ByIntent counts the pairs by effective intent (index: the Intent value).
	ByIntent [16]int
	// Digest is a hash of every device's resolution, taken in device index order:
	// equal digests mean equal resolutions, whatever the number of workers.
	Digest uint64
}

const resolveAllChunk = 512 // devices per unit of work

// ResolveAll resolves every device from scratch, with workers goroutines (all
// cores when workers <= 0), and caches the results. Each device's resolution is a
// pure function of the tenant, and the summary is folded in device order, so the
// result is identical for any number of workers or GOMAXPROCS. The goroutines are
// ResolveAll's own and have all ended when it returns. Mutations wait until it is
// done; resolutions run alongside.
//
// Entries are cut from per-worker slabs instead of one allocation per device: a
// slab is freed when every device resolved into it has been resolved again.
func (r *Resolver) ResolveAll(workers int) Summary {
	r.mu.RLock()
	defer r.mu.RUnlock()
	n := len(r.devices)
	chunks := (n + resolveAllChunk - 1) / resolveAllChunk
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(1, min(workers, chunks))
	parts := make([]Summary, chunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var s scratch
			var slab []entry
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				part := &parts[c]
				part.Digest = fnvOffset
				for i := c * resolveAllChunk; i < min(n, (c+1)*resolveAllChunk); i++ {
					d := r.devices[i]
					if !d.alive {
						continue
					}
					if cap(slab)-len(slab) < 256 {
						slab = make([]entry, 0, 1<<15)
					}
					list := r.compute(&s, d, slab[len(slab):])
					if len(list) > 0 && &list[:1][0] == &slab[:len(slab)+1][len(slab)] {
						slab = slab[:len(slab)+len(list)]
					}
					d.store(list)
					part.add(i, list)
				}
			}
		}()
	}
	wg.Wait()
	total := Summary{Digest: fnvOffset}
	for c := range parts {
		p := &parts[c]
		total.Devices += p.Devices
		total.Entries += p.Entries
		for k, v := range p.ByIntent {
			total.ByIntent[k] += v
		}
		total.Digest = fnvMix(total.Digest, p.Digest)
	}
	return total
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvMix(h, v uint64) uint64 {
	for k := 0; k < 8; k++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

func (s *Summary) add(device int, list []entry) {
	s.Devices++
	s.Entries += len(list)
	h := fnvMix(s.Digest, uint64(device)<<32|uint64(len(list)))
	for k := range list {
		e := &list[k]
		s.ByIntent[e.intent&15]++
		h = fnvMix(h, uint64(e.app)<<32|uint64(e.dl))
		h = fnvMix(h, uint64(e.intent)|uint64(e.row)<<8|uint64(e.flags)<<16|uint64(e.lic)<<24)
	}
	s.Digest = h
}
