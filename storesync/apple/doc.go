// Package apple is a client of Apple's Apps and Books for Organizations API, version 2
// (https://vpp.itunes.apple.com/mdm/v2), the store behind Apple volume-purchased
// (VPP) licenses (SPEC S5, L1, L3, L11).
//
// # Wire types
//
// Every request and response has an exported type whose JSON names are Apple's:
// ServiceConfig (limits such as maxAssets 25, maxClientUserIds 1000, maxSerialNumbers
// 1000), ClientConfig and ClientConfigRequest with MdmInfo, AssetsResponse,
// AssignmentsResponse and UsersResponse (paged: currentPageIndex, nextPageIndex,
// size, totalPages, versionId), ManageAssetsRequest and ManageUsersRequest (answered
// by an EventResponse with an eventId), StatusResponse, and ErrorResponse.
//
// # Client
//
// New(sToken, options...) returns a *Client that sends "Authorization: Bearer
// <sToken>" and takes a context.Context on every call. Options set the base URL, the
// *http.Client, a per-attempt timeout, the maximum response body (read through
// io.LimitReader; a larger one is a *BodyTooLargeError), retries, and how to wait
// before one (a clock.Clock or a wait function, so tests never sleep).
//
// Reads come in two forms: a single page (AssetsPage, AssignmentsPage, UsersPage), so
// a caller can resume from a recorded page (S3), and all pages (Assets, Assignments,
// Users) read through ReadAll against the versionId of page 0; if it changes mid-read
// the read starts over, a bounded number of times, then fails with
// *VersionChangedError.
//
// Associate, Disassociate, CreateUsers and RetireUsers split their input into requests
// within the service/config limits (re-read every few minutes), drop duplicates, and
// return the eventId of every request; the outcome of each is read with EventStatus.
//
// # Errors
//
// Apple's errors, whether with a non-2xx status or inside an HTTP 200 body
// (errorNumber, errorMessage), are *APIError. The error numbers are ErrorNumber
// constants that are errors themselves, so errors.Is(err, apple.ErrTokenExpired)
// works. The v2 API refines some L11 numbers (9700 "max assets exceeded" for 9602
// "invalid argument", 9706 for 9607, 9707 for 9628, 9708 for 9604); errors.Is matches
// the refined number and its L11 one.
//
// Rate limiting (HTTP 429, 9646 in any body) is retried after Retry-After; server
// errors (5xx) and requests with no answer are retried with exponential backoff; both
// a bounded number of times. A Retry-After longer than WithMaxRetryAfter is returned
// to the caller instead of waited for. A body that is truncated or not the documented
// JSON is a *DecodeError and is not retried; so is a page of assets, assignments or
// users without its list ("{}"), which would otherwise pass for an empty one.
//
// TokenState(err) maps an error to the mdm.TokenState it proves: 9621 expired;
// 9622, 9625 and HTTP 401 invalid; a response naming another service's mdmInfo
// (with WithMdmInfo set) is a *ClaimedError, assignedToExternalMDM (L3).
//
// # Secrets
//
// The sToken is never printed (L1): the client's String, GoString and Format hide it,
// errors never contain it, and text the server sends back is scrubbed of it before it
// goes into an error. Secret is a string type that prints as [redacted] for fields such
// as notificationAuthToken.
package apple
