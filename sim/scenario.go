package sim

import (
	"encoding/json"
	"time"

	"github.com/mdmkit/mdmkit/device"
	"github.com/mdmkit/mdmkit/mdm"
)

// Scenario is everything a run needs: the fleet, the apps and their stores, the
// assignments, how devices and users behave, what goes wrong, what the admin does
// and when, how long it runs and the seed every random draw comes from. Same
// scenario, same seed: the same run, byte for byte (DESIGN "Determinism").
//
// Its JSON form is the scenario file format (see the package documentation for
// a complete example). Times inside a run are spans since its start ("3d",
// "12h"); Start anchors them to the calendar only for reports, deadlines and
// token expiry. DecodeScenario reads and validates a file; Validate checks a
// Scenario built in Go.
type Scenario struct {
	// Name is a short label printed in reports.
	Name string `json:"name"`
	// Description says what the scenario asks, for people reading it.
	Description string `json:"description,omitempty"`
	// Seed seeds every random draw of the run (fleet generation included). A
	// command-line -seed overrides it.
	Seed uint64 `json:"seed"`
	// Start is the calendar time the run starts at (RFC 3339), in the years
	// 2000 to 2100. Default
	// 2026-01-05T00:00:00Z, a Monday, so that nights and weekends of the device
	// schedules fall where a reader expects them.
	Start time.Time `json:"start,omitzero"`
	// Duration is how long the run lasts in virtual time, e.g. "30d". Required.
	Duration Duration `json:"duration"`
	// SampleEvery is how often metrics are sampled (compliance, license use):
	// at least 1m, and at most MaxSamples samples over the run. Default 6h.
	SampleEvery Duration `json:"sampleEvery,omitzero"`
	// Policy changes product defaults (SPEC P) for a what-if; fields left out keep
	// mdm.DefaultPolicy().
	Policy PolicySpec `json:"policy,omitzero"`
	// Fleet is the mix of devices and users.
	Fleet FleetSpec `json:"fleet"`
	// Apps is the catalog, synced apps included: a synced app names its store
	// token and product, and the run buys its licenses in the fake store and lets
	// store sync bring it into the catalog, as a deployment would.
	Apps []AppSpec `json:"apps"`
	// Stores are the store accounts: Apple VPP location tokens and Store for
	// Business accounts, with how the stores behave.
	Stores StoresSpec `json:"stores,omitzero"`
	// Assignments are made at the start of the run, after the first store sync.
	Assignments []AssignmentSpec `json:"assignments,omitempty"`
	// Behavior is how devices and their users behave: the device profiles.
	Behavior BehaviorSpec `json:"behavior,omitzero"`
	// Faults are store outages, rate limits and token claims, at set times.
	Faults FaultsSpec `json:"faults,omitzero"`
	// Timeline is what the admin does during the run, in time order.
	Timeline []ActionSpec `json:"timeline,omitempty"`
}

// DefaultStart is the calendar start of a scenario that gives none: a Monday at
// midnight UTC.
var DefaultStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// DefaultSampleEvery is how often metrics are sampled unless the scenario says.
const DefaultSampleEvery = 6 * time.Hour

// PolicySpec overrides product defaults (SPEC P). Only what is set changes; the
// rest keeps mdm.DefaultPolicy(). The result must pass mdm.Policy.Validate.
type PolicySpec struct {
	// SteadyCheckIn is the steady check-in interval of every platform (T2:
	// about 8 h).
	SteadyCheckIn *Duration `json:"steadyCheckIn,omitempty"`
	// CheckInJitter is the relative jitter of the steady interval, in [0, 1)
	// (0.1: an interval is drawn within ±10% of SteadyCheckIn).
	CheckInJitter *float64 `json:"checkInJitter,omitempty"`
	// PushRenotifications is how many more times an unanswered push is sent (T2: 3).
	PushRenotifications *int `json:"pushRenotifications,omitempty"`
	// PushRenotifyInterval is the wait between pushes to a silent device (15m).
	PushRenotifyInterval *Duration `json:"pushRenotifyInterval,omitempty"`
	// ReinstallWindow bounds the reinstall of a missing required app (T3: 24h).
	ReinstallWindow *Duration `json:"reinstallWindow,omitempty"`
	// UpdateWindow bounds the install of a new version (T4: 24h).
	UpdateWindow *Duration `json:"updateWindow,omitempty"`
	// RetryAttempts and RetryInterval handle a "retry" result (T5: 3 × 5m).
	RetryAttempts *int      `json:"retryAttempts,omitempty"`
	RetryInterval *Duration `json:"retryInterval,omitempty"`
	// StuckInstallThreshold is when a stuck install may be restarted (T6: 2h).
	StuckInstallThreshold *Duration `json:"stuckInstallThreshold,omitempty"`
	// VPPSyncInterval is the store sync schedule (S1: 12h).
	VPPSyncInterval *Duration `json:"vppSyncInterval,omitempty"`
	// UtilizationAlertThreshold raises a license alert at this share used (L10: 0.5).
	UtilizationAlertThreshold *float64 `json:"utilizationAlertThreshold,omitempty"`
	// UserLicenseDeviceCap is how many devices a VPP user license covers (L4: 5).
	UserLicenseDeviceCap *int `json:"userLicenseDeviceCap,omitempty"`
	// VPPOversubscription lets VPP targets exceed licenses (L5: true).
	VPPOversubscription *bool `json:"vppOversubscription,omitempty"`
	// StoreForBusinessOversubscription lets Store for Business targets exceed
	// licenses (L14: false).
	StoreForBusinessOversubscription *bool `json:"storeForBusinessOversubscription,omitempty"`
	// AssignmentRemovalRevokes reclaims licenses when an assignment is removed
	// (L7: false).
	AssignmentRemovalRevokes *bool `json:"assignmentRemovalRevokes,omitempty"`
}

// FleetSpec is the mix of devices and users. Devices and users are generated
// from the seed: device i gets a platform, an OS version and a primary user
// drawn from the shares given here.
type FleetSpec struct {
	// Devices is how many devices enroll during the run. Required, at least 1.
	// A command-line -devices overrides it, scaling user counts with it.
	Devices int `json:"devices"`
	// Users is how many users the directory holds (at least 1 when any device
	// has a user). Devices with a user are spread over them at random, so some
	// users have several devices and some none.
	Users int `json:"users"`
	// UserlessShare is the share of devices without a primary user (kiosks,
	// shared devices; D3), in [0, 1].
	UserlessShare float64 `json:"userlessShare,omitempty"`
	// AppleAccountShare is the share of users with a managed Apple account,
	// needed for VPP user licensing (L4), in [0, 1].
	AppleAccountShare float64 `json:"appleAccountShare,omitempty"`
	// Platforms is the platform mix; shares sum to 1.
	Platforms []PlatformSpec `json:"platforms"`
	// Groups are the user and device groups assignments target.
	Groups []GroupSpec `json:"groups,omitempty"`
	// Enrollment is when devices enroll, in waves; shares sum to 1.
	Enrollment []WaveSpec `json:"enrollment"`
}

// PlatformSpec is one platform of the fleet mix.
type PlatformSpec struct {
	// Platform: android, androidEnterprise, iOS, macOS or windows.
	Platform mdm.Platform `json:"platform"`
	// Share of the fleet's devices, in (0, 1].
	Share float64 `json:"share"`
	// OSVersions is the OS version mix of the platform; shares sum to 1.
	OSVersions []VersionShare `json:"osVersions"`
	// Ownership is company (default) or personal.
	Ownership mdm.Ownership `json:"ownership,omitzero"`
	// JoinType (Windows): entra (default), adDomain, hybrid, workplace or none.
	// Store for Business apps need adDomain, hybrid or workplace (L16).
	JoinType mdm.JoinType `json:"joinType,omitzero"`
	// AndroidMode (androidEnterprise): the management mode; default
	// personallyOwnedWorkProfile.
	AndroidMode mdm.AndroidEnterpriseMode `json:"androidMode,omitzero"`
	// Profile names the behaviour profile of these devices (a name of
	// behavior.profiles); "" is the profile named "default", or
	// device.DefaultProfile() when there is none.
	Profile string `json:"profile,omitempty"`
}

// VersionShare is one OS version of a platform's mix.
type VersionShare struct {
	Version string  `json:"version"`
	Share   float64 `json:"share"`
}

// BehaviorSpec holds the device profiles: every probability and distribution a
// device and its user draw from (package device, Profile).
type BehaviorSpec struct {
	Profiles []ProfileSpec `json:"profiles,omitempty"`
}

// ProfileSpec is a named device profile. In a file, fields of the profile left
// out keep the values of device.DefaultProfile(), so a profile gives only what
// differs:
//
//	{"name": "phone", "profile": {"booksAppProbability": 0.9,
//	  "schedule": {"nightOffProbability": 0.1}}}
type ProfileSpec struct {
	// Name is what fleet.platforms[].profile names; "default" is the profile of
	// platforms that name none.
	Name    string         `json:"name"`
	Profile device.Profile `json:"profile"`
}

// UnmarshalJSON starts the profile from device.DefaultProfile(), so that fields
// left out keep its values.
func (p *ProfileSpec) UnmarshalJSON(b []byte) error {
	type plain ProfileSpec
	v := plain{Profile: device.DefaultProfile()}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = ProfileSpec(v)
	return nil
}

// GroupSpec is a group of the directory (D1). Members are drawn from the seed:
// each eligible user (or device) joins with probability Share. Nested groups
// count as members (their members belong to this group too).
type GroupSpec struct {
	ID mdm.GroupID `json:"id"`
	// Kind is users or devices.
	Kind mdm.MemberKind `json:"kind"`
	// Share is the chance that an eligible user or device is a direct member, in
	// [0, 1]. A group with share 0 has only its nested groups' members.
	Share float64 `json:"share"`
	// Platforms limits a device group to devices of these platforms; empty means
	// every platform. Only for device groups.
	Platforms []mdm.Platform `json:"platforms,omitempty"`
	// Groups are nested groups of the same kind.
	Groups []mdm.GroupID `json:"groups,omitempty"`
}

// WaveSpec is an enrollment wave: Share of the fleet enrolls uniformly between
// At and At+Over.
type WaveSpec struct {
	At    Duration `json:"at"`
	Over  Duration `json:"over"`
	Share float64  `json:"share"`
}

// AppSpec is an app of the catalog.
type AppSpec struct {
	// ID is the app's id in the scenario; assignments and actions name it. A
	// synced app gets its catalog id from store sync, and the run maps this id to
	// it.
	ID mdm.AppID `json:"id"`
	// Name is the display name; default the id.
	Name string `json:"name,omitempty"`
	// Type is the Graph app type, e.g. "win32LobApp", "iosVppApp",
	// "microsoftStoreForBusinessApp" (with or without "#microsoft.graph.").
	Type mdm.AppType `json:"type"`
	// Version is the version devices report once installed; default "1.0".
	Version string `json:"version,omitempty"`
	// SizeMB is the package size of uploaded types (default 50).
	SizeMB int64 `json:"sizeMB,omitempty"`
	// MinOSVersion is a requirement (T11); devices below it report
	// requirementsNotMet.
	MinOSVersion string `json:"minOSVersion,omitempty"`
	// Store is where a synced type comes from (VPP apps and books, Store for
	// Business apps); required for them, refused for the others (C4).
	Store *AppStoreSpec `json:"store,omitempty"`
}

// AppStoreSpec says where a synced app comes from and how many licenses the
// organisation owns at the start.
type AppStoreSpec struct {
	// Token is the id of a stores.vpp or stores.storeForBusiness entry.
	Token mdm.TokenID `json:"token"`
	// Product is Apple's adamId or the Store for Business product id; default
	// derived from the app id.
	Product string `json:"product,omitempty"`
	// Licenses is how many licenses are owned at the start.
	Licenses int `json:"licenses"`
	// Licensing is online or offline for Store for Business apps (L13); unset
	// for VPP.
	Licensing mdm.LicenseMode `json:"licensing,omitzero"`
}

// StoresSpec holds the store accounts.
type StoresSpec struct {
	// AppleEventLatency is how long Apple reports an association or
	// disassociation as pending before its outcome (S5); default 0.
	AppleEventLatency Duration            `json:"appleEventLatency,omitzero"`
	VPP               []VPPTokenSpec      `json:"vpp,omitempty"`
	StoreForBusiness  []BusinessStoreSpec `json:"storeForBusiness,omitempty"`
}

// VPPTokenSpec is an Apple Apps and Books location token.
type VPPTokenSpec struct {
	ID mdm.TokenID `json:"id"`
	// Location is the location's name at Apple; default the token id.
	Location string `json:"location,omitempty"`
	// ExpiresAfter is when the token expires, from the start; default and
	// most one year (L1). The tenant learns the date from the sToken's
	// expDate, as a deployment does when the admin uploads it.
	ExpiresAfter Duration `json:"expiresAfter,omitzero"`
	// AllowPreventAutoUpdate says whether assignments may prevent automatic
	// updates of the token's VPP apps (L9); default true. With false, the
	// apps update whatever an assignment's preventAutoUpdate says.
	AllowPreventAutoUpdate *bool `json:"allowPreventAutoUpdate,omitempty"`
}

// BusinessStoreSpec is a Microsoft Store for Business account connection.
type BusinessStoreSpec struct {
	ID mdm.TokenID `json:"id"`
	// Account is the store account (tenant) name; default the id.
	Account string `json:"account,omitempty"`
}

// AssignmentSpec is one assignment (A1, A2).
type AssignmentSpec struct {
	ID     mdm.AssignmentID `json:"id"`
	App    mdm.AppID        `json:"app"`
	Intent mdm.Intent       `json:"intent"`
	// Target is "allUsers", "allDevices", "group:ID" or "exclude:ID".
	Target string `json:"target"`
	// LicenseType is device or user for VPP apps (L4); default device for apps,
	// user for books.
	LicenseType mdm.LicenseType `json:"licenseType,omitzero"`
	// UninstallOnDeviceRemoval overrides the A12 default of the app type.
	UninstallOnDeviceRemoval *bool `json:"uninstallOnDeviceRemoval,omitempty"`
	// Deadline is an install deadline, from the start of the run (T14).
	Deadline *Duration `json:"deadline,omitempty"`
	// PreventAutoUpdate stops automatic updates of a VPP app where its token
	// allows it (L9): a new version then waits on the devices that hold an
	// older one, as long as every required or available assignment reaching
	// the device prevents it. Other apps ignore it.
	PreventAutoUpdate bool `json:"preventAutoUpdate,omitempty"`
}

// FaultsSpec is what goes wrong, and when.
type FaultsSpec struct {
	// StoreOutages: the store answers every call of a token with an HTTP error
	// between From and To.
	StoreOutages []OutageSpec `json:"storeOutages,omitempty"`
	// RateLimits: the store rate-limits a token between From and To (9646 with
	// Retry-After).
	RateLimits []RateLimitSpec `json:"rateLimits,omitempty"`
	// TokenClaims: another management service claims a VPP token (L3).
	TokenClaims []ClaimSpec `json:"tokenClaims,omitempty"`
}

// OutageSpec is a store outage window.
type OutageSpec struct {
	Token mdm.TokenID `json:"token"`
	From  Duration    `json:"from"`
	To    Duration    `json:"to"`
	// Status is the HTTP status answered; default 503.
	Status int `json:"status,omitempty"`
}

// RateLimitSpec is a rate-limiting window.
type RateLimitSpec struct {
	Token mdm.TokenID `json:"token"`
	From  Duration    `json:"from"`
	To    Duration    `json:"to"`
	// RetryAfter is the Retry-After the store sends; default 60s.
	RetryAfter Duration `json:"retryAfter,omitzero"`
}

// ClaimSpec is another service claiming a VPP token at At (L3). With
// LoseRecords, what this service made at Apple is lost. With TakeBackAfter (at
// most 400d) the admin takes control back that long after the claim; without
// it, or when that falls after the end of the run, the token stays claimed.
type ClaimSpec struct {
	Token         mdm.TokenID `json:"token"`
	At            Duration    `json:"at"`
	By            string      `json:"by,omitempty"` // the other service's name; default "Other MDM"
	LoseRecords   bool        `json:"loseRecords,omitempty"`
	TakeBackAfter *Duration   `json:"takeBackAfter,omitempty"`
}

// ActionKind is what an admin action does.
type ActionKind string

// The admin actions of a timeline, with the fields each takes.
const (
	// ActAssign makes Assignment.
	ActAssign ActionKind = "assign"
	// ActUnassign removes the assignment ID.
	ActUnassign ActionKind = "unassign"
	// ActChangeIntent sets the intent of assignment ID to Intent.
	ActChangeIntent ActionKind = "changeIntent"
	// ActBuyLicenses buys Count more licenses of App in its store; the next store
	// sync brings them in (S1).
	ActBuyLicenses ActionKind = "buyLicenses"
	// ActRefund gives Count licenses of App back to its store (L18).
	ActRefund ActionKind = "refund"
	// ActUsersLeave removes Share of the users (or Count of them) from the
	// directory: they leave the company (L7, L15).
	ActUsersLeave ActionKind = "usersLeave"
	// ActNewVersion publishes Version of App (T4): an upload for apps added by
	// hand (line-of-business, store links, ...); for a VPP app, the App Store
	// has the new version, and the next store sync brings it (S1, L9).
	ActNewVersion ActionKind = "newVersion"
	// ActSync runs a store sync of every token now, besides the schedule (S1).
	ActSync ActionKind = "sync"
)

// ActionSpec is one admin action of the timeline. Which fields it takes depends
// on Action; a field the action does not take is an error.
type ActionSpec struct {
	At     Duration   `json:"at"`
	Action ActionKind `json:"action"`
	// Assignment: for assign.
	Assignment *AssignmentSpec `json:"assignment,omitempty"`
	// ID: the assignment, for unassign and changeIntent.
	ID mdm.AssignmentID `json:"id,omitempty"`
	// Intent: for changeIntent.
	Intent *mdm.Intent `json:"intent,omitempty"`
	// App: for buyLicenses, refund and newVersion.
	App mdm.AppID `json:"app,omitempty"`
	// Count: licenses for buyLicenses and refund; users for usersLeave.
	Count int `json:"count,omitempty"`
	// Share: the share of users for usersLeave, in (0, 1].
	Share float64 `json:"share,omitempty"`
	// Version: for newVersion.
	Version string `json:"version,omitempty"`
}
