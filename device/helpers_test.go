package device

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/mdmkit/mdmkit/mdm"
)

// start is a Monday, 00:00 UTC.
var start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	minute = Time(time.Minute)
	hour   = Time(time.Hour)
	day    = Time(Day)
)

// quietProfile behaves exactly: installs take 10 minutes and succeed, uninstalls
// take 1 minute, the device is always online, nothing reboots, the user does
// nothing. Tests turn on the one behaviour they check.
func quietProfile() Profile {
	return Profile{
		Install:   InstallProfile{Duration: Fixed(10 * time.Minute)},
		Uninstall: UninstallProfile{Duration: Fixed(time.Minute)},
		Schedule:  ScheduleProfile{NightStart: Duration(19 * time.Hour), NightEnd: Duration(7 * time.Hour)},
	}
}

func newFleet(t testing.TB, portal Portal) *Fleet {
	t.Helper()
	f, err := NewFleet(FleetConfig{Policy: mdm.DefaultPolicy(), Start: start, Portal: portal})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func newDevice(t testing.TB, f *Fleet, p Profile, now Time, seed uint64) (*Device, *rand.Rand) {
	t.Helper()
	b, err := f.NewBehavior(p)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	d, err := New("dev-1", b, now, rng)
	if err != nil {
		t.Fatal(err)
	}
	return d, rng
}

func install(id mdm.CommandID, app, version string) mdm.Command {
	return mdm.Command{ID: id, Kind: mdm.CommandInstall, App: mdm.AppID(app), Version: version}
}

func uninstall(id mdm.CommandID, app string) mdm.Command {
	return mdm.Command{ID: id, Kind: mdm.CommandUninstall, App: mdm.AppID(app)}
}

func mustReceive(t testing.TB, d *Device, now Time, rng *rand.Rand, cmds ...mdm.Command) Events {
	t.Helper()
	ev, err := d.Receive(now, rng, cmds)
	if err != nil {
		t.Fatalf("Receive at %v: %v", now, err)
	}
	return ev
}

func mustStep(t testing.TB, d *Device, now Time, rng *rand.Rand) Events {
	t.Helper()
	ev, err := d.Step(now, rng)
	if err != nil {
		t.Fatalf("Step at %v: %v", now, err)
	}
	return ev
}

func mustCheckIn(t testing.TB, d *Device, now Time, rng *rand.Rand) *mdm.Report {
	t.Helper()
	var r mdm.Report
	if _, err := d.CheckIn(now, rng, &r); err != nil {
		t.Fatalf("CheckIn at %v: %v", now, err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("report at %v does not validate: %v", now, err)
	}
	return &r
}

// inv renders an inventory as "a@1 b@2".
func inv(r *mdm.Report) string {
	s := ""
	for i, a := range r.Inventory {
		if i > 0 {
			s += " "
		}
		s += string(a.App) + "@" + a.Version
	}
	return s
}

func wantErr(t testing.TB, err, sentinel error, field string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %v, want %v", err, sentinel)
	}
	var ve *mdm.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T is not a *mdm.ValidationError", err)
	}
	if field != "" && ve.Field != field {
		t.Fatalf("error names field %q, want %q (%v)", ve.Field, field, err)
	}
	if ve.Reason == "" || ve.Remedy == "" {
		t.Fatalf("error lacks reason or remedy: %+v", ve)
	}
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
