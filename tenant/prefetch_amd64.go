package tenant

import "unsafe"

// prefetch asks the processor to bring the two cache lines at p into its caches
// without waiting for them (PREFETCHT0).
//
//go:noescape
func prefetch(p unsafe.Pointer)
