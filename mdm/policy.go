package mdm

import (
	"fmt"
	"time"
)

// CheckInCadence is a platform family's check-in schedule (T2): after enrollment
// the device checks in every BurstInterval for BurstDuration, then every
// SecondInterval until SecondUntil (measured from enrollment; zero when the family
// has no second phase), then about every Steady.
type CheckInCadence struct {
	BurstInterval  time.Duration
	BurstDuration  time.Duration
	SecondInterval time.Duration
	SecondUntil    time.Duration
	Steady         time.Duration
}

// Interval returns the check-in interval for a device enrolled sinceEnroll ago.
func (c CheckInCadence) Interval(sinceEnroll time.Duration) time.Duration {
	switch {
	case sinceEnroll < c.BurstDuration:
		return c.BurstInterval
	case c.SecondInterval > 0 && sinceEnroll < c.SecondUntil:
		return c.SecondInterval
	}
	return c.Steady
}

// Policy holds every duration and threshold of the product (SPEC P), so a user can
// model another product or ask a what-if. DefaultPolicy returns the documented
// defaults; the zero Policy is not valid.
type Policy struct {
	// AppleCheckIn is the cadence of iOS/iPadOS and macOS (T2): every 15 min for
	// 1 h, then about every 8 h.
	AppleCheckIn CheckInCadence
	// OtherCheckIn is the cadence of Android and Windows (T2): every 3 min for
	// 15 min, then every 15 min until 2 h, then about every 8 h.
	OtherCheckIn CheckInCadence
	// CheckInJitter is the relative jitter of the steady cadence ("about every
	// 8 h"): an interval is drawn uniformly within ±CheckInJitter of Steady. 0.1
	// by default.
	CheckInJitter float64
	// PushRenotifications is how many more times an unanswered push is sent (T2): 3.
	PushRenotifications int
	// PushRenotifyInterval is the wait between push notifications to a device that
	// does not answer. The sources state the count, not the spacing; 15 minutes
	// by default.
	PushRenotifyInterval time.Duration
	// Win32AgentPoll is how often the Win32 agent polls for new assignments (T2): 1 h.
	Win32AgentPoll time.Duration

	// ReinstallWindow bounds how soon a missing required app, a failed install or
	// a failed uninstall is retried (T3): 24 h.
	ReinstallWindow time.Duration
	// ReevaluationCycle is the full re-evaluation cycle (T3): 7 days.
	ReevaluationCycle time.Duration
	// UpdateWindow bounds how soon a new version is installed (T4): 24 h.
	UpdateWindow time.Duration
	// RetryAttempts and RetryInterval handle a "retry" result (T5): 3 × 5 min.
	RetryAttempts int
	RetryInterval time.Duration
	// StuckInstallThreshold is how long an install may make no progress before the
	// user may restart it (T6): 2 h.
	StuckInstallThreshold time.Duration
	// RestartGracePeriod is the default restart grace period (T14): 1,440 minutes.
	RestartGracePeriod time.Duration

	// VPPSyncInterval is the store sync schedule (S1): 12 h (twice a day; once a
	// day is the newer default in one source).
	VPPSyncInterval time.Duration
	// UtilizationAlertThreshold raises a license alert when used/total reaches it
	// and clears it below (L10): 0.5.
	UtilizationAlertThreshold float64
	// TokenLifetime is how long an Apple token is valid (L1): one year.
	TokenLifetime time.Duration
	// MaxTokens is the number of VPP tokens a tenant may hold (L2): 3,000.
	MaxTokens int
	// UserLicenseDeviceCap is how many of a user's devices one user license covers
	// (L4): 5.
	UserLicenseDeviceCap int
	// TokenDeletionRevokes revokes a token's licenses when it is deleted (L7):
	// true (older behaviour kept them).
	TokenDeletionRevokes bool
	// AssignmentRemovalRevokes reclaims licenses when an assignment is removed
	// (L7): false, the default keeps them.
	AssignmentRemovalRevokes bool
	// VPPOversubscription lets VPP assignments target more than the licenses
	// owned, first come first served (L5): true.
	VPPOversubscription bool
	// StoreForBusinessOversubscription lets Store for Business assignments and
	// installs exceed the licenses owned (L14): false, they are blocked.
	StoreForBusinessOversubscription bool
	// RefundRevokesNewestFirst: when a store lowers a total below what is
	// assigned (L18), revoke the newest grants first (never a book) until the pool
	// is back under. When false, the pool only reports the overage and waits.
	RefundRevokesNewestFirst bool

	// DependencyLimit is the most apps in one dependency tree, the app itself
	// included (C9): 100.
	DependencyLimit int
	// SupersedenceGraphLimit is the most apps in one supersedence graph (C10): 11.
	SupersedenceGraphLimit int
	// SupersedingPerAppLimit is the most apps that may supersede one app (C10): 10.
	SupersedingPerAppLimit int
	// TrialStorageLimit is a trial tenant's total package storage (C3): 2 GiB.
	TrialStorageLimit int64
}

// DefaultPolicy returns the product's documented defaults (SPEC P).
func DefaultPolicy() Policy {
	return Policy{
		AppleCheckIn: CheckInCadence{
			BurstInterval: 15 * time.Minute, BurstDuration: time.Hour,
			Steady: 8 * time.Hour,
		},
		OtherCheckIn: CheckInCadence{
			BurstInterval: 3 * time.Minute, BurstDuration: 15 * time.Minute,
			SecondInterval: 15 * time.Minute, SecondUntil: 2 * time.Hour,
			Steady: 8 * time.Hour,
		},
		CheckInJitter:        0.1,
		PushRenotifications:  3,
		PushRenotifyInterval: 15 * time.Minute,
		Win32AgentPoll:       time.Hour,

		ReinstallWindow:       24 * time.Hour,
		ReevaluationCycle:     7 * 24 * time.Hour,
		UpdateWindow:          24 * time.Hour,
		RetryAttempts:         3,
		RetryInterval:         5 * time.Minute,
		StuckInstallThreshold: 2 * time.Hour,
		RestartGracePeriod:    1440 * time.Minute,

		VPPSyncInterval:           12 * time.Hour,
		UtilizationAlertThreshold: 0.5,
		TokenLifetime:             365 * 24 * time.Hour,
		MaxTokens:                 3000,
		UserLicenseDeviceCap:      5,
		TokenDeletionRevokes:      true,
		AssignmentRemovalRevokes:  false,
		VPPOversubscription:       true,
		RefundRevokesNewestFirst:  true,

		DependencyLimit:        100,
		SupersedenceGraphLimit: 11,
		SupersedingPerAppLimit: 10,
		TrialStorageLimit:      2 * GiB,
	}
}

// CheckInCadence returns the cadence for a platform (T2).
func (p *Policy) CheckInCadence(pl Platform) CheckInCadence {
	if pl.IsApple() {
		return p.AppleCheckIn
	}
	return p.OtherCheckIn
}

// Validate reports the first field that cannot work: a non-positive duration or
// count, a fraction outside (0, 1], a grace period over two weeks.
func (p *Policy) Validate() error {
	if p == nil {
		return missing("policy", "DefaultPolicy() or a policy derived from it")
	}
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"appleCheckIn.burstInterval", p.AppleCheckIn.BurstInterval},
		{"appleCheckIn.steady", p.AppleCheckIn.Steady},
		{"otherCheckIn.burstInterval", p.OtherCheckIn.BurstInterval},
		{"otherCheckIn.steady", p.OtherCheckIn.Steady},
		{"pushRenotifyInterval", p.PushRenotifyInterval},
		{"win32AgentPoll", p.Win32AgentPoll},
		{"reinstallWindow", p.ReinstallWindow},
		{"reevaluationCycle", p.ReevaluationCycle},
		{"updateWindow", p.UpdateWindow},
		{"retryInterval", p.RetryInterval},
		{"stuckInstallThreshold", p.StuckInstallThreshold},
		{"restartGracePeriod", p.RestartGracePeriod},
		{"vppSyncInterval", p.VPPSyncInterval},
		{"tokenLifetime", p.TokenLifetime},
	}
	for _, d := range durations {
		if d.d <= 0 {
			return policyError(d.name, d.d.String(), "must be a positive duration")
		}
	}
	for _, c := range []struct {
		name string
		c    CheckInCadence
	}{{"appleCheckIn", p.AppleCheckIn}, {"otherCheckIn", p.OtherCheckIn}} {
		if c.c.BurstDuration < 0 || c.c.SecondInterval < 0 || c.c.SecondUntil < 0 {
			return policyError(c.name, fmt.Sprintf("%+v", c.c), "has a negative duration")
		}
		if c.c.SecondInterval > 0 && c.c.SecondUntil < c.c.BurstDuration {
			return policyError(c.name+".secondUntil", c.c.SecondUntil.String(), "ends before the burst does")
		}
	}
	if p.RestartGracePeriod > MaxRestartGracePeriod {
		return policyError("restartGracePeriod", p.RestartGracePeriod.String(), "is over the two-week maximum (T14)")
	}
	// Written as "not in range" so that NaN, which compares false with every
	// bound, is refused too.
	if !(p.CheckInJitter >= 0 && p.CheckInJitter < 1) {
		return policyError("checkInJitter", fmt.Sprint(p.CheckInJitter), "must be in [0, 1)")
	}
	if !(p.UtilizationAlertThreshold > 0 && p.UtilizationAlertThreshold <= 1) {
		return policyError("utilizationAlertThreshold", fmt.Sprint(p.UtilizationAlertThreshold), "must be in (0, 1]")
	}
	counts := []struct {
		name string
		n    int
	}{
		{"retryAttempts", p.RetryAttempts},
		{"maxTokens", p.MaxTokens},
		{"userLicenseDeviceCap", p.UserLicenseDeviceCap},
		{"dependencyLimit", p.DependencyLimit},
		{"supersedenceGraphLimit", p.SupersedenceGraphLimit},
		{"supersedingPerAppLimit", p.SupersedingPerAppLimit},
	}
	for _, c := range counts {
		if c.n <= 0 {
			return policyError(c.name, fmt.Sprint(c.n), "must be positive")
		}
	}
	if p.PushRenotifications < 0 {
		return policyError("pushRenotifications", fmt.Sprint(p.PushRenotifications), "must not be negative")
	}
	if p.TrialStorageLimit <= 0 {
		return policyError("trialStorageLimit", fmt.Sprint(p.TrialStorageLimit), "must be positive")
	}
	return nil
}

func policyError(field, value, reason string) error {
	return &ValidationError{Field: "policy." + field, Value: value, Rule: "P", Err: ErrInvalidPolicy,
		Reason: reason, Remedy: "start from DefaultPolicy() and change only what the what-if needs"}
}
