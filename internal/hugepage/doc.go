// Package hugepage asks the operating system to back large, randomly touched
// arrays with transparent huge pages. The simulator's device records and the
// tenant's device states are touched in no order, one device per event: with
// 4 KiB pages each touch misses the TLB as well as the cache and walks the
// page tables, which costs about as much as the cache miss itself (and a
// software prefetch waits for the walk). A 2 MiB page covers thousands of
// devices.
//
// It is advice only: where it is refused or unsupported (other systems, THP
// "never"), nothing changes but speed.
package hugepage
