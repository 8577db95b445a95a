package sim

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// Bounds of a scenario. They keep a run within the int64 nanoseconds of
// virtual time and within what a large machine can hold: a run needs about
// 4.5 KB of memory per device (builtin:large peaks at 4.20 GiB with 1,000,000
// devices, bench/RESULTS.md), so MaxDevices asks for about 45 GB.
const (
	MaxDevices     = 10_000_000
	MaxUsers       = 10_000_000
	MaxRunDuration = 400 * Day
	MinSampleEvery = time.Minute
	// MaxSamples bounds the metric samples of a run (one at the start, one
	// every sampleEvery, one at the end): each holds a line per app, in memory
	// and in the JSON report, and a chart shows no more. A sample a minute
	// fits six days.
	MaxSamples     = 10_000
	maxListLen     = 10_000 // apps, groups, assignments, timeline entries, ...
	shareTolerance = 1e-6   // shares that must sum to 1 may miss by this much
	// The years a run may start in: package device counts the calendar in
	// int64 nanoseconds since 1970, up to early 2116 (device.NewFleet).
	minStartYear, maxStartYear = 2000, 2100
	// maxOwnedLicenses is the most licenses of one app a license pool counts
	// (package license refuses a larger store total).
	maxOwnedLicenses = 1 << 30
)

// samples is how many metric samples a run of duration d takes every every:
// at the start, at each multiple of every up to the end, and at the end.
func samples(d, every time.Duration) int64 { return int64(d/every) + 2 }

// Validate checks a scenario built in Go. It reports every problem found (up to
// MaxFieldErrors) in one *ScenarioError wrapping ErrInvalidScenario; fields are
// named by their JSON paths. A scenario that passes can run: what Validate
// cannot know (a tenant refusing an assignment for a rule such as A4) is
// reported by Run.
func (s *Scenario) Validate() error { return s.validate(nil) }

// validate runs every check; pos, when the scenario came from JSON, places the
// errors in the file.
func (s *Scenario) validate(pos *positions) error {
	if s == nil {
		return &ScenarioError{Errors: []*FieldError{{Reason: "is nil", Remedy: "pass a *Scenario: DecodeScenario, MidScenario or one built in Go"}}}
	}
	v := &validator{s: s}
	v.scenario()
	if len(v.errs) == 0 {
		return nil
	}
	for _, e := range v.errs {
		pos.locate(e)
	}
	slices.SortStableFunc(v.errs, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if len(v.errs) > MaxFieldErrors {
		v.errs = v.errs[:MaxFieldErrors]
	}
	return &ScenarioError{Errors: v.errs}
}

type validator struct {
	s    *Scenario
	errs []*FieldError

	groupIdx map[mdm.GroupID]int // index in fleet.groups
	appIdx   map[mdm.AppID]int   // index in apps
	profiles map[string]bool
	vpp      map[mdm.TokenID]bool
	msfb     map[mdm.TokenID]bool
}

func (v *validator) bad(field, value, reason, remedy string) {
	v.errs = append(v.errs, &FieldError{Field: field, Value: value, Reason: reason, Remedy: remedy})
}

// badErr records an error from mdm (or another package) under field, keeping
// its reason, remedy and sentinel.
func (v *validator) badErr(field string, err error) {
	var ve *mdm.ValidationError
	if errors.As(err, &ve) {
		f := field
		if ve.Field != "" {
			f += "." + ve.Field
		}
		reason := ve.Reason
		if ve.Rule != "" {
			reason += " (" + ve.Rule + ")"
		}
		v.errs = append(v.errs, &FieldError{Field: f, Value: ve.Value, Reason: reason, Remedy: ve.Remedy, Err: ve.Err})
		return
	}
	v.errs = append(v.errs, &FieldError{Field: field, Reason: err.Error(), Err: err})
}

func idx(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// share checks a share in [lo, 1] (lo 0 or just above it when open).
func (v *validator) share(field string, x float64, open bool) {
	if math.IsNaN(x) || x < 0 || x > 1 || (open && x == 0) {
		rng := "[0, 1]"
		if open {
			rng = "(0, 1]"
		}
		v.bad(field, ftoa(x), "is not a share in "+rng, "give a fraction such as 0.25 for a quarter")
	}
}

// sumsToOne checks that the shares of a list add up to 1.
func (v *validator) sumsToOne(field string, shares []float64) {
	sum := 0.0
	for _, x := range shares {
		sum += x
	}
	if math.Abs(sum-1) > shareTolerance {
		// Rounded to 10 digits: 0.6+0.3 is 0.8999999999999999 in binary, and
		// the reader wrote 0.9.
		v.bad(field, "", "has shares that add up to "+strconv.FormatFloat(sum, 'g', 10, 64)+", not 1",
			"make the shares of the list add up to 1")
	}
}

// span checks a time within the run: 0 ≤ d ≤ duration.
func (v *validator) span(field string, d Duration) {
	if d < 0 {
		v.bad(field, d.String(), "is negative", "give a time since the start of the run, e.g. \"2d\"")
	} else if d > v.s.Duration {
		v.bad(field, d.String(), "is after the end of the run ("+v.s.Duration.String()+")",
			"move it within the run, or lengthen duration")
	}
}

func (v *validator) id(field, id string) {
	if err := mdm.CheckID(field, id); err != nil {
		var ve *mdm.ValidationError
		if errors.As(err, &ve) {
			v.errs = append(v.errs, &FieldError{Field: field, Value: ve.Value, Reason: ve.Reason, Remedy: ve.Remedy, Err: ve.Err})
		}
	}
}

func (v *validator) scenario() {
	s := v.s
	if len(s.Name) > 200 {
		v.bad("name", s.Name, "is longer than 200 bytes", "use a short label; put the story in description")
	}
	switch {
	case s.Duration <= 0:
		v.bad("duration", s.Duration.String(), "must be positive", `give how long the run lasts, e.g. "30d"`)
	case dur(s.Duration) > MaxRunDuration:
		v.bad("duration", s.Duration.String(), "is over 400 days", "simulate at most 400 days")
	}
	switch {
	case s.SampleEvery == 0:
	case dur(s.SampleEvery) < MinSampleEvery || s.SampleEvery > s.Duration:
		v.bad("sampleEvery", s.SampleEvery.String(), "must be between 1m and the run's duration",
			`sample every few hours, e.g. "6h"`)
	case s.Duration > 0 && samples(dur(s.Duration), dur(s.SampleEvery)) > MaxSamples:
		// The finest whole minutes that fit: every > duration/(MaxSamples-1)
		// keeps duration/every at MaxSamples-2 or less.
		least := (dur(s.Duration) / (MaxSamples - 1)).Truncate(time.Minute) + time.Minute
		v.bad("sampleEvery", s.SampleEvery.String(),
			fmt.Sprintf("gives %d samples over the run's %s, over the %d a report holds", samples(dur(s.Duration), dur(s.SampleEvery)), s.Duration, MaxSamples),
			fmt.Sprintf("sample every %s or less often", Duration(least)))
	}
	if !s.Start.IsZero() && (s.Start.Year() < minStartYear || s.Start.Year() > maxStartYear) {
		v.bad("start", s.Start.Format(time.RFC3339), "is not between the years 2000 and 2100", "give a calendar time such as 2026-01-05T00:00:00Z")
	}
	v.policy()
	v.behavior()
	v.stores()
	v.fleet()
	v.apps()
	v.assignments()
	v.faults()
	v.timeline()
}

func (v *validator) policy() {
	p := &v.s.Policy
	durs := []struct {
		name string
		d    *Duration
	}{
		{"steadyCheckIn", p.SteadyCheckIn}, {"pushRenotifyInterval", p.PushRenotifyInterval},
		{"reinstallWindow", p.ReinstallWindow}, {"updateWindow", p.UpdateWindow},
		{"retryInterval", p.RetryInterval}, {"stuckInstallThreshold", p.StuckInstallThreshold},
		{"vppSyncInterval", p.VPPSyncInterval},
	}
	for _, d := range durs {
		if d.d != nil && (*d.d < Duration(time.Second) || dur(*d.d) > MaxRunDuration) {
			v.bad("policy."+d.name, d.d.String(), "must be between 1s and 400d", "give a positive span such as \"8h\"")
		}
	}
	if p.SteadyCheckIn != nil && dur(*p.SteadyCheckIn) < 15*time.Minute {
		v.bad("policy.steadyCheckIn", p.SteadyCheckIn.String(), "is shorter than the 15m enrollment cadence (T2)",
			"the steady cadence is the slowest one; use e.g. \"8h\"")
	}
	if x := p.CheckInJitter; x != nil && (math.IsNaN(*x) || *x < 0 || *x >= 1) {
		v.bad("policy.checkInJitter", ftoa(*x), "is not in [0, 1)", "give a relative jitter such as 0.1")
	}
	if x := p.UtilizationAlertThreshold; x != nil && (math.IsNaN(*x) || *x <= 0 || *x > 1) {
		v.bad("policy.utilizationAlertThreshold", ftoa(*x), "is not in (0, 1]", "give a share such as 0.5")
	}
	ints := []struct {
		name   string
		n      *int
		lo, hi int
	}{
		{"pushRenotifications", p.PushRenotifications, 0, 100},
		{"retryAttempts", p.RetryAttempts, 1, 100},
		{"userLicenseDeviceCap", p.UserLicenseDeviceCap, 1, 1000},
	}
	for _, c := range ints {
		if c.n != nil && (*c.n < c.lo || *c.n > c.hi) {
			v.bad("policy."+c.name, strconv.Itoa(*c.n), fmt.Sprintf("is not in [%d, %d]", c.lo, c.hi), "give a small count")
		}
	}
	if len(v.errs) == 0 {
		pol := p.policy()
		if err := pol.Validate(); err != nil {
			v.badErr("policy", err)
		}
	}
}

func (v *validator) behavior() {
	ps := v.s.Behavior.Profiles
	v.profiles = map[string]bool{}
	if len(ps) > maxListLen {
		v.bad("behavior.profiles", "", "has more than 10,000 profiles", "use fewer profiles")
		return
	}
	for i := range ps {
		p := &ps[i]
		f := idx("behavior.profiles", i)
		switch {
		case p.Name == "" || len(p.Name) > 64:
			v.bad(f+".name", p.Name, "is not a name of 1 to 64 bytes", `name the profile, e.g. "laptop"`)
		case v.profiles[p.Name]:
			v.bad(f+".name", p.Name, "is the name of another profile", "give every profile its own name")
		}
		v.profiles[p.Name] = true
		if err := p.Profile.Validate(); err != nil {
			v.badErr(f+".profile", err)
		}
	}
}

func (v *validator) stores() {
	st := &v.s.Stores
	v.vpp, v.msfb = map[mdm.TokenID]bool{}, map[mdm.TokenID]bool{}
	seen := map[mdm.TokenID]bool{}
	tokenID := func(f string, id mdm.TokenID, kind map[mdm.TokenID]bool) {
		v.id(f+".id", string(id))
		if seen[id] {
			v.bad(f+".id", string(id), "is the id of another store token", "give every token its own id")
		}
		seen[id], kind[id] = true, true
	}
	for i, t := range st.VPP {
		f := idx("stores.vpp", i)
		tokenID(f, t.ID, v.vpp)
		if t.ExpiresAfter < 0 {
			v.bad(f+".expiresAfter", t.ExpiresAfter.String(), "is negative", `give a span from the start, e.g. "365d"`)
		}
		if dur(t.ExpiresAfter) > mdm.DefaultPolicy().TokenLifetime {
			v.bad(f+".expiresAfter", t.ExpiresAfter.String(), "is longer than an Apple token lives (365d, L1)",
				`give a span of at most "365d"`)
		}
	}
	for i, t := range st.StoreForBusiness {
		tokenID(idx("stores.storeForBusiness", i), t.ID, v.msfb)
	}
	if st.AppleEventLatency < 0 || dur(st.AppleEventLatency) > Day {
		v.bad("stores.appleEventLatency", st.AppleEventLatency.String(), "is not in [0, 1d]", `give how long Apple reports an event pending, e.g. "30s"`)
	}
	if len(st.VPP)+len(st.StoreForBusiness) > maxListLen {
		v.bad("stores", "", "has more than 10,000 tokens", "use fewer tokens")
	}
}

func (v *validator) fleet() {
	fl := &v.s.Fleet
	if fl.Devices < 1 || fl.Devices > MaxDevices {
		v.bad("fleet.devices", strconv.Itoa(fl.Devices), "is not in [1, 10,000,000]", "give how many devices enroll during the run")
	}
	if fl.Users < 0 || fl.Users > MaxUsers {
		v.bad("fleet.users", strconv.Itoa(fl.Users), "is not in [0, 10,000,000]", "give how many users the directory holds")
	}
	v.share("fleet.userlessShare", fl.UserlessShare, false)
	v.share("fleet.appleAccountShare", fl.AppleAccountShare, false)
	if fl.Users == 0 && fl.UserlessShare < 1 {
		v.bad("fleet.users", "0", "is 0, but some devices have a primary user", "add users, or set userlessShare to 1")
	}
	if len(fl.Platforms) == 0 {
		v.bad("fleet.platforms", "", "is empty", "give the platform mix, e.g. [{\"platform\": \"windows\", \"share\": 1, ...}]")
	}
	shares := make([]float64, 0, len(fl.Platforms))
	seen := map[mdm.Platform]bool{}
	for i, p := range fl.Platforms {
		f := idx("fleet.platforms", i)
		if p.Platform == mdm.PlatformUnknown {
			v.bad(f+".platform", "", "is missing", "use android, androidEnterprise, iOS, macOS or windows")
		} else if seen[p.Platform] {
			v.bad(f+".platform", p.Platform.String(), "appears twice", "list each platform once")
		}
		seen[p.Platform] = true
		v.share(f+".share", p.Share, true)
		shares = append(shares, p.Share)
		if len(p.OSVersions) == 0 {
			v.bad(f+".osVersions", "", "is empty", `give the OS versions, e.g. [{"version": "17.4", "share": 1}]`)
		}
		vs := make([]float64, 0, len(p.OSVersions))
		for j, o := range p.OSVersions {
			g := idx(f+".osVersions", j)
			if o.Version == "" || len(o.Version) > 64 {
				v.bad(g+".version", o.Version, "is not a version of at most 64 bytes", `give a version such as "10.0.22631"`)
			}
			v.share(g+".share", o.Share, true)
			vs = append(vs, o.Share)
		}
		if len(vs) > 0 {
			v.sumsToOne(f+".osVersions", vs)
		}
		if p.Profile != "" && !v.profiles[p.Profile] {
			v.bad(f+".profile", p.Profile, "is not a profile of behavior.profiles", "define the profile, or correct its name")
		}
		if !p.Ownership.Valid() {
			v.bad(f+".ownership", p.Ownership.String(), "is not an ownership", "use company or personal")
		}
		if p.JoinType != mdm.JoinNone && p.Platform != mdm.PlatformWindows {
			v.bad(f+".joinType", p.JoinType.String(), "applies to windows devices only", "leave it out for "+p.Platform.String())
		}
		if p.AndroidMode != mdm.AndroidModeNone && p.Platform != mdm.PlatformAndroidEnterprise {
			v.bad(f+".androidMode", p.AndroidMode.String(), "applies to androidEnterprise devices only", "leave it out for "+p.Platform.String())
		}
	}
	if len(shares) > 0 {
		v.sumsToOne("fleet.platforms", shares)
	}
	v.groups()
	if len(fl.Enrollment) == 0 {
		v.bad("fleet.enrollment", "", "is empty", `give at least one wave, e.g. [{"at": "0s", "over": "2d", "share": 1}]`)
	}
	ws := make([]float64, 0, len(fl.Enrollment))
	for i, w := range fl.Enrollment {
		f := idx("fleet.enrollment", i)
		v.span(f+".at", w.At)
		if w.Over < 0 {
			v.bad(f+".over", w.Over.String(), "is negative", `give how long the wave lasts, e.g. "2d", or "0s"`)
		} else if w.At >= 0 && w.Over > v.s.Duration-w.At { // not At+Over, which can wrap
			v.bad(f+".over", w.Over.String(), "ends the wave after the end of the run", "shorten the wave or lengthen the run")
		}
		v.share(f+".share", w.Share, true)
		ws = append(ws, w.Share)
	}
	if len(ws) > 0 {
		v.sumsToOne("fleet.enrollment", ws)
	}
}

func (v *validator) groups() {
	gs := v.s.Fleet.Groups
	v.groupIdx = map[mdm.GroupID]int{}
	if len(gs) > maxListLen {
		v.bad("fleet.groups", "", "has more than 10,000 groups", "use fewer groups")
		return
	}
	for i, g := range gs {
		f := idx("fleet.groups", i)
		v.id(f+".id", string(g.ID))
		if _, dup := v.groupIdx[g.ID]; dup {
			v.bad(f+".id", string(g.ID), "is the id of another group", "give every group its own id")
			continue
		}
		v.groupIdx[g.ID] = i
	}
	for i, g := range gs {
		f := idx("fleet.groups", i)
		if g.Kind != mdm.UserMembers && g.Kind != mdm.DeviceMembers {
			v.bad(f+".kind", g.Kind.String(), "must be users or devices (D1)", "make the group a user group or a device group")
		}
		v.share(f+".share", g.Share, false)
		if g.Share == 0 && len(g.Groups) == 0 {
			v.bad(f+".share", "0", "leaves the group empty: no share and no nested groups", "give a share of the eligible members, or nest groups")
		}
		if len(g.Platforms) > 0 && g.Kind != mdm.DeviceMembers {
			v.bad(f+".platforms", "", "applies to device groups only", "leave it out of a user group")
		}
		for j, p := range g.Platforms {
			if p == mdm.PlatformUnknown {
				v.bad(idx(f+".platforms", j), "", "is not a platform", "use android, androidEnterprise, iOS, macOS or windows")
			}
		}
		for j, n := range g.Groups {
			h := idx(f+".groups", j)
			k, ok := v.groupIdx[n]
			switch {
			case !ok:
				v.bad(h, string(n), "is not a group of fleet.groups", "define the nested group, or correct its id")
			case n == g.ID:
				v.bad(h, string(n), "is the group itself (D1)", "a group cannot contain itself")
			case gs[k].Kind != g.Kind:
				v.bad(h, string(n), "is a "+gs[k].Kind.String()+" group nested in a "+g.Kind.String()+" group (D1)",
					"nest only groups of the same kind")
			}
		}
	}
	// Nesting cycles: a depth-first walk with colours.
	state := make([]uint8, len(gs)) // 0 new, 1 on the path, 2 done
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = 1
		for _, n := range gs[i].Groups {
			k, ok := v.groupIdx[n]
			if !ok || k == i {
				continue
			}
			if state[k] == 1 || (state[k] == 0 && visit(k)) {
				return true
			}
		}
		state[i] = 2
		return false
	}
	for i := range gs {
		if state[i] == 0 && visit(i) {
			v.bad(idx("fleet.groups", i)+".groups", "", "makes a nesting cycle (D1)", "remove one of the nested groups of the cycle")
			return
		}
	}
}

func (v *validator) apps() {
	as := v.s.Apps
	v.appIdx = map[mdm.AppID]int{}
	if len(as) > maxListLen {
		v.bad("apps", "", "has more than 10,000 apps", "use fewer apps")
		return
	}
	products := map[[2]string]string{}
	for i := range as {
		a := &as[i]
		f := idx("apps", i)
		v.id(f+".id", string(a.ID))
		if _, dup := v.appIdx[a.ID]; dup {
			v.bad(f+".id", string(a.ID), "is the id of another app", "give every app its own id")
		}
		v.appIdx[a.ID] = i
		if !a.Type.Valid() {
			v.bad(f+".type", "", "is missing", `give a Graph app type such as "win32LobApp" or "iosVppApp"`)
			continue
		}
		if a.SizeMB < 0 {
			v.bad(f+".sizeMB", strconv.FormatInt(a.SizeMB, 10), "is negative", "give the package size in MB")
		}
		if len(a.Version) > 64 || len(a.Name) > 256 || len(a.MinOSVersion) > 64 {
			v.bad(f, "", "has a name, version or minOSVersion that is too long", "keep names under 256 bytes and versions under 64")
		}
		if !a.Type.IsSynced() {
			if a.Store != nil {
				v.bad(f+".store", "", "is set on a "+a.Type.String()+", which is not synced from a store (C4)",
					"leave store out; only VPP and Store for Business apps come from a store")
			}
			if a.SizeMB >= 0 {
				app := a.catalogApp()
				if err := mdm.ValidateApp(&app, mdm.AddOptions{}); err != nil {
					v.badErr(f, err)
				}
			}
			continue
		}
		st := a.Store
		if st == nil {
			v.bad(f+".store", "", "is missing: a "+a.Type.String()+" comes from a store (C4)",
				`name its token and licenses, e.g. {"token": "vpp-main", "licenses": 500}`)
			continue
		}
		switch {
		case a.Type.IsVPP() && !v.vpp[st.Token]:
			v.bad(f+".store.token", string(st.Token), "is not a token of stores.vpp", "add the token to stores.vpp, or correct its id")
		case !a.Type.IsVPP() && !v.msfb[st.Token]:
			v.bad(f+".store.token", string(st.Token), "is not an account of stores.storeForBusiness",
				"add the account to stores.storeForBusiness, or correct its id")
		}
		if st.Licenses < 0 || st.Licenses > 100_000_000 {
			v.bad(f+".store.licenses", strconv.Itoa(st.Licenses), "is not in [0, 100,000,000]", "give how many licenses are owned at the start")
		}
		switch {
		case a.Type.IsVPP() && st.Licensing != mdm.LicenseModeUnset:
			v.bad(f+".store.licensing", st.Licensing.String(), "applies to Store for Business apps only (L13)", "leave it out for VPP")
		case !a.Type.IsVPP() && st.Licensing != mdm.LicenseOnline && st.Licensing != mdm.LicenseOffline:
			v.bad(f+".store.licensing", st.Licensing.String(), "must be online or offline for a Store for Business app (L13)",
				`set "licensing": "online" or "offline"`)
		}
		if st.Product != "" {
			v.id(f+".store.product", st.Product)
		}
		key := [2]string{string(st.Token), a.product()}
		if other, dup := products[key]; dup {
			v.bad(f+".store.product", a.product(), "is the product of app "+other+" in the same store (L17: one entry)",
				"give each app its own product id")
		}
		products[key] = string(a.ID)
	}
}

// app returns the spec of an app id, or nil.
func (v *validator) app(id mdm.AppID) *AppSpec {
	if i, ok := v.appIdx[id]; ok {
		return &v.s.Apps[i]
	}
	return nil
}

func (v *validator) assignments() {
	if len(v.s.Assignments) > maxListLen {
		v.bad("assignments", "", "has more than 10,000 assignments", "use fewer assignments")
		return
	}
	for i := range v.s.Assignments {
		v.assignment(idx("assignments", i), &v.s.Assignments[i])
	}
}

// assignment checks one assignment spec: ids, the app, the target's group and
// what mdm.ValidateAssignment checks (A1, A2, L4, T14).
func (v *validator) assignment(f string, a *AssignmentSpec) {
	v.id(f+".id", string(a.ID))
	app := v.app(a.App)
	if app == nil {
		v.bad(f+".app", string(a.App), "is not an app of apps", "add the app, or correct its id")
	}
	if !a.Intent.Valid() {
		v.bad(f+".intent", a.Intent.String(), "is not an intent (A1)", "use available, required, uninstall or availableWithoutEnrollment")
	}
	t, err := parseTarget(a.Target)
	if err != nil {
		v.bad(f+".target", a.Target, "is not a target (A2)", `write "allUsers", "allDevices", "group:ID" or "exclude:ID"`)
		return
	}
	if t.HasGroup() {
		if _, ok := v.groupIdx[t.Group]; !ok {
			v.bad(f+".target", a.Target, "names a group that is not in fleet.groups", "define the group, or correct its id")
		}
	}
	if a.Deadline != nil {
		v.span(f+".deadline", *a.Deadline)
	}
	if app == nil || !app.Type.Valid() {
		return
	}
	as, _ := a.assignment(v.s.StartTime())
	mapp := mdm.App{ID: app.ID, Type: app.Type}
	if err := mdm.ValidateAssignment(&as, &mapp); err != nil {
		var ve *mdm.ValidationError
		if errors.As(err, &ve) {
			ve.Field = assignmentField(ve.Field)
		}
		v.badErr(f, err)
	}
}

// assignmentField maps the Graph field names mdm.ValidateAssignment reports to
// the scenario's.
func assignmentField(graph string) string {
	switch graph {
	case "appId":
		return "app"
	case "settings.licenseType":
		return "licenseType"
	case "settings.installTimeSettings.deadlineDateTime":
		return "deadline"
	case "target.groupId", "target.@odata.type":
		return "target"
	}
	return graph
}

func (v *validator) token(field string, t mdm.TokenID, vppOnly bool) {
	switch {
	case v.vpp[t]:
	case v.msfb[t] && !vppOnly:
	case v.msfb[t]:
		v.bad(field, string(t), "is a Store for Business account; token claims happen to Apple VPP tokens (L3)", "name a token of stores.vpp")
	default:
		v.bad(field, string(t), "is not a token of stores", "add the token to stores.vpp or stores.storeForBusiness, or correct its id")
	}
}

func (v *validator) window(f string, from, to Duration) {
	v.span(f+".from", from)
	v.span(f+".to", to)
	if to <= from {
		v.bad(f+".to", to.String(), "is not after from "+from.String(), "give a window that ends after it starts")
	}
}

func (v *validator) faults() {
	fs := &v.s.Faults
	if len(fs.StoreOutages)+len(fs.RateLimits)+len(fs.TokenClaims) > maxListLen {
		v.bad("faults", "", "has more than 10,000 faults", "use fewer faults")
		return
	}
	for i, o := range fs.StoreOutages {
		f := idx("faults.storeOutages", i)
		v.token(f+".token", o.Token, false)
		v.window(f, o.From, o.To)
		if o.Status != 0 && (o.Status < 400 || o.Status > 599) {
			v.bad(f+".status", strconv.Itoa(o.Status), "is not an HTTP error status", "use a 4xx or 5xx status such as 503, or leave it out")
		}
	}
	for i, r := range fs.RateLimits {
		f := idx("faults.rateLimits", i)
		v.token(f+".token", r.Token, false)
		v.window(f, r.From, r.To)
		if r.RetryAfter != 0 && (r.RetryAfter < Duration(time.Second) || dur(r.RetryAfter) > time.Hour) {
			v.bad(f+".retryAfter", r.RetryAfter.String(), "is not in [1s, 1h]", `give the Retry-After the store sends, e.g. "60s"`)
		}
	}
	for i, c := range fs.TokenClaims {
		f := idx("faults.tokenClaims", i)
		v.token(f+".token", c.Token, true)
		v.span(f+".at", c.At)
		if len(c.By) > 100 {
			v.bad(f+".by", c.By, "is longer than 100 bytes", "give the other service's name")
		}
		// A take-back after the end of the run never happens, but at+takeBackAfter
		// is still a time of the run's event queue: bound it as a run is bounded.
		if c.TakeBackAfter != nil && (*c.TakeBackAfter <= 0 || dur(*c.TakeBackAfter) > MaxRunDuration) {
			v.bad(f+".takeBackAfter", c.TakeBackAfter.String(), "is not in (0, 400d]", `give how long after the claim the admin takes the token back, e.g. "1d"`)
		}
	}
}

func (v *validator) timeline() {
	tl := v.s.Timeline
	if len(tl) > maxListLen {
		v.bad("timeline", "", "has more than 10,000 actions", "use fewer actions")
		return
	}
	// Assignments that exist, as the timeline goes: unassign and changeIntent
	// must name one.
	live := map[mdm.AssignmentID]bool{}
	for _, a := range v.s.Assignments {
		if live[a.ID] {
			v.bad("assignments", string(a.ID), "holds the id twice", "give every assignment its own id")
		}
		live[a.ID] = true
	}
	ever := map[mdm.AssignmentID]bool{}
	for id := range live {
		ever[id] = true
	}
	// Licenses owned per store app, as the timeline goes: what is bought must
	// stay within what a license pool counts (license: 1<<30), else every
	// store sync after the purchase fails.
	owned := map[mdm.AppID]int{}
	var prev Duration
	for i := range tl {
		a := &tl[i]
		f := idx("timeline", i)
		v.span(f+".at", a.At)
		if a.At < prev {
			v.bad(f+".at", a.At.String(), "is before the action above it ("+prev.String()+")", "list the timeline in time order")
		}
		prev = max(prev, a.At)
		used := map[string]bool{
			"assignment": a.Assignment != nil, "id": a.ID != "", "intent": a.Intent != nil, "app": a.App != "",
			"count": a.Count != 0, "share": a.Share != 0, "version": a.Version != "",
		}
		var takes []string
		switch a.Action {
		case ActAssign:
			takes = []string{"assignment"}
			if a.Assignment == nil {
				v.bad(f+".assignment", "", "is missing", "give the assignment to make")
				break
			}
			v.assignment(f+".assignment", a.Assignment)
			if ever[a.Assignment.ID] {
				v.bad(f+".assignment.id", string(a.Assignment.ID), "is the id of an earlier assignment", "give every assignment its own id")
			}
			live[a.Assignment.ID], ever[a.Assignment.ID] = true, true
		case ActUnassign, ActChangeIntent:
			takes = []string{"id"}
			if !live[a.ID] {
				v.bad(f+".id", string(a.ID), "is not an assignment that exists at this time", "name an assignment made before this action and not yet removed")
			}
			if a.Action == ActUnassign {
				delete(live, a.ID)
				break
			}
			takes = append(takes, "intent")
			if a.Intent == nil {
				v.bad(f+".intent", "", "is missing", "give the new intent")
			} else if !a.Intent.Valid() {
				v.bad(f+".intent", a.Intent.String(), "is not an intent (A1)", "use available, required, uninstall or availableWithoutEnrollment")
			}
		case ActBuyLicenses, ActRefund:
			takes = []string{"app", "count"}
			if app := v.app(a.App); app == nil || !app.Type.IsSynced() {
				v.bad(f+".app", string(a.App), "is not a store-synced app of apps", "name a VPP or Store for Business app")
			}
			if a.Count < 1 || a.Count > 100_000_000 {
				v.bad(f+".count", strconv.Itoa(a.Count), "is not in [1, 100,000,000]", "give how many licenses")
				break
			}
			app := v.app(a.App)
			if app == nil || app.Store == nil {
				break
			}
			n, seen := owned[a.App]
			if !seen {
				n = app.Store.Licenses
			}
			switch {
			case a.Action == ActRefund:
				if a.Count <= n { // a refund of more than is owned is refused at run time
					n -= a.Count
				}
			case n+a.Count > maxOwnedLicenses:
				v.bad(f+".count", strconv.Itoa(a.Count), "would bring the licenses owned of "+string(a.App)+" to "+
					strconv.Itoa(n+a.Count)+", over "+strconv.Itoa(maxOwnedLicenses), "buy fewer licenses")
			default:
				n += a.Count
			}
			owned[a.App] = n
		case ActUsersLeave:
			takes = []string{"count", "share"}
			switch {
			case (a.Count == 0) == (a.Share == 0):
				v.bad(f, "", "needs exactly one of count and share", "give how many users leave, as a count or a share")
			case a.Count < 0 || a.Count > MaxUsers:
				v.bad(f+".count", strconv.Itoa(a.Count), "is not in [1, 10,000,000]", "give how many users leave")
			case a.Count == 0:
				v.share(f+".share", a.Share, true)
			}
		case ActNewVersion:
			takes = []string{"app", "version"}
			switch app := v.app(a.App); {
			case app == nil:
				v.bad(f+".app", string(a.App), "is not an app of apps", "name an app of the catalog")
			case app.Type.IsSynced() && !storeVersioned(app.Type):
				// A synced app's version is the store's to change (C4); store
				// sync brings those of VPP apps (Apple's content metadata), but
				// books have none and the Store for Business API carries none.
				v.bad(f+".app", string(a.App), "is a book or a Store for Business app, whose versions store sync does not bring (C4)",
					"publish new versions of VPP apps and of apps added by hand (line-of-business, store links, ...)")
			}
			if a.Version == "" || len(a.Version) > 64 {
				v.bad(f+".version", a.Version, "is not a version of 1 to 64 bytes", `give the new version, e.g. "2.0"`)
			}
		case ActSync:
		case "":
			v.bad(f+".action", "", "is missing", "use assign, unassign, changeIntent, buyLicenses, refund, usersLeave, newVersion or sync")
			continue
		default:
			v.bad(f+".action", string(a.Action), "is not an action",
				"use assign, unassign, changeIntent, buyLicenses, refund, usersLeave, newVersion or sync")
			continue
		}
		for _, name := range []string{"assignment", "id", "intent", "app", "count", "share", "version"} {
			if used[name] && !slices.Contains(takes, name) {
				v.bad(f+"."+name, "", "is not used by a "+string(a.Action)+" action", "remove it")
			}
		}
	}
}
