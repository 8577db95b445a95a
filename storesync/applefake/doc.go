// Package applefake is an in-process fake of Apple's Apps and Books for Organizations
// v2 API, with fault injection, for tests, examples and the simulator (SPEC S5, S6,
// L1, L3, L11).
//
// It has three parts:
//
//   - Core, the state: locations with their tokens (sToken → location, expiry,
//     revoked), the mdmInfo of the service managing each location, assets with their
//     license counts, registered users, assignments (adamId with a serial number or a
//     clientUserId, each recording the service that created it, S6) and events. It is
//     pure: no goroutines, no wall clock; methods that need the time take now. Admin
//     methods set the scene: AddLocation, IssueToken, AddAsset, BuyLicenses, Refund,
//     RemoveAsset, AcceptInvite, ExpireToken, RevokeToken, ClaimToken, BumpVersion.
//   - Direct, an adapter with the method set of *apple.Client (same wire types, same
//     typed errors, same batching and paging), calling the Core without HTTP, for
//     speed.
//   - Handler, an http.Handler that speaks the wire format over the Core, for
//     httptest.NewServer on 127.0.0.1.
//
// # Apple's counting
//
// The Core applies a manage request whole or not at all when the request itself is
// wrong, and pair by pair otherwise, as Apple does: see Core.Associate and
// Core.Disassociate. Where SPEC L11 names a number the Core answers with it (9600,
// 9602 for a batch over the limits, 9604, 9607 for books and other irrevocable
// assets, 9609, 9619, 9621, 9622, 9625, 9628, 9646); where it does not, with Apple's
// v2 number (9650 page index, 9709 not enough licenses, 9716 user exists, 9721
// version id). Every change moves the versionId of the data sets it touches; a paged
// read that spans a change sees it (S5). GET assignments with sinceVersionId lists
// the assignments made after that version (a removal is seen by a full read).
//
// # Order without sorting
//
// Reads list assignments sorted by asset, then devices before users, then
// subject. The Core keeps them that way between reads without sorting them all
// again: a sorted run plus the assignments made since the last read, which a read
// sorts (they are few) and merges into the run, dropping the removed ones; and a
// log in version order, whose suffix answers sinceVersionId. A simulator that
// changes a few licenses between two syncs of 100,000 assignments pays for the
// changes, not for the whole set (BenchmarkDirect_ReadAllAfterChange100k).
//
// # Faults
//
// A Faults script, shared by a Handler and a Direct, makes the next calls of an
// endpoint fail, counted: rate limiting (HTTP 429 or 9646 in a 200 body, with
// Retry-After), 5xx, any error number in a 200 body, truncated JSON, slow answers
// (bounded by MaxSlowDelay), the token expiring or revoked mid-sync, another service
// claiming the token mid-sync (its mdmInfo in every later answer, L3), and a change
// of versionId mid-paging. Fault.After lets calls through first, so a fault can hit
// page 3 of a read.
package applefake
