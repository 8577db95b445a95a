package sim

import (
	"syscall"
	"unsafe"
)

// adviseHugePages asks Linux to back the 2 MiB-aligned interior of the n bytes
// at p with transparent huge pages (madvise MADV_HUGEPAGE), where the system
// leaves that to the program ("madvise" mode). The simulator touches one device
// at random per event: with 4 KiB pages each touch of the device array also
// misses the TLB and walks the page tables, which costs about as much as the
// cache miss itself; a 2 MiB page covers some eight thousand devices. It is
// advice: refused or unsupported, nothing changes but speed.
func adviseHugePages(p unsafe.Pointer, n uintptr) {
	const huge = 2 << 20
	start := (uintptr(p) + huge - 1) &^ (huge - 1)
	end := (uintptr(p) + n) &^ (huge - 1)
	if end <= start {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start), syscall.MADV_HUGEPAGE)
}
