//go:build !linux

package tenant

import "unsafe"

// adviseHugePages is a no-op where transparent huge pages are not asked for.
func adviseHugePages(unsafe.Pointer, uintptr) {}
