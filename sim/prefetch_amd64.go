package sim

import "unsafe"

// prefetch asks the processor to bring the four cache lines at p (a simDevice)
// into its caches without waiting for them (PREFETCHT0): the simulator warms
// the next device's state while it handles the current one.
//
//go:noescape
func prefetch(p unsafe.Pointer)
