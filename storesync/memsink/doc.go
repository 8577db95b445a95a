// Package memsink is an in-memory storesync.Sink: a catalog of synced apps, a
// directory of serial numbers and clientUserIds, simple license pools and token
// records. It stands in for package tenant in storesync's tests, examples and
// benchmarks. Its pools keep the store's counts and the holders and report an
// overage (L18); they grant and release only through Grant and Release, which also
// record the license change for the push, as the tenant's pools do.
//
// It is safe for concurrent use. It never reads the clock.
package memsink
