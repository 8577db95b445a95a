package hugepage

import (
	"syscall"
	"unsafe"
)

// Advise asks Linux to back the 2 MiB-aligned interior of the n bytes at p
// with transparent huge pages (madvise MADV_HUGEPAGE), where the system leaves
// that to the program ("madvise" mode). p may point into the Go heap, which
// does not move its objects; the advice applies to the pages, whoever uses
// them later.
func Advise(p unsafe.Pointer, n uintptr) {
	const huge = 2 << 20
	start := (uintptr(p) + huge - 1) &^ (huge - 1)
	end := (uintptr(p) + n) &^ (huge - 1)
	if end <= start {
		return
	}
	_ = syscall.Madvise(unsafe.Slice((*byte)(unsafe.Add(p, start-uintptr(p))), end-start), syscall.MADV_HUGEPAGE)
}
