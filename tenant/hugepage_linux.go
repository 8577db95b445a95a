package tenant

import (
	"syscall"
	"unsafe"
)

// adviseHugePages asks Linux to back the 2 MiB-aligned interior of the n bytes
// at p with transparent huge pages (madvise MADV_HUGEPAGE), where the system
// leaves that to the program ("madvise" mode). A fleet's check-ins touch the
// devices' states in no order: with 4 KiB pages each touch also misses the TLB
// and walks the page tables, which costs about as much as the cache miss
// itself, and a software prefetch waits for the walk; a 2 MiB page holds the
// states of some five thousand devices. It is advice: refused or unsupported,
// nothing changes but speed.
func adviseHugePages(p unsafe.Pointer, n uintptr) {
	const huge = 2 << 20
	start := (uintptr(p) + huge - 1) &^ (huge - 1)
	end := (uintptr(p) + n) &^ (huge - 1)
	if end <= start {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start), syscall.MADV_HUGEPAGE)
}
