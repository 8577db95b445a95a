package sim

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// This file turns the specs of a scenario into the mdm values a deployment would
// hand the library: apps with packages that pass mdm.ValidateApp, assignments,
// targets and the policy.

// DefaultAppVersion is the version of an app that gives none.
const DefaultAppVersion = "1.0"

// DefaultSizeMB is the package size of an uploaded app that gives none.
const DefaultSizeMB = 50

// catalogApp builds the app an admin would add for s (not for synced types,
// which come from store sync).
func (s *AppSpec) catalogApp() mdm.App {
	a := mdm.App{ID: s.ID, DisplayName: s.displayName(), Type: s.Type, Version: s.version(),
		Publisher: "Contoso"}
	a.Requirements.MinOSVersion = s.MinOSVersion
	slug := slugOf(string(s.ID))
	switch s.Type.PackageKind() {
	case mdm.PackageFile:
		ext := ".bin"
		if exts := s.Type.Extensions(); len(exts) > 0 {
			ext = exts[0]
		}
		size := s.SizeMB
		if size == 0 {
			size = DefaultSizeMB
		}
		a.Package = mdm.Package{FileName: slug + ext, Size: size * mdm.MiB}
	case mdm.PackageStoreURL:
		a.URL = "https://store.example.com/apps/" + slug
	case mdm.PackageWebURL:
		a.URL = "https://intranet.example.com/" + slug
	case mdm.PackageFromStore, mdm.PackageIdentity:
		a.Identifier = "com.contoso." + slug
	}
	return a
}

func (s *AppSpec) displayName() string {
	if s.Name != "" {
		return s.Name
	}
	return string(s.ID)
}

func (s *AppSpec) version() string {
	if s.Version != "" {
		return s.Version
	}
	return DefaultAppVersion
}

// product is the store's id of a synced app: given, or derived from the app id
// (Apple adamIds are digits; any non-empty string serves the fake store).
func (s *AppSpec) product() string {
	if s.Store != nil && s.Store.Product != "" {
		return s.Store.Product
	}
	return "p-" + slugOf(string(s.ID))
}

// slugOf keeps letters, digits, dots and dashes, for file names and URLs.
func slugOf(id string) string {
	var b strings.Builder
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "app"
	}
	return b.String()
}

// parseTarget reads the target syntax of a scenario: "allUsers", "allDevices",
// "group:ID", "exclude:ID".
func parseTarget(s string) (mdm.Target, error) {
	switch {
	case s == "allUsers":
		return mdm.AllUsersTarget(), nil
	case s == "allDevices":
		return mdm.AllDevicesTarget(), nil
	case strings.HasPrefix(s, "group:"):
		return mdm.GroupTarget(mdm.GroupID(strings.TrimPrefix(s, "group:"))), nil
	case strings.HasPrefix(s, "exclude:"):
		return mdm.ExclusionTarget(mdm.GroupID(strings.TrimPrefix(s, "exclude:"))), nil
	}
	return mdm.Target{}, errors.New("bad target")
}

// assignment builds the mdm assignment of a spec; start anchors the deadline.
func (s *AssignmentSpec) assignment(start time.Time) (mdm.Assignment, error) {
	t, err := parseTarget(s.Target)
	if err != nil {
		return mdm.Assignment{}, err
	}
	a := mdm.Assignment{ID: s.ID, App: s.App, Intent: s.Intent, Target: t}
	a.Settings.LicenseType = s.LicenseType
	a.Settings.UninstallOnDeviceRemoval = s.UninstallOnDeviceRemoval
	a.Settings.PreventAutoUpdate = s.PreventAutoUpdate
	if s.Deadline != nil {
		a.Settings.Deadline = start.Add(dur(*s.Deadline))
	}
	return a, nil
}

// policy applies the overrides to the product defaults.
func (p *PolicySpec) policy() mdm.Policy {
	pol := mdm.DefaultPolicy()
	if p.SteadyCheckIn != nil {
		pol.AppleCheckIn.Steady = dur(*p.SteadyCheckIn)
		pol.OtherCheckIn.Steady = dur(*p.SteadyCheckIn)
	}
	setF := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	setI := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setD := func(dst *time.Duration, v *Duration) {
		if v != nil {
			*dst = dur(*v)
		}
	}
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setF(&pol.CheckInJitter, p.CheckInJitter)
	setI(&pol.PushRenotifications, p.PushRenotifications)
	setD(&pol.PushRenotifyInterval, p.PushRenotifyInterval)
	setD(&pol.ReinstallWindow, p.ReinstallWindow)
	setD(&pol.UpdateWindow, p.UpdateWindow)
	setI(&pol.RetryAttempts, p.RetryAttempts)
	setD(&pol.RetryInterval, p.RetryInterval)
	setD(&pol.StuckInstallThreshold, p.StuckInstallThreshold)
	setD(&pol.VPPSyncInterval, p.VPPSyncInterval)
	setF(&pol.UtilizationAlertThreshold, p.UtilizationAlertThreshold)
	setI(&pol.UserLicenseDeviceCap, p.UserLicenseDeviceCap)
	setB(&pol.VPPOversubscription, p.VPPOversubscription)
	setB(&pol.StoreForBusinessOversubscription, p.StoreForBusinessOversubscription)
	setB(&pol.AssignmentRemovalRevokes, p.AssignmentRemovalRevokes)
	return pol
}

// PolicyOf returns the product policy of the run: mdm.DefaultPolicy() with the
// scenario's overrides.
func (s *Scenario) PolicyOf() mdm.Policy { return s.Policy.policy() }

// StartTime returns Start, or DefaultStart when none is given.
func (s *Scenario) StartTime() time.Time {
	if s.Start.IsZero() {
		return DefaultStart
	}
	return s.Start
}

// SampleInterval returns SampleEvery, or DefaultSampleEvery.
func (s *Scenario) SampleInterval() time.Duration {
	if s.SampleEvery == 0 {
		return DefaultSampleEvery
	}
	return dur(s.SampleEvery)
}

// Clone returns a deep copy of s.
func (s *Scenario) Clone() *Scenario {
	c := *s
	b, err := json.Marshal(s)
	if err == nil {
		var d Scenario
		if err = json.Unmarshal(b, &d); err == nil {
			return &d
		}
	}
	// A scenario that does not encode (an invalid enum built in Go) is copied
	// shallowly; Validate will refuse it anyway.
	return &c
}

// WithDevices returns a copy of s for a fleet of n devices. Counts that go with
// the fleet's size scale by n over the old device count, rounded, at least 1:
// users, licenses owned and bought or refunded, users leaving by count. Shares
// stay, so the scenario keeps its shape.
func (s *Scenario) WithDevices(n int) *Scenario {
	c := s.Clone()
	old := c.Fleet.Devices
	c.Fleet.Devices = n
	if old <= 0 || n <= 0 {
		return c
	}
	scale := func(x int) int {
		if x <= 0 {
			return x
		}
		return max(1, int(math.Round(float64(x)*float64(n)/float64(old))))
	}
	c.Fleet.Users = scale(c.Fleet.Users)
	for i := range c.Apps {
		if st := c.Apps[i].Store; st != nil {
			st.Licenses = scale(st.Licenses)
		}
	}
	for i := range c.Timeline {
		c.Timeline[i].Count = scale(c.Timeline[i].Count)
	}
	return c
}

// WithDays returns a copy of s that runs for days. Nothing else moves: a
// timeline, fault or wave past the new end makes the scenario invalid, and
// Validate says which.
func (s *Scenario) WithDays(days int) *Scenario {
	c := s.Clone()
	c.Duration = Duration(time.Duration(days) * Day)
	return c
}
