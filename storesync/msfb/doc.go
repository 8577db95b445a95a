// Package msfb models the Microsoft Store for Business as a management service saw
// it (SPEC L12–L17), for tests, examples and the simulator. The real service is
// retired; the model follows its published REST reference: an account's inventory
// of products (a product key is a productId and a skuId) with a license type,
// online or offline (L13), a seat capacity, available seats, a distribution policy
// and a status, active or removed; localized product details in a language with a
// fallback (L16); seats assigned to users by user principal name, for online
// products only (409 "Not online" otherwise); bulk assign and reclaim. Pages are
// cut with continuation tokens; a token issued before the inventory changed is
// refused (400), as a reader must then start over.
//
// Related sets (L17) are not in the published reference: ProductDetails carries
// RelatedProducts, the products installed with one another, which a management
// service shows as one app entry (Graph's microsoftStoreForBusinessContainedApp).
//
// Core is the store's state, pure and deterministic; Connector is the service's
// in-process connection to one account, with the fault options applefake offers
// for Apple: throttling with Retry-After, 5xx, a truncated answer, slow answers
// (past the connector's timeout they fail), expired credentials (401) and a change
// of the inventory mid-paging. Nothing in it sleeps or reads the clock.
//
// The account association lock (L12), the catalog display language (L16) and the
// reconciliation into a tenant live in package storesync
// (StoreForBusinessSyncer).
package msfb
