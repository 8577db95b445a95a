package device

import (
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

func TestProfile_DefaultIsValid(t *testing.T) {
	p := DefaultProfile()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := quietProfileValid(); err != nil {
		t.Fatal(err)
	}
}

func quietProfileValid() error { p := quietProfile(); return p.Validate() }

// A scenario file of 4 MiB holds about 100,000 unmanaged apps: validating
// them is linear, not a pairwise search for duplicates that took close to a
// minute (an input must never hang the reader).
func TestProfile_ValidateManyUnmanagedApps(t *testing.T) {
	p := DefaultProfile()
	for i := range 80_000 {
		p.UnmanagedApps = append(p.UnmanagedApps, UnmanagedApp{App: mdm.AppID("app-" + strconv.Itoa(i))})
	}
	p.UnmanagedApps = append(p.UnmanagedApps, UnmanagedApp{App: "app-7"})
	begin := time.Now()
	err := p.Validate()
	wantErr(t, err, ErrInvalidProfile, "unmanagedApps[80000].appId")
	if el := time.Since(begin); el > 3*time.Second {
		t.Fatalf("validating 80,001 unmanaged apps took %v", el)
	}
}

// Every field's errors name the field by its JSON path and wrap
// ErrInvalidProfile.
func TestProfile_ValidateNamesTheField(t *testing.T) {
	tests := []struct {
		field string
		edit  func(*Profile)
	}{
		{"install.duration.dist", func(p *Profile) { p.Install.Duration = Dist{} }},
		{"install.duration.median", func(p *Profile) { p.Install.Duration = LogNormal(0, 1, 0) }},
		{"install.duration.sigma", func(p *Profile) { p.Install.Duration = LogNormal(time.Minute, -1, 0) }},
		{"install.duration.max", func(p *Profile) { p.Install.Duration = Uniform(time.Hour, time.Minute) }},
		{"install.duration.mean", func(p *Profile) { p.Install.Duration = Dist{Kind: DistFixed, Value: 1, Mean: 5} }},
		{"install.duration.value", func(p *Profile) { p.Install.Duration = Fixed(-time.Second) }},
		{"install.duration.value", func(p *Profile) { p.Install.Duration = Fixed(time.Duration(MaxDuration) + 1) }},
		{"install.duration.mean", func(p *Profile) { p.Install.Duration = Exponential(0) }},
		{"install.duration.dist", func(p *Profile) { p.Install.Duration = Dist{Kind: 42} }},
		{"install.failureProbability", func(p *Profile) { p.Install.FailureProbability = 1.5 }},
		{"install.retryProbability", func(p *Profile) { p.Install.RetryProbability = -0.1 }},
		{"install.pendingRebootProbability", func(p *Profile) { p.Install.PendingRebootProbability = 2 }},
		{"install.stuckProbability", func(p *Profile) { p.Install.StuckProbability = 1.01 }},
		{"install", func(p *Profile) { p.Install.FailureProbability, p.Install.RetryProbability = 0.6, 0.6 }},
		{"install.failureCodes[1].code", func(p *Profile) { p.Install.FailureCodes = []WeightedCode{{1603, 1}, {0, 1}} }},
		{"install.failureCodes[0].weight", func(p *Profile) { p.Install.FailureCodes = []WeightedCode{{1603, -1}} }},
		{"install.failureCodes", func(p *Profile) { p.Install.FailureCodes = []WeightedCode{{1603, 0}} }},
		{"uninstall.duration.dist", func(p *Profile) { p.Uninstall.Duration = Dist{} }},
		{"uninstall.failureProbability", func(p *Profile) { p.Uninstall.FailureProbability = 3 }},
		{"uninstall.failureCodes[0].code", func(p *Profile) { p.Uninstall.FailureCodes = []WeightedCode{{0, 1}} }},
		{"notNowProbability", func(p *Profile) { p.NotNowProbability = -1 }},
		{"maxConcurrentCommands", func(p *Profile) { p.MaxConcurrentCommands = -2 }},
		{"reboot.delay.dist", func(p *Profile) { p.Reboot.Delay = Dist{} }},
		{"reboot.every", func(p *Profile) { p.Reboot.Every = -1 }},
		{"schedule.utcOffset", func(p *Profile) { p.Schedule.UTCOffset = Duration(15 * time.Hour) }},
		{"schedule.nightStart", func(p *Profile) { p.Schedule.NightStart = Duration(Day) }},
		{"schedule.nightEnd", func(p *Profile) { p.Schedule.NightEnd = -1 }},
		{"schedule.nightEnd", func(p *Profile) { p.Schedule.NightEnd = p.Schedule.NightStart }},
		{"schedule.nightOffProbability", func(p *Profile) { p.Schedule.NightOffProbability = 7 }},
		{"schedule.weekendOffProbability", func(p *Profile) { p.Schedule.WeekendOffProbability = -7 }},
		{"schedule.jitter", func(p *Profile) { p.Schedule.Jitter = Duration(12 * time.Hour) }},
		{"schedule.absenceEvery", func(p *Profile) { p.Schedule.AbsenceEvery = -1 }},
		{"schedule.absenceLength.dist", func(p *Profile) { p.Schedule.AbsenceLength = Dist{} }},
		{"user.portalInstallEvery", func(p *Profile) { p.User.PortalInstallEvery = -1 }},
		{"user.portalUninstallEvery", func(p *Profile) { p.User.PortalUninstallEvery = MaxDuration + 1 }},
		{"user.removeEvery", func(p *Profile) { p.User.RemoveEvery = -1 }},
		{"user.leaveAfter", func(p *Profile) { p.User.LeaveAfter = -1 }},
		{"user.restartStuckProbability", func(p *Profile) { p.User.RestartStuckProbability = 1.1 }},
		{"user.restartStuckDelay.dist", func(p *Profile) { p.User.RestartStuckDelay = Dist{} }},
		{"booksAppProbability", func(p *Profile) { p.BooksAppProbability = 1.5 }},
		{"unmanagedApps[0].appId", func(p *Profile) { p.UnmanagedApps = []UnmanagedApp{{App: "", Probability: 1}} }},
		{"unmanagedApps[0].probability", func(p *Profile) { p.UnmanagedApps = []UnmanagedApp{{App: "x", Probability: 2}} }},
		{"unmanagedApps[1].appId", func(p *Profile) { p.UnmanagedApps = []UnmanagedApp{{App: "x"}, {App: "x"}} }},
		{"unmanagedApps[0].version", func(p *Profile) {
			p.UnmanagedApps = []UnmanagedApp{{App: "x", Version: strings.Repeat("9", 300)}}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			p := DefaultProfile()
			tc.edit(&p)
			err := p.Validate()
			wantErr(t, err, ErrInvalidProfile, tc.field)
			if _, err := newFleet(t, nil).NewBehavior(p); !errors.Is(err, ErrInvalidProfile) {
				t.Fatalf("NewBehavior accepted an invalid profile: %v", err)
			}
		})
	}
	// Optional distributions may stay unset when their behaviour is off.
	p := DefaultProfile()
	p.Schedule.AbsenceEvery, p.Schedule.AbsenceLength = 0, Dist{}
	p.User.RestartStuckProbability, p.User.RestartStuckDelay = 0, Dist{}
	p.Install.PendingRebootProbability, p.Reboot.Delay = 0, Dist{}
	if err := p.Validate(); err != nil {
		t.Fatalf("unset optional distributions refused: %v", err)
	}
}

func TestFleet_ConfigErrors(t *testing.T) {
	_, err := NewFleet(FleetConfig{Policy: mdm.DefaultPolicy()})
	wantErr(t, err, ErrInvalidFleet, "start")
	_, err = NewFleet(FleetConfig{Start: start})
	wantErr(t, err, ErrInvalidFleet, "policy.appleCheckIn.burstInterval")
	_, err = NewFleet(FleetConfig{Policy: mdm.DefaultPolicy(), Start: start, BooksApp: "a\nb"})
	wantErr(t, err, ErrInvalidFleet, "booksApp")
	f := newFleet(t, nil)
	if err := f.AddApp(""); !errors.Is(err, mdm.ErrInvalidID) {
		t.Fatalf("AddApp(\"\") = %v", err)
	}
	if err := f.MarkBook(""); !errors.Is(err, mdm.ErrInvalidID) {
		t.Fatalf("MarkBook(\"\") = %v", err)
	}
}

func TestDuration_Text(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		out  string
	}{
		{"45m", 45 * time.Minute, "45m"},
		{"14d", 14 * Day, "14d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"36h", 36 * time.Hour, "1d12h"},
		{"-5h", -5 * time.Hour, "-5h"},
		{"+2h", 2 * time.Hour, "2h"},
		{"0", 0, "0s"},
		{"0d", 0, "0s"}, // a wave of no length, written in days
		{"-0d", 0, "0s"},
		{"1d0h30m", Day + 30*time.Minute, "1d30m"},
		{"1.5s", 1500 * time.Millisecond, "1.5s"},
		{"2h30m", 150 * time.Minute, "2h30m"},
	} {
		d, err := ParseDuration(tc.in)
		if err != nil || time.Duration(d) != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", tc.in, time.Duration(d), err, tc.want)
			continue
		}
		if got := d.String(); got != tc.out {
			t.Errorf("%q prints %q, want %q", tc.in, got, tc.out)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Errorf("%q does not round-trip: %v %v", tc.in, back, err)
		}
	}
	for _, bad := range []string{"", "-", "d", "1.5d", "-1d-2h", "1d-2h", "5", "x", "1d2", "--1h", "999999999d"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
}

// The JSON form: durations as strings, probabilities as numbers; a round trip
// gives the same profile.
func TestProfile_JSONRoundTrip(t *testing.T) {
	p := DefaultProfile()
	p.UnmanagedApps = []UnmanagedApp{{App: "zoom", Version: "5", Probability: 0.3}}
	p.Schedule.UTCOffset = Duration(-5 * time.Hour)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"duration":{"dist":"lognormal","max":"2h","median":"3m","sigma":0.8}`,
		`"utcOffset":"-5h"`, `"absenceEvery":"90d"`, `"failureProbability":0.03`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
	back, err := ParseProfile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, back) {
		t.Fatalf("round trip differs:\n%+v\n%+v", p, back)
	}
}

// A partial profile overrides the defaults; strict decoding names the field.
func TestProfile_JSONStrict(t *testing.T) {
	p, err := ParseProfile([]byte(`{"install": {"failureProbability": 0.5}, "schedule": {"nightStart": "22h"}}`))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultProfile()
	if p.Install.FailureProbability != 0.5 || p.Schedule.NightStart != Duration(22*time.Hour) ||
		p.Install.Duration != def.Install.Duration || p.User != def.User {
		t.Fatalf("partial profile not merged over the defaults: %+v", p)
	}
	tests := []struct {
		json, field string
	}{
		{`{"instal": {}}`, "instal"},
		{`{"install": {"Duration": {"dist": "fixed", "value": "1m"}}}`, "install.Duration"},
		{`{"install": {"failureProbability": 0.1, "failureProbability": 0.2}}`, "install.failureProbability"},
		{`{"install": {"failureProbability": "0.1"}}`, "install.failureProbability"},
		{`{"install": {"duration": {"dist": "fixed", "value": 60}}}`, "install.duration.value"},
		{`{"install": {"duration": {"dist": "fixed", "value": "1 minute"}}}`, "install.duration.value"},
		{`{"install": {"duration": {"dist": "gaussian"}}}`, "install.duration.dist"},
		{`{"install": {"duration": {"dist": "fixed", "value": "1m", "mean": "2m"}}}`, "install.duration.mean"},
		{`{"install": null}`, "install"},
		{`{"maxConcurrentCommands": 1.5}`, "maxConcurrentCommands"},
		{`{"maxConcurrentCommands": 99999999999999999999}`, "maxConcurrentCommands"},
		{`{"unmanagedApps": {}}`, "unmanagedApps"},
		{`{"unmanagedApps": [{"appId": "a", "probability": 1, "extra": 1}]}`, "unmanagedApps[0].extra"},
		{`{"unmanagedApps": [{"appId": 5}]}`, "unmanagedApps[0].appId"},
		{`{"install": {"failureCodes": [{"code": 1603, "weight": 1}, {"code": "x"}]}}`, "install.failureCodes[1].code"},
		{`{"schedule": {"utcOffset": "20h"}}`, "schedule.utcOffset"},
		{`[]`, "profile"},
		{`{"install": {}} {}`, ""},
		{`{"install": `, ""},
	}
	for _, tc := range tests {
		_, err := ParseProfile([]byte(tc.json))
		wantErrField(t, tc.json, err, tc.field)
	}
	// On error the target is unchanged.
	q := DefaultProfile()
	if err := json.Unmarshal([]byte(`{"notNowProbability": 0.9, "bogus": 1}`), &q); err == nil || !reflect.DeepEqual(q, DefaultProfile()) {
		t.Fatalf("a refused decode changed the profile (%v)", err)
	}
}

func wantErrField(t *testing.T, input string, err error, field string) {
	t.Helper()
	if !errors.Is(err, ErrInvalidProfile) {
		t.Fatalf("%s: error %v, want ErrInvalidProfile", input, err)
	}
	var ve *mdm.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%s: error %T", input, err)
	}
	if field != "" && ve.Field != field {
		t.Fatalf("%s: field %q, want %q (%v)", input, ve.Field, field, err)
	}
}

// FuzzParseProfile: the decoder never panics, refuses with a typed error, and
// whatever it accepts is valid and survives a round trip.
func FuzzParseProfile(f *testing.F) {
	def, _ := json.Marshal(DefaultProfile())
	f.Add(def)
	f.Add([]byte(`{"install": {"failureProbability": 0.5}, "schedule": {"nightStart": "22h"}}`))
	f.Add([]byte(`{"install": {"duration": {"dist": "uniform", "min": "1m", "max": "1d"}}, "unmanagedApps": [{"appId": "z", "probability": 1}]}`))
	f.Add([]byte(`{"reboot": {"delay": {"dist": "exponential", "mean": "8h", "min": "1m"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProfile(b)
		if err != nil {
			var ve *mdm.ValidationError
			if !errors.Is(err, ErrInvalidProfile) || !errors.As(err, &ve) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted an invalid profile: %v", err)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("accepted profile does not encode: %v", err)
		}
		back, err := ParseProfile(out)
		if err != nil {
			t.Fatalf("re-decode of %s: %v", out, err)
		}
		if !reflect.DeepEqual(p, back) {
			t.Fatalf("round trip differs:\n%+v\n%+v", p, back)
		}
	})
}
