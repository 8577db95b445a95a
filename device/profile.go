package device

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Profile is everything random about a class of devices and their users: every
// probability and every distribution the device draws from. The scenario fills
// one per class of device (say, "Windows laptops in Paris"); DefaultProfile is a
// plausible starting point. The zero Profile is not valid: install and uninstall
// need a duration distribution.
//
// Probabilities are numbers in [0, 1]. Durations are strings in JSON ("45m",
// "14d"). A mean interval ("every") of 0 turns that behaviour off.
type Profile struct {
	// Install is how an install or update command runs.
	Install InstallProfile `json:"install"`
	// Uninstall is how an uninstall command runs.
	Uninstall UninstallProfile `json:"uninstall"`
	// NotNowProbability is the chance that a command finds the device locked or
	// in use: it is answered "not now" and the service sends it again later.
	NotNowProbability float64 `json:"notNowProbability"`
	// MaxConcurrentCommands is how many commands may be in progress at once
	// (running or stuck); a command beyond it is answered "not now". 0 means
	// no limit.
	MaxConcurrentCommands int `json:"maxConcurrentCommands"`
	// Reboot is when the device restarts.
	Reboot RebootProfile `json:"reboot"`
	// Schedule is when the device is offline.
	Schedule ScheduleProfile `json:"schedule"`
	// User is what the device's user does.
	User UserProfile `json:"user"`
	// BooksAppProbability is the chance that the built-in Books app is on the
	// device at enrollment (L8: books need it). Set it to 0 for platforms without
	// one.
	BooksAppProbability float64 `json:"booksAppProbability"`
	// UnmanagedApps are apps the user may have installed outside management
	// (A10): each is present at enrollment with its probability, and the service
	// must leave it alone.
	UnmanagedApps []UnmanagedApp `json:"unmanagedApps,omitempty"`
}

// InstallProfile is how an install (or update) attempt ends. Each attempt draws
// one outcome: failed, retry, pending reboot or stuck with their probabilities,
// succeeded with what is left; the four must not sum to more than 1.
type InstallProfile struct {
	// Duration is how long an attempt runs before it ends.
	Duration Dist `json:"duration"`
	// FailureProbability: the attempt fails with one of FailureCodes.
	FailureProbability float64 `json:"failureProbability"`
	// FailureCodes are the codes of failed attempts with their relative weights;
	// empty means CodeInstallFailed (1603).
	FailureCodes []WeightedCode `json:"failureCodes,omitempty"`
	// RetryProbability: the installer asks to be retried. The device reports
	// "retry" (CodeRetry) and asks for a check-in at once; the service re-sends
	// the command Policy.RetryInterval later, up to Policy.RetryAttempts times
	// (T5), and each re-send is a new attempt.
	RetryProbability float64 `json:"retryProbability"`
	// PendingRebootProbability: the install completes at the next restart. The
	// device reports "pending reboot" (CodeSoftReboot); at the reboot the app
	// appears in the inventory and the command is reported again, "succeeded".
	PendingRebootProbability float64 `json:"pendingRebootProbability"`
	// StuckProbability: the attempt makes no progress and never ends by itself.
	// After Policy.StuckInstallThreshold the user may restart it (T6, see
	// UserProfile); a reboot restarts it too.
	StuckProbability float64 `json:"stuckProbability"`
}

// UninstallProfile is how an uninstall attempt ends: failed with
// FailureProbability, succeeded otherwise.
type UninstallProfile struct {
	Duration           Dist           `json:"duration"`
	FailureProbability float64        `json:"failureProbability"`
	FailureCodes       []WeightedCode `json:"failureCodes,omitempty"`
}

// WeightedCode is an error code with its relative weight among a list.
type WeightedCode struct {
	Code   int32   `json:"code"`
	Weight float64 `json:"weight"`
}

// RebootProfile says when the device restarts. A restart completes every install
// that ended "pending reboot" and restarts every stuck one.
type RebootProfile struct {
	// Delay is how long after a "pending reboot" result the user restarts; the
	// device restarts itself at the latest after Policy.RestartGracePeriod (T14).
	Delay Dist `json:"delay"`
	// Every is the mean time between other restarts (updates, the user's habit);
	// 0 means none.
	Every Duration `json:"every"`
}

// ScheduleProfile says when the device is offline: at night, at weekends and
// during long absences (holidays, sick leave), in the device's local time. A
// device drawn "off at night" is offline every night of the run; one drawn "off
// at weekends" is offline from Saturday 00:00 to Monday 00:00.
type ScheduleProfile struct {
	// UTCOffset is the local time zone of the class, e.g. "1h" for Paris in
	// winter, "-5h" for New York. Nights and weekends are local.
	UTCOffset Duration `json:"utcOffset"`
	// NightOffProbability is the share of devices that are offline at night.
	NightOffProbability float64 `json:"nightOffProbability"`
	// NightStart and NightEnd bound the night as local times of day in [0, 24h);
	// a night that crosses midnight has NightStart > NightEnd ("19h" to "7h").
	NightStart Duration `json:"nightStart"`
	NightEnd   Duration `json:"nightEnd"`
	// WeekendOffProbability is the share of devices offline at weekends.
	WeekendOffProbability float64 `json:"weekendOffProbability"`
	// Jitter shifts each device's day by a uniform draw in [-Jitter, +Jitter], so
	// that a fleet does not go dark in one nanosecond. Less than 12h.
	Jitter Duration `json:"jitter"`
	// AbsenceEvery is the mean time between long absences; 0 means none.
	AbsenceEvery Duration `json:"absenceEvery"`
	// AbsenceLength is how long an absence lasts; needed when AbsenceEvery > 0.
	AbsenceLength Dist `json:"absenceLength"`
}

// UserProfile is what the user does. Each "every" is the mean time between two
// such actions (a Poisson process; 0 turns it off). An action that falls while
// the device is offline waits until it is back online, except leaving the
// company, which happens when it happens.
type UserProfile struct {
	// PortalInstallEvery: the user installs an app the company portal offers
	// (T7): a PortalInstall request at the next check-in.
	PortalInstallEvery Duration `json:"portalInstallEvery"`
	// PortalUninstallEvery: the user uninstalls, from the portal, an installed
	// app the portal offers to remove (T7): a PortalUninstall request.
	PortalUninstallEvery Duration `json:"portalUninstallEvery"`
	// RemoveEvery: the user deletes an app from the device directly, managed or
	// not (T3: a removed required app comes back; T7: an available one does not).
	// Removing the Books app is for good (L8).
	RemoveEvery Duration `json:"removeEvery"`
	// LeaveAfter: the user leaves the company (EventUserLeft). It happens once.
	LeaveAfter Duration `json:"leaveAfter"`
	// RestartStuckProbability is the chance that the user restarts a stuck
	// install once it has made no progress for Policy.StuckInstallThreshold (T6).
	RestartStuckProbability float64 `json:"restartStuckProbability"`
	// RestartStuckDelay is how long after the threshold the user does so; needed
	// when RestartStuckProbability > 0.
	RestartStuckDelay Dist `json:"restartStuckDelay"`
}

// UnmanagedApp is an app the user may have installed outside management (A10).
type UnmanagedApp struct {
	App         mdm.AppID `json:"appId"`
	Version     string    `json:"version,omitempty"`
	Probability float64   `json:"probability"`
}

// DefaultProfile returns plausible behaviour for a managed laptop fleet: installs
// of a few minutes with a long tail, a few percent of failures, retries and
// pending reboots, rare stuck installs; offline at night for most devices and at
// weekends for half; an absence every three months; a user who visits the portal
// about monthly and leaves after about three years.
func DefaultProfile() Profile {
	return Profile{
		Install: InstallProfile{
			Duration:                 LogNormal(3*time.Minute, 0.8, 2*time.Hour),
			FailureProbability:       0.03,
			FailureCodes:             []WeightedCode{{Code: CodeInstallFailed, Weight: 3}, {Code: 1602, Weight: 1}},
			RetryProbability:         0.02,
			PendingRebootProbability: 0.02,
			StuckProbability:         0.005,
		},
		Uninstall: UninstallProfile{
			Duration:           LogNormal(time.Minute, 0.5, time.Hour),
			FailureProbability: 0.01,
		},
		NotNowProbability:     0.02,
		MaxConcurrentCommands: 4,
		Reboot: RebootProfile{
			Delay: Exponential(8 * time.Hour),
			Every: Duration(7 * Day),
		},
		Schedule: ScheduleProfile{
			NightOffProbability:   0.6,
			NightStart:            Duration(19 * time.Hour),
			NightEnd:              Duration(7 * time.Hour),
			WeekendOffProbability: 0.5,
			Jitter:                Duration(time.Hour),
			AbsenceEvery:          Duration(90 * Day),
			AbsenceLength:         Uniform(3*Day, 14*Day),
		},
		User: UserProfile{
			PortalInstallEvery:      Duration(30 * Day),
			PortalUninstallEvery:    Duration(180 * Day),
			RemoveEvery:             Duration(60 * Day),
			LeaveAfter:              Duration(3 * 365 * Day),
			RestartStuckProbability: 0.8,
			RestartStuckDelay:       Exponential(30 * time.Minute),
		},
		BooksAppProbability: 0,
	}
}

// Validate reports the first field that cannot work, as a *mdm.ValidationError
// wrapping ErrInvalidProfile whose Field is the JSON path ("install.duration.median",
// "schedule.nightStart").
func (p *Profile) Validate() error {
	if err := p.Install.Duration.validate("install.duration", false); err != nil {
		return err
	}
	probs := []struct {
		name string
		v    float64
	}{
		{"install.failureProbability", p.Install.FailureProbability},
		{"install.retryProbability", p.Install.RetryProbability},
		{"install.pendingRebootProbability", p.Install.PendingRebootProbability},
		{"install.stuckProbability", p.Install.StuckProbability},
		{"uninstall.failureProbability", p.Uninstall.FailureProbability},
		{"notNowProbability", p.NotNowProbability},
		{"schedule.nightOffProbability", p.Schedule.NightOffProbability},
		{"schedule.weekendOffProbability", p.Schedule.WeekendOffProbability},
		{"user.restartStuckProbability", p.User.RestartStuckProbability},
		{"booksAppProbability", p.BooksAppProbability},
	}
	for _, q := range probs {
		if err := checkProbability(q.name, q.v); err != nil {
			return err
		}
	}
	in := &p.Install
	if sum := in.FailureProbability + in.RetryProbability + in.PendingRebootProbability + in.StuckProbability; sum > 1+1e-9 {
		return profileError("install", strconv.FormatFloat(sum, 'g', -1, 64),
			"failure, retry, pending reboot and stuck probabilities sum to more than 1",
			"lower some of them: success takes what the others leave")
	}
	if err := checkCodes("install.failureCodes", in.FailureCodes); err != nil {
		return err
	}
	if err := p.Uninstall.Duration.validate("uninstall.duration", false); err != nil {
		return err
	}
	if err := checkCodes("uninstall.failureCodes", p.Uninstall.FailureCodes); err != nil {
		return err
	}
	if p.MaxConcurrentCommands < 0 {
		return profileError("maxConcurrentCommands", strconv.Itoa(p.MaxConcurrentCommands), "is negative",
			"give how many commands may run at once, or 0 for no limit")
	}
	if err := p.Reboot.Delay.validate("reboot.delay", in.PendingRebootProbability == 0); err != nil {
		return err
	}
	if err := checkEvery("reboot.every", p.Reboot.Every); err != nil {
		return err
	}
	if err := p.Schedule.validate(); err != nil {
		return err
	}
	u := &p.User
	for _, e := range []struct {
		name string
		d    Duration
	}{
		{"user.portalInstallEvery", u.PortalInstallEvery},
		{"user.portalUninstallEvery", u.PortalUninstallEvery},
		{"user.removeEvery", u.RemoveEvery},
		{"user.leaveAfter", u.LeaveAfter},
	} {
		if err := checkEvery(e.name, e.d); err != nil {
			return err
		}
	}
	if err := u.RestartStuckDelay.validate("user.restartStuckDelay", u.RestartStuckProbability == 0); err != nil {
		return err
	}
	seen := make(map[mdm.AppID]struct{}, len(p.UnmanagedApps)) // not a pairwise search: a file may list 100,000
	for i, a := range p.UnmanagedApps {
		field := "unmanagedApps[" + strconv.Itoa(i) + "]"
		if err := mdm.CheckID(field+".appId", string(a.App)); err != nil {
			if ve := (*mdm.ValidationError)(nil); errors.As(err, &ve) {
				return profileError(ve.Field, ve.Value, ve.Reason, ve.Remedy)
			}
			return err
		}
		if len(a.Version) > mdm.MaxIDLength {
			return profileError(field+".version", a.Version[:32]+"…", "is longer than 256 bytes", "use a version string such as 2.3.1")
		}
		if err := checkProbability(field+".probability", a.Probability); err != nil {
			return err
		}
		if _, dup := seen[a.App]; dup {
			return profileError(field+".appId", string(a.App), "appears twice", "list each unmanaged app once")
		}
		seen[a.App] = struct{}{}
	}
	return nil
}

func (s *ScheduleProfile) validate() error {
	if s.UTCOffset < Duration(-14*time.Hour) || s.UTCOffset > Duration(14*time.Hour) {
		return profileError("schedule.utcOffset", s.UTCOffset.String(), "is outside [-14h, +14h]",
			`give the local offset from UTC, e.g. "1h" or "-5h"`)
	}
	for _, t := range []struct {
		name string
		d    Duration
	}{{"schedule.nightStart", s.NightStart}, {"schedule.nightEnd", s.NightEnd}} {
		if t.d < 0 || t.d >= Duration(Day) {
			return profileError(t.name, t.d.String(), "is not a time of day in [0, 24h)", `give a local time of day such as "19h" or "7h30m"`)
		}
	}
	if s.NightOffProbability > 0 && s.NightStart == s.NightEnd {
		return profileError("schedule.nightEnd", s.NightEnd.String(), "equals nightStart: the night would be empty or the whole day",
			`give a night such as "19h" to "7h", or set nightOffProbability to 0`)
	}
	if s.Jitter < 0 || s.Jitter >= Duration(12*time.Hour) {
		return profileError("schedule.jitter", s.Jitter.String(), "is not in [0, 12h)", `shift each device's day by at most a few hours, e.g. "1h"`)
	}
	if err := checkEvery("schedule.absenceEvery", s.AbsenceEvery); err != nil {
		return err
	}
	return s.AbsenceLength.validate("schedule.absenceLength", s.AbsenceEvery == 0)
}

func checkProbability(field string, v float64) error {
	if !(v >= 0 && v <= 1) {
		return profileError(field, strconv.FormatFloat(v, 'g', -1, 64), "is not a probability in [0, 1]",
			"give a number between 0 and 1, e.g. 0.02 for two percent")
	}
	return nil
}

func checkEvery(field string, d Duration) error {
	if d < 0 || d > MaxDuration {
		return profileError(field, d.String(), "is not a mean interval in [0, 100 years]",
			`give the mean time between two events, e.g. "30d", or 0 for never`)
	}
	return nil
}

func checkCodes(field string, codes []WeightedCode) error {
	total := 0.0
	for i, c := range codes {
		f := field + "[" + strconv.Itoa(i) + "]"
		if c.Code == 0 {
			return profileError(f+".code", "0", "is zero, which means success", "give the installer's non-zero exit code, e.g. 1603")
		}
		if !(c.Weight >= 0) || math.IsInf(c.Weight, 0) {
			return profileError(f+".weight", fmt.Sprint(c.Weight), "is not a finite weight ≥ 0", "give a relative weight such as 1")
		}
		total += c.Weight
	}
	if len(codes) > 0 && total <= 0 {
		return profileError(field, "", "has no positive weight", "give at least one code a positive weight")
	}
	return nil
}
