//go:build !linux

package hugepage

import "unsafe"

// Advise is a no-op where transparent huge pages are not asked for.
func Advise(unsafe.Pointer, uintptr) {}
